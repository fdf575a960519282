// The public single-threaded entry points: look up the ISA's table, call its kernel.
#include "internal.h"

void cnx_f32_pwconv(cnx_isa isa, const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end) {
    if (row_begin >= row_end) return;
    cnx_kernels_table(isa)->pwconv(p, row_begin, row_end, 0, cnx_pw_panels(p->output_channels));
}

void cnx_f32_dwconv7x7_ln(cnx_isa isa, const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    if (row_begin >= row_end) return;
    const cnx_kernel_table* t = cnx_kernels_table(isa);
    if (p->output_u8 == NULL) { t->dwconv_ln(p, row_begin, row_end); return; }
    // Row by row, so that each row is quantized while it is in L1.
    const size_t row = p->width * p->channels;
    for (size_t y = row_begin; y < row_end; y++) {
        t->dwconv_ln(p, y, y + 1);
        cnx_f32_quantize_u8(isa, p->output + y * row, row, p->inverse_scale, p->zero_point, p->output_u8 + y * row);
    }
}

void cnx_f32_layernorm(cnx_isa isa, const float* input, float* output, size_t channels, const float* gamma,
                       const float* beta, float eps, size_t row_begin, size_t row_end) {
    cnx_kernels_table(isa)->layernorm(input, output, channels, gamma, beta, eps, row_begin, row_end);
}

void cnx_f32_sumsq(cnx_isa isa, const float* input, size_t channels, size_t pixel_begin, size_t pixel_end, double* sums) {
    cnx_kernels_table(isa)->sumsq(input, channels, pixel_begin, pixel_end, sums);
}

void cnx_f32_scalebias(cnx_isa isa, float* data, size_t channels, const float* scale, const float* bias,
                       size_t row_begin, size_t row_end) {
    cnx_kernels_table(isa)->scalebias(data, channels, scale, bias, row_begin, row_end);
}

void cnx_f32_gelu(cnx_isa isa, float* data, size_t count) { cnx_kernels_table(isa)->gelu(data, count); }
