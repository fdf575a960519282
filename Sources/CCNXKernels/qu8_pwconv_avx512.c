// qu8-pwconv-*__avx512vnni: 12 rows x 32 columns (two packed panels) of zmm int32 accumulators
// (24 of the 32 registers), one `vpdpbusd` per row, panel and 4-input group (16 lanes x 4
// products, exact in int32); a lone last panel takes a 12x16 tile. Measured here (AMD EPYC with
// AVX-512 VNNI, 1 thread): 12 rows beat 8 by ~10-15%, 14 and 16 rows gain nothing. Row remainders use the same code with fewer rows. The epilogue
// converts, multiplies (and adds, or rounds and clamps) lane-wise exactly as `cnx_q_epilogue_one`.
// u8-sumsq, f32-quantize-u8 and u8-channel-affine: the AVX2 ones (memory-bound; tables_avx512.c). Two variants of the GEMM
// (qu8_pwconv_avx512_body.h): VNNI, and VNNI + VBMI, whose u8-table epilogue looks up 16 codes with two
// `vpermi2b` and a blend instead of 16 scalar loads (AMD EPYC, 1 thread: the Atto GELU GEMMs went
// from 60-105 to 220-400 GMAC/s, within ~5-15% of the plain u8 epilogue).
#if defined(__x86_64__)
#include <immintrin.h>
#include "qinternal.h"

#define CNX_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define CNX_VBMI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni,avx512vbmi")))
#define MR CNX_QU8_PWCONV_ROWS_AVX512

static inline __mmask16 lanes(size_t valid) {
    return valid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << valid) - 1);
}

#define CNX_QV(name) name##_vnni
#define CNX_QV_TARGET CNX_VNNI
#define CNX_QV_VBMI 0
#include "qu8_pwconv_avx512_body.h"
#undef CNX_QV
#undef CNX_QV_TARGET
#undef CNX_QV_VBMI

#define CNX_QV(name) name##_vbmi
#define CNX_QV_TARGET CNX_VBMI
#define CNX_QV_VBMI 1
#include "qu8_pwconv_avx512_body.h"
#undef CNX_QV
#undef CNX_QV_TARGET
#undef CNX_QV_VBMI
#endif
