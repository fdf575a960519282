#ifndef CNX_SIMD_AVX512_H
#define CNX_SIMD_AVX512_H
// Lane helpers every f32 __avx512 kernel file shares.
#include "gelu_avx512.h"

/// The mask of lanes `< valid` of a zmm.
static inline __mmask16 lanes(size_t valid) { return valid >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << valid) - 1); }
#endif
