// f32-scalebias__scalar: a rounded multiply then a rounded add.
#include <math.h>
#include "internal.h"

void cnx_f32_scalebias_scalar(float* data, size_t c, const float* scale, const float* bias, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++)
        for (size_t i = 0; i < c; i++) {
            const float v = data[r * c + i] * scale[i];
            data[r * c + i] = v + bias[i];
        }
}
