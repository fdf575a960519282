#ifndef CNX_KERNELS_H
#define CNX_KERNELS_H
// cnx-edge's own C kernels for the native backend (being written).
#endif
