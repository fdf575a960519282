// Weight packing for the pointwise GEMM and the depthwise 7x7: done once at load time, into
// buffers the caller owns.
#include "internal.h"
#include <string.h>

size_t cnx_f32_pwconv_packed_size(size_t n, size_t k) {
    return cnx_pw_panels(n) * (k + 1) * CNX_PW_PANEL * sizeof(float);
}

void cnx_f32_pwconv_pack(size_t n, size_t k, const float* weights, const float* bias, float* packed) {
    memset(packed, 0, cnx_f32_pwconv_packed_size(n, k));
    for (size_t j = 0; j < n; j++) {
        float* panel = packed + (j / CNX_PW_PANEL) * (k + 1) * CNX_PW_PANEL + j % CNX_PW_PANEL;
        panel[0] = bias[j];
        for (size_t kk = 0; kk < k; kk++) panel[(kk + 1) * CNX_PW_PANEL] = weights[j * k + kk];
    }
}

size_t cnx_f32_dwconv7x7_packed_size(size_t c) { return 50 * cnx_dw_padded_channels(c) * sizeof(float); }

void cnx_f32_dwconv7x7_pack(size_t c, const float* weights, const float* bias, float* packed) {
    size_t cp = cnx_dw_padded_channels(c);
    memset(packed, 0, cnx_f32_dwconv7x7_packed_size(c));
    for (size_t ch = 0; ch < c; ch++) {
        for (size_t t = 0; t < 49; t++) packed[t * cp + ch] = weights[ch * 49 + t];
        packed[49 * cp + ch] = bias[ch];
    }
}
