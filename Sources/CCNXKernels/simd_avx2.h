#ifndef CNX_SIMD_AVX2_H
#define CNX_SIMD_AVX2_H
// Lane helpers every f32 __avx2 kernel file shares.
#include "gelu_avx2.h"

/// Lanes `< valid` of a ymm, as maskload/maskstore want them.
static inline CNX_AVX2 __m256i lane_mask(size_t valid) {
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int v = valid > 8 ? 8 : (int)valid;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), iota);
}

/// The first `min(valid, 8)` floats at `p`: a plain load for a whole vector, masked only for a
/// tail (AMD's vmaskmovps is microcoded: masking every vector made LayerNorm and scale-bias 3-4x
/// slower on Zen 3).
static inline CNX_AVX2 __attribute__((always_inline)) __m256 load_valid(const float* p, size_t valid) {
    return valid >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(valid));
}

/// Stores the first `min(valid, 8)` lanes of `v` at `p`, as ``load_valid``.
static inline CNX_AVX2 __attribute__((always_inline)) void store_valid(float* p, size_t valid, __m256 v) {
    if (valid >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, lane_mask(valid), v);
}

/// The sum of a ymm's 8 lanes.
static inline CNX_AVX2 float hsum(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}
#endif
