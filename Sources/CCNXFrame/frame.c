#include "cnx_frame.h"

#include <string.h>

static inline void yuv_to_rgb(float y, float u, float v, const cnx_yuv_matrix *m, float *out) {
    const float l = (y - m->y_offset) * m->y_scale, cu = u - 128.0f, cv = v - 128.0f;
    out[0] = l + m->cr * cv;
    out[1] = l - m->gu * cu - m->gv * cv;
    out[2] = l + m->cb * cu;
}

// acc[i] = sum over `k` rows from `row` (`stride` apart) of byte i, for i < n.
static void sum_rows(const uint8_t *row, ptrdiff_t stride, int32_t k, int32_t n, uint32_t *restrict acc) {
    memset(acc, 0, (size_t) n * sizeof(uint32_t));
    for (int32_t t = 0; t < k; t++) {
        const uint8_t *restrict p = row + t * stride;
        for (int32_t i = 0; i < n; i++) acc[i] += p[i];
    }
}

static void box_packed(const cnx_frame *f, int32_t x0, int32_t y0, int32_t k, int32_t columns, int32_t rows,
                       float *out, uint32_t *acc) {
    const int32_t bpp = f->format == CNX_FRAME_RGBA8 || f->format == CNX_FRAME_BGRA8 ? 4 : 3;
    const int32_t red = f->format == CNX_FRAME_BGR8 || f->format == CNX_FRAME_BGRA8 ? 2 : 0, blue = 2 - red;
    const int32_t span = columns * k * bpp;
    const float inv = 1.0f / (float) (k * k);
    for (int32_t r = 0; r < rows; r++) {
        sum_rows(f->pixels + (ptrdiff_t) (y0 + r * k) * f->stride + (ptrdiff_t) x0 * bpp, f->stride, k, span, acc);
        float *o = out + (size_t) r * columns * 3;
        for (int32_t c = 0; c < columns; c++) {
            const uint32_t *a = acc + (size_t) c * k * bpp;
            uint32_t s0 = 0, s1 = 0, s2 = 0;
            for (int32_t t = 0; t < k; t++, a += bpp) { s0 += a[red]; s1 += a[1]; s2 += a[blue]; }
            o[c * 3 + 0] = (float) s0 * inv;
            o[c * 3 + 1] = (float) s1 * inv;
            o[c * 3 + 2] = (float) s2 * inv;
        }
    }
}

static void box_nv(const cnx_frame *f, int32_t x0, int32_t y0, int32_t k, int32_t columns, int32_t rows,
                   const cnx_yuv_matrix *m, float *out, uint32_t *acc) {
    const int32_t uo = f->format == CNX_FRAME_NV12 ? 0 : 1, vo = 1 - uo;
    if (k == 1) {
        for (int32_t r = 0; r < rows; r++) {
            const uint8_t *y = f->pixels + (ptrdiff_t) (y0 + r) * f->stride;
            const uint8_t *uv = f->chroma + (ptrdiff_t) ((y0 + r) / 2) * f->chroma_stride;
            float *o = out + (size_t) r * columns * 3;
            for (int32_t c = 0; c < columns; c++) {
                const int32_t x = x0 + c, cx = (x / 2) * 2;
                yuv_to_rgb(y[x], uv[cx + uo], uv[cx + vo], m, o + c * 3);
            }
        }
        return;
    }
    // k even, x0 and y0 even: a block's chroma is k/2 x k/2 samples, k bytes per chroma row.
    const int32_t span = columns * k, h = k / 2;
    uint32_t *yacc = acc, *cacc = acc + span;
    const float yinv = 1.0f / (float) (k * k), cinv = 1.0f / (float) (h * h);
    for (int32_t r = 0; r < rows; r++) {
        sum_rows(f->pixels + (ptrdiff_t) (y0 + r * k) * f->stride + x0, f->stride, k, span, yacc);
        sum_rows(f->chroma + (ptrdiff_t) ((y0 + r * k) / 2) * f->chroma_stride + x0, f->chroma_stride, h, span, cacc);
        float *o = out + (size_t) r * columns * 3;
        for (int32_t c = 0; c < columns; c++) {
            const uint32_t *ya = yacc + (size_t) c * k, *ca = cacc + (size_t) c * k;
            uint32_t sy = 0, su = 0, sv = 0;
            for (int32_t t = 0; t < k; t++) sy += ya[t];
            for (int32_t t = 0; t < k; t += 2) { su += ca[t + uo]; sv += ca[t + vo]; }
            yuv_to_rgb((float) sy * yinv, (float) su * cinv, (float) sv * cinv, m, o + c * 3);
        }
    }
}

