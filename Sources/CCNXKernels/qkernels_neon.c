// The int8 __neon kernels (AArch64 Advanced SIMD), kept plain: qu8-pwconv one row x one 16-wide
// panel, 16 int32x4 accumulators (one per output column, one lane per input of a 4-group) fed by
// widening `vmlal_s16`, reduced with `vaddvq_s32` (integers: any order is exact), then the shared
// scalar epilogue. u8-sumsq widens to int32 per 8 channels; f32-quantize-u8 rounds with `vcvtnq`
// (to nearest, ties to even, as `nearbyintf` in the default environment).
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qinternal.h"

static void qpwconv_neon(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = (k + CNX_QPW_KGROUP - 1) / CNX_QPW_KGROUP, panel_bytes = cnx_qpw_panel_bytes(k);
    const float* res_base = p->epilogue == cnx_qu8_epilogue_f32_residual ? p->residual : NULL;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* a = p->input + r * p->input_stride;
        for (size_t q = panel_begin; q < panel_end; q++) {
            const int8_t* w = p->packed_weights + q * panel_bytes;
            int32x4_t acc[CNX_QPW_PANEL];
            for (size_t j = 0; j < CNX_QPW_PANEL; j++) acc[j] = vdupq_n_s32(0);
            for (size_t g = 0; g < groups; g++) {
                const size_t left = k - g * CNX_QPW_KGROUP;
                const uint32_t bytes = left >= CNX_QPW_KGROUP ? cnx_q_load4(a + g * CNX_QPW_KGROUP)
                                                              : cnx_q_load_tail(a + g * CNX_QPW_KGROUP, left);
                // [a0 a1 a2 a3 a0 a1 a2 a3] as int16 (0..255 fits).
                const int16x8_t x = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(bytes))));
                const int16x4_t x4 = vget_low_s16(x);
                for (size_t v = 0; v < 4; v++) {
                    // 16 bytes: columns 4v..4v+3, 4 inputs each.
                    const int8x16_t wv = vld1q_s8(w + g * 64 + v * 16);
                    const int16x8_t lo = vmovl_s8(vget_low_s8(wv)), hi = vmovl_s8(vget_high_s8(wv));
                    acc[4 * v + 0] = vmlal_s16(acc[4 * v + 0], vget_low_s16(lo), x4);
                    acc[4 * v + 1] = vmlal_s16(acc[4 * v + 1], vget_high_s16(lo), x4);
                    acc[4 * v + 2] = vmlal_s16(acc[4 * v + 2], vget_low_s16(hi), x4);
                    acc[4 * v + 3] = vmlal_s16(acc[4 * v + 3], vget_high_s16(hi), x4);
                }
            }
            const size_t col = q * CNX_QPW_PANEL;
            const size_t cols = n - col < CNX_QPW_PANEL ? n - col : CNX_QPW_PANEL;
            for (size_t j = 0; j < cols; j++) {
                const int32_t sum = p->bias[col + j] + vaddvq_s32(acc[j]);
                cnx_q_epilogue_one(p, sum, col + j, res_base ? res_base + r * os : NULL,
                                   p->output_f32 ? p->output_f32 + r * os : NULL,
                                   p->output_u8 ? p->output_u8 + r * os : NULL);
            }
        }
    }
}

static void sumsq_neon(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                       int64_t* sums) {
    const int16x8_t z = vdupq_n_s16((int16_t)zp);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += 32768) {
            const size_t r1 = row_end - r0 < 32768 ? row_end : r0 + 32768;
            int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
            for (size_t r = r0; r < r1; r++) {
                const int16x8_t d = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(x + r * channels + c))), z);
                lo = vmlal_s16(lo, vget_low_s16(d), vget_low_s16(d));
                hi = vmlal_s16(hi, vget_high_s16(d), vget_high_s16(d));
            }
            int32_t l[4], h[4];
            vst1q_s32(l, lo);
            vst1q_s32(h, hi);
            for (int j = 0; j < 4; j++) {
                sums[c + j] += l[j];
                sums[c + 4 + j] += h[j];
            }
        }
    }
    for (; c < channels; c++)
        for (size_t r = row_begin; r < row_end; r++) {
            const int64_t d = (int64_t)x[r * channels + c] - zp;
            sums[c] += d * d;
        }
}

static void quantize_neon(const float* x, size_t count, float inverse_scale, int32_t zp, uint8_t* out) {
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

/// 8 channels at a time: widen, subtract the zero point, convert (exact), `vmulq` then `vaddq`
/// (two roundings, never `vfma`), then the requantize of `quantize_neon` with zero point 0.
static void channel_affine_neon(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin, size_t row_end,
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

const cnx_qkernel_table cnx_qkernels_neon = {
    .pwconv = qpwconv_neon, .pwconv_rows = 1, .sumsq = sumsq_neon, .quantize = quantize_neon,
    .channel_affine = channel_affine_neon,
    .names = CNX_QNAMES("neon"),
};
#endif
