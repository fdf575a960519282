// Threading over pthreadpool: the runtime's split of a kernel call into tasks. Every element is
// computed by the same code whatever task covers it, so any split gives bit-identical results.
#include "internal.h"

typedef struct {
    const cnx_kernel_table* table;
    const cnx_f32_pwconv_params* params;
    size_t rows, panels;
} pwconv_context;

static void pwconv_task(void* ctx, size_t r, size_t q, size_t tile_r, size_t tile_q) {
    const pwconv_context* c = ctx;
    c->table->pwconv(c->params, r, r + tile_r, q, q + tile_q);
}

void cnx_f32_pwconv_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_f32_pwconv_params* params, size_t rows) {
    const cnx_kernel_table* table = cnx_kernels_table(isa);
    const size_t panels = cnx_pw_panels(params->output_channels);
    if (rows == 0) return;
#if CNX_HAVE_PTHREADPOOL
    const size_t threads = pool != NULL ? pthreadpool_get_threads_count(pool) : 1;
    if (threads <= 1) { table->pwconv(params, 0, rows, 0, panels); return; }
    // About four tasks per thread: whole row strips when there are enough rows, else also columns
    // (pairs of panels), so a 49-row GEMM still spreads evenly.
    const size_t mr = table->pwconv_rows, target = 4 * threads;
    const size_t row_tiles = (rows + mr - 1) / mr;
    size_t tile_r = mr, tile_q = panels;
    if (row_tiles >= target) {
        tile_r = mr * ((row_tiles + target - 1) / target);
    } else {
        tile_q = (panels * row_tiles / target) & ~(size_t)1;
        if (tile_q < 2) tile_q = 2;
    }
    pwconv_context ctx = {table, params, rows, panels};
    // No PTHREADPOOL_FLAG_DISABLE_DENORMALS: the one-thread path runs without it, and results
    // must not depend on the thread count.
    cnx_parallelize_2d_tile_2d(pool, pwconv_task, &ctx, rows, panels, tile_r, tile_q);
#else
    (void)pool;
    (void)pwconv_task;
    table->pwconv(params, 0, rows, 0, panels);
#endif
}

typedef struct {
    const cnx_kernel_table* table;
    const cnx_f32_dwconv7x7_ln_params* params;
    cnx_isa isa;
} dwconv_context;

static void dwconv_task(void* ctx, size_t y, size_t tile) {
    const dwconv_context* c = ctx;
    if (c->params->output_u8 != NULL) { cnx_f32_dwconv7x7_ln(c->isa, c->params, y, y + tile); return; }
    c->table->dwconv_ln(c->params, y, y + tile);
}

void cnx_f32_dwconv7x7_ln_parallel(pthreadpool_t pool, cnx_isa isa, const cnx_f32_dwconv7x7_ln_params* params) {
    const cnx_kernel_table* table = cnx_kernels_table(isa);
#if CNX_HAVE_PTHREADPOOL
    dwconv_context ctx = {table, params, isa};
    cnx_parallelize_1d_tile_1d(pool, dwconv_task, &ctx, params->height, 1);
#else
    (void)pool;
    (void)dwconv_task;
    (void)table;
    cnx_f32_dwconv7x7_ln(isa, params, 0, params->height);
#endif
}
