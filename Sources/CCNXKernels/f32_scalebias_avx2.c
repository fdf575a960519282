// f32-scalebias__avx2: 8 channels per ymm, a rounded multiply then a rounded add.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

CNX_AVX2 void cnx_f32_scalebias_avx2(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float* x = data + r * c;
        for (size_t cb = 0; cb < c; cb += 8) {
            const __m256 v = _mm256_mul_ps(load_valid(x + cb, c - cb), load_valid(scale + cb, c - cb));
            store_valid(x + cb, c - cb, _mm256_add_ps(v, load_valid(bias + cb, c - cb)));
        }
    }
}
#endif
