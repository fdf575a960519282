// The __neon kernel tables: f32 (internal.h) and int8 (qinternal.h).
#if defined(__aarch64__)
#include "internal.h"
#include "qinternal.h"

const cnx_kernel_table cnx_kernels_neon = {
    .pwconv = cnx_f32_pwconv_neon, .pwconv_rows = CNX_F32_PWCONV_ROWS_NEON, .dwconv_ln = cnx_f32_dwconv7x7_ln_neon,
    .layernorm = cnx_f32_layernorm_neon, .sumsq = cnx_f32_sumsq_neon, .scalebias = cnx_f32_scalebias_neon,
    .gelu = cnx_f32_gelu_neon,
};

const cnx_qkernel_table cnx_qkernels_neon = {
    .pwconv = cnx_qu8_pwconv_neon, .pwconv_rows = 1, .sumsq = cnx_u8_sumsq_neon, .quantize = cnx_f32_quantize_u8_neon,
    .channel_affine = cnx_u8_channel_affine_neon,
    .names = CNX_QNAMES("neon"),
};

/// The GEMM's names carry the variant; the other int8 kernels are the plain NEON ones.
#define CNX_QNAMES_ARM(gemm)                                                                        \
    {"qu8-pwconv-f32__" gemm, "qu8-pwconv-f32-residual__" gemm, "qu8-pwconv-u8__" gemm,             \
     "qu8-pwconv-u8-table__" gemm, "u8-sumsq__neon", "f32-quantize-u8__neon", "u8-channel-affine__neon"}

const cnx_qkernel_table cnx_qkernels_neondot = {
    .pwconv = cnx_qu8_pwconv_neondot, .pwconv_rows = CNX_QU8_PWCONV_ROWS_NEONDOT, .sumsq = cnx_u8_sumsq_neon,
    .quantize = cnx_f32_quantize_u8_neon, .channel_affine = cnx_u8_channel_affine_neon,
    .names = CNX_QNAMES_ARM("neondot"),
};

const cnx_qkernel_table cnx_qkernels_neoni8mm = {
    .pwconv = cnx_qu8_pwconv_neoni8mm, .pwconv_rows = CNX_QU8_PWCONV_ROWS_NEONI8MM, .sumsq = cnx_u8_sumsq_neon,
    .quantize = cnx_f32_quantize_u8_neon, .channel_affine = cnx_u8_channel_affine_neon,
    .names = CNX_QNAMES_ARM("neoni8mm"),
};
#endif
