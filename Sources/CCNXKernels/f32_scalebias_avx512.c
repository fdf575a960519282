// f32-scalebias__avx512: 16 channels per zmm, a rounded multiply then a rounded add.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx512.h"

CNX_AVX512 void cnx_f32_scalebias_avx512(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float* x = data + r * c;
        for (size_t cb = 0; cb < c; cb += 16) {
            const __mmask16 m = lanes(c - cb);
            const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + cb), _mm512_maskz_loadu_ps(m, scale + cb));
            _mm512_mask_storeu_ps(x + cb, m, _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + cb)));
        }
    }
}
#endif
