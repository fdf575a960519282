// qu8-pwconv-*__neoni8mm (ARMv8.6 int8 matrix multiply, `usmmla`): 4 rows x one 16-column panel as
// 2 row pairs x 8 column pairs of 2x2 int32 tiles. `usmmla` multiplies unsigned activations by signed
// weights directly (no offset correction): per instruction a 2x8 uint8 block of two rows times an
// 8x2 int8 block of two columns, 32 multiply-accumulates.
//
// Operands from the shared packed layout (16 columns x 4 inputs per group): two consecutive groups'
// registers for columns 4v..4v+3, zipped as 32-bit elements, give [column 4v: inputs 0..7 | column
// 4v+1: inputs 0..7] (`zip1`) and the same for columns 4v+2, 4v+3 (`zip2`); two rows' 16 activations,
// zipped as 64-bit elements, give [row i: inputs 0..7 | row i+1: inputs 0..7] and the next 8.
// Sums are exact int32: bit-identical to every other variant.
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qepilogue_neon.h"

#define MR CNX_QU8_PWCONV_ROWS_NEONI8MM

/// 8 inputs (two groups, `g0` and `g1`, 64 bytes each) of 16 columns for both row pairs.
#define CNX_MMLA_STEP(g0, g1, a01, a23)                                                     \
    do {                                                                                    \
        for (int v = 0; v < 4; v++) {                                                       \
            const int32x4_t lo = vreinterpretq_s32_s8(vld1q_s8((g0) + 16 * v));             \
            const int32x4_t hi = vreinterpretq_s32_s8(vld1q_s8((g1) + 16 * v));             \
            const int8x16_t b0 = vreinterpretq_s8_s32(vzip1q_s32(lo, hi));                  \
            const int8x16_t b1 = vreinterpretq_s8_s32(vzip2q_s32(lo, hi));                  \
            acc[0][2 * v] = vusmmlaq_s32(acc[0][2 * v], (a01), b0);                         \
            acc[0][2 * v + 1] = vusmmlaq_s32(acc[0][2 * v + 1], (a01), b1);                 \
            acc[1][2 * v] = vusmmlaq_s32(acc[1][2 * v], (a23), b0);                         \
            acc[1][2 * v + 1] = vusmmlaq_s32(acc[1][2 * v + 1], (a23), b1);                 \
        }                                                                                   \
    } while (0)

static inline uint8x16_t pair_lo(uint8x16_t x, uint8x16_t y) {
    return vreinterpretq_u8_u64(vzip1q_u64(vreinterpretq_u64_u8(x), vreinterpretq_u64_u8(y)));
}
static inline uint8x16_t pair_hi(uint8x16_t x, uint8x16_t y) {
    return vreinterpretq_u8_u64(vzip2q_u64(vreinterpretq_u64_u8(x), vreinterpretq_u64_u8(y)));
}

__attribute__((target("i8mm"))) void cnx_qu8_pwconv_neoni8mm(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = (k + CNX_QPW_KGROUP - 1) / CNX_QPW_KGROUP, panel_bytes = cnx_qpw_panel_bytes(k);
    const size_t k16 = k & ~(size_t)15;
    static const int8_t zero_group[64] = {0};
    for (size_t q = panel_begin; q < panel_end; q++) {
        const int8_t* w = p->packed_weights + q * panel_bytes;
        const size_t col = q * CNX_QPW_PANEL;
        const size_t cols = n - col < CNX_QPW_PANEL ? n - col : CNX_QPW_PANEL;
        int32x4_t bias[4];
        cnx_qneon_load_bias(p, col, cols, bias);
        for (size_t r0 = row_begin; r0 < row_end; r0 += MR) {
            const size_t mr = row_end - r0 < MR ? row_end - r0 : MR;
            const uint8_t* rows[MR];
            for (size_t i = 0; i < MR; i++) rows[i] = p->input + (r0 + (i < mr ? i : mr - 1)) * p->input_stride;
            // acc[pair][2v + h]: rows (2·pair, 2·pair+1) x columns (4v + 2h, 4v + 2h + 1).
            int32x4_t acc[2][8];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 8; j++) acc[i][j] = vdupq_n_s32(0);
            size_t kk = 0;
            for (; kk < k16; kk += 16) {
                const uint8x16_t x0 = vld1q_u8(rows[0] + kk), x1 = vld1q_u8(rows[1] + kk);
                const uint8x16_t x2 = vld1q_u8(rows[2] + kk), x3 = vld1q_u8(rows[3] + kk);
                const int8_t* wg = w + kk / 4 * 64;
                CNX_MMLA_STEP(wg, wg + 64, pair_lo(x0, x1), pair_lo(x2, x3));
                CNX_MMLA_STEP(wg + 128, wg + 192, pair_hi(x0, x1), pair_hi(x2, x3));
            }
            if (kk < k) {
                // The last 1..15 inputs, zero-padded (never read past a row); a missing second group
                // of a pair reads zeros.
                uint8_t tail[MR][16];
                for (size_t i = 0; i < MR; i++) {
                    memset(tail[i], 0, 16);
                    memcpy(tail[i], rows[i] + kk, k - kk);
                }
                const uint8x16_t x0 = vld1q_u8(tail[0]), x1 = vld1q_u8(tail[1]);
                const uint8x16_t x2 = vld1q_u8(tail[2]), x3 = vld1q_u8(tail[3]);
                const size_t left = groups - kk / 4;  // 1..4 groups
                const int8_t* wg = w + kk / 4 * 64;
                CNX_MMLA_STEP(wg, left > 1 ? wg + 64 : zero_group, pair_lo(x0, x1), pair_lo(x2, x3));
                if (left > 2) CNX_MMLA_STEP(wg + 128, left > 3 ? wg + 192 : zero_group, pair_hi(x0, x1), pair_hi(x2, x3));
            }
            // Back to rows: tile [r0c0 r0c1 r1c0 r1c1] pairs → row vectors of 4 columns.
            CNX_Q_UNROLL for (int i = 0; i < MR; i++) {
                if ((size_t)i >= mr) break;
                const int pair = i / 2;
                int32x4_t row[4];
                for (int v = 0; v < 4; v++) {
                    const int64x2_t t0 = vreinterpretq_s64_s32(acc[pair][2 * v]);
                    const int64x2_t t1 = vreinterpretq_s64_s32(acc[pair][2 * v + 1]);
                    const int32x4_t cols4 = vreinterpretq_s32_s64(i % 2 == 0 ? vzip1q_s64(t0, t1) : vzip2q_s64(t0, t1));
                    row[v] = vaddq_s32(cols4, bias[v]);
                }
                if (cols == CNX_QPW_PANEL) cnx_qneon_epilogue16(p, row, r0 + (size_t)i, col, os);
                else cnx_qneon_epilogue_tail(p, row, r0 + (size_t)i, col, cols, os);
            }
        }
    }
}
#endif
