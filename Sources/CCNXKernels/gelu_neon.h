#ifndef CNX_GELU_NEON_H
#define CNX_GELU_NEON_H
// Exact GELU on 4 lanes with the shared fits (gelu_coefficients.h), for f32-pwconv-gelu__neon and f32-gelu__neon.
#include <arm_neon.h>
#include "gelu_coefficients.h"

static inline float32x4_t gelu_neon(float32x4_t x) {
    const float32x4_t z = vmulq_n_f32(x, CNX_SQRT1_2);
    const float32x4_t mag = vabsq_f32(z);
    const float32x4_t a = vminq_f32(mag, vdupq_n_f32(CNX_ERF_TAIL_LIMIT));
    const float32x4_t t = vmulq_f32(a, a);
    float32x4_t ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P3), vdupq_n_f32(CNX_ERF_P4), t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P2), ps, t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P1), ps, t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P0), ps, t);
    float32x4_t pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N3), vdupq_n_f32(CNX_ERFC_N4), a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N2), pn, a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N1), pn, a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N0), pn, a);
    float32x4_t pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D3), vdupq_n_f32(CNX_ERFC_D4), a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D2), pd, a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D1), pd, a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D0), pd, a);
    const float32x4_t magic = vdupq_n_f32(CNX_EXP_MAGIC);
    const float32x4_t v = vnegq_f32(t);
    const float32x4_t shifted = vfmaq_f32(magic, v, vdupq_n_f32(CNX_EXP_LOG2E));
    const float32x4_t n = vsubq_f32(shifted, magic);
    float32x4_t r = vfmsq_f32(v, n, vdupq_n_f32(CNX_EXP_LN2_HI));
    r = vfmsq_f32(r, n, vdupq_n_f32(CNX_EXP_LN2_LO));
    float32x4_t e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C5), vdupq_n_f32(CNX_EXP_C6), r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C4), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C3), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C2), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C1), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C0), e, r);
    const int32x4_t bits = vshlq_n_s32(
        vaddq_s32(vsubq_s32(vreinterpretq_s32_f32(shifted), vreinterpretq_s32_f32(magic)), vdupq_n_s32(127)), 23);
    e = vmulq_f32(e, vreinterpretq_f32_s32(bits));
    float32x4_t erfc = vmulq_f32(e, vdivq_f32(pn, pd));
    erfc = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(erfc), vcleq_f32(mag, vdupq_n_f32(CNX_ERF_TAIL_LIMIT))));
    float32x4_t one_plus = vbslq_f32(vcgtq_f32(z, vdupq_n_f32(0.0f)), vsubq_f32(vdupq_n_f32(2.0f), erfc), erfc);
    one_plus = vbslq_f32(vcltq_f32(mag, vdupq_n_f32(CNX_ERF_SMALL_LIMIT)), vfmaq_f32(vdupq_n_f32(1.0f), z, ps), one_plus);
    return vmulq_f32(vmulq_n_f32(x, 0.5f), one_plus);
}
#endif
