// The int8 kernels' public entry points: the variant per `cnx_isa` (AVX-512 means VNNI where the
// CPU has it, with VBMI's table lookup where it also has that, else the AVX2 kernels; NEON means
// the i8mm GEMM where the CPU has ARMv8.6 int8 matrix multiply, else the dot-product GEMM where it has
// ARMv8.2 dot product, else widening multiply-adds), names, and the pthreadpool split of a GEMM.
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

static bool has_avx512vbmi(void) {
#if CNX_Q_HAVE_CPUINFO
    return cpuinfo_initialize() && cpuinfo_has_x86_avx512vbmi();
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi");
#endif
}
#endif

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
/// ARMv8.2 dot product (`sdot`/`udot`): cpuinfo, which reads the kernel's HWCAP.
static bool has_arm_dot(void) {
#if CNX_Q_HAVE_CPUINFO
    return cpuinfo_initialize() && cpuinfo_has_arm_neon_dot();
#else
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
}
bool cnx_arm_has_i8mm(void) { return (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0; }
#endif

/// The variant `isa` runs here (`supported` false: the one it would run, for names only).
static const cnx_qkernel_table* variant(cnx_isa isa, bool supported) {
    (void)supported;
    switch (isa) {
        case cnx_isa_scalar: return &cnx_qkernels_scalar;
#if defined(__x86_64__)
        case cnx_isa_avx2: return &cnx_qkernels_avx2;
        case cnx_isa_avx512:
            if (!supported) return &cnx_qkernels_avx512vbmi;
            if (!has_avx512vnni()) return &cnx_qkernels_avx2;
            return has_avx512vbmi() ? &cnx_qkernels_avx512vbmi : &cnx_qkernels_avx512vnni;
#endif
#if defined(__aarch64__)
        case cnx_isa_neon:
            if (!supported) return &cnx_qkernels_neoni8mm;
            if (cnx_arm_has_i8mm()) return &cnx_qkernels_neoni8mm;
            return has_arm_dot() ? &cnx_qkernels_neondot : &cnx_qkernels_neon;
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

void cnx_u8_channel_affine(cnx_isa isa, const uint8_t* x, uint8_t* out, size_t channels, size_t row_begin,
                           size_t row_end, int32_t zero_point, const float* multiplier, const float* offset) {
    const cnx_qkernel_table* t = table(isa);
    if (row_begin >= row_end || channels == 0) return;
    t->channel_affine(x, out, channels, row_begin, row_end, zero_point, multiplier, offset);
}

typedef struct {
    const cnx_qkernel_table* table;
    const cnx_qu8_pwconv_params* params;
    size_t rows, row_tiles, tasks, panels;
} qpwconv_context;

static void qpwconv_task(void* ctx, size_t r, size_t q, size_t tile_r, size_t tile_q) {
    const qpwconv_context* c = ctx;
    c->table->pwconv(c->params, r, r + tile_r, q, q + tile_q);
}

/// Task `i` of `tasks` takes row tiles `[i·T/tasks, (i+1)·T/tasks)`: sizes differ by at most one tile.
static void qpwconv_row_task(void* ctx, size_t i) {
    const qpwconv_context* c = ctx;
    const size_t mr = c->table->pwconv_rows;
    const size_t begin = i * c->row_tiles / c->tasks * mr;
    size_t end = (i + 1) * c->row_tiles / c->tasks * mr;
    if (end > c->rows) end = c->rows;
    if (begin < end) c->table->pwconv(c->params, begin, end, 0, c->panels);
}

void cnx_qu8_pwconv_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_qu8_pwconv_params* params, size_t rows) {
    const cnx_qkernel_table* t = table(isa);
    const size_t panels = cnx_qpw_panels(params->output_channels);
    if (rows == 0) return;
#if CNX_HAVE_PTHREADPOOL
    const size_t threads = pool != NULL ? pthreadpool_get_threads_count(pool) : 1;
    if (threads <= 1) { t->pwconv(params, 0, rows, 0, panels); return; }
    // Four tasks per thread, of equal size (within a row tile): whole row strips when there are
    // enough rows (a plain `tile_r` rounded up left the last task short: 196 rows in 36-row tiles
    // split 108/88 over two threads), else also columns in equal even runs of panels (pairs: the
    // AVX-512 tile), so a 49-row GEMM still spreads evenly.
    const size_t mr = t->pwconv_rows, target = 4 * threads;
    const size_t row_tiles = (rows + mr - 1) / mr;
    qpwconv_context ctx = {t, params, rows, row_tiles, target, panels};
    if (row_tiles >= target) {
        cnx_parallelize_1d(pool, qpwconv_row_task, &ctx, target);
        return;
    }
    const size_t column_tasks = (target + row_tiles - 1) / row_tiles;
    size_t tile_q = (panels + column_tasks - 1) / column_tasks;
    tile_q = (tile_q + 1) & ~(size_t)1;
    cnx_parallelize_2d_tile_2d(pool, qpwconv_task, &ctx, rows, panels, mr, tile_q);
#else
    (void)pool;
    (void)qpwconv_task;
    (void)qpwconv_row_task;
    t->pwconv(params, 0, rows, 0, panels);
#endif
}
