// f32-gelu__avx512: exact GELU in place, 16 floats per zmm (gelu_avx512.h).
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx512.h"

CNX_AVX512 void cnx_f32_gelu_avx512(float* data, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(data + i, cnx_gelu_avx512(_mm512_loadu_ps(data + i)));
    if (i < count) {
        const __mmask16 m = lanes(count - i);
        _mm512_mask_storeu_ps(data + i, m, cnx_gelu_avx512(_mm512_maskz_loadu_ps(m, data + i)));
    }
}
#endif
