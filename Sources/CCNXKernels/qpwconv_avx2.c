// qu8-pwconv-*__avx2: 6 rows x 16 columns (one packed panel, two ymm of 8 int32) of accumulators,
// 12 of the 16 registers. Per row and 4-input group: `vpmaddubsw` (u8 x s8 pairs, saturating to
// int16: the caller's precondition keeps every pair in range), `vpmaddwd` with ones (pairs to
// int32, exact), `vpaddd`. Row remainders use the same code with fewer rows. Also u8-sumsq and
// f32-quantize-u8, which the AVX-512 VNNI table shares.
#if defined(__x86_64__)
#include <immintrin.h>
#include "qinternal.h"

#define CNX_QAVX2 __attribute__((target("avx2,fma")))
#define MR 6

static inline CNX_QAVX2 __m256i lane_mask(size_t valid) {
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int v = valid > 8 ? 8 : (int)valid;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), iota);
}

/// 16 int32 lanes (`lo` then `hi`) of `nearbyintf(f) + zp`, clamped to [0, 255], as 16 bytes.
/// The float clamp to [-32768, 32767] first keeps the conversion defined (NaN: -32768, the
/// `cnx_q_requantize` order); `packs`/`packus` saturate to [0, 255].
static inline CNX_QAVX2 __m128i requantize16(__m256 f0, __m256 f1, __m256i zp) {
    const __m256 lo = _mm256_set1_ps(-32768.0f), hi = _mm256_set1_ps(32767.0f);
    f0 = _mm256_min_ps(_mm256_max_ps(f0, lo), hi);
    f1 = _mm256_min_ps(_mm256_max_ps(f1, lo), hi);
    const __m256i v0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), zp);
    const __m256i v1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), zp);
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8);
    return _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

/// Epilogue of one row's 16 columns (`cols` valid).
static inline CNX_QAVX2 __attribute__((always_inline)) void store_row(
    const cnx_qu8_pwconv_params* p, __m256i acc0, __m256i acc1, __m256 s0, __m256 s1, size_t cols,
    __m256i m0, __m256i m1, size_t offset) {
    const __m256 y0 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc0), s0);
    const __m256 y1 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc1), s1);
    const bool full = cols >= 16;
    switch (p->epilogue) {
        case cnx_qu8_epilogue_f32:
        case cnx_qu8_epilogue_f32_residual: {
            float* out = p->output_f32 + offset;
            const float* res = p->residual + offset;
            const bool add = p->epilogue == cnx_qu8_epilogue_f32_residual;
            if (full) {
                _mm256_storeu_ps(out, add ? _mm256_add_ps(_mm256_loadu_ps(res), y0) : y0);
                _mm256_storeu_ps(out + 8, add ? _mm256_add_ps(_mm256_loadu_ps(res + 8), y1) : y1);
            } else {
                _mm256_maskstore_ps(out, m0, add ? _mm256_add_ps(_mm256_maskload_ps(res, m0), y0) : y0);
                if (cols > 8)
                    _mm256_maskstore_ps(out + 8, m1, add ? _mm256_add_ps(_mm256_maskload_ps(res + 8, m1), y1) : y1);
            }
            break;
        }
        case cnx_qu8_epilogue_u8:
        case cnx_qu8_epilogue_u8_table: {
            const __m128i bytes = requantize16(y0, y1, _mm256_set1_epi32(p->output_zero_point));
            uint8_t* out = p->output_u8 + offset;
            if (p->epilogue == cnx_qu8_epilogue_u8 && full) {
                _mm_storeu_si128((__m128i*)out, bytes);
            } else {
                uint8_t b[16];
                _mm_storeu_si128((__m128i*)b, bytes);
                if (p->epilogue == cnx_qu8_epilogue_u8) memcpy(out, b, cols);
                else for (size_t j = 0; j < cols && j < 16; j++) out[j] = p->table[b[j]];
            }
            break;
        }
    }
}

