// f32-quantize-u8__neon: rounds with `vcvtnq` (to nearest, ties to even, as `nearbyintf` in the
// default environment).
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qinternal.h"

void cnx_f32_quantize_u8_neon(const float* x, size_t count, float inverse_scale, int32_t zp, uint8_t* out) {
    const float32x4_t s = vdupq_n_f32(inverse_scale);
    const float32x4_t lo = vdupq_n_f32(-32768.0f), hi = vdupq_n_f32(32767.0f);
    const int32x4_t z = vdupq_n_s32(zp);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        float32x4_t f0 = vmulq_f32(vld1q_f32(x + i), s), f1 = vmulq_f32(vld1q_f32(x + i + 4), s);
        // max/min as `cnx_q_requantize`: NaN becomes the lower bound (vmaxnmq would keep the number).
        f0 = vbslq_f32(vcgtq_f32(f0, lo), f0, lo);
        f0 = vbslq_f32(vcltq_f32(f0, hi), f0, hi);
        f1 = vbslq_f32(vcgtq_f32(f1, lo), f1, lo);
        f1 = vbslq_f32(vcltq_f32(f1, hi), f1, hi);
        const int32x4_t v0 = vaddq_s32(vcvtnq_s32_f32(f0), z), v1 = vaddq_s32(vcvtnq_s32_f32(f1), z);
        const int16x8_t v = vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1));
        vst1_u8(out + i, vqmovun_s16(v));
    }
    for (; i < count; i++) {
        const float f = x[i] * inverse_scale;
        out[i] = cnx_q_requantize(f, zp);
    }
}
#endif
