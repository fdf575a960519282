// qu8-pwconv-*__scalar: portable C, exact int32 sums, then `cnx_q_epilogue_one`.
#include "qinternal.h"

/// One row x one panel at a time: 16 int32 sums fed group by group from the packed layout.
void cnx_qu8_pwconv_scalar(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t panel_bytes = cnx_qpw_panel_bytes(k);
    const float* res_base = p->epilogue == cnx_qu8_epilogue_f32_residual ? p->residual : NULL;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* a = p->input + r * p->input_stride;
        for (size_t q = panel_begin; q < panel_end; q++) {
            const int8_t* panel = p->packed_weights + q * panel_bytes;
            const size_t col = q * CNX_QPW_PANEL;
            const size_t cols = n - col < CNX_QPW_PANEL ? n - col : CNX_QPW_PANEL;
            int32_t acc[CNX_QPW_PANEL];
            for (size_t j = 0; j < CNX_QPW_PANEL; j++) acc[j] = j < cols ? p->bias[col + j] : 0;
            for (size_t i = 0; i < k; i++) {
                const int32_t x = a[i];
                const int8_t* w = panel + i / CNX_QPW_KGROUP * (CNX_QPW_PANEL * CNX_QPW_KGROUP) + i % CNX_QPW_KGROUP;
                for (size_t j = 0; j < CNX_QPW_PANEL; j++) acc[j] += x * (int32_t)w[j * CNX_QPW_KGROUP];
            }
            for (size_t j = 0; j < cols; j++)
                cnx_q_epilogue_one(p, acc[j], col + j, res_base ? res_base + r * os : NULL,
                                   p->output_f32 ? p->output_f32 + r * os : NULL,
                                   p->output_u8 ? p->output_u8 + r * os : NULL);
        }
    }
}
