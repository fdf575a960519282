// The __avx512 kernel tables: f32 (internal.h) and int8 (qinternal.h, VNNI and VBMI variants).
#if defined(__x86_64__)
#include "internal.h"
#include "qinternal.h"

const cnx_kernel_table cnx_kernels_avx512 = {
    .pwconv = cnx_f32_pwconv_avx512, .pwconv_rows = CNX_F32_PWCONV_ROWS_AVX512, .dwconv_ln = cnx_f32_dwconv7x7_ln_avx512,
    .layernorm = cnx_f32_layernorm_avx512, .sumsq = cnx_f32_sumsq_avx512, .scalebias = cnx_f32_scalebias_avx512,
    .gelu = cnx_f32_gelu_avx512,
};

const cnx_qkernel_table cnx_qkernels_avx512vnni = {
    .pwconv = cnx_qu8_pwconv_avx512_vnni, .pwconv_rows = CNX_QU8_PWCONV_ROWS_AVX512, .sumsq = cnx_u8_sumsq_avx2,
    .quantize = cnx_f32_quantize_u8_avx2, .channel_affine = cnx_u8_channel_affine_avx2,
    .names = {"qu8-pwconv-f32__avx512vnni", "qu8-pwconv-f32-residual__avx512vnni", "qu8-pwconv-u8__avx512vnni",
              "qu8-pwconv-u8-table__avx512vnni", "u8-sumsq__avx2", "f32-quantize-u8__avx2", "u8-channel-affine__avx2"},
};

const cnx_qkernel_table cnx_qkernels_avx512vbmi = {
    .pwconv = cnx_qu8_pwconv_avx512_vbmi, .pwconv_rows = CNX_QU8_PWCONV_ROWS_AVX512, .sumsq = cnx_u8_sumsq_avx2,
    .quantize = cnx_f32_quantize_u8_avx2, .channel_affine = cnx_u8_channel_affine_avx2,
    .names = {"qu8-pwconv-f32__avx512vnni", "qu8-pwconv-f32-residual__avx512vnni", "qu8-pwconv-u8__avx512vnni",
              "qu8-pwconv-u8-table__avx512vbmi", "u8-sumsq__avx2", "f32-quantize-u8__avx2", "u8-channel-affine__avx2"},
};
#endif
