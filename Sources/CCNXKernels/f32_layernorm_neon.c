// f32-layernorm(-noaffine)__neon.
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"

void cnx_f32_layernorm_neon(const float* input, float* output, size_t c, const float* gamma, const float* beta,
                           float eps, size_t row_begin, size_t row_end) {
    const size_t cv = c & ~(size_t)3;
    for (size_t r = row_begin; r < row_end; r++) {
        const float* x = input + r * c;
        float* o = output + r * c;
        float32x4_t s = vdupq_n_f32(0.0f);
        for (size_t i = 0; i < cv; i += 4) s = vaddq_f32(s, vld1q_f32(x + i));
        float sum = vaddvq_f32(s);
        for (size_t i = cv; i < c; i++) sum += x[i];
        const float mean = sum / (float)c;
        float32x4_t q = vdupq_n_f32(0.0f);
        for (size_t i = 0; i < cv; i += 4) { const float32x4_t d = vsubq_f32(vld1q_f32(x + i), vdupq_n_f32(mean)); q = vfmaq_f32(q, d, d); }
        float sq = vaddvq_f32(q);
        for (size_t i = cv; i < c; i++) sq = fmaf(x[i] - mean, x[i] - mean, sq);
        const float inv = 1.0f / sqrtf(sq / (float)c + eps);
        const bool affine = gamma != NULL && beta != NULL;
        for (size_t i = 0; i < cv; i += 4) {
            float32x4_t v = vmulq_n_f32(vsubq_f32(vld1q_f32(x + i), vdupq_n_f32(mean)), inv);
            if (affine) v = vfmaq_f32(vld1q_f32(beta + i), v, vld1q_f32(gamma + i));
            vst1q_f32(o + i, v);
        }
        for (size_t i = cv; i < c; i++) {
            const float v = (x[i] - mean) * inv;
            o[i] = affine ? fmaf(v, gamma[i], beta[i]) : v;
        }
    }
}
#endif
