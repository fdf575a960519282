#ifndef CNX_GELU_AVX2_H
#define CNX_GELU_AVX2_H
// Exact GELU on 8 lanes (see gelu_coefficients.h), for the GEMM epilogue and f32-gelu__avx2.
#include <immintrin.h>
#include "gelu_coefficients.h"

#define CNX_AVX2 __attribute__((target("avx2,fma")))

static inline CNX_AVX2 __m256 cnx_gelu_avx2(__m256 x) {
    const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(CNX_SQRT1_2));
    const __m256 mag = _mm256_and_ps(z, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
    const __m256 a = _mm256_min_ps(mag, _mm256_set1_ps(CNX_ERF_TAIL_LIMIT));
    const __m256 t = _mm256_mul_ps(a, a);
    __m256 ps = _mm256_fmadd_ps(_mm256_set1_ps(CNX_ERF_P4), t, _mm256_set1_ps(CNX_ERF_P3));
    ps = _mm256_fmadd_ps(ps, t, _mm256_set1_ps(CNX_ERF_P2));
    ps = _mm256_fmadd_ps(ps, t, _mm256_set1_ps(CNX_ERF_P1));
    ps = _mm256_fmadd_ps(ps, t, _mm256_set1_ps(CNX_ERF_P0));
    __m256 pn = _mm256_fmadd_ps(_mm256_set1_ps(CNX_ERFC_N4), a, _mm256_set1_ps(CNX_ERFC_N3));
    pn = _mm256_fmadd_ps(pn, a, _mm256_set1_ps(CNX_ERFC_N2));
    pn = _mm256_fmadd_ps(pn, a, _mm256_set1_ps(CNX_ERFC_N1));
    pn = _mm256_fmadd_ps(pn, a, _mm256_set1_ps(CNX_ERFC_N0));
    __m256 pd = _mm256_fmadd_ps(_mm256_set1_ps(CNX_ERFC_D4), a, _mm256_set1_ps(CNX_ERFC_D3));
    pd = _mm256_fmadd_ps(pd, a, _mm256_set1_ps(CNX_ERFC_D2));
    pd = _mm256_fmadd_ps(pd, a, _mm256_set1_ps(CNX_ERFC_D1));
    pd = _mm256_fmadd_ps(pd, a, _mm256_set1_ps(CNX_ERFC_D0));
    const __m256 magic = _mm256_set1_ps(CNX_EXP_MAGIC);
    const __m256 v = _mm256_sub_ps(_mm256_setzero_ps(), t);
    const __m256 shifted = _mm256_fmadd_ps(v, _mm256_set1_ps(CNX_EXP_LOG2E), magic);
    const __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CNX_EXP_LN2_HI), v);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CNX_EXP_LN2_LO), r);
    __m256 e = _mm256_fmadd_ps(_mm256_set1_ps(CNX_EXP_C6), r, _mm256_set1_ps(CNX_EXP_C5));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(CNX_EXP_C4));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(CNX_EXP_C3));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(CNX_EXP_C2));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(CNX_EXP_C1));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(CNX_EXP_C0));
    const __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic)),
                         _mm256_set1_epi32(127)), 23);
    e = _mm256_mul_ps(e, _mm256_castsi256_ps(bits));
    __m256 erfc = _mm256_mul_ps(e, _mm256_div_ps(pn, pd));
    erfc = _mm256_and_ps(erfc, _mm256_cmp_ps(mag, _mm256_set1_ps(CNX_ERF_TAIL_LIMIT), _CMP_LE_OQ));
    __m256 one_plus = _mm256_blendv_ps(erfc, _mm256_sub_ps(_mm256_set1_ps(2.0f), erfc),
                                       _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ));
    one_plus = _mm256_blendv_ps(one_plus, _mm256_fmadd_ps(z, ps, _mm256_set1_ps(1.0f)),
                                _mm256_cmp_ps(mag, _mm256_set1_ps(CNX_ERF_SMALL_LIMIT), _CMP_LT_OQ));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), one_plus);
}
#endif
