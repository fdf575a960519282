#ifndef CNX_F32_LAYERNORM_AVX2_H
#define CNX_F32_LAYERNORM_AVX2_H
// f32-layernorm__avx2's body, shared with f32-dwconv7x7-ln__avx2 (which normalises each row it
// convolved while it is in L1).
#include <math.h>
#include "simd_avx2.h"

/// LayerNorm of `np` (a constant after inlining) consecutive pixels, interleaved so their
/// latency-bound statistics overlap; each pixel sees exactly the one-pixel operations (see the
/// AVX-512 file).
static inline CNX_AVX2 __attribute__((always_inline)) void layernorm_pixels(
    size_t np, const float* x, float* o, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    __m256 s[4], q[4], mv[4], inv[4];
    for (size_t j = 0; j < np; j++) s[j] = q[j] = _mm256_setzero_ps();
    for (size_t cb = 0; cb < c; cb += 8) {
        for (size_t j = 0; j < np; j++) s[j] = _mm256_add_ps(s[j], load_valid(x + j * c + cb, c - cb));
    }
    for (size_t j = 0; j < np; j++) mv[j] = _mm256_set1_ps(hsum(s[j]) / (float)c);
    for (size_t cb = 0; cb < c; cb += 8) {
        const __m256 m = _mm256_castsi256_ps(lane_mask(c - cb));
        for (size_t j = 0; j < np; j++) {
            const __m256 d = _mm256_and_ps(_mm256_sub_ps(load_valid(x + j * c + cb, c - cb), mv[j]), m);
            q[j] = _mm256_fmadd_ps(d, d, q[j]);
        }
    }
    for (size_t j = 0; j < np; j++) inv[j] = _mm256_set1_ps(1.0f / sqrtf(hsum(q[j]) / (float)c + eps));
    for (size_t cb = 0; cb < c; cb += 8) {
        const __m256 g = affine ? load_valid(gamma + cb, c - cb) : _mm256_setzero_ps();
        const __m256 b = affine ? load_valid(beta + cb, c - cb) : _mm256_setzero_ps();
        for (size_t j = 0; j < np; j++) {
            __m256 v = _mm256_mul_ps(_mm256_sub_ps(load_valid(x + j * c + cb, c - cb), mv[j]), inv[j]);
            if (affine) v = _mm256_fmadd_ps(v, g, b);
            store_valid(o + j * c + cb, c - cb, v);
        }
    }
}

static inline CNX_AVX2 __attribute__((always_inline)) void layernorm_run(
    const float* x, float* o, size_t count, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    size_t i = 0;
    for (; i + 4 <= count; i += 4) layernorm_pixels(4, x + i * c, o + i * c, c, gamma, beta, eps, affine);
    for (; i < count; i++) layernorm_pixels(1, x + i * c, o + i * c, c, gamma, beta, eps, affine);
}
#endif
