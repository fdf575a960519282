// f32-pwconv-{none,gelu,residual}__avx2: 6 rows x 16 columns (one packed panel) of ymm
// accumulators, 12 of the 16 registers, started from the panel's 16 bias floats. Row remainders
// use the same code with fewer rows.
#if defined(__x86_64__)
#include "internal.h"
#include "simd_avx2.h"

#define MR CNX_F32_PWCONV_ROWS_AVX2

static inline CNX_AVX2 __attribute__((always_inline)) void store_lanes(
    __m256 acc, bool full, __m256i mask, cnx_epilogue epilogue, const float* res, float* out) {
    if (epilogue == cnx_epilogue_gelu) acc = cnx_gelu_avx2(acc);
    if (full) {
        if (epilogue == cnx_epilogue_residual) acc = _mm256_add_ps(acc, _mm256_loadu_ps(res));
        _mm256_storeu_ps(out, acc);
    } else {
        if (epilogue == cnx_epilogue_residual) acc = _mm256_add_ps(acc, _mm256_maskload_ps(res, mask));
        _mm256_maskstore_ps(out, mask, acc);
    }
}

/// `mr` rows (a constant after inlining) x one panel; `wq`: weight-only int8 codes (`q`, scaled by
/// `scale` at the end) instead of float weights `w`.
static inline CNX_AVX2 __attribute__((always_inline)) void tile(
    size_t mr, bool wq, size_t k, const float* a, const float* w, const int8_t* q, const float* bias,
    const float* scale, size_t cols, cnx_epilogue epilogue, const float* res, float* out, size_t n) {
    __m256 acc0[MR], acc1[MR];
    const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
    for (size_t i = 0; i < mr; i++) {
        acc0[i] = wq ? _mm256_setzero_ps() : b0;
        acc1[i] = wq ? _mm256_setzero_ps() : b1;
    }
    for (size_t kk = 0; kk < k; kk++) {
        __m256 v0, v1;
        if (wq) {
            const __m128i codes = _mm_loadu_si128((const __m128i*)(q + kk * CNX_PW_PANEL));
            v0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(codes));
            v1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(codes, codes)));
        } else {
            v0 = _mm256_loadu_ps(w + kk * CNX_PW_PANEL);
            v1 = _mm256_loadu_ps(w + kk * CNX_PW_PANEL + 8);
        }
        for (size_t i = 0; i < mr; i++) {
            const __m256 x = _mm256_broadcast_ss(a + i * k + kk);
            acc0[i] = _mm256_fmadd_ps(x, v0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x, v1, acc1[i]);
        }
    }
    if (wq) {
        const __m256 s0 = _mm256_loadu_ps(scale), s1 = _mm256_loadu_ps(scale + 8);
        for (size_t i = 0; i < mr; i++) {
            acc0[i] = _mm256_fmadd_ps(acc0[i], s0, b0);
            acc1[i] = _mm256_fmadd_ps(acc1[i], s1, b1);
        }
    }
    const bool full = cols >= 16;
    const __m256i m0 = lane_mask(cols), m1 = lane_mask(cols > 8 ? cols - 8 : 0);
    for (size_t i = 0; i < mr; i++) {
        store_lanes(acc0[i], full, m0, epilogue, res + i * n, out + i * n);
        if (full || cols > 8) store_lanes(acc1[i], full, m1, epilogue, res + i * n + 8, out + i * n + 8);
    }
}

#define TILE_CASE(R)                                                                      \
    case R:                                                                               \
        if (wq) tile(R, true, k, a, panel, qpanel, bias, scale, cols, epilogue, res, out, n);  \
        else tile(R, false, k, a, panel, qpanel, bias, scale, cols, epilogue, res, out, n);    \
        break;

static CNX_AVX2 void tile_any(size_t mr, bool wq, size_t k, const float* a, const float* panel, const int8_t* qpanel,
                              const float* bias, const float* scale, size_t cols, cnx_epilogue epilogue,
                              const float* res, float* out, size_t n) {
    switch (mr) {
        TILE_CASE(6) TILE_CASE(5) TILE_CASE(4) TILE_CASE(3) TILE_CASE(2) TILE_CASE(1)
        default: break;
    }
}

CNX_AVX2 void cnx_f32_pwconv_avx2(
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
            for (size_t q = g; q < g_end; q++) {
                const size_t col = q * CNX_PW_PANEL;
                tile_any(mr, wq, k, p->input + r * k, wq ? NULL : p->packed_weights + q * stride,
                         wq ? p->packed_weights_i8 + q * stride : NULL, p->bias + col, wq ? p->weight_scale + col : NULL,
                         n - col, p->epilogue, res_base + r * n + col, p->output + r * n + col, n);
            }
        }
    }
}

#endif
