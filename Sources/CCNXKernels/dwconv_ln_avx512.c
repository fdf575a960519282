// f32-dwconv7x7-ln(-noaffine)__avx512: depthwise 7x7 over one output row, 16 channels per zmm
// (taps and bias are padded to 8 channels only, so a last partial vector's loads are masked);
// interior pixels 8 at a time sharing each row's 14 input vectors across the 7 kx taps; then
// LayerNorm of the row's pixels while they are in L1. Also f32-layernorm, f32-sumsq and
// f32-scalebias for AVX-512.
#if defined(__x86_64__)
#include <math.h>
#include "internal.h"
#include "gelu_avx512.h"

static inline __mmask16 lanes(size_t valid) { return valid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << valid) - 1); }

#define STRIP 8

/// Conv of pixels `x ..< x + STRIP` (all 7 tap columns inside the image), channels `cb ..< cb + 16`.
/// `full` (a constant after inlining): all 16 channels exist, so taps load unmasked (foldable).
static inline CNX_AVX512 __attribute__((always_inline)) void strip(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    __mmask16 m, bool full) {
    const size_t c = p->channels, w = p->width;
    const float* taps = p->packed_weights + cb;
    __m512 acc[STRIP];
    const __m512 b = full ? _mm512_loadu_ps(p->bias + cb) : _mm512_maskz_loadu_ps(m, p->bias + cb);
    for (size_t j = 0; j < STRIP; j++) acc[j] = b;
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + ((y + ky - 3) * w + x - 3) * c + cb;
        __m512 in[STRIP + 6];
        for (size_t j = 0; j < STRIP + 6; j++) in[j] = _mm512_maskz_loadu_ps(m, row + j * c);
        for (size_t kx = 0; kx < 7; kx++) {
            const float* tap = taps + (ky * 7 + kx) * cp;
            const __m512 wv = full ? _mm512_loadu_ps(tap) : _mm512_maskz_loadu_ps(m, tap);
            for (size_t j = 0; j < STRIP; j++) acc[j] = _mm512_fmadd_ps(in[j + kx], wv, acc[j]);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < STRIP; j++) _mm512_mask_storeu_ps(out + j * c, m, acc[j]);
}

/// Conv of pixel `x` anywhere, with its own tap column bounds: `nc` (a constant after inlining)
/// channel vectors from `cb` at once, so that many accumulation chains overlap (a lone chain
/// would wait on the FMA latency; 7x7 images have no interior strips at all). `full` (a constant
/// after inlining): the last vector has all 16 channels too, so every tap loads unmasked.
static inline CNX_AVX512 __attribute__((always_inline)) void pixel(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    size_t nc, bool full) {
    const size_t c = p->channels, w = p->width;
    const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
    const float* taps = p->packed_weights + cb;
    __m512 acc[4];
    __mmask16 m[4];
    for (size_t j = 0; j < nc; j++) {
        m[j] = lanes(c - cb - j * 16);
        acc[j] = full || j + 1 < nc ? _mm512_loadu_ps(p->bias + cb + j * 16)
                                    : _mm512_maskz_loadu_ps(m[j], p->bias + cb + j * 16);
    }
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + (y + ky - 3) * w * c + cb;
        for (size_t kx = kx0; kx < kx1; kx++) {
            const float* in = row + (x + kx - 3) * c;
            const float* tap = taps + (ky * 7 + kx) * cp;
            for (size_t j = 0; j < nc; j++) {
                const __m512 t = full || j + 1 < nc ? _mm512_loadu_ps(tap + j * 16)
                                                    : _mm512_maskz_loadu_ps(m[j], tap + j * 16);
                acc[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[j], in + j * 16), t, acc[j]);
            }
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < nc; j++) _mm512_mask_storeu_ps(out + j * 16, m[j], acc[j]);
}

/// All channels of pixel `x`, four vectors at a time.
static CNX_AVX512 void pixel_all(const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1) {
    const size_t c = p->channels;
    size_t cb = 0;
    for (; cb + 4 * 16 <= c; cb += 4 * 16) pixel(p, cp, y, x, ky0, ky1, cb, 4, true);
    const bool full = (c - cb) % 16 == 0;
    switch ((c - cb + 15) / 16) {
        case 3: if (full) pixel(p, cp, y, x, ky0, ky1, cb, 3, true); else pixel(p, cp, y, x, ky0, ky1, cb, 3, false); break;
        case 2: if (full) pixel(p, cp, y, x, ky0, ky1, cb, 2, true); else pixel(p, cp, y, x, ky0, ky1, cb, 2, false); break;
        case 1: if (full) pixel(p, cp, y, x, ky0, ky1, cb, 1, true); else pixel(p, cp, y, x, ky0, ky1, cb, 1, false); break;
        default: break;
    }
}

