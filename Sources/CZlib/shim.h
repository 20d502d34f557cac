// zlib, for reading gzip-compressed access logs (Debian: zlib1g-dev).
#ifndef STAMPEDE_CZLIB_SHIM_H
#define STAMPEDE_CZLIB_SHIM_H
#include <zlib.h>
#endif
