// qu8-pwconv-*__avx2: exact u8 x s8 for any int8 weights (no `vpmaddubsw`, whose int16 pair sums
// saturate past weights of ±63). Activations are widened to int16 once per row tile and K chunk
// (`widen_rows`, shared by every panel of the panel group), weights sign-extended in registers per
// 4-input group (`vpsllw`/`vpsraw`, amortized over the rows), and `vpmaddwd` (int16 pairs to int32,
// exact) + `vpaddd` accumulate: 10 rows x 8 columns (half a packed panel) of int32 accumulators,
// 10 of the 16 ymm registers, plus 2 of weights and 2 of broadcast activations; 2 `vpmaddwd` + 2
// `vpaddd` per row, 8 columns and 4 inputs. Measured on AMD Zen 5 (1 thread, Atto's 1x1 GEMMs):
// ~100 GMAC/s against ~125 for the old `vpmaddubsw` kernel (which needed weights in ±63); 8 x 10
// beat 16 x 4/5 (weights prep amortized over more rows) by ~7%; without the widened activations
// (broadcast and split per row and group) ~58. Row remainders use the same code with fewer rows.
#if defined(__x86_64__)
#include "qsimd_avx2.h"

#define MR CNX_QU8_PWCONV_ROWS_AVX2
/// Inputs per K chunk (a multiple of 4): the widened row tile is `MR · KCHUNK` int16 on the stack.
#ifndef KCHUNK
#define KCHUNK 512
#endif
/// Panels at most per row sweep, for the `partial` sums of K chunks.
#define SUBGROUP 8

/// Epilogue of one row's 8 columns (`cols` valid; 8 or more: all 8).
static inline CNX_QAVX2 __attribute__((always_inline)) void store_row(
    const cnx_qu8_pwconv_params* p, __m256i acc, __m256 s, size_t cols, __m256i m, size_t offset) {
    const __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), s);
    const bool full = cols >= 8;
    switch (p->epilogue) {
        case cnx_qu8_epilogue_f32:
        case cnx_qu8_epilogue_f32_residual: {
            float* out = p->output_f32 + offset;
            const bool add = p->epilogue == cnx_qu8_epilogue_f32_residual;
            // Only a residual epilogue has a residual (NULL + offset is undefined: UBSan).
            const float* res = add ? p->residual + offset : out;
            if (full) _mm256_storeu_ps(out, add ? _mm256_add_ps(_mm256_loadu_ps(res), y) : y);
            else _mm256_maskstore_ps(out, m, add ? _mm256_add_ps(_mm256_maskload_ps(res, m), y) : y);
            break;
        }
        case cnx_qu8_epilogue_u8:
        case cnx_qu8_epilogue_u8_table: {
            const __m128i bytes = requantize8(y, _mm256_set1_epi32(p->output_zero_point));
            uint8_t* out = p->output_u8 + offset;
            if (p->epilogue == cnx_qu8_epilogue_u8 && full) {
                _mm_storel_epi64((__m128i*)out, bytes);
            } else {
                uint8_t b[16];
                _mm_storeu_si128((__m128i*)b, bytes);
                const size_t c = cols < 8 ? cols : 8;
                if (p->epilogue == cnx_qu8_epilogue_u8) memcpy(out, b, c);
                else for (size_t j = 0; j < c; j++) out[j] = p->table[b[j]];
            }
            break;
        }
    }
}

