// The int8 kernels' public entry points: the variant per `cnx_isa` (AVX-512 means VNNI where the
// CPU has it, else the AVX2 kernels), names, and the pthreadpool split of a GEMM.
#include <stdio.h>
#include <stdlib.h>
#if __has_include(<cpuinfo.h>)
#include <cpuinfo.h>
#define CNX_Q_HAVE_CPUINFO 1
#else
#define CNX_Q_HAVE_CPUINFO 0
#endif
#include "qinternal.h"

#if defined(__x86_64__)
static bool has_avx512vnni(void) {
#if CNX_Q_HAVE_CPUINFO
    return cpuinfo_initialize() && cpuinfo_has_x86_avx512vnni();
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni");
#endif
}
#endif

/// The variant `isa` runs here (`supported` false: the one it would run, for names only).
static const cnx_qkernel_table* variant(cnx_isa isa, bool supported) {
    (void)supported;
    switch (isa) {
        case cnx_isa_scalar: return &cnx_qkernels_scalar;
#if defined(__x86_64__)
        case cnx_isa_avx2: return &cnx_qkernels_avx2;
        case cnx_isa_avx512: return !supported || has_avx512vnni() ? &cnx_qkernels_avx512vnni : &cnx_qkernels_avx2;
#endif
#if defined(__aarch64__)
        case cnx_isa_neon: return &cnx_qkernels_neon;
#endif
        default: return NULL;
    }
}

static const cnx_qkernel_table* table(cnx_isa isa) {
    const cnx_qkernel_table* t = cnx_isa_supported(isa) ? variant(isa, true) : NULL;
    if (t == NULL) {
        fprintf(stderr, "cnx-edge: int8 kernels for ISA %d are not available on this CPU or build\n", (int)isa);
        abort();
    }
    return t;
}

const char* cnx_qkernel_name(cnx_qkernel kernel, cnx_isa isa) {
    static const char* const other[CNX_ISA_COUNT][CNX_QKERNEL_COUNT] = {
        CNX_QNAMES("scalar"), CNX_QNAMES("avx2"), CNX_QNAMES("avx512vnni"), CNX_QNAMES("neon")};
    if ((unsigned)kernel >= CNX_QKERNEL_COUNT || (unsigned)isa >= CNX_ISA_COUNT) return "unknown";
    const cnx_qkernel_table* t = variant(isa, cnx_isa_supported(isa));
    return t != NULL ? t->names[kernel] : other[isa][kernel];
}

void cnx_qu8_pwconv(cnx_isa isa, const cnx_qu8_pwconv_params* p, size_t row_begin, size_t row_end) {
    const cnx_qkernel_table* t = table(isa);
    if (row_begin >= row_end) return;
    t->pwconv(p, row_begin, row_end, 0, cnx_qpw_panels(p->output_channels));
}

void cnx_u8_sumsq(cnx_isa isa, const uint8_t* x, size_t channels, size_t row_begin, size_t row_end,
                  int32_t zero_point, int64_t* sums) {
    const cnx_qkernel_table* t = table(isa);
    if (row_begin >= row_end || channels == 0) return;
    t->sumsq(x, channels, row_begin, row_end, zero_point, sums);
}

void cnx_f32_quantize_u8(cnx_isa isa, const float* x, size_t count, float inverse_scale, int32_t zero_point,
                         uint8_t* out) {
    table(isa)->quantize(x, count, inverse_scale, zero_point, out);
}

typedef struct {
    const cnx_qkernel_table* table;
    const cnx_qu8_pwconv_params* params;
} qpwconv_context;

static void qpwconv_task(void* ctx, size_t r, size_t q, size_t tile_r, size_t tile_q) {
    const qpwconv_context* c = ctx;
    c->table->pwconv(c->params, r, r + tile_r, q, q + tile_q);
}

void cnx_qu8_pwconv_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_qu8_pwconv_params* params, size_t rows) {
    const cnx_qkernel_table* t = table(isa);
    const size_t panels = cnx_qpw_panels(params->output_channels);
    if (rows == 0) return;
#if CNX_HAVE_PTHREADPOOL
    const size_t threads = pool != NULL ? pthreadpool_get_threads_count(pool) : 1;
    if (threads <= 1) { t->pwconv(params, 0, rows, 0, panels); return; }
    // About four tasks per thread: whole row strips when there are enough rows, else also columns
    // (pairs of panels, the AVX-512 tile), so a 49-row GEMM still spreads evenly.
    const size_t mr = t->pwconv_rows, target = 4 * threads;
    const size_t row_tiles = (rows + mr - 1) / mr;
    size_t tile_r = mr, tile_q = panels;
    if (row_tiles >= target) {
        tile_r = mr * ((row_tiles + target - 1) / target);
    } else {
        tile_q = (panels * row_tiles / target) & ~(size_t)1;
        if (tile_q < 2) tile_q = 2;
    }
    qpwconv_context ctx = {t, params};
    pthreadpool_parallelize_2d_tile_2d(pool, qpwconv_task, &ctx, rows, panels, tile_r, tile_q, 0);
#else
    (void)pool;
    (void)qpwconv_task;
    t->pwconv(params, 0, rows, 0, panels);
#endif
}