static inline CNX_QAVX2 __attribute__((always_inline)) void tile(
    const cnx_qu8_pwconv_params* p, size_t mr, size_t r, size_t q) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = k / CNX_QPW_KGROUP, tail = k % CNX_QPW_KGROUP, as = p->input_stride;
    const size_t col = q * CNX_QPW_PANEL, cols = n - col;
    const __m256i m0 = lane_mask(cols), m1 = lane_mask(cols > 8 ? cols - 8 : 0);
    const int8_t* w = p->packed_weights + q * cnx_qpw_panel_bytes(k);
    const uint8_t* a = p->input + r * as;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc0[MR], acc1[MR];
    const __m256i b0 = _mm256_maskload_epi32(p->bias + col, m0), b1 = _mm256_maskload_epi32(p->bias + col + 8, m1);
    CNX_Q_UNROLL
    for (size_t i = 0; i < mr; i++) { acc0[i] = b0; acc1[i] = b1; }
    size_t g = 0;
    for (; g < groups; g++) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i*)(w + g * 64));
        const __m256i v1 = _mm256_loadu_si256((const __m256i*)(w + g * 64 + 32));
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) {
            const __m256i x = _mm256_set1_epi32((int)cnx_q_load4(a + i * as + g * CNX_QPW_KGROUP));
            acc0[i] = _mm256_add_epi32(acc0[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x, v0), ones));
            acc1[i] = _mm256_add_epi32(acc1[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x, v1), ones));
        }
    }
    if (tail) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i*)(w + g * 64));
        const __m256i v1 = _mm256_loadu_si256((const __m256i*)(w + g * 64 + 32));
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) {
            const __m256i x = _mm256_set1_epi32((int)cnx_q_load_tail(a + i * as + g * CNX_QPW_KGROUP, tail));
            acc0[i] = _mm256_add_epi32(acc0[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x, v0), ones));
            acc1[i] = _mm256_add_epi32(acc1[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x, v1), ones));
        }
    }
    const __m256 s0 = _mm256_maskload_ps(p->scale + col, m0), s1 = _mm256_maskload_ps(p->scale + col + 8, m1);
    CNX_Q_UNROLL
    for (size_t i = 0; i < mr; i++) store_row(p, acc0[i], acc1[i], s0, s1, cols, m0, m1, (r + i) * os + col);
}

#define TILE_CASE(R) case R: tile(p, R, r, q); break;

static CNX_QAVX2 void tile_any(const cnx_qu8_pwconv_params* p, size_t mr, size_t r, size_t q) {
    switch (mr) {
        TILE_CASE(6) TILE_CASE(5) TILE_CASE(4) TILE_CASE(3) TILE_CASE(2) TILE_CASE(1)
        default: break;
    }
}

/// The 256-entry table as 16 `vpshufb` tables (each 16-byte slice in both lanes), folded by XOR so
/// that `lut32` needs no selects: `t[0] = T0`, `t[s] = T(s-1) ^ Ts` for s in 1..7, and
/// `t[s] = T(s-1) ^ Ts ^ t[s-8]` for s in 8..15 (Ts: table bytes 16s..16s+15).
static inline CNX_QAVX2 void lut_build(const uint8_t* table, __m256i t[16]) {
    __m256i prev = _mm256_setzero_si256();
    for (int s = 0; s < 16; s++) {
        const __m256i ts = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)(table + 16 * s)));
        t[s] = s == 0 ? ts : _mm256_xor_si256(prev, ts);
        if (s >= 8) t[s] = _mm256_xor_si256(t[s], t[s - 8]);
        prev = ts;
    }
}

/// `table[x]` for 32 bytes: `vpshufb` of slice table s with `x - 16s` (its low nibble is x's; its top
/// bit, which makes `vpshufb` give 0, is clear exactly for the slices s in [h - 7, h], h = x >> 4: a
/// wrapping subtract for s <= 8, then a saturating one, so that x < 128 stays negative). The XOR of
/// those 8 folded tables telescopes to `Th[x & 15]`. Exact.
static inline CNX_QAVX2 __attribute__((always_inline)) __m256i lut32(const __m256i* t, __m256i x) {
    const __m256i sixteen = _mm256_set1_epi8(16);
    __m256i y = _mm256_shuffle_epi8(t[0], x);
    CNX_Q_UNROLL
    for (int s = 1; s < 16; s++) {
        x = s <= 8 ? _mm256_sub_epi8(x, sixteen) : _mm256_subs_epi8(x, sixteen);
        y = _mm256_xor_si256(y, _mm256_shuffle_epi8(t[s], x));
    }
    return y;
}

/// `row[j] = table[row[j]]` for `count` bytes, in place.
static inline CNX_QAVX2 void lut_apply(const __m256i* t, const uint8_t* table, uint8_t* row, size_t count) {
    size_t j = 0;
    for (; j + 32 <= count; j += 32)
        _mm256_storeu_si256((__m256i*)(row + j), lut32(t, _mm256_loadu_si256((const __m256i*)(row + j))));
    if (j + 16 <= count) {
        const __m256i v = lut32(t, _mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)(row + j))));
        _mm_storeu_si128((__m128i*)(row + j), _mm256_castsi256_si128(v));
        j += 16;
    }
    for (; j < count; j++) row[j] = table[row[j]];
}

