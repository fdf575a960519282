#ifndef CNX_KERNELS_H
#define CNX_KERNELS_H
// cnx-edge's own C kernels for the native backend.
//
// Kernels never allocate: callers hand them buffers and a parameter struct. Weights and biases are
// read in the packed layouts a `.cnx` file stores (its `pointwisePanels`/`bias16` and
// `depthwiseTaps`/`bias8` constants, borrowed in place from the mapped file); callers that start
// from plain values pack them once (size queries + pack into caller buffers). Every kernel exists
// per instruction set (`cnx_isa`); `cnx_kernels_init` picks the best one this CPU runs, once, from
// cpuinfo, and the explicit `isa` argument lets tests run every variant the CPU supports. Names
// follow `dtype-op-epilogue__isa`, e.g. "f32-pwconv-gelu__avx512" (see `cnx_kernel_name`).
//
// Layouts are NHWC: a "row" of a pointwise GEMM is one pixel, `channels` floats contiguous.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
// The kernels themselves need only libc; the threading helpers and CPU detection use pthreadpool
// and cpuinfo where their headers exist (the `Native` trait's Debian packages). Without them the
// target still compiles: helpers run on the calling thread and detection uses the compiler's
// `__builtin_cpu_supports`.
#if __has_include(<pthreadpool.h>)
#include <pthreadpool.h>
#define CNX_HAVE_PTHREADPOOL 1
#else
typedef struct pthreadpool* pthreadpool_t;
#define CNX_HAVE_PTHREADPOOL 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if CNX_HAVE_PTHREADPOOL
/// `pthreadpool_parallelize_*` (flags 0) as the runtime calls it (threads.c): the same call,
/// except in a ThreadSanitizer build, where it also tells TSan that the tasks happen after the
/// caller's writes before the call and before its reads after it (pthreadpool is not instrumented).
void cnx_parallelize_1d(pthreadpool_t pool, pthreadpool_task_1d_t task, void* context, size_t range);
void cnx_parallelize_1d_tile_1d(
    pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t task, void* context, size_t range, size_t tile);
void cnx_parallelize_2d_tile_2d(pthreadpool_t pool, pthreadpool_task_2d_tile_2d_t task, void* context,
                                size_t range_i, size_t range_j, size_t tile_i, size_t tile_j);
#endif

/// Instruction sets a kernel can be built for.
typedef enum cnx_isa {
    /// Portable C, any CPU.
    cnx_isa_scalar = 0,
    /// x86-64 AVX2 + FMA3 (Zen 3, Haswell and later).
    cnx_isa_avx2 = 1,
    /// x86-64 AVX-512 F/BW/VL + FMA (Zen 4/5, Skylake-X and later).
    cnx_isa_avx512 = 2,
    /// AArch64 Advanced SIMD (NEON).
    cnx_isa_neon = 3,
} cnx_isa;

/// Number of `cnx_isa` values.
#define CNX_ISA_COUNT 4

/// The kernels, for `cnx_kernel_name`.
typedef enum cnx_kernel {
    cnx_kernel_f32_pwconv_none = 0,
    cnx_kernel_f32_pwconv_gelu = 1,
    cnx_kernel_f32_pwconv_residual = 2,
    cnx_kernel_f32_dwconv7x7_ln = 3,
    cnx_kernel_f32_dwconv7x7_ln_noaffine = 4,
    cnx_kernel_f32_layernorm = 5,
    cnx_kernel_f32_sumsq = 6,
    cnx_kernel_f32_scalebias = 7,
    cnx_kernel_f32_gelu = 8,
} cnx_kernel;

/// Number of `cnx_kernel` values.
#define CNX_KERNEL_COUNT 9

/// Detects the CPU's features (cpuinfo) and chooses the kernels. Idempotent and thread-safe
/// (pthread_once); every other function calls it, so calling it first is optional.
void cnx_kernels_init(void);

/// The best instruction set this CPU supports, chosen once at initialisation.
cnx_isa cnx_kernels_best_isa(void);

/// Whether this build has kernels for `isa` and this CPU can run them.
bool cnx_isa_supported(cnx_isa isa);

/// The CPU features kernel selection looks at, as cpuinfo (and, for ARM i8mm, which Debian's 2022
/// cpuinfo does not report, the kernel's HWCAP2) sees them: e.g. "x86-64: avx2 fma avx512f ..." or
/// "aarch64: asimd fp16 dotprod i8mm sve sve2 bf16". Writes at most `size` bytes including the NUL;
/// returns the full length.
size_t cnx_cpu_features(char* out, size_t size);

/// The kernel's name for `isa`, e.g. "f32-pwconv-gelu__avx512"; a static string, never NULL
/// (a name is returned even where `isa` is unsupported).
const char* cnx_kernel_name(cnx_kernel kernel, cnx_isa isa);

// MARK: - Pointwise (1x1) convolution

