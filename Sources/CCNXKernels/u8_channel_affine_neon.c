// u8-channel-affine__neon.
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qinternal.h"

/// 8 channels at a time: widen, subtract the zero point, convert (exact), `vmulq` then `vaddq`
/// (two roundings, never `vfma`), then the requantize of `quantize_neon` with zero point 0.
void cnx_u8_channel_affine_neon(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin, size_t row_end,
                                int32_t zp, const float* multiplier, const float* offset) {
    const float32x4_t lo = vdupq_n_f32(-32768.0f), hi = vdupq_n_f32(32767.0f);
    const int16x8_t z = vdupq_n_s16((int16_t)zp);
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* xr = x + r * channels;
        uint8_t* o = out + r * channels;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            const int16x8_t d = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(xr + c))), z);
            const float32x4_t d0 = vcvtq_f32_s32(vmovl_s16(vget_low_s16(d)));
            const float32x4_t d1 = vcvtq_f32_s32(vmovl_s16(vget_high_s16(d)));
            float32x4_t f0 = vaddq_f32(vmulq_f32(d0, vld1q_f32(multiplier + c)), vld1q_f32(offset + c));
            float32x4_t f1 = vaddq_f32(vmulq_f32(d1, vld1q_f32(multiplier + c + 4)), vld1q_f32(offset + c + 4));
            f0 = vbslq_f32(vcgtq_f32(f0, lo), f0, lo);
            f0 = vbslq_f32(vcltq_f32(f0, hi), f0, hi);
            f1 = vbslq_f32(vcgtq_f32(f1, lo), f1, lo);
            f1 = vbslq_f32(vcltq_f32(f1, hi), f1, hi);
            const int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(f0)), vqmovn_s32(vcvtnq_s32_f32(f1)));
            vst1_u8(o + c, vqmovun_s16(v));
        }
        for (; c < channels; c++) o[c] = cnx_q_channel_affine_one(xr[c], zp, multiplier[c], offset[c]);
    }
}
#endif
