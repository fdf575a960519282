// f32-quantize-u8__scalar: `cnx_q_requantize(x · inverse_scale, zp)`.
#include "qinternal.h"

void cnx_f32_quantize_u8_scalar(const float* x, size_t count, float inverse_scale, int32_t zp, uint8_t* out) {
    for (size_t i = 0; i < count; i++) {
        const float f = x[i] * inverse_scale;
        out[i] = cnx_q_requantize(f, zp);
    }
}
