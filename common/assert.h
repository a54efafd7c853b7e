// TS_ASSERT: programmer-error checks, on in every build (Release included).
// A failure prints the condition and location to stderr and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TS_ASSERT(cond)                                                                 \
  do {                                                                                  \
    if (!(cond)) [[unlikely]] {                                                         \
      std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