/// Activations of input channels `[k0, k1)` of `mr` rows, widened to int16 for the tiles:
/// `[mr][kp]`, `kp = ceil((k1 - k0) / 4) · 4`, per 4-input group `(a0, a2, a1, a3)` (zero past `k1`),
/// so that one `vpbroadcastd` gives the even pair `(a0, a2)` and one the odd pair `(a1, a3)`. Built
/// once per row tile (and K chunk) and read by every panel of the panel group. `k0` is a multiple
/// of 4; never reads input bytes past `k1`. (Row-major beat `[group][MR][4]` here by ~5%.)
static inline CNX_QAVX2 void widen_rows(const uint8_t* a, size_t as, size_t mr, size_t k0, size_t k1, int16_t* out) {
    const size_t k = k1 - k0, kp = (k + 3) & ~(size_t)3;
    const __m128i order = _mm_setr_epi8(0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15);
    for (size_t i = 0; i < mr; i++) {
        const uint8_t* row = a + i * as + k0;
        int16_t* o = out + i * kp;
        size_t j = 0;
        for (; j + 16 <= k; j += 16) {
            const __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(row + j)), order);
            _mm256_storeu_si256((__m256i*)(o + j), _mm256_cvtepu8_epi16(b));
        }
        for (; j < kp; j += 4) {
            const uint32_t v = j + 4 <= k ? cnx_q_load4(row + j) : cnx_q_load_tail(row + j, k - j);
            o[j] = (int16_t)(v & 0xff);
            o[j + 1] = (int16_t)(v >> 16 & 0xff);
            o[j + 2] = (int16_t)(v >> 8 & 0xff);
            o[j + 3] = (int16_t)(v >> 24);
        }
    }
}

/// `mr` rows (a constant after inlining) x the 8-column half `h` of panel `q`, over the 4-input groups
/// of one K chunk (`groups` of them, weights from `w`, activations from `widen_rows`'s `x`, `kp`
/// int16 per row). Per group the 32 weight bytes (8 columns x `w0 w1 w2 w3`), read as int16 lanes
/// `(w0 | w1 << 8, w2 | w3 << 8)`, split into the even weights `(w0, w2)` (`vpsllw 8`, `vpsraw 8`)
/// and the odd ones `(w1, w3)` (`vpsraw 8`), sign-extended; per row one `vpmaddwd` against the
/// broadcast `(a0, a2)` and one against `(a1, a3)` give per int32 lane (column) `a0·w0 + a2·w2` and
/// `a1·w1 + a3·w3` exactly (each in [-65280, 64770]), added to the column's int32 accumulator:
/// exact for any int8 weights and uint8 activations, the same sums as the scalar and VNNI kernels.
/// The accumulators start from the bias (`first`) or `partial`, and end in the epilogue (`last`) or
/// `partial` (`[MR][8]` int32, for K chunks).
static inline CNX_QAVX2 __attribute__((always_inline)) void tile(
    const cnx_qu8_pwconv_params* p, size_t mr, size_t r, size_t q, size_t h, const int8_t* w, size_t groups,
    const int16_t* x, size_t kp, bool first, bool last, int32_t* partial) {
    const size_t n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t col = q * CNX_QPW_PANEL + h * 8, cols = n - col;
    const __m256i m = lane_mask(cols);
    __m256i acc[MR];
    if (first) {
        const __m256i b = _mm256_maskload_epi32(p->bias + col, m);
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) acc[i] = b;
    } else {
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) acc[i] = _mm256_loadu_si256((const __m256i*)(partial + i * 8));
    }
    for (size_t g = 0; g < groups; g++) {
        const __m256i v = _mm256_loadu_si256((const __m256i*)(w + g * 64));
        const __m256i o = _mm256_srai_epi16(v, 8), e = _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8);
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) {
            int32_t pe, po;
            memcpy(&pe, x + i * kp + g * CNX_QPW_KGROUP, 4);
            memcpy(&po, x + i * kp + g * CNX_QPW_KGROUP + 2, 4);
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(e, _mm256_set1_epi32(pe)));
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(o, _mm256_set1_epi32(po)));
        }
    }
    if (last) {
        const __m256 s = _mm256_maskload_ps(p->scale + col, m);
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) store_row(p, acc[i], s, cols, m, (r + i) * os + col);
    } else {
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) _mm256_storeu_si256((__m256i*)(partial + i * 8), acc[i]);
    }
}