/// LayerNorm of `np` (a constant after inlining) consecutive pixels of `c` channels, `x` → `o`
/// (may alias). Two passes, lane partial sums reduced in a fixed order. The pixels' statistics are
/// independent chains of reductions, divisions and a square root: interleaving up to eight of them keeps
/// the core busy where one pixel at a time waits on latency (2.5x faster at 56x56x40). Each pixel
/// goes through exactly the operations of the one-pixel case, so grouping never changes a bit.
static inline CNX_AVX512 __attribute__((always_inline)) void layernorm_pixels(
    size_t np, const float* x, float* o, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    __m512 s[8], q[8], mv[8], inv[8];
    for (size_t j = 0; j < np; j++) s[j] = q[j] = _mm512_setzero_ps();
    for (size_t cb = 0; cb < c; cb += 16) {
        const __mmask16 m = lanes(c - cb);
        for (size_t j = 0; j < np; j++) s[j] = _mm512_add_ps(s[j], _mm512_maskz_loadu_ps(m, x + j * c + cb));
    }
    for (size_t j = 0; j < np; j++) mv[j] = _mm512_set1_ps(_mm512_reduce_add_ps(s[j]) / (float)c);
    for (size_t cb = 0; cb < c; cb += 16) {
        const __mmask16 m = lanes(c - cb);
        for (size_t j = 0; j < np; j++) {
            const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + j * c + cb), mv[j]);
            q[j] = _mm512_fmadd_ps(d, d, q[j]);
        }
    }
    for (size_t j = 0; j < np; j++) inv[j] = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(q[j]) / (float)c + eps));
    for (size_t cb = 0; cb < c; cb += 16) {
        const __mmask16 m = lanes(c - cb);
        const __m512 g = affine ? _mm512_maskz_loadu_ps(m, gamma + cb) : _mm512_setzero_ps();
        const __m512 b = affine ? _mm512_maskz_loadu_ps(m, beta + cb) : _mm512_setzero_ps();
        for (size_t j = 0; j < np; j++) {
            __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j * c + cb), mv[j]), inv[j]);
            if (affine) v = _mm512_fmadd_ps(v, g, b);
            _mm512_mask_storeu_ps(o + j * c + cb, m, v);
        }
    }
}

/// LayerNorm of `count` consecutive pixels, eight at a time (104 vs 122 µs at 56x56x40 for four).
static inline CNX_AVX512 __attribute__((always_inline)) void layernorm_run(
    const float* x, float* o, size_t count, size_t c, const float* gamma, const float* beta, float eps, bool affine) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) layernorm_pixels(8, x + i * c, o + i * c, c, gamma, beta, eps, affine);
    for (; i + 4 <= count; i += 4) layernorm_pixels(4, x + i * c, o + i * c, c, gamma, beta, eps, affine);
    for (; i < count; i++) layernorm_pixels(1, x + i * c, o + i * c, c, gamma, beta, eps, affine);
}

static inline CNX_AVX512 __attribute__((always_inline)) void dwconv_ln(
    const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end, bool affine) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        size_t x = 0;
        while (x < w) {
            if (x >= 3 && x + STRIP + 3 <= w) {
                for (size_t cb = 0; cb < c; cb += 16) {
                    if (c - cb >= 16) strip(p, cp, y, x, ky0, ky1, cb, lanes(16), true);
                    else strip(p, cp, y, x, ky0, ky1, cb, lanes(c - cb), false);
                }
                x += STRIP;
            } else {
                pixel_all(p, cp, y, x, ky0, ky1);
                x += 1;
            }
        }
        float* row = p->output + y * w * c;
        layernorm_run(row, row, w, c, p->gamma, p->beta, p->eps, affine);
    }
}

static CNX_AVX512 void dwconv_ln_affine(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, true); }
static CNX_AVX512 void dwconv_ln_plain(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, false); }

void cnx_dwconv_ln_avx512(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    if (p->affine) dwconv_ln_affine(p, row_begin, row_end);
    else dwconv_ln_plain(p, row_begin, row_end);
}

CNX_AVX512 void cnx_layernorm_avx512(const float* input, float* output, size_t c, const float* gamma,
                                     const float* beta, float eps, size_t row_begin, size_t row_end) {
    const float* x = input + row_begin * c;
    float* o = output + row_begin * c;
    if (row_end <= row_begin) return;
    if (gamma != NULL && beta != NULL) layernorm_run(x, o, row_end - row_begin, c, gamma, beta, eps, true);
    else layernorm_run(x, o, row_end - row_begin, c, NULL, NULL, eps, false);
}

CNX_AVX512 void cnx_sumsq_avx512(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++) {
        const float* x = input + px * c;
        size_t i = 0;
        for (; i + 8 <= c; i += 8) {
            const __m256 v = _mm256_loadu_ps(x + i);
            _mm512_storeu_pd(sums + i, _mm512_add_pd(_mm512_loadu_pd(sums + i), _mm512_cvtps_pd(_mm256_mul_ps(v, v))));
        }
        for (; i < c; i++) sums[i] += (double)(x[i] * x[i]);
    }
}

CNX_AVX512 void cnx_scalebias_avx512(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float* x = data + r * c;
        for (size_t cb = 0; cb < c; cb += 16) {
            const __mmask16 m = lanes(c - cb);
            const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + cb), _mm512_maskz_loadu_ps(m, scale + cb));
            _mm512_mask_storeu_ps(x + cb, m, _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + cb)));
        }
    }
}
#endif