static void box_yuyv(const cnx_frame *f, int32_t x0, int32_t y0, int32_t k, int32_t columns, int32_t rows,
                     const cnx_yuv_matrix *m, float *out, uint32_t *acc) {
    if (k == 1) {
        for (int32_t r = 0; r < rows; r++) {
            const uint8_t *p = f->pixels + (ptrdiff_t) (y0 + r) * f->stride;
            float *o = out + (size_t) r * columns * 3;
            for (int32_t c = 0; c < columns; c++) {
                const int32_t x = x0 + c, pair = (x / 2) * 4;
                yuv_to_rgb(p[x * 2], p[pair + 1], p[pair + 3], m, o + c * 3);
            }
        }
        return;
    }
    // k even, x0 even: a block is k/2 (Y U Y V) groups per row, 2k bytes.
    const int32_t span = columns * k * 2;
    const float yinv = 1.0f / (float) (k * k), cinv = 2.0f / (float) (k * k);
    for (int32_t r = 0; r < rows; r++) {
        sum_rows(f->pixels + (ptrdiff_t) (y0 + r * k) * f->stride + (ptrdiff_t) x0 * 2, f->stride, k, span, acc);
        float *o = out + (size_t) r * columns * 3;
        for (int32_t c = 0; c < columns; c++) {
            const uint32_t *a = acc + (size_t) c * k * 2;
            uint32_t sy = 0, su = 0, sv = 0;
            for (int32_t t = 0; t < 2 * k; t += 4) { sy += a[t] + a[t + 2]; su += a[t + 1]; sv += a[t + 3]; }
            yuv_to_rgb((float) sy * yinv, (float) su * cinv, (float) sv * cinv, m, o + c * 3);
        }
    }
}

void cnx_frame_box_rgb(const cnx_frame *frame, int32_t x0, int32_t y0, int32_t k, int32_t columns, int32_t rows,
                       const cnx_yuv_matrix *matrix, float *out, uint32_t *acc) {
    switch (frame->format) {
    case CNX_FRAME_NV12: case CNX_FRAME_NV21: box_nv(frame, x0, y0, k, columns, rows, matrix, out, acc); break;
    case CNX_FRAME_YUYV: box_yuyv(frame, x0, y0, k, columns, rows, matrix, out, acc); break;
    default: box_packed(frame, x0, y0, k, columns, rows, out, acc); break;
    }
}

void cnx_frame_resample(const float *image, int32_t columns, int32_t rows,
                        const int32_t *x_start, const float *x_weights, int32_t taps_x, int32_t out_width,
                        const int32_t *y_start, const float *y_weights, int32_t taps_y, int32_t out_height,
                        const float scale[3], const float shift[3], float *tmp, float *out) {
    const int32_t first = y_start[0], last = y_start[out_height - 1] + taps_y;
    const int32_t n = out_width * 3;
    // Horizontal pass over the rows the vertical pass reads.
    for (int32_t r = first; r < last; r++) {
        const float *src = image + (size_t) r * columns * 3;
        float *dst = tmp + (size_t) r * n;
        for (int32_t j = 0; j < out_width; j++) {
            const float *p = src + (size_t) x_start[j] * 3, *w = x_weights + (size_t) j * taps_x;
            float s0 = 0, s1 = 0, s2 = 0;
            for (int32_t t = 0; t < taps_x; t++, p += 3) { s0 += w[t] * p[0]; s1 += w[t] * p[1]; s2 += w[t] * p[2]; }
            dst[j * 3 + 0] = s0; dst[j * 3 + 1] = s1; dst[j * 3 + 2] = s2;
        }
    }
    float *restrict line = tmp + (size_t) rows * n;
    const size_t plane = (size_t) out_width * out_height;
    for (int32_t i = 0; i < out_height; i++) {
        const float *w = y_weights + (size_t) i * taps_y;
        const float *restrict row0 = tmp + (size_t) y_start[i] * n;
        for (int32_t e = 0; e < n; e++) line[e] = w[0] * row0[e];
        for (int32_t t = 1; t < taps_y; t++) {
            const float *restrict row = tmp + (size_t) (y_start[i] + t) * n;
            const float wt = w[t];
            for (int32_t e = 0; e < n; e++) line[e] += wt * row[e];
        }
        for (int32_t c = 0; c < 3; c++) {
            float *restrict o = out + c * plane + (size_t) i * out_width;
            const float a = scale[c], b = shift[c];
            for (int32_t j = 0; j < out_width; j++) {
                float v = line[j * 3 + c];
                v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
                o[j] = v * a + b;
            }
        }
    }
}
