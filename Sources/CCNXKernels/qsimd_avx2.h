#ifndef CNX_QSIMD_AVX2_H
#define CNX_QSIMD_AVX2_H
// Lane helpers and requantization shared by the int8 __avx2 kernel files (and the AVX-512 tables,
// which reuse the AVX2 u8-sumsq, f32-quantize-u8 and u8-channel-affine).
#include <immintrin.h>
#include "qinternal.h"

#define CNX_QAVX2 __attribute__((target("avx2,fma")))

/// Lanes `< valid` of a ymm.
static inline CNX_QAVX2 __m256i lane_mask(size_t valid) {
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int v = valid > 8 ? 8 : (int)valid;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), iota);
}

/// 16 int32 lanes (`lo` then `hi`) of `nearbyintf(f) + zp`, clamped to [0, 255], as 16 bytes.
/// The float clamp to [-32768, 32767] first keeps the conversion defined (NaN: -32768, the
/// `cnx_q_requantize` order); `packs`/`packus` saturate to [0, 255].
static inline CNX_QAVX2 __m128i requantize16(__m256 f0, __m256 f1, __m256i zp) {
    const __m256 lo = _mm256_set1_ps(-32768.0f), hi = _mm256_set1_ps(32767.0f);
    f0 = _mm256_min_ps(_mm256_max_ps(f0, lo), hi);
    f1 = _mm256_min_ps(_mm256_max_ps(f1, lo), hi);
    const __m256i v0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), zp);
    const __m256i v1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), zp);
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8);
    return _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

/// 8 int32 lanes of `nearbyintf(f) + zp`, clamped to [0, 255], as the low 8 bytes: `requantize16`'s
/// results with one clamp: `vminps(32767, f)` keeps NaN (the second operand), which like anything
/// below -2³¹ converts to INT32_MIN; `+ zp` (in [0, 255]) cannot overflow; `packs`/`packus`
/// saturate every value below 0 (NaN included) to 0, as `cnx_q_requantize`'s -32768 clamp does.
static inline CNX_QAVX2 __m128i requantize8(__m256 f, __m256i zp) {
    f = _mm256_min_ps(_mm256_set1_ps(32767.0f), f);
    const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packus_epi16(w, w);
}
#endif