/// What the pointwise GEMM applies after `bias + input · weightsᵀ`.
typedef enum cnx_epilogue {
    /// Bias only.
    cnx_epilogue_none = 0,
    /// Exact GELU, `0.5 x (1 + erf(x / √2))` (see `cnx_f32_gelu`).
    cnx_epilogue_gelu = 1,
    /// Adds `residual[r, n]`; `residual` may be the output buffer itself.
    cnx_epilogue_residual = 2,
} cnx_epilogue;

/// Bytes of packed pointwise weights for `output_channels x input_channels`: output channels in
/// `ceil(output_channels / 16)` panels of `[input_channels][16]`, zero in the lanes past
/// `output_channels`. The same layout serves every ISA.
size_t cnx_f32_pwconv_packed_weights_size(size_t output_channels, size_t input_channels);

/// Bytes of a packed pointwise bias: `output_channels` floats, zero-padded to a multiple of 16.
size_t cnx_f32_pwconv_packed_bias_size(size_t output_channels);

/// Packs `weights` (`[output_channels][input_channels]`, PyTorch's `[out, in(, 1, 1)]`) into
/// `packed_weights` (`cnx_f32_pwconv_packed_weights_size` bytes) and `bias` (`[output_channels]`)
/// into `packed_bias` (`cnx_f32_pwconv_packed_bias_size` bytes); any alignment, 64 bytes
/// recommended. Never allocates.
void cnx_f32_pwconv_pack(
    size_t output_channels, size_t input_channels, const float* weights, const float* bias, float* packed_weights,
    float* packed_bias);

/// Parameters of a pointwise GEMM.
typedef struct cnx_f32_pwconv_params {
    /// `[rows][input_channels]`; must not overlap `output`.
    const float* input;
    /// `[ceil(output_channels / 16)][input_channels][16]` (`cnx_f32_pwconv_pack` with these
    /// channel counts, or a `.cnx` file's `pointwisePanels` constant).
    const float* packed_weights;
    /// `output_channels` rounded up to 16, zero-padded (`cnx_f32_pwconv_pack`'s `packed_bias`, or
    /// a `.cnx` file's `bias16` constant).
    const float* bias;
    /// `[rows][output_channels]` for `cnx_epilogue_residual` (may equal `output`), else ignored.
    const float* residual;
    /// `[rows][output_channels]`.
    float* output;
    size_t input_channels;
    size_t output_channels;
    cnx_epilogue epilogue;
    /// Weight-only int8 (NULL: float weights in `packed_weights`): the per-output-channel step of
    /// `packed_weights_i8`'s codes, `output_channels` rounded up to 16, zero-padded (a `.cnx`
    /// file's `bias16` constant).
    const float* weight_scale;
    /// With `weight_scale`: int8 codes `[ceil(output_channels / 16)][input_channels][16]` (the
    /// float panels' arrangement; a `.cnx` file's `int8FloatPanels` constant), read instead of
    /// `packed_weights`.
    const int8_t* packed_weights_i8;
} cnx_f32_pwconv_params;

/// `f32-pwconv-{none,gelu,residual}__isa`:
/// `output[r, n] = epilogue(bias[n] + Σ_k input[r, k] · W[n, k])` for `r` in `[row_begin, row_end)`.
///
/// Numerics: each output element starts from its bias and adds `input · W` with one fused
/// multiply-add per `k`, in increasing `k` (the scalar variant: multiply and add, each rounded),
/// then applies the epilogue lane-wise. The order is the same whatever tile covers the element, so
/// results are bit-identical for any row split. Never allocates. Precondition: `isa` supported.
///
/// Weight-only int8 (`weight_scale` set): each element starts from 0, adds `input · code` (the
/// codes converted to float exactly) the same way, then becomes `sum · weight_scale[n] + bias[n]`
/// (one fused multiply-add; scalar: `fmaf`) before the epilogue.
void cnx_f32_pwconv(cnx_isa isa, const cnx_f32_pwconv_params* params, size_t row_begin, size_t row_end);

/// `cnx_f32_pwconv` over rows `[0, rows)` split into row x column tiles on `pool` (NULL: the
/// calling thread). Bit-identical to the single-threaded call for any thread count.
void cnx_f32_pwconv_parallel(
    pthreadpool_t pool, cnx_isa isa, const cnx_f32_pwconv_params* params, size_t rows);

// MARK: - Depthwise 7x7 + LayerNorm

/// Bytes of packed depthwise taps for `channels`: `[49][cp]`, `cp` the channels rounded up to 8,
/// zero-padded. The same layout serves every ISA (wider vectors mask their last channels).
size_t cnx_f32_dwconv7x7_packed_weights_size(size_t channels);

/// Bytes of a packed depthwise bias: `channels` floats, zero-padded to a multiple of 8.
size_t cnx_f32_dwconv7x7_packed_bias_size(size_t channels);

