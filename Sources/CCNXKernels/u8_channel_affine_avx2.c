// u8-channel-affine__avx2: GRN on int8 codes, 16 channels per step.
#if defined(__x86_64__)
#include "qsimd_avx2.h"

/// 16 channels at a time: widen to int32, subtract the zero point, convert (exact), multiply,
/// add, then `requantize16` with zero point 0 (the clamp to [-32768, 32767] and packs saturating to
/// [0, 255] are `cnx_q_requantize`'s). Each 16-byte block is read before it is written: in place is safe.
CNX_QAVX2 void cnx_u8_channel_affine_avx2(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                                          size_t row_end, int32_t zp, const float* multiplier, const float* offset) {
    const __m256i z = _mm256_set1_epi32(zp), zero = _mm256_setzero_si256();
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* xr = x + r * channels;
        uint8_t* o = out + r * channels;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            const __m128i b = _mm_loadu_si128((const __m128i*)(xr + c));
            const __m256i i0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(b), z);
            const __m256i i1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(b, b)), z);
            const __m256 y0 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i0), _mm256_loadu_ps(multiplier + c)),
                                            _mm256_loadu_ps(offset + c));
            const __m256 y1 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i1), _mm256_loadu_ps(multiplier + c + 8)),
                                            _mm256_loadu_ps(offset + c + 8));
            _mm_storeu_si128((__m128i*)(o + c), requantize16(y0, y1, zero));
        }
        for (; c < channels; c++) o[c] = cnx_q_channel_affine_one(xr[c], zp, multiplier[c], offset[c]);
    }
}
#endif
