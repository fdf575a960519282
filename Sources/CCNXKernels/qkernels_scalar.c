// The int8 __scalar kernels and the int8 weight packing: portable C, the plainest statement of
// each kernel's arithmetic (exact int32 sums, then `cnx_q_epilogue_one`).
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

/// One row x one panel at a time: 16 int32 sums fed group by group from the packed layout.
static void qpwconv_scalar(
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

static void sumsq_scalar(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                         int64_t* sums) {
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* row = x + r * channels;
        for (size_t c = 0; c < channels; c++) {
            const int64_t d = (int64_t)row[c] - zp;
            sums[c] += d * d;
        }
    }
}

static void quantize_scalar(const float* x, size_t count, float inverse_scale, int32_t zp, uint8_t* out) {
    for (size_t i = 0; i < count; i++) {
        const float f = x[i] * inverse_scale;
        out[i] = cnx_q_requantize(f, zp);
    }
}

static void channel_affine_scalar(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                                  size_t row_end, int32_t zp, const float* multiplier, const float* offset) {
    for (size_t r = row_begin; r < row_end; r++)
        for (size_t c = 0; c < channels; c++)
            out[r * channels + c] = cnx_q_channel_affine_one(x[r * channels + c], zp, multiplier[c], offset[c]);
}

const cnx_qkernel_table cnx_qkernels_scalar = {
    .pwconv = qpwconv_scalar, .pwconv_rows = 1, .sumsq = sumsq_scalar, .quantize = quantize_scalar,
    .channel_affine = channel_affine_scalar,
    .names = CNX_QNAMES("scalar"),
};