/// Packs PyTorch depthwise weights `[channels][1][7][7]` into `packed_weights`
/// (`cnx_f32_dwconv7x7_packed_weights_size` bytes) and `bias[channels]` into `packed_bias`
/// (`cnx_f32_dwconv7x7_packed_bias_size` bytes); any alignment, 64 bytes recommended. Never
/// allocates.
void cnx_f32_dwconv7x7_pack(size_t channels, const float* weights, const float* bias, float* packed_weights,
                            float* packed_bias);

/// Parameters of the fused depthwise 7x7 + LayerNorm.
typedef struct cnx_f32_dwconv7x7_ln_params {
    /// `[height][width][channels]`; must not overlap `output`.
    const float* input;
    /// `[49][channels rounded up to 8]` taps (`cnx_f32_dwconv7x7_pack`, or a `.cnx` file's
    /// `depthwiseTaps` constant).
    const float* packed_weights;
    /// `channels` rounded up to 8, zero-padded (`cnx_f32_dwconv7x7_pack`'s `packed_bias`, or a
    /// `.cnx` file's `bias8` constant).
    const float* bias;
    /// `[channels]` LayerNorm scale and shift; ignored by the `noaffine` variant (may be NULL there).
    const float* gamma;
    const float* beta;
    /// `[height][width][channels]`.
    float* output;
    size_t height, width, channels;
    /// LayerNorm epsilon (ConvNeXt: 1e-6).
    float eps;
    /// false: `cnx_kernel_f32_dwconv7x7_ln_noaffine`, gamma = 1 and beta = 0 (folded into the
    /// next pointwise layer by the compiler).
    bool affine;
    /// Optional (NULL: none) `[height][width][channels]` uint8: each finished output row is also
    /// quantized, while it is in cache, exactly as `cnx_f32_quantize_u8(isa, row, …,
    /// inverse_scale, zero_point, …)` would (the float `output` is still written: scratch then).
    uint8_t* output_u8;
    float inverse_scale;
    /// In [0, 255].
    int32_t zero_point;
} cnx_f32_dwconv7x7_ln_params;

/// `f32-dwconv7x7-ln__isa` / `f32-dwconv7x7-ln-noaffine__isa`: depthwise 7x7, stride 1, zero
/// padding 3, plus bias, for output rows `[row_begin, row_end)`; then, while the row is in cache,
/// LayerNorm over the channels of each pixel, `(x − mean) / sqrt(var + eps) · gamma + beta`
/// (biased variance, two passes).
///
/// Numerics: each conv output starts from its bias and adds the taps inside the image in
/// increasing (ky, kx) order with fused multiply-adds (scalar: multiply then add); the LayerNorm
/// of a pixel depends only on that pixel. Results are bit-identical for any row split.
void cnx_f32_dwconv7x7_ln(cnx_isa isa, const cnx_f32_dwconv7x7_ln_params* params, size_t row_begin, size_t row_end);

/// `cnx_f32_dwconv7x7_ln` over all rows, one output row per task on `pool` (NULL: this thread).
void cnx_f32_dwconv7x7_ln_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_f32_dwconv7x7_ln_params* params);

// MARK: - LayerNorm, GRN, GELU

/// `f32-layernorm__isa`: LayerNorm over the `channels` of each row in `[row_begin, row_end)`,
/// as in `cnx_f32_dwconv7x7_ln`. `gamma`/`beta` NULL means 1/0. `output` may equal `input`.
void cnx_f32_layernorm(
    cnx_isa isa, const float* input, float* output, size_t channels, const float* gamma, const float* beta,
    float eps, size_t row_begin, size_t row_end);

/// `f32-sumsq__isa`: `sums[c] += (double)(x[p, c] · x[p, c])` (square rounded to float, added in
/// double) for pixels `p` in `[pixel_begin, pixel_end)` in increasing order: the same sums on every
/// ISA. The caller zeroes `sums` (`[channels]` doubles). GRN's global norm.
void cnx_f32_sumsq(
    cnx_isa isa, const float* input, size_t channels, size_t pixel_begin, size_t pixel_end, double* sums);

/// `f32-scalebias__isa`: `data[r, c] = data[r, c] · scale[c] + bias[c]` in place (multiply and
/// add each rounded), rows `[row_begin, row_end)`. GRN once its norm is known.
void cnx_f32_scalebias(
    cnx_isa isa, float* data, size_t channels, const float* scale, const float* bias, size_t row_begin,
    size_t row_end);

/// `f32-gelu__isa`: `data[i] = gelu(data[i])` in place, the same lane-wise function as the GEMM's
/// GELU epilogue. Exact GELU `0.5 x (1 + erf(x/√2))`; absolute error ≤ ~1e-7 · max(1, |x|).
void cnx_f32_gelu(cnx_isa isa, float* data, size_t count);

#ifdef __cplusplus
}
#endif

// The int8 kernels (u8 x s8 pointwise GEMM, GRN statistics, quantization).
#include "cnx_qkernels.h"
#endif