#define TILE_CASE(R)                                                                          \
    case R:                                                                                   \
        if (first && last) tile(p, R, r, q, h, w, groups, x, kp, true, true, partial);        \
        else tile(p, R, r, q, h, w, groups, x, kp, first, last, partial);                     \
        break;

static CNX_QAVX2 void tile_any(const cnx_qu8_pwconv_params* p, size_t mr, size_t r, size_t q, size_t h,
                               const int8_t* w, size_t groups, const int16_t* x, size_t kp, bool first, bool last,
                               int32_t* partial) {
    switch (mr) {
        TILE_CASE(10) TILE_CASE(9) TILE_CASE(8) TILE_CASE(7) TILE_CASE(6) TILE_CASE(5) TILE_CASE(4)
        TILE_CASE(3) TILE_CASE(2) TILE_CASE(1)
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
/// Loops: panel groups (`cnx_qpw_group_panels`), then (at most `SUBGROUP` panels at a time) row tiles,
/// K chunks of `KCHUNK` inputs (one for K <= `KCHUNK`: the widened rows stay in L1 and on the
/// stack), then the group's 8-column halves; the int32 sums of a chunk wait in `partial`.
CNX_QAVX2 void cnx_qu8_pwconv_avx2(
    const cnx_qu8_pwconv_params* params, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const bool lookup = params->epilogue == cnx_qu8_epilogue_u8_table;
    __m256i t[16];
    cnx_qu8_pwconv_params plain = *params;
    if (lookup) {
        lut_build(params->table, t);
        plain.epilogue = cnx_qu8_epilogue_u8;
    }
    const cnx_qu8_pwconv_params* p = &plain;
    const size_t k = p->input_channels, n = p->output_channels, as = p->input_stride;
    const size_t group = cnx_qpw_group_panels(k), os = cnx_qpw_output_stride(p);
    const bool chunked = k > KCHUNK;
    const size_t panel_bytes = cnx_qpw_panel_bytes(k), sub = chunked ? SUBGROUP : group;
    int16_t x[MR * KCHUNK];
    int32_t partial[SUBGROUP * 2 * MR * 8];
    for (size_t g0 = panel_begin; g0 < panel_end; g0 += group) {
        const size_t g0_end = g0 + group < panel_end ? g0 + group : panel_end;
        for (size_t g = g0; g < g0_end; g += sub) {
            const size_t g_end = g + sub < g0_end ? g + sub : g0_end;
            const size_t c0 = g * CNX_QPW_PANEL, c1 = g_end * CNX_QPW_PANEL < n ? g_end * CNX_QPW_PANEL : n;
            for (size_t r = row_begin; r < row_end; r += MR) {
                const size_t mr = row_end - r < MR ? row_end - r : MR;
                for (size_t k0 = 0; k0 < k || k0 == 0; k0 += KCHUNK) {
                    const size_t k1 = k - k0 < KCHUNK ? k : k0 + KCHUNK;
                    const size_t kp = (k1 - k0 + 3) & ~(size_t)3, groups = kp / CNX_QPW_KGROUP;
                    const bool first = k0 == 0, last = k1 == k;
                    widen_rows(p->input + r * as, as, mr, k0, k1, x);
                    for (size_t q = g; q < g_end; q++)
                        for (size_t h = 0; h < 2 && q * CNX_QPW_PANEL + h * 8 < n; h++)
                            tile_any(p, mr, r, q, h, p->packed_weights + q * panel_bytes + k0 * 16 + h * 32, groups, x,
                                     kp, first, last, chunked ? partial + ((q - g) * 2 + h) * MR * 8 : partial);
                    if (k1 == k) break;
                }
                if (lookup)
                    for (size_t i = r; i < r + mr; i++)
                        lut_apply(t, params->table, p->output_u8 + i * os + c0, c1 - c0);
            }
        }
    }
}

#endif
