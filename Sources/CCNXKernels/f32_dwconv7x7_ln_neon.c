// f32-dwconv7x7-ln(-noaffine)__neon: 4 channels per register; interior pixels 8 at a time sharing
// each kernel row's 14 input vectors across the 7 kx taps (8 accumulators + 14 inputs + 1 tap of
// the 32 registers: 21 loads per 56 fmla, against 2 loads per fmla pixel by pixel); border pixels
// and the last 1..3 channels one pixel at a time; then f32-layernorm__neon per row. Every pixel
// sums bias, then ky, kx in order, in fmla: the same result whichever path computes it.
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"

#define STRIP 8

/// Output pixels x..x+7 (all interior: x >= 3, x + 10 < w) of channels cb..cb+3.
static inline __attribute__((always_inline)) void strip(
    const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1, size_t cb) {
    const size_t c = p->channels, w = p->width;
    const float* taps = p->packed_weights + cb;
    float32x4_t acc[STRIP];
    const float32x4_t b = vld1q_f32(p->bias + cb);
    for (size_t j = 0; j < STRIP; j++) acc[j] = b;
    for (size_t ky = ky0; ky < ky1; ky++) {
        const float* row = p->input + ((y + ky - 3) * w + x - 3) * c + cb;
        float32x4_t in[STRIP + 6];
        for (size_t j = 0; j < STRIP + 6; j++) in[j] = vld1q_f32(row + j * c);
        for (size_t kx = 0; kx < 7; kx++) {
            const float32x4_t wv = vld1q_f32(taps + (ky * 7 + kx) * cp);
            for (size_t j = 0; j < STRIP; j++) acc[j] = vfmaq_f32(acc[j], in[j + kx], wv);
        }
    }
    float* out = p->output + (y * w + x) * c + cb;
    for (size_t j = 0; j < STRIP; j++) vst1q_f32(out + j * c, acc[j]);
}

/// Every channel of pixel `x`, with its own tap column bounds.
static void pixel(const cnx_f32_dwconv7x7_ln_params* p, size_t cp, size_t y, size_t x, size_t ky0, size_t ky1,
                  size_t channel_begin) {
    const size_t c = p->channels, w = p->width, cv = c & ~(size_t)3;
    const size_t kx0 = x < 3 ? 3 - x : 0, kx1 = w + 3 - x < 7 ? w + 3 - x : 7;
    const float* taps = p->packed_weights;
    float* out = p->output + (y * w + x) * c;
    for (size_t cb = channel_begin; cb < cv; cb += 4) {
        float32x4_t acc = vld1q_f32(p->bias + cb);
        for (size_t ky = ky0; ky < ky1; ky++)
            for (size_t kx = kx0; kx < kx1; kx++)
                acc = vfmaq_f32(acc, vld1q_f32(p->input + ((y + ky - 3) * w + x + kx - 3) * c + cb),
                                vld1q_f32(taps + (ky * 7 + kx) * cp + cb));
        vst1q_f32(out + cb, acc);
    }
    for (size_t ch = cv > channel_begin ? cv : channel_begin; ch < c; ch++) {
        float acc = p->bias[ch];
        for (size_t ky = ky0; ky < ky1; ky++)
            for (size_t kx = kx0; kx < kx1; kx++)
                acc = fmaf(p->input[((y + ky - 3) * w + x + kx - 3) * c + ch], taps[(ky * 7 + kx) * cp + ch], acc);
        out[ch] = acc;
    }
}

void cnx_f32_dwconv7x7_ln_neon(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
    const size_t c = p->channels, w = p->width, h = p->height, cp = cnx_dw_padded_channels(c);
    const size_t cv = c & ~(size_t)3;
    for (size_t y = row_begin; y < row_end; y++) {
        const size_t ky0 = y < 3 ? 3 - y : 0, ky1 = h + 3 - y < 7 ? h + 3 - y : 7;
        size_t x = 0;
        while (x < w) {
            if (x >= 3 && x + STRIP + 3 <= w) {
                for (size_t cb = 0; cb < cv; cb += 4) strip(p, cp, y, x, ky0, ky1, cb);
                if (cv < c)
                    for (size_t j = 0; j < STRIP; j++) pixel(p, cp, y, x + j, ky0, ky1, cv);
                x += STRIP;
            } else {
                pixel(p, cp, y, x, ky0, ky1, 0);
                x += 1;
            }
        }
        cnx_f32_layernorm_neon(p->output, p->output, c, p->affine ? p->gamma : NULL, p->affine ? p->beta : NULL, p->eps,
                       y * w, (y + 1) * w);
    }
}
#endif
