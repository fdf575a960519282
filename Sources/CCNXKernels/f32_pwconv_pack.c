// f32-pwconv weight packing, for callers that start from plain row-major values: done once at
// load time, into buffers the caller owns. A `.cnx` file already stores this layout, so a model
// loaded from one is read in place.
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
