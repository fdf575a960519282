// For the Swift implementation of cnx_edge.h only: the per-thread error message.
#ifndef CNX_EDGE_INTERNAL_H
#define CNX_EDGE_INTERNAL_H
#include "cnx_edge.h"

// The version cnx_version() returns and cnx-edge.pc states (the Makefile reads it from here).
#define CNX_EDGE_VERSION "0.15.0"

// Copies `message` (truncated to 1023 bytes) into this thread's buffer.
void cnx_internal_set_error(const char *message);
#endif
