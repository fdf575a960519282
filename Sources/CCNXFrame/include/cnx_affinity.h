// CPU affinity for `cnx-edge bench --cpus` (part of CCNXFrame, the C helpers every build has).
#ifndef CNX_AFFINITY_H
#define CNX_AFFINITY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Writes up to `capacity` ids of the CPUs this thread may run on into `cpus`; returns how many
// there are (may exceed `capacity`), or -1 with errno set.
int32_t cnx_allowed_cpus(int32_t *cpus, int32_t capacity);

// Restricts the calling thread, and every thread it creates afterwards (thread pools made
// later), to the `count` CPUs in `cpus`. Returns 0, or -1 with errno set (EINVAL: an id outside
// 0...1023 or none of them allowed).
int32_t cnx_pin_cpus(const int32_t *cpus, int32_t count);

#ifdef __cplusplus
}
#endif
#endif
