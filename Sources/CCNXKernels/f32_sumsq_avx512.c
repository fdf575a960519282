// f32-sumsq__avx512: 8 channels per step, squares rounded to float, summed in double.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx512.h"

CNX_AVX512 void cnx_f32_sumsq_avx512(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++) {
        const float* x = input + px * c;
        size_t i = 0;
        for (; i + 8 <= c; i += 8) {
            const __m256 v = _mm256_loadu_ps(x + i);
            _mm512_storeu_pd(sums + i, _mm512_add_pd(_mm512_loadu_pd(sums + i), _mm512_cvtps_pd(_mm256_mul_ps(v, v))));
        }
        for (; i < c; i++) sums[i] += (double)(x[i] * x[i]);
    }
}
#endif
