// f32-dwconv7x7-ln(-noaffine)__avx2: depthwise 7x7 over one output row, 8 channels per ymm;
// interior pixels 4 at a time sharing each row's 10 input vectors across the 7 kx taps (15 of the
// 16 registers); then LayerNorm of the row's pixels while they are in L1. Also f32-layernorm,
// f32-sumsq and f32-scalebias for AVX2.
#if defined(__x86_64__)
#include <math.h>
#include "internal.h"
#include "gelu_avx2.h"

static inline CNX_AVX2 __m256i lane_mask(size_t valid) {
    const int v = valid > 8 ? 8 : (int)valid;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline CNX_AVX2 float hsum(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

#define STRIP 4

/// `full`: all 8 lanes valid, so plain loads and no mask register (the 16th ymm, whose spill
/// otherwise costs ~8% at 56x56x40).
static inline CNX_AVX2 __attribute__((always_inline)) void strip(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    __m256i m, bool full) {
    const size_t c = p->channels, w = p->width;
    const float* taps = p->packed_weights + cb;
    __m256 acc[STRIP];
    const __m256 b = _mm256_loadu_ps(p->bias + cb);
    for (size_t j = 0; j < STRIP; j++) acc[j] = b;
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + ((y + ky - 3) * w + x - 3) * c + cb;
        __m256 in[STRIP + 6];
        for (size_t j = 0; j < STRIP + 6; j++) in[j] = full ? _mm256_loadu_ps(row + j * c) : _mm256_maskload_ps(row + j * c, m);
        for (size_t kx = 0; kx < 7; kx++) {
            const __m256 wv = _mm256_loadu_ps(taps + (ky * 7 + kx) * cp);
            for (size_t j = 0; j < STRIP; j++) acc[j] = _mm256_fmadd_ps(in[j + kx], wv, acc[j]);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < STRIP; j++) {
        if (full) _mm256_storeu_ps(out + j * c, acc[j]);
        else _mm256_maskstore_ps(out + j * c, m, acc[j]);
    }
}

/// Conv of pixel `x` anywhere, with its own tap column bounds: `nc` (a constant after inlining)
/// channel vectors from `cb` at once, so that many accumulation chains overlap (a lone chain
/// would wait on the FMA latency; 7x7 images have no interior strips at all).
static inline CNX_AVX2 __attribute__((always_inline)) void pixel(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    size_t nc) {
    const size_t c = p->channels, w = p->width;
    const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
    const float* taps = p->packed_weights + cb;
    __m256 acc[4];
    __m256i m[4];
    for (size_t j = 0; j < nc; j++) {
        acc[j] = _mm256_loadu_ps(p->bias + cb + j * 8);
        m[j] = lane_mask(c - cb - j * 8);
    }
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + (y + ky - 3) * w * c + cb;
        for (size_t kx = kx0; kx < kx1; kx++) {
            const float* in = row + (x + kx - 3) * c;
            const float* tap = taps + (ky * 7 + kx) * cp;
            for (size_t j = 0; j < nc; j++)
                acc[j] = _mm256_fmadd_ps(_mm256_maskload_ps(in + j * 8, m[j]), _mm256_loadu_ps(tap + j * 8), acc[j]);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < nc; j++) _mm256_maskstore_ps(out + j * 8, m[j], acc[j]);
}

/// All channels of pixel `x`, four vectors at a time.
static CNX_AVX2 void pixel_all(const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1) {
    const size_t c = p->channels;
    size_t cb = 0;
    for (; cb + 4 * 8 <= c; cb += 4 * 8) pixel(p, cp, y, x, ky0, ky1, cb, 4);
    switch ((c - cb + 7) / 8) {
        case 3: pixel(p, cp, y, x, ky0, ky1, cb, 3); break;
        case 2: pixel(p, cp, y, x, ky0, ky1, cb, 2); break;
        case 1: pixel(p, cp, y, x, ky0, ky1, cb, 1); break;
        default: break;
    }
}

/// LayerNorm of `np` (a constant after inlining) consecutive pixels, interleaved so their
/// latency-bound statistics overlap; each pixel sees exactly the one-pixel operations (see the
/// AVX-512 file).
static inline CNX_AVX2 __attribute__((always_inline)) void layernorm_pixels(
    size_t np, const float* x, float* o, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    __m256 s[4], q[4], mv[4], inv[4];
    for (size_t j = 0; j < np; j++) s[j] = q[j] = _mm256_setzero_ps();
    for (size_t cb = 0; cb < c; cb += 8) {
        const __m256i m = lane_mask(c - cb);
        for (size_t j = 0; j < np; j++) s[j] = _mm256_add_ps(s[j], _mm256_maskload_ps(x + j * c + cb, m));
    }
    for (size_t j = 0; j < np; j++) mv[j] = _mm256_set1_ps(hsum(s[j]) / (float)c);
    for (size_t cb = 0; cb < c; cb += 8) {
        const __m256i m = lane_mask(c - cb);
        for (size_t j = 0; j < np; j++) {
            const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j * c + cb, m), mv[j]), _mm256_castsi256_ps(m));
            q[j] = _mm256_fmadd_ps(d, d, q[j]);
        }
    }
    for (size_t j = 0; j < np; j++) inv[j] = _mm256_set1_ps(1.0f / sqrtf(hsum(q[j]) / (float)c + eps));
    for (size_t cb = 0; cb < c; cb += 8) {
        const __m256i m = lane_mask(c - cb);
        const __m256 g = affine ? _mm256_maskload_ps(gamma + cb, m) : _mm256_setzero_ps();
        const __m256 b = affine ? _mm256_maskload_ps(beta + cb, m) : _mm256_setzero_ps();
        for (size_t j = 0; j < np; j++) {
            __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j * c + cb, m), mv[j]), inv[j]);
            if (affine) v = _mm256_fmadd_ps(v, g, b);
            _mm256_maskstore_ps(o + j * c + cb, m, v);
        }
    }
}

