// qu8-pwconv-*__neon (AArch64 Advanced SIMD), kept plain: one row x one 16-wide panel, 16 int32x4
// accumulators (one per output column, one lane per input of a 4-group) fed by widening `vmlal_s16`,
// reduced with pairwise adds (integers: any order is exact), then the NEON epilogue the dot-product
// and i8mm variants share (qepilogue_neon.h).
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qepilogue_neon.h"

void cnx_qu8_pwconv_neon(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = (k + CNX_QPW_KGROUP - 1) / CNX_QPW_KGROUP, panel_bytes = cnx_qpw_panel_bytes(k);
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
            int32x4_t sums[4];
            cnx_qneon_load_bias(p, col, cols, sums);
            for (size_t v = 0; v < 4; v++)
                sums[v] = vaddq_s32(sums[v], vpaddq_s32(vpaddq_s32(acc[4 * v], acc[4 * v + 1]),
                                                        vpaddq_s32(acc[4 * v + 2], acc[4 * v + 3])));
            if (cols == CNX_QPW_PANEL) cnx_qneon_epilogue16(p, sums, r, col, os);
            else cnx_qneon_epilogue_tail(p, sums, r, col, cols, os);
        }
    }
}
#endif
