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
#endif
