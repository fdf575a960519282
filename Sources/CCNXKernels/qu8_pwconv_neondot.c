// qu8-pwconv-*__neondot (ARMv8.2 dot product, `sdot`): 4 rows x one 16-column panel, 16 int32x4
// accumulators. The packed layout (16 columns x 4 inputs per group) is exactly what
// `sdot v.4s, w.16b, a.4b[lane]` reads: one weight register holds 4 columns' 4 inputs, the lane
// picks one 4-input group of a row's 16 activations.
//
// `sdot` multiplies signed by signed. The uint8 activations become int8 by flipping their top bit
// (a − 128), and each column gets 128·Σ_k w back in its starting sum, computed per panel with
// `sdot` against ones: Σ a·w = Σ (a − 128)·w + 128·Σ w, exact in (wrapping) int32, so the result is
// bit-identical to every other variant. Padding inputs (past `k`) flip to −128 but meet zero weights.
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qepilogue_neon.h"

#define MR CNX_QU8_PWCONV_ROWS_NEONDOT

/// One group (4 inputs) of 16 columns for MR rows, activations' group in `lane` of `a[i]`.
#define CNX_DOT_GROUP(lane, wg)                                                           \
    do {                                                                                  \
        const int8x16_t w0 = vld1q_s8((wg)), w1 = vld1q_s8((wg) + 16);                    \
        const int8x16_t w2 = vld1q_s8((wg) + 32), w3 = vld1q_s8((wg) + 48);               \
        CNX_Q_UNROLL for (int i = 0; i < MR; i++) {                                       \
            acc[i][0] = vdotq_laneq_s32(acc[i][0], w0, a[i], lane);                       \
            acc[i][1] = vdotq_laneq_s32(acc[i][1], w1, a[i], lane);                       \
            acc[i][2] = vdotq_laneq_s32(acc[i][2], w2, a[i], lane);                       \
            acc[i][3] = vdotq_laneq_s32(acc[i][3], w3, a[i], lane);                       \
        }                                                                                 \
    } while (0)

__attribute__((target("dotprod"))) void cnx_qu8_pwconv_neondot(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = (k + CNX_QPW_KGROUP - 1) / CNX_QPW_KGROUP, panel_bytes = cnx_qpw_panel_bytes(k);
    const size_t k16 = k & ~(size_t)15;
    const uint8x16_t flip = vdupq_n_u8(0x80);
    const int8x16_t ones = vdupq_n_s8(1);
    for (size_t q = panel_begin; q < panel_end; q++) {
        const int8_t* w = p->packed_weights + q * panel_bytes;
        const size_t col = q * CNX_QPW_PANEL;
        const size_t cols = n - col < CNX_QPW_PANEL ? n - col : CNX_QPW_PANEL;
        // start[v] = bias + 128 · Σ_k w for columns 4v..4v+3.
        int32x4_t start[4], sums[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        for (size_t g = 0; g < groups; g++)
            for (int v = 0; v < 4; v++) sums[v] = vdotq_s32(sums[v], vld1q_s8(w + g * 64 + v * 16), ones);
        cnx_qneon_load_bias(p, col, cols, start);
        for (int v = 0; v < 4; v++) start[v] = vaddq_s32(start[v], vshlq_n_s32(sums[v], 7));
        for (size_t r0 = row_begin; r0 < row_end; r0 += MR) {
            const size_t mr = row_end - r0 < MR ? row_end - r0 : MR;
            const uint8_t* rows[MR];
            // A short tile repeats its last row (its sums are computed and dropped).
            for (size_t i = 0; i < MR; i++) rows[i] = p->input + (r0 + (i < mr ? i : mr - 1)) * p->input_stride;
            int32x4_t acc[MR][4];
            CNX_Q_UNROLL for (int i = 0; i < MR; i++)
                for (int v = 0; v < 4; v++) acc[i][v] = start[v];
            size_t kk = 0;
            for (; kk < k16; kk += 16) {
                int8x16_t a[MR];
                CNX_Q_UNROLL for (int i = 0; i < MR; i++)
                    a[i] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(rows[i] + kk), flip));
                const int8_t* wg = w + kk / 4 * 64;
                CNX_DOT_GROUP(0, wg);
                CNX_DOT_GROUP(1, wg + 64);
                CNX_DOT_GROUP(2, wg + 128);
                CNX_DOT_GROUP(3, wg + 192);
            }
            if (kk < k) {
                // The last 1..15 inputs, zero-padded to whole groups (never read past a row).
                int8x16_t a[MR];
                CNX_Q_UNROLL for (int i = 0; i < MR; i++) {
                    uint8_t tail[16] = {0};
                    memcpy(tail, rows[i] + kk, k - kk);
                    a[i] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(tail), flip));
                }
                const size_t left = groups - kk / 4;  // 1..4 groups
                const int8_t* wg = w + kk / 4 * 64;
                CNX_DOT_GROUP(0, wg);
                if (left > 1) CNX_DOT_GROUP(1, wg + 64);
                if (left > 2) CNX_DOT_GROUP(2, wg + 128);
                if (left > 3) CNX_DOT_GROUP(3, wg + 192);
            }
            // Unrolled with constant row indices, and each row copied out, so `acc` never has its
            // address taken (else clang stores all 16 accumulators after every group).
            CNX_Q_UNROLL for (int i = 0; i < MR; i++) {
                if ((size_t)i >= mr) break;
                const int32x4_t out[4] = {acc[i][0], acc[i][1], acc[i][2], acc[i][3]};
                if (cols == CNX_QPW_PANEL) cnx_qneon_epilogue16(p, out, r0 + (size_t)i, col, os);
                else cnx_qneon_epilogue_tail(p, out, r0 + (size_t)i, col, cols, os);
            }
        }
    }
}
#endif
