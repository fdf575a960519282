// f32-pwconv-{none,gelu,residual}__scalar: portable C, one row x one 16-wide panel at a time.
#include <math.h>
#include "internal.h"
#include "gelu_scalar.h"

/// One row x one 16-wide panel at a time: the accumulation order per element is the vector kernels'.
void cnx_f32_pwconv_scalar(
    const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels;
    const size_t stride = k * CNX_PW_PANEL;
    const float* res_base = p->epilogue == cnx_epilogue_residual ? p->residual : p->output;
    for (size_t r = row_begin; r < row_end; r++) {
        const float* a = p->input + r * k;
        for (size_t q = panel_begin; q < panel_end; q++) {
            const float* bias = p->bias + q * CNX_PW_PANEL;
            float acc[CNX_PW_PANEL];
            if (p->weight_scale != NULL) {
                // Weight-only int8: integer-valued float weights, then one scale-and-bias step.
                const int8_t* panel = p->packed_weights_i8 + q * stride;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = 0.0f;
                for (size_t kk = 0; kk < k; kk++) {
                    const float x = a[kk];
                    const int8_t* w = panel + kk * CNX_PW_PANEL;
                    for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] += x * (float)w[j];
                }
                const float* scale = p->weight_scale + q * CNX_PW_PANEL;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = fmaf(acc[j], scale[j], bias[j]);
            } else {
                const float* panel = p->packed_weights + q * stride;
                for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] = bias[j];
                for (size_t kk = 0; kk < k; kk++) {
                    const float x = a[kk];
                    const float* w = panel + kk * CNX_PW_PANEL;
                    for (size_t j = 0; j < CNX_PW_PANEL; j++) acc[j] += x * w[j];
                }
            }
            const size_t col = q * CNX_PW_PANEL;
            const size_t cols = n - col < CNX_PW_PANEL ? n - col : CNX_PW_PANEL;
            const float* res = res_base + r * n + col;
            float* out = p->output + r * n + col;
            for (size_t j = 0; j < cols; j++) {
                float v = acc[j];
                if (p->epilogue == cnx_epilogue_gelu) v = cnx_gelu_scalar(v);
                else if (p->epilogue == cnx_epilogue_residual) v += res[j];
                out[j] = v;
            }
        }
    }
}
