// f32-gelu__neon: exact GELU in place (gelu_neon.h).
#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include "internal.h"
#include "gelu_neon.h"

void cnx_f32_gelu_neon(float* data, size_t count) {
    size_t i = 0;
    for (; i + 4 <= count; i += 4) vst1q_f32(data + i, gelu_neon(vld1q_f32(data + i)));
    if (i < count) {
        float lanes[4] = {0, 0, 0, 0};
        for (size_t j = i; j < count; j++) lanes[j - i] = data[j];
        vst1q_f32(lanes, gelu_neon(vld1q_f32(lanes)));
        for (size_t j = i; j < count; j++) data[j] = lanes[j - i];
    }
}
#endif
