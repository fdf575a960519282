#define _GNU_SOURCE
#include "cnx_affinity.h"

#include <errno.h>
#include <sched.h>

int32_t cnx_allowed_cpus(int32_t *cpus, int32_t capacity) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int32_t n = 0;
    for (int32_t i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &set)) continue;
        if (n < capacity) cpus[n] = i;
        n++;
    }
    return n;
#else
    (void) cpus; (void) capacity;
    errno = ENOSYS;
    return -1;
#endif
}

int32_t cnx_pin_cpus(const int32_t *cpus, int32_t count) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int32_t i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) { errno = EINVAL; return -1; }
        CPU_SET(cpus[i], &set);
    }
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -1;
#else
    (void) cpus; (void) count;
    errno = ENOSYS;
    return -1;
#endif
}
