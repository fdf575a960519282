// f32-layernorm(-noaffine)__scalar: portable C.
#include <math.h>
#include "internal.h"

void cnx_f32_layernorm_scalar(const float* input, float* output, size_t c, const float* gamma,
                             const float* beta, float eps, size_t row_begin, size_t row_end) {
    for (size_t r = row_begin; r < row_end; r++) {
        const float* x = input + r * c;
        float* o = output + r * c;
        float s = 0.0f;
        for (size_t i = 0; i < c; i++) s += x[i];
        const float mean = s / (float)c;
        float q = 0.0f;
        for (size_t i = 0; i < c; i++) { const float d = x[i] - mean; q += d * d; }
        const float inv = 1.0f / sqrtf(q / (float)c + eps);
        for (size_t i = 0; i < c; i++) {
            const float v = (x[i] - mean) * inv;
            o[i] = gamma != NULL && beta != NULL ? v * gamma[i] + beta[i] : v;
        }
    }
}
