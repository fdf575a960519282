#ifndef CNX_QKERNELS_H
#define CNX_QKERNELS_H
// cnx-edge's int8 kernels: uint8 activations x int8 weights, exact int32 accumulation, then a
// float epilogue whose every step is a named IEEE operation, so Swift can reproduce it bit for bit.
// Included from cnx_kernels.h (`cnx_isa`, `pthreadpool_t`).
//
// Instruction sets: `cnx_isa_avx512` runs AVX-512 VNNI (`vpdpbusd`) where the CPU has it, and
// falls back to the AVX2 kernels where it has AVX-512 without VNNI (see `cnx_qkernel_name`, which
// names the variant that actually runs). `cnx_isa_avx2` widens to int16 and uses `vpmaddwd`: exact
// for any int8 weights, like every other variant.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The int8 kernels, for `cnx_qkernel_name`.
typedef enum cnx_qkernel {
    cnx_qkernel_qu8_pwconv_f32 = 0,
    cnx_qkernel_qu8_pwconv_f32_residual = 1,
    cnx_qkernel_qu8_pwconv_u8 = 2,
    cnx_qkernel_qu8_pwconv_u8_table = 3,
    cnx_qkernel_u8_sumsq = 4,
    cnx_qkernel_f32_quantize_u8 = 5,
    cnx_qkernel_u8_channel_affine = 6,
} cnx_qkernel;

/// Number of `cnx_qkernel` values.
#define CNX_QKERNEL_COUNT 7

/// The name of the variant `isa` runs on this CPU, e.g. "qu8-pwconv-u8__avx512vnni" (or
/// "qu8-pwconv-u8__avx2" for `cnx_isa_avx512` on an AVX-512 CPU without VNNI; the u8-table
/// epilogue is "qu8-pwconv-u8-table__avx512vbmi" where the CPU also has AVX-512 VBMI, whose
/// `vpermi2b` looks the table up 64 bytes at a time); a static string, never NULL. Where `isa` is
/// unsupported, the name it would have with VNNI and VBMI.
const char* cnx_qkernel_name(cnx_qkernel kernel, cnx_isa isa);

// MARK: - Pointwise (1x1) convolution, u8 x s8

/// What the int8 pointwise GEMM does with `acc = bias[n] + Σ_k input[m, k] · W[n, k]` (int32).
/// `(float)acc` is the round-to-nearest int32 → float conversion; each multiply and add below is
/// one IEEE single operation, never fused.
typedef enum cnx_qu8_epilogue {
    /// `output_f32[m, n] = (float)acc · scale[n]`.
    cnx_qu8_epilogue_f32 = 0,
    /// `output_f32[m, n] = residual[m, n] + (float)acc · scale[n]` (multiply, then add);
    /// `residual` may be `output_f32` itself.
    cnx_qu8_epilogue_f32_residual = 1,
    /// `output_u8[m, n] = clamp(nearbyintf((float)acc · scale[n]) + output_zero_point, 0, 255)`,
    /// rounding to nearest, ties to even (the default floating-point environment).
    cnx_qu8_epilogue_u8 = 2,
    /// As `cnx_qu8_epilogue_u8`, then `output_u8[m, n] = table[that value]`.
    cnx_qu8_epilogue_u8_table = 3,
} cnx_qu8_epilogue;

/// Output channels per packed int8 panel, and input channels per packed group.
#define CNX_QPW_PANEL 16
#define CNX_QPW_KGROUP 4

/// Bytes of packed int8 pointwise weights: `[ceil(N / 16)][ceil(K / 4)][16][4]` int8, zero in
/// the padding. The same layout serves every ISA (and is what a `.cnx` file stores).
size_t cnx_qu8_pwconv_packed_size(size_t output_channels, size_t input_channels);

/// Packs `weights` (`[output_channels][input_channels]` int8, row-major) into `packed`
/// (`cnx_qu8_pwconv_packed_size` bytes, any alignment, 64 recommended). If `column_sums` is not
/// NULL, also writes `column_sums[n] = Σ_k weights[n, k]` (`[output_channels]` int32), which the
/// caller folds with the activation zero point into `bias`. Never allocates.
void cnx_qu8_pwconv_pack(
    size_t output_channels, size_t input_channels, const int8_t* weights, int8_t* packed, int32_t* column_sums);

