// The AVX-512 VNNI pointwise GEMM, included by qu8_pwconv_avx512.c once per variant: `CNX_QV(name)`
// suffixes each function, `CNX_QV_TARGET` is its target attribute, `CNX_QV_VBMI` (0 or 1) whether
// the u8-table epilogue looks the table up with `vpermi2b` (AVX-512 VBMI) instead of byte by byte.
// No include guard: meant to be included more than once.
/// Epilogue of 16 lanes (`mask` valid) of one row.
static inline CNX_QV_TARGET __attribute__((always_inline)) void CNX_QV(store_lanes)(
    const cnx_qu8_pwconv_params* p, const __m512i* tab, __m512i acc, __mmask16 mask, __m512 scale, size_t col,
    size_t offset) {
    const __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
    switch (p->epilogue) {
        case cnx_qu8_epilogue_f32: _mm512_mask_storeu_ps(p->output_f32 + offset, mask, y); break;
        case cnx_qu8_epilogue_f32_residual:
            _mm512_mask_storeu_ps(p->output_f32 + offset, mask,
                                  _mm512_add_ps(_mm512_maskz_loadu_ps(mask, p->residual + offset), y));
            break;
        case cnx_qu8_epilogue_u8:
        case cnx_qu8_epilogue_u8_table: {
            __m512 f = _mm512_max_ps(y, _mm512_set1_ps(-32768.0f));
            f = _mm512_min_ps(f, _mm512_set1_ps(32767.0f));
            __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(p->output_zero_point));
            v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_setzero_si512()), _mm512_set1_epi32(255));
            const __m128i bytes = _mm512_cvtepi32_epi8(v);
            if (p->epilogue == cnx_qu8_epilogue_u8) {
                _mm_mask_storeu_epi8(p->output_u8 + offset, mask, bytes);
            } else {
#if CNX_QV_VBMI
                // table[0..127] and table[128..255] by the low 7 bits, picked by the top bit.
                const __m512i idx = _mm512_castsi128_si512(bytes);
                const __m512i lo = _mm512_permutex2var_epi8(tab[0], idx, tab[1]);
                const __m512i hi = _mm512_permutex2var_epi8(tab[2], idx, tab[3]);
                const __m512i v8 = _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
                _mm_mask_storeu_epi8(p->output_u8 + offset, mask, _mm512_castsi512_si128(v8));
#else
                (void)tab;
                uint8_t b[16];
                _mm_storeu_si128((__m128i*)b, bytes);
                for (unsigned j = 0; j < 16; j++)
                    if (mask >> j & 1) p->output_u8[offset + j] = p->table[b[j]];
#endif
            }
            break;
        }
    }
    (void)col;
}

/// `mr` rows (a constant after inlining) x `nv` panels (1 or 2).
static inline CNX_QV_TARGET __attribute__((always_inline)) void CNX_QV(tile)(
    const cnx_qu8_pwconv_params* p, size_t mr, size_t nv, size_t r, size_t q) {
    const size_t k = p->input_channels, n = p->output_channels, os = cnx_qpw_output_stride(p);
    const size_t groups = k / CNX_QPW_KGROUP, tail = k % CNX_QPW_KGROUP, as = p->input_stride;
    const size_t panel_bytes = cnx_qpw_panel_bytes(k);
    const size_t col = q * CNX_QPW_PANEL;
    const __mmask16 m0 = lanes(n - col), m1 = nv > 1 ? lanes(n - col - 16) : 0;
    const int8_t* w0 = p->packed_weights + q * panel_bytes;
    const int8_t* w1 = w0 + panel_bytes;
    const uint8_t* a = p->input + r * as;
    __m512i acc0[MR], acc1[MR];
    const __m512i b0 = _mm512_maskz_loadu_epi32(m0, p->bias + col);
    const __m512i b1 = nv > 1 ? _mm512_maskz_loadu_epi32(m1, p->bias + col + 16) : b0;
    CNX_Q_UNROLL
    for (size_t i = 0; i < mr; i++) { acc0[i] = b0; acc1[i] = b1; }
    size_t g = 0;
    for (; g < groups; g++) {
        const __m512i v0 = _mm512_loadu_si512(w0 + g * 64);
        const __m512i v1 = nv > 1 ? _mm512_loadu_si512(w1 + g * 64) : v0;
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) {
            const __m512i x = _mm512_set1_epi32((int)cnx_q_load4(a + i * as + g * CNX_QPW_KGROUP));
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], x, v0);
            if (nv > 1) acc1[i] = _mm512_dpbusd_epi32(acc1[i], x, v1);
        }
    }
    if (tail) {
        const __m512i v0 = _mm512_loadu_si512(w0 + g * 64);
        const __m512i v1 = nv > 1 ? _mm512_loadu_si512(w1 + g * 64) : v0;
        CNX_Q_UNROLL
        for (size_t i = 0; i < mr; i++) {
            const __m512i x = _mm512_set1_epi32((int)cnx_q_load_tail(a + i * as + g * CNX_QPW_KGROUP, tail));
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], x, v0);
            if (nv > 1) acc1[i] = _mm512_dpbusd_epi32(acc1[i], x, v1);
        }
    }
    __m512i tab[4];
#if CNX_QV_VBMI
    if (p->epilogue == cnx_qu8_epilogue_u8_table)
        for (int t = 0; t < 4; t++) tab[t] = _mm512_loadu_si512(p->table + 64 * t);
#endif
    const __m512 s0 = _mm512_maskz_loadu_ps(m0, p->scale + col);
    const __m512 s1 = nv > 1 ? _mm512_maskz_loadu_ps(m1, p->scale + col + 16) : s0;
    CNX_Q_UNROLL
    for (size_t i = 0; i < mr; i++) {
        CNX_QV(store_lanes)(p, tab, acc0[i], m0, s0, col, (r + i) * os + col);
        if (nv > 1) CNX_QV(store_lanes)(p, tab, acc1[i], m1, s1, col + 16, (r + i) * os + col + 16);
    }
}

#undef TILE_CASE
#define TILE_CASE(R)                                       \
    case R:                                                \
        if (nv > 1) CNX_QV(tile)(p, R, 2, r, q);                   \
        else CNX_QV(tile)(p, R, 1, r, q);                          \
        break;

static CNX_QV_TARGET void CNX_QV(tile_any)(const cnx_qu8_pwconv_params* p, size_t mr, size_t nv, size_t r, size_t q) {
    switch (mr) {
        TILE_CASE(12) TILE_CASE(11) TILE_CASE(10) TILE_CASE(9) TILE_CASE(8) TILE_CASE(7)
        TILE_CASE(6) TILE_CASE(5) TILE_CASE(4) TILE_CASE(3) TILE_CASE(2) TILE_CASE(1)
        default: break;
    }
}

CNX_QV_TARGET void CNX_QV(cnx_qu8_pwconv_avx512)(
    const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end) {
    const size_t group = cnx_qpw_group_panels(p->input_channels);
    for (size_t g = panel_begin; g < panel_end; g += group) {
        const size_t g_end = g + group < panel_end ? g + group : panel_end;
        for (size_t r = row_begin; r < row_end; r += MR) {
            const size_t mr = row_end - r < MR ? row_end - r : MR;
            for (size_t q = g; q < g_end; q += 2) CNX_QV(tile_any)(p, mr, q + 1 < g_end ? 2 : 1, r, q);
        }
    }
}
