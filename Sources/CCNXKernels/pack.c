// Weight packing for the pointwise GEMM and the depthwise 7x7, for callers that start from plain
// row-major values: done once at load time, into buffers the caller owns. A `.cnx` file already
// stores these layouts, so a model loaded from one is read in place.
#include "internal.h"
#include <string.h>

size_t cnx_f32_pwconv_packed_weights_size(size_t n, size_t k) {
    return cnx_pw_panels(n) * k * CNX_PW_PANEL * sizeof(float);
}

size_t cnx_f32_pwconv_packed_bias_size(size_t n) { return cnx_pw_panels(n) * CNX_PW_PANEL * sizeof(float); }

void cnx_f32_pwconv_pack(size_t n, size_t k, const float* weights, const float* bias, float* packed_weights,
                         float* packed_bias) {
    memset(packed_weights, 0, cnx_f32_pwconv_packed_weights_size(n, k));
    memset(packed_bias, 0, cnx_f32_pwconv_packed_bias_size(n));
    for (size_t j = 0; j < n; j++) {
        float* panel = packed_weights + (j / CNX_PW_PANEL) * k * CNX_PW_PANEL + j % CNX_PW_PANEL;
        for (size_t kk = 0; kk < k; kk++) panel[kk * CNX_PW_PANEL] = weights[j * k + kk];
        packed_bias[j] = bias[j];
    }
}

size_t cnx_f32_dwconv7x7_packed_weights_size(size_t c) { return 49 * cnx_dw_padded_channels(c) * sizeof(float); }

size_t cnx_f32_dwconv7x7_packed_bias_size(size_t c) { return cnx_dw_padded_channels(c) * sizeof(float); }

void cnx_f32_dwconv7x7_pack(size_t c, const float* weights, const float* bias, float* packed_weights,
                            float* packed_bias) {
    const size_t cp = cnx_dw_padded_channels(c);
    memset(packed_weights, 0, cnx_f32_dwconv7x7_packed_weights_size(c));
    memset(packed_bias, 0, cnx_f32_dwconv7x7_packed_bias_size(c));
    for (size_t ch = 0; ch < c; ch++) {
        for (size_t t = 0; t < 49; t++) packed_weights[t * cp + ch] = weights[ch * 49 + t];
        packed_bias[ch] = bias[ch];
    }
}
