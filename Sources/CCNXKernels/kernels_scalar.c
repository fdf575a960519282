// The __scalar kernels: portable C, the fallback on any CPU and the plainest statement of each
// kernel's arithmetic (multiply and add each rounded, unless the compiler's default contraction
// fuses them on a target with FMA, which it then does the same way for every tile).
#include <math.h>
#include "internal.h"
#include "gelu_scalar.h"

/// One row x one 16-wide panel at a time: the accumulation order per element is the vector kernels'.
static void pwconv_scalar(
    const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels;
    const size_t stride = k * CNX_PW_PANEL;
    const float* res_base = p->epilogue == cnx_epilogue_residual ? p->residual : p->output;
    for (size_t r = row_begin; r < row_end; r++) {
        const float* a = p->input + r * k;
        for (size_t q = panel_begin; q < panel_end; q++) {
            const float* bias = p->bias + q * CNX_PW_PANEL;
            float acc[CNX_PW_PANEL];
            if (p->weight_scale != NULL) {
                // Weight-only int8: integer-valued float weights, then one scale-and-bias step.
                const int8_t* panel = p->packed_weights_i8 + q * stride;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = 0.0f;
                for (size_t kk = 0; kk < k; kk++) {
                    const float x = a[kk];
                    const int8_t* w = panel + kk * CNX_PW_PANEL;
                    for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] += x * (float)w[j];
                }
                const float* scale = p->weight_scale + q * CNX_PW_PANEL;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = fmaf(acc[j], scale[j], bias[j]);
            } else {
                const float* panel = p->packed_weights + q * stride;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = bias[j];
                for (size_t kk = 0; kk < k; kk++) {
                    const float x = a[kk];
                    const float* w = panel + kk * CNX_PW_PANEL;
                    for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] += x * w[j];
                }
            }
            const size_t col = q * CNX_PW_PANEL;
            const size_t cols = n - col < CNX_PW_PANEL ? n - col : CNX_PW_PANEL;
            const float* res = res_base + r * n + col;
            float* out = p->output + r * n + col;
            for (size_t j = 0; j < cols; j++) {
                float v = acc[j];
                if (p->epilogue == cnx_epilogue_gelu) v = cnx_gelu_scalar(v);
                else if (p->epilogue == cnx_epilogue_residual) v += res[j];
                out[j] = v;
            }
        }
    }
}

static void layernorm_scalar(const float* input, float* output, size_t c, const float* gamma,
                             const float* beta, float eps, size_t row_begin, size_t row_end) {
    for (size_t r = row_begin; r < row_end; r++) {
        const float* x = input + r * c;
        float* o = output + r * c;
        float s = 0.0f;
        for (size_t i = 0; i < c; i++) s += x[i];
        const float mean = s / (float)c;
        float q = 0.0f;
        for (size_t i = 0; i < c; i++) { const float d = x[i] - mean; q += d * d; }
        const float inv = 1.0f / sqrtf(q / (float)c + eps);
        for (size_t i = 0; i < c; i++) {
            const float v = (x[i] - mean) * inv;
            o[i] = gamma != NULL && beta != NULL ? v * gamma[i] + beta[i] : v;
        }
    }
}

static void dwconv_ln_scalar(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    const float* taps = p->packed_weights;
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        for (size_t x = 0; x < w; x++) {
            const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
            float* out = p->output + (y * w + x) * c;
            for (size_t ch = 0; ch < c; ch++) {
                float acc = p->bias[ch];
                for (size_t ky = ky0; ky < ky1; ky++)
                    for (size_t kx = kx0; kx < kx1; kx++)
                        acc += p->input[((y + ky - 3) * w + x + kx - 3) * c + ch] * taps[(ky * 7 + kx) * cp + ch];
                out[ch] = acc;
            }
        }
        layernorm_scalar(p->output, p->output, c, p->affine ? p->gamma : NULL, p->affine ? p->beta : NULL, p->eps,
                         y * w, (y + 1) * w);
    }
}

static void sumsq_scalar(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++)
        for (size_t i = 0; i < c; i++) sums[i] += (double)(input[px * c + i] * input[px * c + i]);
}

static void scalebias_scalar(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++)
        for (size_t i = 0; i < c; i++) {
            const float v = data[r * c + i] * scale[i];
            data[r * c + i] = v + bias[i];
        }
}

static void gelu_scalar(float* data, size_t count) {
    for (size_t i = 0; i < count; i++) data[i] = cnx_gelu_scalar(data[i]);
}

const cnx_kernel_table cnx_kernels_scalar = {
    .pwconv = pwconv_scalar, .pwconv_rows = 4, .dwconv_ln = dwconv_ln_scalar, .layernorm = layernorm_scalar,
    .sumsq = sumsq_scalar, .scalebias = scalebias_scalar, .gelu = gelu_scalar,
};
