// f32-quantize-u8__avx2: 16 floats per step, `requantize16`.
#if defined(__x86_64__)
#include "qsimd_avx2.h"

CNX_QAVX2 void cnx_f32_quantize_u8_avx2(const float* x, size_t count, float inverse_scale, int32_t zp,
                                        uint8_t* out) {
    const __m256 s = _mm256_set1_ps(inverse_scale);
    const __m256i z = _mm256_set1_epi32(zp);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m256 f0 = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
        const __m256 f1 = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8), s);
        _mm_storeu_si128((__m128i*)(out + i), requantize16(f0, f1, z));
    }
    for (; i < count; i++) {
        const float f = x[i] * inverse_scale;
        out[i] = cnx_q_requantize(f, zp);
    }
}
#endif
