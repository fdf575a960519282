// f32-sumsq__avx2: 4 channels per step, squares rounded to float, summed in double.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

CNX_AVX2 void cnx_f32_sumsq_avx2(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++) {
        const float* x = input + px * c;
        size_t i = 0;
        for (; i + 4 <= c; i += 4) {
            const __m128 v = _mm_loadu_ps(x + i);
            _mm256_storeu_pd(sums + i, _mm256_add_pd(_mm256_loadu_pd(sums + i), _mm256_cvtps_pd(_mm_mul_ps(v, v))));
        }
        for (; i < c; i++) sums[i] += (double)(x[i] * x[i]);
    }
}
#endif
