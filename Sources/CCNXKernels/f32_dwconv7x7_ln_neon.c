// f32-dwconv7x7-ln(-noaffine)__neon: 4 channels per register and 4-pixel interior strips, then f32-layernorm__neon per row.
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"

void cnx_f32_dwconv7x7_ln_neon(const cnx_f32_dwconv7x7_ln_params* p, size_t row_begin, size_t row_end) {
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
        cnx_f32_layernorm_neon(p->output, p->output, c, p->affine ? p->gamma : NULL, p->affine ? p->beta : NULL, p->eps,
                       y * w, (y + 1) * w);
    }
}
#endif
