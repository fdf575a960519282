// f32-scalebias__avx2: 8 channels per ymm, a rounded multiply then a rounded add.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

CNX_AVX2 void cnx_f32_scalebias_avx2(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float* x = data + r * c;
        for (size_t cb = 0; cb < c; cb += 8) {
            const __m256i m = lane_mask(c - cb);
            const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + cb, m), _mm256_maskload_ps(scale + cb, m));
            _mm256_maskstore_ps(x + cb, m, _mm256_add_ps(v, _mm256_maskload_ps(bias + cb, m)));
        }
    }
}
#endif
