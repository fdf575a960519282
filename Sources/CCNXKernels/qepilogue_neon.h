#ifndef CNX_QEPILOGUE_NEON_H
#define CNX_QEPILOGUE_NEON_H
// The int8 GEMM epilogue on 16 int32 sums (one panel of one row) in AArch64 Advanced SIMD, lane for
// lane `cnx_q_epilogue_one`: `scvtf` rounds to nearest (the default FPCR), one `fmul`, one `fadd`
// (never fused: qinternal.h sets FP_CONTRACT OFF and these are separate intrinsics), the clamp to
// [-32768, 32767] with `fmaxnm`/`fminnm` (NaN becomes -32768, as in the scalar order), `fcvtns`
// (nearest, ties to even), then saturating narrows, which clamp to [0, 255].
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qinternal.h"

/// Requantizes 16 floats to u8 codes.
static inline __attribute__((always_inline)) uint8x16_t cnx_qneon_requantize16(const float32x4_t y[4], int32_t zero_point) {
    const float32x4_t lo = vdupq_n_f32(-32768.0f), hi = vdupq_n_f32(32767.0f);
    const int32x4_t zp = vdupq_n_s32(zero_point);
    int16x8_t h[2];
    for (int half = 0; half < 2; half++) {
        int32x4_t v[2];
        for (int j = 0; j < 2; j++) {
            const float32x4_t f = vminnmq_f32(vmaxnmq_f32(y[2 * half + j], lo), hi);
            v[j] = vaddq_s32(vcvtnq_s32_f32(f), zp);
        }
        h[half] = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
    }
    return vcombine_u8(vqmovun_s16(h[0]), vqmovun_s16(h[1]));
}

/// The epilogue of `acc` (columns `col..col+15`, all below `output_channels`) for row `r`.
static inline __attribute__((always_inline)) void cnx_qneon_epilogue16(const cnx_qu8_pwconv_params* p, const int32x4_t acc[4], size_t r,
                                        size_t col, size_t os) {
    float32x4_t y[4];
    for (int v = 0; v < 4; v++) y[v] = vmulq_f32(vcvtq_f32_s32(acc[v]), vld1q_f32(p->scale + col + 4 * v));
    const size_t at = r * os + col;
    switch (p->epilogue) {
        case cnx_qu8_epilogue_f32:
            for (int v = 0; v < 4; v++) vst1q_f32(p->output_f32 + at + 4 * v, y[v]);
            break;
        case cnx_qu8_epilogue_f32_residual:
            for (int v = 0; v < 4; v++) vst1q_f32(p->output_f32 + at + 4 * v, vaddq_f32(vld1q_f32(p->residual + at + 4 * v), y[v]));
            break;
        case cnx_qu8_epilogue_u8:
            vst1q_u8(p->output_u8 + at, cnx_qneon_requantize16(y, p->output_zero_point));
            break;
        case cnx_qu8_epilogue_u8_table: {
            // The 256-byte table as four 64-byte quarters: `tbl` looks the codes up in the first
            // (out-of-range indices give 0), `tbx` in the others with the index moved down 64 each
            // time (codes below the quarter wrap past 255 - 63 and leave the byte as it is).
            const uint8x16_t codes = cnx_qneon_requantize16(y, p->output_zero_point);
            const uint8x16_t quarter = vdupq_n_u8(64);
            uint8x16_t out = vqtbl4q_u8(vld1q_u8_x4(p->table), codes);
            uint8x16_t index = vsubq_u8(codes, quarter);
            out = vqtbx4q_u8(out, vld1q_u8_x4(p->table + 64), index);
            index = vsubq_u8(index, quarter);
            out = vqtbx4q_u8(out, vld1q_u8_x4(p->table + 128), index);
            index = vsubq_u8(index, quarter);
            out = vqtbx4q_u8(out, vld1q_u8_x4(p->table + 192), index);
            vst1q_u8(p->output_u8 + at, out);
            break;
        }
    }
}

/// The epilogue of a partial panel (`cols` < 16 columns from `col`): the scalar one per column.
static inline void cnx_qneon_epilogue_tail(const cnx_qu8_pwconv_params* p, const int32x4_t acc[4], size_t r,
                                           size_t col, size_t cols, size_t os) {
    int32_t sums[CNX_QPW_PANEL];
    for (int v = 0; v < 4; v++) vst1q_s32(sums + 4 * v, acc[v]);
    const float* res = p->epilogue == cnx_qu8_epilogue_f32_residual ? p->residual + r * os : NULL;
    for (size_t j = 0; j < cols; j++)
        cnx_q_epilogue_one(p, sums[j], col + j, res, p->output_f32 ? p->output_f32 + r * os : NULL,
                           p->output_u8 ? p->output_u8 + r * os : NULL);
}

/// `acc[v]` lanes from `bias[col + 4v ..]`, zero past `output_channels` (bias holds only those).
static inline void cnx_qneon_load_bias(const cnx_qu8_pwconv_params* p, size_t col, size_t cols, int32x4_t acc[4]) {
    if (cols == CNX_QPW_PANEL) {
        for (int v = 0; v < 4; v++) acc[v] = vld1q_s32(p->bias + col + 4 * v);
        return;
    }
    int32_t b[CNX_QPW_PANEL] = {0};
    for (size_t j = 0; j < cols; j++) b[j] = p->bias[col + j];
    for (int v = 0; v < 4; v++) acc[v] = vld1q_s32(b + 4 * v);
}
#endif
#endif