static inline CNX_AVX2 __attribute__((always_inline)) void layernorm_run(
    const float* x, float* o, size_t count, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    size_t i = 0;
    for (; i + 4 <= count; i += 4) layernorm_pixels(4, x + i * c, o + i * c, c, gamma, beta, eps, affine);
    for (; i < count; i++) layernorm_pixels(1, x + i * c, o + i * c, c, gamma, beta, eps, affine);
}

static inline CNX_AVX2 __attribute__((always_inline)) void dwconv_ln(
    const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end, bool affine) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        size_t x = 0;
        while (x < w) {
            if (x >= 3 && x + STRIP + 3 <= w) {
                for (size_t cb = 0; cb < c; cb += 8) {
                    if (c - cb >= 8) strip(p, cp, y, x, ky0, ky1, cb, lane_mask(8), true);
                    else strip(p, cp, y, x, ky0, ky1, cb, lane_mask(c - cb), false);
                }
                x += STRIP;
            } else {
                pixel_all(p, cp, y, x, ky0, ky1);
                x += 1;
            }
        }
        float* row = p->output + y * w * c;
        layernorm_run(row, row, w, c, p->gamma, p->beta, p->eps, affine);
    }
}

static CNX_AVX2 void dwconv_ln_affine(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, true); }
static CNX_AVX2 void dwconv_ln_plain(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, false); }

void cnx_dwconv_ln_avx2(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    if (p->affine) dwconv_ln_affine(p, row_begin, row_end);
    else dwconv_ln_plain(p, row_begin, row_end);
}

CNX_AVX2 void cnx_layernorm_avx2(const float* input, float* output, size_t c, const float* gamma,
                                 const float* beta, float eps, size_t row_begin, size_t row_end) {
    const float* x = input + row_begin * c;
    float* o = output + row_begin * c;
    if (row_end <= row_begin) return;
    if (gamma != NULL && beta != NULL) layernorm_run(x, o, row_end - row_begin, c, gamma, beta, eps, true);
    else layernorm_run(x, o, row_end - row_begin, c, NULL, NULL, eps, false);
}

CNX_AVX2 void cnx_sumsq_avx2(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++) {
        const float* x = input + px * c;
        size_t i = 0;
        for (; i + 4 <= c; i += 4) {
            const __m128 v = _mm_loadu_ps(x + i);
            _mm256_storeu_pd(sums + i, _mm256_add_pd(_mm256_loadu_pd(sums + i), _mm256_cvtps_pd(_mm_mul_ps(v, v))));
        }
        for (; i < c; i++) sums[i] += (double)(x[i] * x[i]);
    }
}

CNX_AVX2 void cnx_scalebias_avx2(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float* x = data + r * c;
        for (size_t cb = 0; cb < c; cb += 8) {
            const __m256i m = lane_mask(c - cb);
            const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + cb, m), _mm256_maskload_ps(scale + cb, m));
            _mm256_maskstore_ps(x + cb, m, _mm256_add_ps(v, _mm256_maskload_ps(bias + cb, m)));
        }
    }
}
#endif
