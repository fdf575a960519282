// qu8-pwconv-*__avx512vnni: 12 rows x 32 columns (two packed panels) of zmm int32 accumulators
// (24 of the 32 registers), one `vpdpbusd` per row, panel and 4-input group (16 lanes x 4
// products, exact in int32); a lone last panel takes a 12x16 tile. Measured here (AMD EPYC with
// AVX-512 VNNI, 1 thread): 12 rows beat 8 by ~10-15%, 14 and 16 rows gain nothing. Row remainders use the same code with fewer rows. The epilogue
// converts, multiplies (and adds, or rounds and clamps) lane-wise exactly as `cnx_q_epilogue_one`.
// sumsq, quantize and channel-affine reuse the AVX2 ones (memory-bound). Two variants of the GEMM
// (qpwconv_avx512_body.h): VNNI, and VNNI + VBMI, whose u8-table epilogue looks up 16 codes with two
// `vpermi2b` and a blend instead of 16 scalar loads (AMD EPYC, 1 thread: the Atto GELU GEMMs went
// from 60-105 to 220-400 GMAC/s, within ~5-15% of the plain u8 epilogue).
#if defined(__x86_64__)
#include <immintrin.h>
#include "qinternal.h"

#define CNX_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define CNX_VBMI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni,avx512vbmi")))
#define MR 12

static inline __mmask16 lanes(size_t valid) {
    return valid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << valid) - 1);
}

#define CNX_QV(name) name##_vnni
#define CNX_QV_TARGET CNX_VNNI
#define CNX_QV_VBMI 0
#include "qpwconv_avx512_body.h"
#undef CNX_QV
#undef CNX_QV_TARGET
#undef CNX_QV_VBMI

#define CNX_QV(name) name##_vbmi
#define CNX_QV_TARGET CNX_VBMI
#define CNX_QV_VBMI 1
#include "qpwconv_avx512_body.h"
#undef CNX_QV
#undef CNX_QV_TARGET
#undef CNX_QV_VBMI

void cnx_u8_sumsq_avx2(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                       int64_t* sums);
void cnx_f32_quantize_u8_avx2(const float* x, size_t count, float inverse_scale, int32_t zp, uint8_t* out);
void cnx_u8_channel_affine_avx2(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin, size_t row_end,
                                int32_t zp, const float* multiplier, const float* offset);

const cnx_qkernel_table cnx_qkernels_avx512vnni = {
    .pwconv = qpwconv_vnni, .pwconv_rows = MR, .sumsq = cnx_u8_sumsq_avx2,
    .quantize = cnx_f32_quantize_u8_avx2, .channel_affine = cnx_u8_channel_affine_avx2,
    .names = {"qu8-pwconv-f32__avx512vnni", "qu8-pwconv-f32-residual__avx512vnni", "qu8-pwconv-u8__avx512vnni",
              "qu8-pwconv-u8-table__avx512vnni", "u8-sumsq__avx2", "f32-quantize-u8__avx2", "u8-channel-affine__avx2"},
};

const cnx_qkernel_table cnx_qkernels_avx512vbmi = {
    .pwconv = qpwconv_vbmi, .pwconv_rows = MR, .sumsq = cnx_u8_sumsq_avx2,
    .quantize = cnx_f32_quantize_u8_avx2, .channel_affine = cnx_u8_channel_affine_avx2,
    .names = {"qu8-pwconv-f32__avx512vnni", "qu8-pwconv-f32-residual__avx512vnni", "qu8-pwconv-u8__avx512vnni",
              "qu8-pwconv-u8-table__avx512vbmi", "u8-sumsq__avx2", "f32-quantize-u8__avx2", "u8-channel-affine__avx2"},
};
#endif
