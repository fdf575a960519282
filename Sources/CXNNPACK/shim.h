// Debian: libxnnpack-dev, libpthreadpool-dev, libcpuinfo-dev (no .pc files, hence the explicit links).
#include <xnnpack.h>
#include <pthreadpool.h>
#include <cpuinfo.h>
