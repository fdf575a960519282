#ifndef CNX_QKERNELS_INTERNAL_H
#define CNX_QKERNELS_INTERNAL_H
// Shared between the int8 kernel files: one table per ISA variant, and the scalar epilogue every
// variant's tail columns use (and every vector epilogue reproduces lane for lane).
#include <math.h>
#include <string.h>
#include "cnx_kernels.h"

// The epilogues are specified as separate IEEE operations: never fuse a multiply into an add.
#pragma STDC FP_CONTRACT OFF

/// Before a loop over a tile's rows (a constant trip count after inlining): unroll it fully so the
/// accumulators stay in registers (clang's -O2 threshold otherwise leaves the 12-row tile in memory).
#if defined(__clang__)
#define CNX_Q_UNROLL _Pragma("clang loop unroll(full)")
#else
#define CNX_Q_UNROLL _Pragma("GCC unroll 16")
#endif

typedef void (*cnx_qpwconv_fn)(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end,
                               size_t panel_begin, size_t panel_end);
typedef void (*cnx_u8_sumsq_fn)(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end,
                                int32_t zero_point, int64_t* sums);
typedef void (*cnx_quantize_fn)(const float* x, size_t count, float inverse_scale, int32_t zero_point, uint8_t* out);
typedef void (*cnx_channel_affine_fn)(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                                      size_t row_end, int32_t zero_point, const float* multiplier,
                                      const float* offset);

/// One variant's int8 kernels; `pwconv_rows` is the row tile the parallel helper splits on,
/// `names` the `cnx_qkernel_name` strings.
typedef struct cnx_qkernel_table {
    cnx_qpwconv_fn pwconv;
    size_t pwconv_rows;
    cnx_u8_sumsq_fn sumsq;
    cnx_quantize_fn quantize;
    cnx_channel_affine_fn channel_affine;
    const char* names[CNX_QKERNEL_COUNT];
} cnx_qkernel_table;

/// Row tiles of each ISA's qu8-pwconv (its `MR`).
#define CNX_QU8_PWCONV_ROWS_AVX2 10
#define CNX_QU8_PWCONV_ROWS_AVX512 12
#define CNX_QU8_PWCONV_ROWS_NEONDOT 4
#define CNX_QU8_PWCONV_ROWS_NEONI8MM 4

/// Declares one ISA's int8 kernels, `cnx_<kernel>_<isa>` (each in its file `<kernel>_<isa>.c`).
#define CNX_QU8_KERNELS(isa)                                                                                     \
    void cnx_qu8_pwconv_##isa(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, \
                              size_t panel_end);                                                                 \
    void cnx_u8_sumsq_##isa(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zero_point, \
                            int64_t* sums);                                                                      \
    void cnx_f32_quantize_u8_##isa(const float* x, size_t count, float inverse_scale, int32_t zero_point, uint8_t* out); \
    void cnx_u8_channel_affine_##isa(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,          \
                                     size_t row_end, int32_t zero_point, const float* multiplier, const float* offset);

CNX_QU8_KERNELS(scalar)
#if defined(__x86_64__)
CNX_QU8_KERNELS(avx2)
/// The AVX-512 GEMM's two variants (qu8_pwconv_avx512_body.h); its other kernels are AVX2's.
void cnx_qu8_pwconv_avx512_vnni(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin,
                                size_t panel_end);
void cnx_qu8_pwconv_avx512_vbmi(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin,
                                size_t panel_end);
#endif
#if defined(__aarch64__)
CNX_QU8_KERNELS(neon)
/// The GEMM with ARMv8.2 `sdot` and with ARMv8.6 `usmmla`; their other kernels are plain NEON's.
void cnx_qu8_pwconv_neondot(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin,
                            size_t panel_end);
void cnx_qu8_pwconv_neoni8mm(const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin,
                             size_t panel_end);
/// ARMv8.6 int8 matrix multiply (`smmla`/`usmmla`/`usdot`), from the kernel's HWCAP2 (Debian's 2022
/// cpuinfo has no i8mm query): the int8 GEMM's choice and `cnx_cpu_features`' report.
bool cnx_arm_has_i8mm(void);
#endif

