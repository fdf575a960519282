// f32-pwconv-{none,gelu,residual}__avx512: 8 rows x 32 columns of zmm accumulators (16 of the 32
// registers), two 16-wide packed panels per tile; a lone last panel takes an 8x16 tile. Row
// remainders use the same code with fewer rows, so every element sees the same operations.
// Measured on Zen 5: 8x32 and 6x32 run ~130 GMAC/s at K >= 160; 12x32 (24 accumulators) only ~57,
// 12x16 ~115.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx512.h"

#define MR CNX_F32_PWCONV_ROWS_AVX512

/// Epilogue and store of one accumulator vector: `cols` lanes valid (mask), GELU or residual lane-wise.
static inline CNX_AVX512 __attribute__((always_inline)) void store_lanes(
    __m512 acc, __mmask16 mask, cnx_epilogue epilogue, const float* res, float* out) {
    if (epilogue == cnx_epilogue_gelu) acc = cnx_gelu_avx512(acc);
    else if (epilogue == cnx_epilogue_residual) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mask, res));
    _mm512_mask_storeu_ps(out, mask, acc);
}

/// `mr` rows (a constant after inlining) x `nv` panels (1 or 2) of 16 columns; `wq`: weight-only
/// int8 panels (`qpanel`, scaled by `scale` at the end) instead of float ones.
static inline CNX_AVX512 __attribute__((always_inline)) void tile(
    size_t mr, size_t nv, bool wq, size_t k, const float* a, const float* panel, const int8_t* qpanel,
    size_t panel_stride, const float* bias, const float* scale, __mmask16 mask0, __mmask16 mask1,
    cnx_epilogue epilogue, const float* res, float* out, size_t n) {
    __m512 acc0[MR], acc1[MR];
    const __m512 b0 = _mm512_loadu_ps(bias);
    const __m512 b1 = nv > 1 ? _mm512_loadu_ps(bias + CNX_PW_PANEL) : b0;
    for (size_t i = 0; i < mr; i++) {
        acc0[i] = wq ? _mm512_setzero_ps() : b0;
        acc1[i] = wq ? _mm512_setzero_ps() : b1;
    }
    const float* w0 = panel;
    const float* w1 = w0 + panel_stride;
    const int8_t* q0 = qpanel;
    const int8_t* q1 = q0 + panel_stride;
    for (size_t kk = 0; kk < k; kk++) {
        __m512 v0, v1;
        if (wq) {
            v0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(q0 + kk * CNX_PW_PANEL))));
            v1 = nv > 1 ? _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(q1 + kk * CNX_PW_PANEL))))
                        : v0;
        } else {
            v0 = _mm512_loadu_ps(w0 + kk * CNX_PW_PANEL);
            v1 = nv > 1 ? _mm512_loadu_ps(w1 + kk * CNX_PW_PANEL) : v0;
        }
        for (size_t i = 0; i < mr; i++) {
            const __m512 x = _mm512_set1_ps(a[i * k + kk]);
            acc0[i] = _mm512_fmadd_ps(x, v0, acc0[i]);
            if (nv > 1) acc1[i] = _mm512_fmadd_ps(x, v1, acc1[i]);
        }
    }
    if (wq) {
        const __m512 s0 = _mm512_loadu_ps(scale);
        const __m512 s1 = nv > 1 ? _mm512_loadu_ps(scale + CNX_PW_PANEL) : s0;
        for (size_t i = 0; i < mr; i++) {
            acc0[i] = _mm512_fmadd_ps(acc0[i], s0, b0);
            if (nv > 1) acc1[i] = _mm512_fmadd_ps(acc1[i], s1, b1);
        }
    }
    for (size_t i = 0; i < mr; i++) {
        store_lanes(acc0[i], mask0, epilogue, res + i * n, out + i * n);
        if (nv > 1) store_lanes(acc1[i], mask1, epilogue, res + i * n + 16, out + i * n + 16);
    }
}

#define TILE_CASE(R)                                                                                          \
    case R:                                                                                                   \
        if (wq) {                                                                                             \
            if (nv > 1) tile(R, 2, true, k, a, panel, qpanel, stride, bias, scale, mask0, mask1, epilogue, res, out, n); \
            else tile(R, 1, true, k, a, panel, qpanel, stride, bias, scale, mask0, mask1, epilogue, res, out, n);        \
        } else {                                                                                              \
            if (nv > 1) tile(R, 2, false, k, a, panel, qpanel, stride, bias, scale, mask0, mask1, epilogue, res, out, n); \
            else tile(R, 1, false, k, a, panel, qpanel, stride, bias, scale, mask0, mask1, epilogue, res, out, n);        \
        }                                                                                                     \
        break;

static CNX_AVX512 void tile_any(
    size_t mr, size_t nv, bool wq, size_t k, const float* a, const float* panel, const int8_t* qpanel, size_t stride,
    const float* bias, const float* scale, __mmask16 mask0, __mmask16 mask1, cnx_epilogue epilogue, const float* res,
    float* out, size_t n) {
    switch (mr) {
        TILE_CASE(8) TILE_CASE(7)
        TILE_CASE(6) TILE_CASE(5) TILE_CASE(4) TILE_CASE(3) TILE_CASE(2) TILE_CASE(1)
        default: break;
    }
}

CNX_AVX512 void cnx_f32_pwconv_avx512(
    const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels;
    const size_t stride = k * CNX_PW_PANEL;
    const size_t group = cnx_pw_group_panels(k);
    const float* res_base = p->epilogue == cnx_epilogue_residual ? p->residual : p->output;
    const bool wq = p->weight_scale != NULL;
    for (size_t g = panel_begin; g < panel_end; g += group) {
        const size_t g_end = g + group < panel_end ? g + group : panel_end;
        for (size_t r = row_begin; r < row_end; r += MR) {
            const size_t mr = row_end - r < MR ? row_end - r : MR;
            for (size_t q = g; q < g_end; q += 2) {
                const size_t nv = q + 1 < g_end ? 2 : 1;
                const size_t col = q * CNX_PW_PANEL;
                const __mmask16 mask0 = lanes(n - col);
                const __mmask16 mask1 = nv > 1 ? lanes(n - col - 16) : 0;
                tile_any(mr, nv, wq, k, p->input + r * k, wq ? NULL : p->packed_weights + q * stride,
                         wq ? p->packed_weights_i8 + q * stride : NULL, stride, p->bias + col,
                         wq ? p->weight_scale + col : NULL, mask0, mask1, p->epilogue, res_base + r * n + col,
                         p->output + r * n + col, n);
            }
        }
    }
}

#endif
