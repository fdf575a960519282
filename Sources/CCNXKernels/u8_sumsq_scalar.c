// u8-sumsq__scalar: exact int64 sums of (x - zp)^2.
#include "qinternal.h"

void cnx_u8_sumsq_scalar(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                         int64_t* sums) {
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* row = x + r * channels;
        for (size_t c = 0; c < channels; c++) {
            const int64_t d = (int64_t)row[c] - zp;
            sums[c] += d * d;
        }
    }
}
