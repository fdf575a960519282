// f32-dwconv7x7-ln(-noaffine)__avx512: depthwise 7x7 over one output row, 16 channels per zmm
// (taps and bias are padded to 8 channels only, so a last partial vector's loads are masked);
// interior pixels 8 at a time sharing each row's 14 input vectors across the 7 kx taps; then
// LayerNorm of the row's pixels while they are in L1 (f32_layernorm_avx512.h).
#if defined(__x86_64__)
#include "internal.h"
#include "f32_layernorm_avx512.h"

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

void cnx_f32_dwconv7x7_ln_avx512(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    if (p->affine) dwconv_ln_affine(p, row_begin, row_end);
    else dwconv_ln_plain(p, row_begin, row_end);
}

#endif
