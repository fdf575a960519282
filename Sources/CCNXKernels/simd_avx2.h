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

/// The sum of a ymm's 8 lanes.
static inline CNX_AVX2 float hsum(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}
#endif
