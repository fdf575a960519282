// f32-gelu__avx2: exact GELU in place, 8 floats per ymm (gelu_avx2.h).
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

CNX_AVX2 void cnx_f32_gelu_avx2(float* data, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(data + i, cnx_gelu_avx2(_mm256_loadu_ps(data + i)));
    if (i < count) {
        const __m256i m = lane_mask(count - i);
        _mm256_maskstore_ps(data + i, m, cnx_gelu_avx2(_mm256_maskload_ps(data + i, m)));
    }
}
#endif
