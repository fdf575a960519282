#ifndef CNX_GELU_SCALAR_H
#define CNX_GELU_SCALAR_H
// Exact GELU on one float (see gelu_coefficients.h): the same steps as the vector versions, each
// multiply and add rounded separately (no fused multiply-add is assumed on the portable build).
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "gelu_coefficients.h"

static inline float cnx_gelu_scalar(float x) {
    const float z = x * CNX_SQRT1_2;
    const float mag = fabsf(z);
    const float a = mag < CNX_ERF_TAIL_LIMIT ? mag : CNX_ERF_TAIL_LIMIT;
    const float t = a * a;
    float ps = CNX_ERF_P4 * t + CNX_ERF_P3;
    ps = ps * t + CNX_ERF_P2;
    ps = ps * t + CNX_ERF_P1;
    ps = ps * t + CNX_ERF_P0;
    float pn = CNX_ERFC_N4 * a + CNX_ERFC_N3;
    pn = pn * a + CNX_ERFC_N2;
    pn = pn * a + CNX_ERFC_N1;
    pn = pn * a + CNX_ERFC_N0;
    float pd = CNX_ERFC_D4 * a + CNX_ERFC_D3;
    pd = pd * a + CNX_ERFC_D2;
    pd = pd * a + CNX_ERFC_D1;
    pd = pd * a + CNX_ERFC_D0;
    const float v = -t;
    const float shifted = v * CNX_EXP_LOG2E + CNX_EXP_MAGIC;
    const float n = shifted - CNX_EXP_MAGIC;
    float r = v - n * CNX_EXP_LN2_HI;
    r = r - n * CNX_EXP_LN2_LO;
    float e = CNX_EXP_C6 * r + CNX_EXP_C5;
    e = e * r + CNX_EXP_C4;
    e = e * r + CNX_EXP_C3;
    e = e * r + CNX_EXP_C2;
    e = e * r + CNX_EXP_C1;
    e = e * r + CNX_EXP_C0;
    int32_t sbits, mbits;
    const float magic = CNX_EXP_MAGIC;
    memcpy(&sbits, &shifted, 4);
    memcpy(&mbits, &magic, 4);
    const int32_t bits = (sbits - mbits + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, 4);
    float erfc = e * scale * (pn / pd);
    if (!(mag <= CNX_ERF_TAIL_LIMIT)) erfc = 0.0f;
    float one_plus = z > 0.0f ? 2.0f - erfc : erfc;
    if (mag < CNX_ERF_SMALL_LIMIT) one_plus = z * ps + 1.0f;
    return 0.5f * x * one_plus;
}
#endif