/// Parameters of an int8 pointwise GEMM.
typedef struct cnx_qu8_pwconv_params {
    /// `[rows][input_stride]` uint8; the first `input_channels` of each row are used (the bytes
    /// past them are never read).
    const uint8_t* input;
    /// Bytes between input rows, `>= input_channels`.
    size_t input_stride;
    /// `cnx_qu8_pwconv_pack`'s output for these channel counts.
    const int8_t* packed_weights;
    /// `[output_channels]` int32, the activation zero point already folded in
    /// (`bias - zero_point · column_sums`).
    const int32_t* bias;
    /// `[output_channels]` floats (input scale x weight scale, divided by the output scale for the
    /// u8 epilogues). Finite.
    const float* scale;
    /// `[rows][output_stride]` for `cnx_qu8_epilogue_f32_residual` (may equal `output_f32`), else ignored.
    const float* residual;
    /// `[rows][output_stride]` for the f32 epilogues, else ignored.
    float* output_f32;
    /// `[rows][output_stride]` for the u8 epilogues, else ignored.
    uint8_t* output_u8;
    /// In [0, 255].
    int32_t output_zero_point;
    /// 256 entries for `cnx_qu8_epilogue_u8_table` (e.g. GELU in the quantized domain), else ignored.
    const uint8_t* table;
    size_t input_channels;
    size_t output_channels;
    /// Elements between output (and residual) rows; 0 means `output_channels`.
    size_t output_stride;
    cnx_qu8_epilogue epilogue;
} cnx_qu8_pwconv_params;

/// `qu8-pwconv-{f32,f32-residual,u8,u8-table}__isa`: the epilogue of
/// `acc[m, n] = bias[n] + Σ_k input[m, k] · W[n, k]` for rows `m` in `[row_begin, row_end)`.
///
/// Numerics: the int32 sum is exact (the caller keeps it within int32) for any int8 weights and
/// uint8 activations on every variant (scalar, NEON, AVX2, AVX-512 VNNI), so every ISA, tile and
/// row split gives bit-identical outputs. Never allocates (the AVX2 variant keeps 15 KB of
/// widened activations and partial sums on the stack). Precondition: `cnx_isa_supported(isa)`.
void cnx_qu8_pwconv(cnx_isa isa, const cnx_qu8_pwconv_params* params, size_t row_begin, size_t row_end);

/// `cnx_qu8_pwconv` over rows `[0, rows)` split into row x column tiles on `pool` (NULL: the
/// calling thread). Bit-identical to the single-threaded call for any thread count.
void cnx_qu8_pwconv_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_qu8_pwconv_params* params, size_t rows);

// MARK: - GRN statistics and quantization

/// `u8-sumsq__isa`: `sums[c] += Σ_{r in [row_begin, row_end)} (x[r, c] − zero_point)²` for `x`
/// `[rows][channels]` uint8, exact in int64 (`zero_point` in [0, 255]). GRN's per-channel sum of
/// squares on quantized data. The caller zeroes `sums` (`[channels]`).
void cnx_u8_sumsq(
    cnx_isa isa, const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zero_point,
    int64_t* sums);

/// `f32-quantize-u8__isa`: `out[i] = clamp(nearbyintf(x[i] · inverse_scale) + zero_point, 0, 255)`
/// (one IEEE multiply, round to nearest ties to even, `zero_point` in [0, 255]); NaN gives 0.
/// Bit-identical on every ISA.
void cnx_f32_quantize_u8(
    cnx_isa isa, const float* x, size_t count, float inverse_scale, int32_t zero_point, uint8_t* out);

/// `u8-channel-affine__isa`: GRN's requantization of `x` (`[rows][channels]` uint8) for rows in
/// `[row_begin, row_end)`: `out[r, c] = clamp(nearbyintf((float)(x[r, c] − zero_point) ·
/// multiplier[c] + offset[c]), 0, 255)` — one IEEE multiply, then one add (never fused), round to
/// nearest ties to even; NaN gives 0. `out` may equal `x` (in place); otherwise they must not
/// overlap. Bit-identical on every ISA.
void cnx_u8_channel_affine(
    cnx_isa isa, const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin, size_t row_end,
    int32_t zero_point, const float* multiplier, const float* offset);

#ifdef __cplusplus
}
#endif
#endif
