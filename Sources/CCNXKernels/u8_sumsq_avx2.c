// u8-sumsq__avx2: exact sums of (x - zp)^2, 16 channels per step.
#if defined(__x86_64__)
#include "qsimd_avx2.h"

/// 16 channels at a time down the rows: `d = x − zp` in int16, `d²` by `vpmaddwd` against
/// `(d, 0)` pairs, int32 sums flushed to int64 every 32768 rows (65025 · 32768 < 2³¹).
CNX_QAVX2 void cnx_u8_sumsq_avx2(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                                 int64_t* sums) {
    const __m256i z = _mm256_set1_epi16((short)zp), zero = _mm256_setzero_si256();
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += 32768) {
            const size_t r1 = row_end - r0 < 32768 ? row_end : r0 + 32768;
            __m256i lo = zero, hi = zero;
            for (size_t r = r0; r < r1; r++) {
                const __m256i d = _mm256_sub_epi16(
                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(x + r * channels + c))), z);
                const __m256i dl = _mm256_unpacklo_epi16(d, zero), dh = _mm256_unpackhi_epi16(d, zero);
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(dl, dl));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(dh, dh));
            }
            // unpacklo/hi work per 128-bit lane: lo holds channels 0-3, 8-11; hi 4-7, 12-15.
            int32_t l[8], h[8];
            _mm256_storeu_si256((__m256i*)l, lo);
            _mm256_storeu_si256((__m256i*)h, hi);
            for (int j = 0; j < 4; j++) {
                sums[c + j] += l[j];
                sums[c + 4 + j] += h[j];
                sums[c + 8 + j] += l[4 + j];
                sums[c + 12 + j] += h[4 + j];
            }
        }
    }
    for (; c < channels; c++)
        for (size_t r = row_begin; r < row_end; r++) {
            const int64_t d = (int64_t)x[r * channels + c] - zp;
            sums[c] += d * d;
        }
}
#endif
