// libnghttp2, the HTTP/2 codec inside h2load and curl (Debian: libnghttp2-dev).
#ifndef STAMPEDE_CNGHTTP2_SHIM_H
#define STAMPEDE_CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>
#endif
