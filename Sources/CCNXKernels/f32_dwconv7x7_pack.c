// f32-dwconv7x7 weight packing, for callers that start from plain row-major values (a `.cnx` file
// already stores this layout).
#include "internal.h"
#include <string.h>

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
