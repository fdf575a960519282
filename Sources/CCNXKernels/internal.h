#ifndef CNX_KERNELS_INTERNAL_H
#define CNX_KERNELS_INTERNAL_H
// Shared between the f32 kernel files: each kernel family in its own file per ISA
// (`f32_<kernel>_<isa>.c`, the function `cnx_f32_<kernel>_<isa>`), one table of them per ISA
// (`tables_<isa>.c`). The __scalar kernels are portable C, the fallback on any CPU and the plainest
// statement of each kernel's arithmetic (multiply and add each rounded, unless the compiler's
// default contraction fuses them on a target with FMA, which it then does the same way for every tile).
#include "cnx_kernels.h"

/// Output channels per packed pointwise panel (one AVX-512 vector, two AVX2 or four NEON vectors).
#define CNX_PW_PANEL 16
/// Bytes of packed weights a GEMM keeps hot while it sweeps its rows (panels grouped to this size).
#define CNX_PW_WEIGHT_BLOCK_BYTES (192 * 1024)
/// Channel padding of packed depthwise weights and bias (fixed by the `.cnx` file format: wider
/// vectors mask their last channels instead).
#define CNX_DW_CHANNEL_PAD 8

typedef void (*cnx_pwconv_fn)(const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end,
                              size_t panel_begin, size_t panel_end);
typedef void (*cnx_dwconv_ln_fn)(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end);
typedef void (*cnx_layernorm_fn)(const float* input, float* output, size_t channels, const float* gamma,
                                 const float* beta, float eps, size_t row_begin, size_t row_end);
typedef void (*cnx_sumsq_fn)(const float* input, size_t channels, size_t pixel_begin, size_t pixel_end, double* sums);
typedef void (*cnx_scalebias_fn)(float* data, size_t channels, const float* scale, const float* bias,
                                 size_t row_begin, size_t row_end);
typedef void (*cnx_gelu_fn)(float* data, size_t count);

/// One ISA's kernels. `pwconv_rows` is the row tile height the parallel helper splits on.
typedef struct cnx_kernel_table {
    cnx_pwconv_fn pwconv;
    size_t pwconv_rows;
    cnx_dwconv_ln_fn dwconv_ln;
    cnx_layernorm_fn layernorm;
    cnx_sumsq_fn sumsq;
    cnx_scalebias_fn scalebias;
    cnx_gelu_fn gelu;
} cnx_kernel_table;

/// Row tiles of each ISA's f32-pwconv (its `MR`).
#define CNX_F32_PWCONV_ROWS_SCALAR 4
#define CNX_F32_PWCONV_ROWS_AVX2 6
#define CNX_F32_PWCONV_ROWS_AVX512 8
#define CNX_F32_PWCONV_ROWS_NEON 4

/// Declares one ISA's f32 kernels, `cnx_f32_<kernel>_<isa>`.
#define CNX_F32_KERNELS(isa)                                                                                      \
    void cnx_f32_pwconv_##isa(const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, \
                              size_t panel_end);                                                                  \
    void cnx_f32_dwconv7x7_ln_##isa(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end);      \
    void cnx_f32_layernorm_##isa(const float* input, float* output, size_t channels, const float* gamma,          \
                                 const float* beta, float eps, size_t row_begin, size_t row_end);                 \
    void cnx_f32_sumsq_##isa(const float* input, size_t channels, size_t pixel_begin, size_t pixel_end, double* sums); \
    void cnx_f32_scalebias_##isa(float* data, size_t channels, const float* scale, const float* bias,             \
                                 size_t row_begin, size_t row_end);                                               \
    void cnx_f32_gelu_##isa(float* data, size_t count);

CNX_F32_KERNELS(scalar)
#if defined(__x86_64__)
CNX_F32_KERNELS(avx2)
CNX_F32_KERNELS(avx512)
#endif
#if defined(__aarch64__)
CNX_F32_KERNELS(neon)
#endif

extern const cnx_kernel_table cnx_kernels_scalar;
#if defined(__x86_64__)
extern const cnx_kernel_table cnx_kernels_avx2;
extern const cnx_kernel_table cnx_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const cnx_kernel_table cnx_kernels_neon;
#endif

/// The table for `isa`; aborts with a message when `isa` is unsupported (a programmer error).
const cnx_kernel_table* cnx_kernels_table(cnx_isa isa);

/// Number of 16-wide panels for `n` output channels.
static inline size_t cnx_pw_panels(size_t n) { return (n + CNX_PW_PANEL - 1) / CNX_PW_PANEL; }

/// Panels per weight block: all rows of a row range sweep one block before the next. A panel
/// counts its `k` weight rows plus its 16 bias floats.
static inline size_t cnx_pw_group_panels(size_t k) {
    size_t g = CNX_PW_WEIGHT_BLOCK_BYTES / ((k + 1) * CNX_PW_PANEL * sizeof(float));
    g &= ~(size_t)1;  // whole pairs, for the 32-wide AVX-512 tile
    return g < 2 ? 2 : g;
}

static inline size_t cnx_dw_padded_channels(size_t c) {
    return (c + CNX_DW_CHANNEL_PAD - 1) / CNX_DW_CHANNEL_PAD * CNX_DW_CHANNEL_PAD;
}

#endif
