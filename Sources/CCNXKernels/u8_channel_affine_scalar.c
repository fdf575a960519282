// u8-channel-affine__scalar: `cnx_q_channel_affine_one` per code.
#include "qinternal.h"

void cnx_u8_channel_affine_scalar(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                                  size_t row_end, int32_t zp, const float* multiplier, const float* offset) {
    for (size_t r = row_begin; r < row_end; r++)
        for (size_t c = 0; c < channels; c++)
            out[r * channels + c] = cnx_q_channel_affine_one(x[r * channels + c], zp, multiplier[c], offset[c]);
}
