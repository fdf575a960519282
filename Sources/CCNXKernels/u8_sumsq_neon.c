// u8-sumsq__neon: widens to int32 per 8 channels.
#if defined(__aarch64__)
#include <arm_neon.h>
#include "qinternal.h"

void cnx_u8_sumsq_neon(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                       int64_t* sums) {
    const int16x8_t z = vdupq_n_s16((int16_t)zp);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += 32768) {
            const size_t r1 = row_end - r0 < 32768 ? row_end : r0 + 32768;
            int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
            for (size_t r = r0; r < r1; r++) {
                const int16x8_t d = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(x + r * channels + c))), z);
                lo = vmlal_s16(lo, vget_low_s16(d), vget_low_s16(d));
                hi = vmlal_s16(hi, vget_high_s16(d), vget_high_s16(d));
            }
            int32_t l[4], h[4];
            vst1q_s32(l, lo);
            vst1q_s32(h, hi);
            for (int j = 0; j < 4; j++) {
                sums[c + j] += l[j];
                sums[c + 4 + j] += h[j];
            }
        }
    }
    for (; c < channels; c++)
        for (size_t r = row_begin; r < row_end; r++) {
            const int64_t d = (int64_t)x[r * channels + c] - zp;
            sums[c] += d * d;
        }
}
#endif
