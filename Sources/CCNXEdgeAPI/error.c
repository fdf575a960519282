#include "cnx_edge_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// One buffer per thread through a pthread key rather than _Thread_local: SwiftPM compiles this
// file without -fPIC on aarch64, where the local-exec TLS model it then picks cannot go into
// libcnxedge.so. The buffer is made on a thread's first error and freed when the thread exits.
enum { message_bytes = 1024 };
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_key(void) { pthread_key_create(&key, free); }

void cnx_internal_set_error(const char *message) {
    pthread_once(&once, make_key);
    char *buffer = pthread_getspecific(key);
    if (!buffer) {
        buffer = malloc(message_bytes);
        if (!buffer) return;
        pthread_setspecific(key, buffer);
    }
    size_t n = strlen(message);
    if (n >= message_bytes) n = message_bytes - 1;
    memcpy(buffer, message, n);
    buffer[n] = 0;
}

const char *cnx_last_error(void) {
    pthread_once(&once, make_key);
    const char *buffer = pthread_getspecific(key);
    return buffer ? buffer : "";
}

const char *cnx_version(void) { return CNX_EDGE_VERSION; }

const char *cnx_status_string(cnx_status status) {
    switch (status) {
    case CNX_OK: return "CNX_OK";
    case CNX_ERROR_IO: return "CNX_ERROR_IO";
    case CNX_ERROR_FORMAT: return "CNX_ERROR_FORMAT";
    case CNX_ERROR_INPUT: return "CNX_ERROR_INPUT";
    case CNX_ERROR_UNSUPPORTED: return "CNX_ERROR_UNSUPPORTED";
    }
    return "CNX_UNKNOWN_STATUS";
}
