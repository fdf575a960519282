// qu8-pwconv weight packing (every ISA reads this layout, which a `.cnx` file stores).
#include "qinternal.h"

size_t cnx_qu8_pwconv_packed_size(size_t output_channels, size_t input_channels) {
    return cnx_qpw_panels(output_channels) * cnx_qpw_panel_bytes(input_channels);
}

void cnx_qu8_pwconv_pack(
    size_t n, size_t k, const int8_t* weights, int8_t* packed, int32_t* column_sums) {
    const size_t panel_bytes = cnx_qpw_panel_bytes(k);
    memset(packed, 0, cnx_qu8_pwconv_packed_size(n, k));
    for (size_t o = 0; o < n; o++) {
        int8_t* panel = packed + o / CNX_QPW_PANEL * panel_bytes + o % CNX_QPW_PANEL * CNX_QPW_KGROUP;
        int32_t sum = 0;
        for (size_t i = 0; i < k; i++) {
            const int8_t w = weights[o * k + i];
            panel[i / CNX_QPW_KGROUP * (CNX_QPW_PANEL * CNX_QPW_KGROUP) + i % CNX_QPW_KGROUP] = w;
            sum += w;
        }
        if (column_sums != NULL) column_sums[o] = sum;
    }
}
