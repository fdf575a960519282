// The __scalar kernel tables: f32 (internal.h) and int8 (qinternal.h).
#include "internal.h"
#include "qinternal.h"

const cnx_kernel_table cnx_kernels_scalar = {
    .pwconv = cnx_f32_pwconv_scalar, .pwconv_rows = CNX_F32_PWCONV_ROWS_SCALAR, .dwconv_ln = cnx_f32_dwconv7x7_ln_scalar,
    .layernorm = cnx_f32_layernorm_scalar, .sumsq = cnx_f32_sumsq_scalar, .scalebias = cnx_f32_scalebias_scalar,
    .gelu = cnx_f32_gelu_scalar,
};

const cnx_qkernel_table cnx_qkernels_scalar = {
    .pwconv = cnx_qu8_pwconv_scalar, .pwconv_rows = 1, .sumsq = cnx_u8_sumsq_scalar, .quantize = cnx_f32_quantize_u8_scalar,
    .channel_affine = cnx_u8_channel_affine_scalar,
    .names = CNX_QNAMES("scalar"),
};
