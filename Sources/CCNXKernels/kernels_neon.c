// The __neon kernels (AArch64 Advanced SIMD): f32-pwconv 4 rows x 16 columns (16 q-register
// accumulators), f32-dwconv7x7-ln 4 channels per register and 4-pixel interior strips, exact GELU
// with the shared fits. Channel and column remainders go through the same per-lane arithmetic
// (fmaf for the conv tail, a full vector into a stack tile for the GEMM's last columns).
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"
#include "gelu_coefficients.h"

static inline float32x4_t gelu_neon(float32x4_t x) {
    const float32x4_t z = vmulq_n_f32(x, CNX_SQRT1_2);
    const float32x4_t mag = vabsq_f32(z);
    const float32x4_t a = vminq_f32(mag, vdupq_n_f32(CNX_ERF_TAIL_LIMIT));
    const float32x4_t t = vmulq_f32(a, a);
    float32x4_t ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P3), vdupq_n_f32(CNX_ERF_P4), t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P2), ps, t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P1), ps, t);
    ps = vfmaq_f32(vdupq_n_f32(CNX_ERF_P0), ps, t);
    float32x4_t pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N3), vdupq_n_f32(CNX_ERFC_N4), a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N2), pn, a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N1), pn, a);
    pn = vfmaq_f32(vdupq_n_f32(CNX_ERFC_N0), pn, a);
    float32x4_t pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D3), vdupq_n_f32(CNX_ERFC_D4), a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D2), pd, a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D1), pd, a);
    pd = vfmaq_f32(vdupq_n_f32(CNX_ERFC_D0), pd, a);
    const float32x4_t magic = vdupq_n_f32(CNX_EXP_MAGIC);
    const float32x4_t v = vnegq_f32(t);
    const float32x4_t shifted = vfmaq_f32(magic, v, vdupq_n_f32(CNX_EXP_LOG2E));
    const float32x4_t n = vsubq_f32(shifted, magic);
    float32x4_t r = vfmsq_f32(v, n, vdupq_n_f32(CNX_EXP_LN2_HI));
    r = vfmsq_f32(r, n, vdupq_n_f32(CNX_EXP_LN2_LO));
    float32x4_t e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C5), vdupq_n_f32(CNX_EXP_C6), r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C4), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C3), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C2), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C1), e, r);
    e = vfmaq_f32(vdupq_n_f32(CNX_EXP_C0), e, r);
    const int32x4_t bits = vshlq_n_s32(
        vaddq_s32(vsubq_s32(vreinterpretq_s32_f32(shifted), vreinterpretq_s32_f32(magic)), vdupq_n_s32(127)), 23);
    e = vmulq_f32(e, vreinterpretq_f32_s32(bits));
    float32x4_t erfc = vmulq_f32(e, vdivq_f32(pn, pd));
    erfc = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(erfc), vcleq_f32(mag, vdupq_n_f32(CNX_ERF_TAIL_LIMIT))));
    float32x4_t one_plus = vbslq_f32(vcgtq_f32(z, vdupq_n_f32(0.0f)), vsubq_f32(vdupq_n_f32(2.0f), erfc), erfc);
    one_plus = vbslq_f32(vcltq_f32(mag, vdupq_n_f32(CNX_ERF_SMALL_LIMIT)), vfmaq_f32(vdupq_n_f32(1.0f), z, ps), one_plus);
    return vmulq_f32(vmulq_n_f32(x, 0.5f), one_plus);
}

#define MR 4