extern const cnx_qkernel_table cnx_qkernels_scalar;
#if defined(__x86_64__)
extern const cnx_qkernel_table cnx_qkernels_avx2;
extern const cnx_qkernel_table cnx_qkernels_avx512vnni;
extern const cnx_qkernel_table cnx_qkernels_avx512vbmi;
#endif
#if defined(__aarch64__)
extern const cnx_qkernel_table cnx_qkernels_neon;
extern const cnx_qkernel_table cnx_qkernels_neondot;
extern const cnx_qkernel_table cnx_qkernels_neoni8mm;
#endif

#define CNX_QNAMES(isa)                                                                              \
    {"qu8-pwconv-f32__" isa, "qu8-pwconv-f32-residual__" isa, "qu8-pwconv-u8__" isa,                \
     "qu8-pwconv-u8-table__" isa, "u8-sumsq__" isa, "f32-quantize-u8__" isa, "u8-channel-affine__" isa}

/// Bytes of one packed panel: `ceil(k / 4)` groups of 16 x 4 weights.
static inline size_t cnx_qpw_panel_bytes(size_t k) {
    return (k + CNX_QPW_KGROUP - 1) / CNX_QPW_KGROUP * (CNX_QPW_PANEL * CNX_QPW_KGROUP);
}
static inline size_t cnx_qpw_panels(size_t n) { return (n + CNX_QPW_PANEL - 1) / CNX_QPW_PANEL; }
static inline size_t cnx_qpw_output_stride(const cnx_qu8_pwconv_params* p) {
    return p->output_stride ? p->output_stride : p->output_channels;
}
/// Packed weight bytes a GEMM keeps hot while it sweeps its rows; panels grouped (in pairs) to it.
#define CNX_QPW_WEIGHT_BLOCK_BYTES (128 * 1024)
static inline size_t cnx_qpw_group_panels(size_t k) {
    size_t g = CNX_QPW_WEIGHT_BLOCK_BYTES / cnx_qpw_panel_bytes(k);
    g &= ~(size_t)1;
    return g < 2 ? 2 : g;
}

/// `(float)acc · scale`, one rounding each.
static inline float cnx_q_dequantize(int32_t acc, float scale) {
    const float x = (float)acc;
    const float y = x * scale;
    return y;
}

/// `clamp(nearbyintf(f) + zero_point, 0, 255)`. `f` is first clamped to [-32768, 32767] (which
/// changes no result, and makes the conversion defined; NaN becomes -32768), the order the vector
/// variants use (`max(f, lo)`, then `min(·, hi)`).
static inline uint8_t cnx_q_requantize(float f, int32_t zero_point) {
    f = f > -32768.0f ? f : -32768.0f;
    f = f < 32767.0f ? f : 32767.0f;
    int32_t v = (int32_t)nearbyintf(f) + zero_point;
    v = v < 0 ? 0 : v;
    v = v > 255 ? 255 : v;
    return (uint8_t)v;
}

/// The epilogue of one output element (`m` row offset already applied to the row pointers).
static inline void cnx_q_epilogue_one(const cnx_qu8_pwconv_params* p, int32_t acc, size_t n, const float* res,
                                      float* out_f32, uint8_t* out_u8) {
    const float y = cnx_q_dequantize(acc, p->scale[n]);
    switch (p->epilogue) {
        case cnx_qu8_epilogue_f32: out_f32[n] = y; break;
        case cnx_qu8_epilogue_f32_residual: {
            const float r = res[n];
            const float s = r + y;
            out_f32[n] = s;
            break;
        }
        case cnx_qu8_epilogue_u8: out_u8[n] = cnx_q_requantize(y, p->output_zero_point); break;
        case cnx_qu8_epilogue_u8_table: out_u8[n] = p->table[cnx_q_requantize(y, p->output_zero_point)]; break;
    }
}

/// One element of `cnx_u8_channel_affine`: multiply, then add (two roundings), then requantize.
static inline uint8_t cnx_q_channel_affine_one(uint8_t x, int32_t zero_point, float multiplier, float offset) {
    const float d = (float)((int32_t)x - zero_point);
    const float y = d * multiplier;
    const float v = y + offset;
    return cnx_q_requantize(v, 0);
}

static inline uint32_t cnx_q_load4(const uint8_t* a) {
    uint32_t v;
    memcpy(&v, a, 4);
    return v;
}
/// The last `count` (1..3) activations of a row, zero-extended to a 4-byte group, without
/// reading past them.
static inline uint32_t cnx_q_load_tail(const uint8_t* a, size_t count) {
    uint8_t b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < count; i++) b[i] = a[i];
    return cnx_q_load4(b);
}
#endif