/// The u8-table epilogue runs as the u8 one, then (per row strip of a panel group, while its bytes are
/// in L1) `lut_apply` over the strip: 16 `vpshufb` per 32 codes instead of 32 scalar loads.
static CNX_QAVX2 void qpwconv_avx2(
    const cnx_qu8_pwconv_params* params, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const bool lookup = params->epilogue == cnx_qu8_epilogue_u8_table;
    __m256i t[16];
    cnx_qu8_pwconv_params plain = *params;
    if (lookup) {
        lut_build(params->table, t);
        plain.epilogue = cnx_qu8_epilogue_u8;
    }
    const cnx_qu8_pwconv_params* p = &plain;
    const size_t group = cnx_qpw_group_panels(p->input_channels), n = p->output_channels;
    const size_t os = cnx_qpw_output_stride(p);
    for (size_t g = panel_begin; g < panel_end; g += group) {
        const size_t g_end = g + group < panel_end ? g + group : panel_end;
        const size_t c0 = g * CNX_QPW_PANEL, c1 = g_end * CNX_QPW_PANEL < n ? g_end * CNX_QPW_PANEL : n;
        for (size_t r = row_begin; r < row_end; r += MR) {
            const size_t mr = row_end - r < MR ? row_end - r : MR;
            for (size_t q = g; q < g_end; q++) tile_any(p, mr, r, q);
            if (lookup)
                for (size_t i = r; i < r + mr; i++) lut_apply(t, params->table, p->output_u8 + i * os + c0, c1 - c0);
        }
    }
}

/// 16 channels at a time down the rows: `d = x − zp` in int16, `d²` by `vpmaddwd` against
/// `(d, 0)` pairs, int32 sums flushed to int64 every 32768 rows (65025 · 32768 < 2³¹).
CNX_QAVX2 void cnx_u8_sumsq_avx2(const uint8_t* x, size_t channels, size_t row_begin, size_t row_end, int32_t zp,
                                 int64_t* sums) {
    const __m256i z = _mm256_set1_epi16((short)zp), zero = _mm256_setzero_si256();
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += 32768) {
            const size_t r1 = row_end - r0 < 32768 ? row_end : r0 + 32768;
            __m256i lo = zero, hi = zero;
            for (size_t r = r0; r < r1; r++) {
                const __m256i d = _mm256_sub_epi16(
                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(x + r * channels + c))), z);
                const __m256i dl = _mm256_unpacklo_epi16(d, zero), dh = _mm256_unpackhi_epi16(d, zero);
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(dl, dl));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(dh, dh));
            }
            // unpacklo/hi work per 128-bit lane: lo holds channels 0-3, 8-11; hi 4-7, 12-15.
            int32_t l[8], h[8];
            _mm256_storeu_si256((__m256i*)l, lo);
            _mm256_storeu_si256((__m256i*)h, hi);
            for (int j = 0; j < 4; j++) {
                sums[c + j] += l[j];
                sums[c + 4 + j] += h[j];
                sums[c + 8 + j] += l[4 + j];
                sums[c + 12 + j] += h[4 + j];
            }
        }
    }
    for (; c < channels; c++)
        for (size_t r = row_begin; r < row_end; r++) {
            const int64_t d = (int64_t)x[r * channels + c] - zp;
            sums[c] += d * d;
        }
}

CNX_QAVX2 void cnx_f32_quantize_u8_avx2(const float* x, size_t count, float inverse_scale, int32_t zp,
                                        uint8_t* out) {
    const __m256 s = _mm256_set1_ps(inverse_scale);
    const __m256i z = _mm256_set1_epi32(zp);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m256 f0 = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
        const __m256 f1 = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8), s);
        _mm_storeu_si128((__m128i*)(out + i), requantize16(f0, f1, z));
    }
    for (; i < count; i++) {
        const float f = x[i] * inverse_scale;
        out[i] = cnx_q_requantize(f, zp);
    }
}

/// 16 channels at a time: widen to int32, subtract the zero point, convert (exact), multiply,
/// add, then `requantize16` with zero point 0 (the clamp to [-32768, 32767] and packs saturating to
/// [0, 255] are `cnx_q_requantize`'s). Each 16-byte block is read before it is written: in place is safe.
CNX_QAVX2 void cnx_u8_channel_affine_avx2(const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                                          size_t row_end, int32_t zp, const float* multiplier, const float* offset) {
    const __m256i z = _mm256_set1_epi32(zp), zero = _mm256_setzero_si256();
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t* xr = x + r * channels;
        uint8_t* o = out + r * channels;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            const __m128i b = _mm_loadu_si128((const __m128i*)(xr + c));
            const __m256i i0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(b), z);
            const __m256i i1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(b, b)), z);
            const __m256 y0 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i0), _mm256_loadu_ps(multiplier + c)),
                                            _mm256_loadu_ps(offset + c));
            const __m256 y1 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i1), _mm256_loadu_ps(multiplier + c + 8)),
                                            _mm256_loadu_ps(offset + c + 8));
            _mm_storeu_si128((__m128i*)(o + c), requantize16(y0, y1, zero));
        }
        for (; c < channels; c++) o[c] = cnx_q_channel_affine_one(xr[c], zp, multiplier[c], offset[c]);
    }
}

const cnx_qkernel_table cnx_qkernels_avx2 = {
    .pwconv = qpwconv_avx2, .pwconv_rows = MR, .sumsq = cnx_u8_sumsq_avx2, .quantize = cnx_f32_quantize_u8_avx2,
    .channel_affine = cnx_u8_channel_affine_avx2,
    .names = CNX_QNAMES("avx2"),
};
#endif
