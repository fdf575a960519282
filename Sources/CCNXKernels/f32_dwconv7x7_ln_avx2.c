// f32-dwconv7x7-ln(-noaffine)__avx2: depthwise 7x7 over one output row, 8 channels per ymm;
// interior pixels 4 at a time sharing each row's 10 input vectors across the 7 kx taps (15 of the
// 16 registers); then LayerNorm of the row's pixels while they are in L1 (f32_layernorm_avx2.h).
#if defined(__x86_64__)
#include "internal.h"
#include "f32_layernorm_avx2.h"

#define STRIP 4

/// `full`: all 8 lanes valid, so plain loads and no mask register (the 16th ymm, whose spill
/// otherwise costs ~8% at 56x56x40).
static inline CNX_AVX2 __attribute__((always_inline)) void strip(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    __m256i m, bool full) {
    const size_t c = p->channels, w = p->width;
    const float* taps = p->packed_weights + cb;
    __m256 acc[STRIP];
    const __m256 b = _mm256_loadu_ps(p->bias + cb);
    for (size_t j = 0; j < STRIP; j++) acc[j] = b;
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + ((y + ky - 3) * w + x - 3) * c + cb;
        __m256 in[STRIP + 6];
        for (size_t j = 0; j < STRIP + 6; j++) in[j] = full ? _mm256_loadu_ps(row + j * c) : _mm256_maskload_ps(row + j * c, m);
        for (size_t kx = 0; kx < 7; kx++) {
            const __m256 wv = _mm256_loadu_ps(taps + (ky * 7 + kx) * cp);
            for (size_t j = 0; j < STRIP; j++) acc[j] = _mm256_fmadd_ps(in[j + kx], wv, acc[j]);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < STRIP; j++) {
        if (full) _mm256_storeu_ps(out + j * c, acc[j]);
        else _mm256_maskstore_ps(out + j * c, m, acc[j]);
    }
}

/// Conv of pixel `x` anywhere, with its own tap column bounds: `nc` (a constant after inlining)
/// channel vectors from `cb` at once, so that many accumulation chains overlap (a lone chain
/// would wait on the FMA latency; 7x7 images have no interior strips at all).
static inline CNX_AVX2 __attribute__((always_inline)) void pixel(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb,
    size_t nc) {
    const size_t c = p->channels, w = p->width;
    const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
    const float* taps = p->packed_weights + cb;
    __m256 acc[4];
    for (size_t j = 0; j < nc; j++) acc[j] = _mm256_loadu_ps(p->bias + cb + j * 8);
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + (y + ky - 3) * w * c + cb;
        for (size_t kx = kx0; kx < kx1; kx++) {
            const float* in = row + (x + kx - 3) * c;
            const float* tap = taps + (ky * 7 + kx) * cp;
            for (size_t j = 0; j < nc; j++)
                acc[j] = _mm256_fmadd_ps(load_valid(in + j * 8, c - cb - j * 8), _mm256_loadu_ps(tap + j * 8), acc[j]);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < nc; j++) store_valid(out + j * 8, c - cb - j * 8, acc[j]);
}

/// All channels of pixel `x`, four vectors at a time.
static CNX_AVX2 void pixel_all(const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1) {
    const size_t c = p->channels;
    size_t cb = 0;
    for (; cb + 4 * 8 <= c; cb += 4 * 8) pixel(p, cp, y, x, ky0, ky1, cb, 4);
    switch ((c - cb + 7) / 8) {
        case 3: pixel(p, cp, y, x, ky0, ky1, cb, 3); break;
        case 2: pixel(p, cp, y, x, ky0, ky1, cb, 2); break;
        case 1: pixel(p, cp, y, x, ky0, ky1, cb, 1); break;
        default: break;
    }
}

static inline CNX_AVX2 __attribute__((always_inline)) void dwconv_ln(
    const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end, bool affine) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        size_t x = 0;
        while (x < w) {
            if (x >= 3 && x + STRIP + 3 <= w) {
                for (size_t cb = 0; cb < c; cb += 8) {
                    if (c - cb >= 8) strip(p, cp, y, x, ky0, ky1, cb, lane_mask(8), true);
                    else strip(p, cp, y, x, ky0, ky1, cb, lane_mask(c - cb), false);
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

static CNX_AVX2 void dwconv_ln_affine(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, true); }
static CNX_AVX2 void dwconv_ln_plain(const cnx_f32_dwconv7x7_ln_params* p, size_t r0, size_t r1) { dwconv_ln(p, r0, r1, false); }

void cnx_f32_dwconv7x7_ln_avx2(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    if (p->affine) dwconv_ln_affine(p, row_begin, row_end);
    else dwconv_ln_plain(p, row_begin, row_end);
}

#endif
