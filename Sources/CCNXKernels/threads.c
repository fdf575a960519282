// The runtime's pthreadpool calls, with ThreadSanitizer's view of them. pthreadpool is Debian's
// uninstrumented library: TSan cannot see that a parallelize call's tasks start after what the
// caller wrote before it and end before the call returns, and reports every hand-over of a
// buffer to a worker as a race. In a TSan build (`make test-sanitize`) each call below goes
// through a trampoline that tells TSan so: the caller releases a start token that every task
// acquires, every task releases an end token that the caller acquires on return. The two tokens
// are distinct, so tasks of one call stay unordered among themselves and a real race between
// them is still reported. In every other build these are plain calls.
#include "internal.h"

#if CNX_HAVE_PTHREADPOOL

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CNX_TSAN 1
#endif
#endif

#ifdef CNX_TSAN
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);

typedef struct {
    void* context;
    pthreadpool_task_1d_t task_1d;
    pthreadpool_task_1d_tile_1d_t task_1d_tile_1d;
    pthreadpool_task_2d_tile_2d_t task_2d_tile_2d;
    char start, end;  // the tokens' addresses
} traced;

static void traced_1d(void* p, size_t i) {
    traced* t = p;
    __tsan_acquire(&t->start);
    t->task_1d(t->context, i);
    __tsan_release(&t->end);
}

static void traced_1d_tile_1d(void* p, size_t i, size_t tile) {
    traced* t = p;
    __tsan_acquire(&t->start);
    t->task_1d_tile_1d(t->context, i, tile);
    __tsan_release(&t->end);
}

static void traced_2d_tile_2d(void* p, size_t i, size_t j, size_t tile_i, size_t tile_j) {
    traced* t = p;
    __tsan_acquire(&t->start);
    t->task_2d_tile_2d(t->context, i, j, tile_i, tile_j);
    __tsan_release(&t->end);
}
#endif

void cnx_parallelize_1d(pthreadpool_t pool, pthreadpool_task_1d_t task, void* context, size_t range) {
#ifdef CNX_TSAN
    traced t = {.context = context, .task_1d = task};
    __tsan_release(&t.start);
    pthreadpool_parallelize_1d(pool, traced_1d, &t, range, 0);
    __tsan_acquire(&t.end);
#else
    pthreadpool_parallelize_1d(pool, task, context, range, 0);
#endif
}

void cnx_parallelize_1d_tile_1d(
    pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t task, void* context, size_t range, size_t tile) {
#ifdef CNX_TSAN
    traced t = {.context = context, .task_1d_tile_1d = task};
    __tsan_release(&t.start);
    pthreadpool_parallelize_1d_tile_1d(pool, traced_1d_tile_1d, &t, range, tile, 0);
    __tsan_acquire(&t.end);
#else
    pthreadpool_parallelize_1d_tile_1d(pool, task, context, range, tile, 0);
#endif
}

void cnx_parallelize_2d_tile_2d(pthreadpool_t pool, pthreadpool_task_2d_tile_2d_t task, void* context,
                                size_t range_i, size_t range_j, size_t tile_i, size_t tile_j) {
#ifdef CNX_TSAN
    traced t = {.context = context, .task_2d_tile_2d = task};
    __tsan_release(&t.start);
    pthreadpool_parallelize_2d_tile_2d(pool, traced_2d_tile_2d, &t, range_i, range_j, tile_i, tile_j, 0);
    __tsan_acquire(&t.end);
#else
    pthreadpool_parallelize_2d_tile_2d(pool, task, context, range_i, range_j, tile_i, tile_j, 0);
#endif
}

#endif