/// `mr` rows x one panel; `wq`: weight-only int8 codes `q` (scaled by `scale` at the end)
/// instead of float weights `w`.
static inline __attribute__((always_inline)) void tile(
    size_t mr, bool wq, size_t k, const float* a, const float* w, const int8_t* q, const float* bias,
    const float* scale, size_t cols, cnx_epilogue epilogue, const float* res, float* out, size_t n) {
    float32x4_t acc[MR][4];
    for (size_t i = 0; i < mr; i++)
        for (size_t v = 0; v < 4; v++) acc[i][v] = wq ? vdupq_n_f32(0.0f) : vld1q_f32(bias + 4 * v);
    for (size_t kk = 0; kk < k; kk++) {
        float32x4_t wv[4];
        if (wq) {
            const int8x16_t codes = vld1q_s8(q + kk * CNX_PW_PANEL);
            const int16x8_t lo = vmovl_s8(vget_low_s8(codes)), hi = vmovl_s8(vget_high_s8(codes));
            wv[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
            wv[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
            wv[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
            wv[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
        } else {
            for (size_t v = 0; v < 4; v++) wv[v] = vld1q_f32(w + kk * CNX_PW_PANEL + 4 * v);
        }
        for (size_t i = 0; i < mr; i++) {
            const float32x4_t x = vdupq_n_f32(a[i * k + kk]);
            for (size_t v = 0; v < 4; v++) acc[i][v] = vfmaq_f32(acc[i][v], x, wv[v]);
        }
    }
    if (wq)
        for (size_t i = 0; i < mr; i++)
            for (size_t v = 0; v < 4; v++)
                acc[i][v] = vfmaq_f32(vld1q_f32(bias + 4 * v), acc[i][v], vld1q_f32(scale + 4 * v));
    for (size_t i = 0; i < mr; i++) {
        float lanes[CNX_PW_PANEL];
        for (size_t v = 0; v < 4; v++) {
            float32x4_t o = acc[i][v];
            if (epilogue == cnx_epilogue_gelu) o = gelu_neon(o);
            vst1q_f32(lanes + 4 * v, o);
        }
        for (size_t j = 0; j < cols; j++)
            out[i * n + j] = epilogue == cnx_epilogue_residual ? lanes[j] + res[i * n + j] : lanes[j];
    }
}

static void pwconv_neon(
    const cnx_f32_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t k = p->input_channels, n = p->output_channels;
    const size_t stride = k * CNX_PW_PANEL;
    const size_t group = cnx_pw_group_panels(k);
    const float* res_base = p->epilogue == cnx_epilogue_residual ? p->residual : p->output;
    for (size_t g = panel_begin; g < panel_end; g += group) {
        const size_t g_end = g + group < panel_end ? g + group : panel_end;
        for (size_t r = row_begin; r < row_end; r += MR) {
            const size_t mr = row_end - r < MR ? row_end - r : MR;
            for (size_t q = g; q < g_end; q++) {
                const size_t col = q * CNX_PW_PANEL, cols = n - col < 16 ? n - col : 16;
                const float* a = p->input + r * k;
                const bool wq = p->weight_scale != NULL;
                const float* panel = wq ? NULL : p->packed_weights + q * stride;
                const int8_t* codes = wq ? p->packed_weights_i8 + q * stride : NULL;
                const float* bias = p->bias + col;
                const float* scale = wq ? p->weight_scale + col : NULL;
                const float* res = res_base + r * n + col;
                float* out = p->output + r * n + col;
#define TILE(R) wq ? tile(R, true, k, a, panel, codes, bias, scale, cols, p->epilogue, res, out, n) \
                   : tile(R, false, k, a, panel, codes, bias, scale, cols, p->epilogue, res, out, n)
                switch (mr) {
                    case 4: TILE(4); break;
                    case 3: TILE(3); break;
                    case 2: TILE(2); break;
                    default: TILE(1); break;
                }
#undef TILE
            }
        }
    }
}

static void layernorm_neon(const float* input, float* output, size_t c, const float* gamma, const float* beta,
                           float eps, size_t row_begin, size_t row_end) {
    const size_t cv = c & ~(size_t)3;
    for (size_t r = row_begin; r < row_end; r++) {
        const float* x = input + r * c;
        float* o = output + r * c;
        float32x4_t s = vdupq_n_f32(0.0f);
        for (size_t i = 0; i < cv; i += 4) s = vaddq_f32(s, vld1q_f32(x + i));
        float sum = vaddvq_f32(s);
        for (size_t i = cv; i < c; i++) sum += x[i];
        const float mean = sum / (float)c;
        float32x4_t q = vdupq_n_f32(0.0f);
        for (size_t i = 0; i < cv; i += 4) { const float32x4_t d = vsubq_f32(vld1q_f32(x + i), vdupq_n_f32(mean)); q = vfmaq_f32(q, d, d); }
        float sq = vaddvq_f32(q);
        for (size_t i = cv; i < c; i++) sq = fmaf(x[i] - mean, x[i] - mean, sq);
        const float inv = 1.0f / sqrtf(sq / (float)c + eps);
        const bool affine = gamma != NULL && beta != NULL;
        for (size_t i = 0; i < cv; i += 4) {
            float32x4_t v = vmulq_n_f32(vsubq_f32(vld1q_f32(x + i), vdupq_n_f32(mean)), inv);
            if (affine) v = vfmaq_f32(vld1q_f32(beta + i), v, vld1q_f32(gamma + i));
            vst1q_f32(o + i, v);
        }
        for (size_t i = cv; i < c; i++) {
            const float v = (x[i] - mean) * inv;
            o[i] = affine ? fmaf(v, gamma[i], beta[i]) : v;
        }
    }
}

static void dwconv_ln_neon(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    const size_t cv = c & ~(size_t)3;
    const float* taps = p->packed_weights;
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        for (size_t x = 0; x < w; x++) {
            const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
            float* out = p->output + (y * w + x) * c;
            for (size_t cb = 0; cb < cv; cb += 4) {
                float32x4_t acc = vld1q_f32(p->bias + cb);
                for (size_t ky = ky0; ky < ky1; ky++)
                    for (size_t kx = kx0; kx < kx1; kx++)
                        acc = vfmaq_f32(acc, vld1q_f32(p->input + ((y + ky - 3) * w + x + kx - 3) * c + cb),
                                        vld1q_f32(taps + (ky * 7 + kx) * cp + cb));
                vst1q_f32(out + cb, acc);
            }
            for (size_t ch = cv; ch < c; ch++) {
                float acc = p->bias[ch];
                for (size_t ky = ky0; ky < ky1; ky++)
                    for (size_t kx = kx0; kx < kx1; kx++)
                        acc = fmaf(p->input[((y + ky - 3) * w + x + kx - 3) * c + ch], taps[(ky * 7 + kx) * cp + ch], acc);
                out[ch] = acc;
            }
        }
        layernorm_neon(p->output, p->output, c, p->affine ? p->gamma : NULL, p->affine ? p->beta : NULL, p->eps,
                       y * w, (y + 1) * w);
    }
}

static void sumsq_neon(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++)
        for (size_t i = 0; i < c; i++) sums[i] += (double)(input[px * c + i] * input[px * c + i]);
}

static void scalebias_neon(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++)
        for (size_t i = 0; i < c; i++) {
            const float v = data[r * c + i] * scale[i];
            data[r * c + i] = v + bias[i];
        }
}

static void gelu_neon_inplace(float* data, size_t count) {
    size_t i = 0;
    for (; i + 4 <= count; i += 4) vst1q_f32(data + i, gelu_neon(vld1q_f32(data + i)));
    if (i < count) {
        float lanes[4] = {0, 0, 0, 0};
        for (size_t j = i; j < count; j++) lanes[j - i] = data[j];
        vst1q_f32(lanes, gelu_neon(vld1q_f32(lanes)));
        for (size_t j = i; j < count; j++) data[j] = lanes[j - i];
    }
}

const cnx_kernel_table cnx_kernels_neon = {
    .pwconv = pwconv_neon, .pwconv_rows = MR, .dwconv_ln = dwconv_ln_neon, .layernorm = layernorm_neon,
    .sumsq = sumsq_neon, .scalebias = scalebias_neon, .gelu = gelu_neon_inplace,
};
#endif
