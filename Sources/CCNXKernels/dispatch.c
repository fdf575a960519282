// Start-up kernel choice: cpuinfo once (pthread_once), the best table kept; per-ISA tables stay
// reachable so tests run every variant this CPU supports.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if __has_include(<cpuinfo.h>)
#include <cpuinfo.h>
#define CNX_HAVE_CPUINFO 1
#else
#define CNX_HAVE_CPUINFO 0
#endif
#include "internal.h"
#include "qinternal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool supported[CNX_ISA_COUNT];
static cnx_isa best = cnx_isa_scalar;

static void detect(void) {
    supported[cnx_isa_scalar] = true;
#if CNX_HAVE_CPUINFO
    const bool cpu = cpuinfo_initialize();
#else
    const bool cpu = true;
#endif
#if defined(__x86_64__) && CNX_HAVE_CPUINFO
    supported[cnx_isa_avx2] = cpu && cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();
    supported[cnx_isa_avx512] = supported[cnx_isa_avx2] && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw()
        && cpuinfo_has_x86_avx512vl();
#elif defined(__x86_64__)
    __builtin_cpu_init();
    supported[cnx_isa_avx2] = cpu && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    supported[cnx_isa_avx512] = supported[cnx_isa_avx2] && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#elif defined(__aarch64__)
    (void)cpu;
    supported[cnx_isa_neon] = true;  // Advanced SIMD is mandatory on AArch64.
#else
    (void)cpu;
#endif
    for (int i = cnx_isa_avx2; i < CNX_ISA_COUNT; i++)
        if (supported[i]) best = (cnx_isa)i;
}

void cnx_kernels_init(void) { pthread_once(&once, detect); }

cnx_isa cnx_kernels_best_isa(void) {
    cnx_kernels_init();
    return best;
}

bool cnx_isa_supported(cnx_isa isa) {
    cnx_kernels_init();
    return (unsigned)isa < CNX_ISA_COUNT && supported[isa];
}

const cnx_kernel_table* cnx_kernels_table(cnx_isa isa) {
    if (!cnx_isa_supported(isa)) {
        fprintf(stderr, "cnx-edge: kernels for ISA %d are not available on this CPU or build\n", (int)isa);
        abort();
    }
    switch (isa) {
        case cnx_isa_scalar: return &cnx_kernels_scalar;
#if defined(__x86_64__)
        case cnx_isa_avx2: return &cnx_kernels_avx2;
        case cnx_isa_avx512: return &cnx_kernels_avx512;
#endif
#if defined(__aarch64__)
        case cnx_isa_neon: return &cnx_kernels_neon;
#endif
        default: abort();
    }
}

size_t cnx_cpu_features(char* out, size_t size) {
    cnx_kernels_init();
    char buf[256];
    size_t n = 0;
#define CNX_ADD(cond, text)                                                        \
    do {                                                                           \
        if ((cond) && n < sizeof buf) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", text); \
    } while (0)
#if defined(__x86_64__)
    CNX_ADD(1, "x86-64:");
#if CNX_HAVE_CPUINFO
    const bool cpu = cpuinfo_initialize();
    CNX_ADD(cpu && cpuinfo_has_x86_avx2(), " avx2");
    CNX_ADD(cpu && cpuinfo_has_x86_fma3(), " fma");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512f(), " avx512f");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512bw(), " avx512bw");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512vl(), " avx512vl");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512vnni(), " avx512vnni");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512vbmi(), " avx512vbmi");
    CNX_ADD(cpu && cpuinfo_has_x86_avx512bf16(), " avx512bf16");
#else
    CNX_ADD(1, " (no cpuinfo in this build)");
#endif
#elif defined(__aarch64__)
    CNX_ADD(1, "aarch64: asimd");
#if CNX_HAVE_CPUINFO
    const bool cpu = cpuinfo_initialize();
    CNX_ADD(cpu && cpuinfo_has_arm_neon_fp16_arith(), " fp16");
    CNX_ADD(cpu && cpuinfo_has_arm_neon_dot(), " dotprod");
    CNX_ADD(cnx_arm_has_i8mm(), " i8mm(hwcap2)");
    CNX_ADD(cpu && cpuinfo_has_arm_sve(), " sve");
    CNX_ADD(cpu && cpuinfo_has_arm_sve2(), " sve2");
    CNX_ADD(cpu && cpuinfo_has_arm_bf16(), " bf16");
    if (cpu && cpuinfo_get_cores_count() > 0) {
        const struct cpuinfo_core* core = cpuinfo_get_core(0);
        if (core != NULL && core->uarch != cpuinfo_uarch_unknown)
            n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, "; core 0 uarch 0x%x", (unsigned)core->uarch);
        else CNX_ADD(1, "; core name unknown to cpuinfo");
    }
#else
    CNX_ADD(1, " (no cpuinfo in this build)");
#endif
#else
    CNX_ADD(1, "other architecture");
#endif
#undef CNX_ADD
    if (n >= sizeof buf) n = sizeof buf - 1;
    if (size > 0) {
        const size_t m = n < size - 1 ? n : size - 1;
        memcpy(out, buf, m);
        out[m] = 0;
    }
    return n;
}

const char* cnx_kernel_name(cnx_kernel kernel, cnx_isa isa) {
    static const char* const names[CNX_KERNEL_COUNT][CNX_ISA_COUNT] = {
#define ROW(op) {op "__scalar", op "__avx2", op "__avx512", op "__neon"}
        ROW("f32-pwconv-none"), ROW("f32-pwconv-gelu"), ROW("f32-pwconv-residual"), ROW("f32-dwconv7x7-ln"),
        ROW("f32-dwconv7x7-ln-noaffine"), ROW("f32-layernorm"), ROW("f32-sumsq"), ROW("f32-scalebias"),
        ROW("f32-gelu"),
#undef ROW
    };
    if ((unsigned)kernel >= CNX_KERNEL_COUNT || (unsigned)isa >= CNX_ISA_COUNT) return "unknown";
    return names[kernel][isa];
}
