// f32-sumsq__scalar: squares rounded to float, summed in double.
#include <math.h>
#include "internal.h"

void cnx_f32_sumsq_scalar(const float* input, size_t c, size_t p0, size_t p1, double* sums) {
    for (size_t px = p0; px < p1; px++)
        for (size_t i = 0; i < c; i++) sums[i] += (double)(input[px * c + i] * input[px * c + i]);
}
