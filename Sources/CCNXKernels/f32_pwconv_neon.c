// f32-pwconv-{none,gelu,residual}__neon (AArch64 Advanced SIMD): 4 rows x 16 columns (16 q-register
// accumulators), exact GELU with the shared fits (gelu_neon.h). Channel and column remainders go through the same per-lane arithmetic
// (fmaf for the conv tail, a full vector into a stack tile for the GEMM's last columns).
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"
#include "gelu_neon.h"

#define MR CNX_F32_PWCONV_ROWS_NEON
#if defined(__clang__)
#define CNX_F32_UNROLL _Pragma("clang loop unroll(full)")
#else
#define CNX_F32_UNROLL _Pragma("GCC unroll 16")
#endif

/// The 16 weights of input `kk` as 4 float vectors: stored floats, or weight-only int8 codes
/// widened and converted (exact; scaled at the end).
static inline __attribute__((always_inline)) void weights16(
    bool wq, const float* w, const int8_t* q, size_t kk, float32x4_t wv[4]) {
    if (wq) {
        const int8x16_t codes = vld1q_s8(q + kk * CNX_PW_PANEL);
        const int16x8_t lo = vmovl_s8(vget_low_s8(codes)), hi = vmovl_s8(vget_high_s8(codes));
        wv[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
        wv[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
        wv[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
        wv[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
    } else {
        for (int v = 0; v < 4; v++) wv[v] = vld1q_f32(w + kk * CNX_PW_PANEL + 4 * v);
    }
}

/// `mr` rows x one panel; `wq`: weight-only int8 codes `q` (scaled by `scale` at the end)
/// instead of float weights `w`. Inputs 4 at a time: one 4-float load per row, then `fmla` by lane
/// (the sum still runs k0, k1, k2, ... in order for every output), all loops over the tile's
/// constant extents fully unrolled so the 16 accumulators stay in registers.
static inline __attribute__((always_inline)) void tile(
    size_t mr, bool wq, size_t k, const float* a, const float* w, const int8_t* q, const float* bias,
    const float* scale, size_t cols, cnx_epilogue epilogue, const float* res, float* out, size_t n) {
    float32x4_t acc[MR][4];
    CNX_F32_UNROLL for (size_t i = 0; i < mr; i++)
        CNX_F32_UNROLL for (size_t v = 0; v < 4; v++) acc[i][v] = wq ? vdupq_n_f32(0.0f) : vld1q_f32(bias + 4 * v);
    const size_t k4 = k & ~(size_t)3;
    size_t kk = 0;
    for (; kk < k4; kk += 4) {
        float32x4_t x[MR];
        CNX_F32_UNROLL for (size_t i = 0; i < mr; i++) x[i] = vld1q_f32(a + i * k + kk);
#define CNX_PW_STEP(lane)                                                                         \
    do {                                                                                          \
        float32x4_t wv[4];                                                                        \
        weights16(wq, w, q, kk + (lane), wv);                                                     \
        CNX_F32_UNROLL for (size_t i = 0; i < mr; i++)                                            \
            CNX_F32_UNROLL for (size_t v = 0; v < 4; v++) acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv[v], x[i], lane); \
    } while (0)
        CNX_PW_STEP(0);
        CNX_PW_STEP(1);
        CNX_PW_STEP(2);
        CNX_PW_STEP(3);
#undef CNX_PW_STEP
    }
    for (; kk < k; kk++) {
        float32x4_t wv[4];
        weights16(wq, w, q, kk, wv);
        CNX_F32_UNROLL for (size_t i = 0; i < mr; i++) {
            const float32x4_t x = vdupq_n_f32(a[i * k + kk]);
            CNX_F32_UNROLL for (size_t v = 0; v < 4; v++) acc[i][v] = vfmaq_f32(acc[i][v], x, wv[v]);
        }
    }
    if (wq)
        CNX_F32_UNROLL for (size_t i = 0; i < mr; i++)
            CNX_F32_UNROLL for (size_t v = 0; v < 4; v++)
                acc[i][v] = vfmaq_f32(vld1q_f32(bias + 4 * v), acc[i][v], vld1q_f32(scale + 4 * v));
    // Copied out with constant indices: `acc` itself is never indexed at run time (else clang
    // keeps it in memory and stores all 16 accumulators on every iteration of the k loop).
    float32x4_t done[MR][4];
    CNX_F32_UNROLL for (size_t i = 0; i < mr; i++)
        CNX_F32_UNROLL for (size_t v = 0; v < 4; v++) done[i][v] = acc[i][v];
    for (size_t i = 0; i < mr; i++) {
        float32x4_t o[4];
        for (size_t v = 0; v < 4; v++) o[v] = epilogue == cnx_epilogue_gelu ? gelu_neon(done[i][v]) : done[i][v];
        if (cols == CNX_PW_PANEL) {
            for (size_t v = 0; v < 4; v++) {
                float32x4_t y = o[v];
                if (epilogue == cnx_epilogue_residual) y = vaddq_f32(o[v], vld1q_f32(res + i * n + 4 * v));
                vst1q_f32(out + i * n + 4 * v, y);
            }
            continue;
        }
        float lanes[CNX_PW_PANEL];
        for (size_t v = 0; v < 4; v++) vst1q_f32(lanes + 4 * v, o[v]);
        for (size_t j = 0; j < cols; j++)
            out[i * n + j] = epilogue == cnx_epilogue_residual ? lanes[j] + res[i * n + j] : lanes[j];
    }
}

void cnx_f32_pwconv_neon(
    const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels;
    const size_t stride = k * CNX_PW_PANEL;
    const size_t group = cnx_pw_group_panels(k);
    const float* res_base = p->epilogue == cnx_epilogue_residual ? p->residual : p->output;
    for (size_t g = panel_begin; g < panel_end; g += group) {
        const size_t g_end = g + group < panel_end ? g + group : panel_end;
        for (size_t r = row_begin; r < row_end; r += MR) {
            const size_t mr = row_end - r < MR ? row_end - r : MR;
            for (size_t q = g; q < g_end; q++) {
                const size_t col = q * CNX_PW_PANEL, cols = n - col < 16 ? n - col : 16;
                const float* a = p->input + r * k;
                const bool wq = p->weight_scale != NULL;
                const float* panel = wq ? NULL : p->packed_weights + q * stride;
                const int8_t* codes = wq ? p->packed_weights_i8 + q * stride : NULL;
                const float* bias = p->bias + col;
                const float* scale = wq ? p->weight_scale + col : NULL;
                const float* res = res_base + r * n + col;
                float* out = p->output + r * n + col;
#define TILE(R) wq ? tile(R, true, k, a, panel, codes, bias, scale, cols, p->epilogue, res, out, n) \
                   : tile(R, false, k, a, panel, codes, bias, scale, cols, p->epilogue, res, out, n)
                switch (mr) {
                    case 4: TILE(4); break;
                    case 3: TILE(3); break;
                    case 2: TILE(2); break;
                    default: TILE(1); break;
                }
#undef TILE
            }
        }
    }
}

#endif
