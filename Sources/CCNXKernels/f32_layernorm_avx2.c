// f32-layernorm(-noaffine)__avx2: 4 pixels interleaved (f32_layernorm_avx2.h).
#if defined(__x86_64__)
#include "internal.h"
#include "f32_layernorm_avx2.h"

CNX_AVX2 void cnx_f32_layernorm_avx2(const float* input, float* output, size_t c, const float* gamma,
                                 const float* beta, float eps, size_t row_begin, size_t row_end) {
    const float* x = input + row_begin * c;
    float* o = output + row_begin * c;
    if (row_end <= row_begin) return;
    if (gamma != NULL && beta != NULL) layernorm_run(x, o, row_end - row_begin, c, gamma, beta, eps, true);
    else layernorm_run(x, o, row_end - row_begin, c, NULL, NULL, eps, false);
}
#endif
