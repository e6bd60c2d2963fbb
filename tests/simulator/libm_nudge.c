/* A stand-in for another machine's maths library, for tests/simulator/test_determinism.py.
 *
 * Loaded with LD_PRELOAD, it moves each result of the transcendental functions that NumPy calls
 * (exp, log, log1p, cos, pow, ...) by up to NUDGE_ULPS units in the last place (default 4, the
 * error bound of the SIMD kernels NumPy uses on AVX-512 CPUs), as a pure function of the argument.
 * Calls from anything but NumPy (DuckDB's compression, Python itself) get the exact libm result.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int called_from_numpy(void *caller) {
    Dl_info info;
    return dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "numpy") != NULL;
}

static double nudge(double argument, double result, void *caller) {
    static int ulps = -1;
    if (!called_from_numpy(caller)) return result;
    if (ulps < 0) {
        const char *text = getenv("NUDGE_ULPS");
        ulps = text ? atoi(text) : 4;
    }
    uint64_t h;
    memcpy(&h, &argument, sizeof h);
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    int steps = (int)(h % (uint64_t)(2 * ulps + 1)) - ulps;
    for (; steps > 0; steps--) result = nextafter(result, INFINITY);
    for (; steps < 0; steps++) result = nextafter(result, -INFINITY);
    return result;
}

#define NUDGED(name)                                                        \
    double name(double x) {                                                 \
        static double (*exact)(double);                                     \
        if (!exact) exact = (double (*)(double))dlsym(RTLD_NEXT, #name);    \
        return nudge(x, exact(x), __builtin_return_address(0));            \
    }

NUDGED(exp)
NUDGED(expm1)
NUDGED(log)
NUDGED(log1p)
NUDGED(log2)
NUDGED(log10)
NUDGED(sin)
NUDGED(cos)
NUDGED(tanh)

double pow(double x, double y) {
    static double (*exact)(double, double);
    if (!exact) exact = (double (*)(double, double))dlsym(RTLD_NEXT, "pow");
    return nudge(3.0 * x + y, exact(x, y), __builtin_return_address(0));
}
