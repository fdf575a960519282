// f32-gelu__scalar: exact GELU in place (gelu_scalar.h).
#include <math.h>
#include "internal.h"
#include "gelu_scalar.h"

void cnx_f32_gelu_scalar(float* data, size_t count) {
    for (size_t i = 0; i < count; i++) data[i] = cnx_gelu_scalar(data[i]);
}
