#include "cnx_edge_internal.h"

#include <string.h>

static _Thread_local char last_error[1024];

void cnx_internal_set_error(const char *message) {
    size_t n = strlen(message);
    if (n >= sizeof last_error) n = sizeof last_error - 1;
    memcpy(last_error, message, n);
    last_error[n] = 0;
}

const char *cnx_last_error(void) { return last_error; }

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
