// The __avx2 kernel tables: f32 (internal.h) and int8 (qinternal.h).
#if defined(__x86_64__)
#include "internal.h"
#include "qinternal.h"

const cnx_kernel_table cnx_kernels_avx2 = {
    .pwconv = cnx_f32_pwconv_avx2, .pwconv_rows = CNX_F32_PWCONV_ROWS_AVX2, .dwconv_ln = cnx_f32_dwconv7x7_ln_avx2,
    .layernorm = cnx_f32_layernorm_avx2, .sumsq = cnx_f32_sumsq_avx2, .scalebias = cnx_f32_scalebias_avx2,
    .gelu = cnx_f32_gelu_avx2,
};

const cnx_qkernel_table cnx_qkernels_avx2 = {
    .pwconv = cnx_qu8_pwconv_avx2, .pwconv_rows = CNX_QU8_PWCONV_ROWS_AVX2, .sumsq = cnx_u8_sumsq_avx2,
    .quantize = cnx_f32_quantize_u8_avx2, .channel_affine = cnx_u8_channel_affine_avx2,
    .names = CNX_QNAMES("avx2"),
};
#endif
