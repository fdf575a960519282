#include "cnx_kernels.h"
