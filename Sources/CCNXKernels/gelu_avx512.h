#ifndef CNX_GELU_AVX512_H
#define CNX_GELU_AVX512_H
// Exact GELU on 16 lanes (see gelu_coefficients.h), for the GEMM epilogue and f32-gelu__avx512.
#include <immintrin.h>
#include "gelu_coefficients.h"

#define CNX_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,fma")))

static inline CNX_AVX512 __m512 cnx_gelu_avx512(__m512 x) {
    const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(CNX_SQRT1_2));
    const __m512 mag = _mm512_abs_ps(z);
    const __m512 a = _mm512_min_ps(mag, _mm512_set1_ps(CNX_ERF_TAIL_LIMIT));
    const __m512 t = _mm512_mul_ps(a, a);
    __m512 ps = _mm512_fmadd_ps(_mm512_set1_ps(CNX_ERF_P4), t, _mm512_set1_ps(CNX_ERF_P3));
    ps = _mm512_fmadd_ps(ps, t, _mm512_set1_ps(CNX_ERF_P2));
    ps = _mm512_fmadd_ps(ps, t, _mm512_set1_ps(CNX_ERF_P1));
    ps = _mm512_fmadd_ps(ps, t, _mm512_set1_ps(CNX_ERF_P0));
    __m512 pn = _mm512_fmadd_ps(_mm512_set1_ps(CNX_ERFC_N4), a, _mm512_set1_ps(CNX_ERFC_N3));
    pn = _mm512_fmadd_ps(pn, a, _mm512_set1_ps(CNX_ERFC_N2));
    pn = _mm512_fmadd_ps(pn, a, _mm512_set1_ps(CNX_ERFC_N1));
    pn = _mm512_fmadd_ps(pn, a, _mm512_set1_ps(CNX_ERFC_N0));
    __m512 pd = _mm512_fmadd_ps(_mm512_set1_ps(CNX_ERFC_D4), a, _mm512_set1_ps(CNX_ERFC_D3));
    pd = _mm512_fmadd_ps(pd, a, _mm512_set1_ps(CNX_ERFC_D2));
    pd = _mm512_fmadd_ps(pd, a, _mm512_set1_ps(CNX_ERFC_D1));
    pd = _mm512_fmadd_ps(pd, a, _mm512_set1_ps(CNX_ERFC_D0));
    // exp(−t)
    const __m512 magic = _mm512_set1_ps(CNX_EXP_MAGIC);
    const __m512 v = _mm512_sub_ps(_mm512_setzero_ps(), t);
    const __m512 shifted = _mm512_fmadd_ps(v, _mm512_set1_ps(CNX_EXP_LOG2E), magic);
    const __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CNX_EXP_LN2_HI), v);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CNX_EXP_LN2_LO), r);
    __m512 e = _mm512_fmadd_ps(_mm512_set1_ps(CNX_EXP_C6), r, _mm512_set1_ps(CNX_EXP_C5));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(CNX_EXP_C4));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(CNX_EXP_C3));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(CNX_EXP_C2));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(CNX_EXP_C1));
    e = _mm512_fmadd_ps(e, r, _mm512_set1_ps(CNX_EXP_C0));
    const __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic)),
                         _mm512_set1_epi32(127)), 23);
    e = _mm512_mul_ps(e, _mm512_castsi512_ps(bits));
    __m512 erfc = _mm512_mul_ps(e, _mm512_div_ps(pn, pd));
    erfc = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(mag, _mm512_set1_ps(CNX_ERF_TAIL_LIMIT), _CMP_LE_OQ), erfc);
    __m512 one_plus = _mm512_mask_sub_ps(erfc, _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ),
                                         _mm512_set1_ps(2.0f), erfc);
    one_plus = _mm512_mask_mov_ps(one_plus, _mm512_cmp_ps_mask(mag, _mm512_set1_ps(CNX_ERF_SMALL_LIMIT), _CMP_LT_OQ),
                                  _mm512_fmadd_ps(z, ps, _mm512_set1_ps(1.0f)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), one_plus);
}
#endif
