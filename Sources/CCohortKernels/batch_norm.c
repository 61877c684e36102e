/* Per-channel batch-normalisation passes over float32 planes, in C so that they vectorise (Swift's loops stayed
 * scalar: the checked index arithmetic kept LLVM from vectorising them, and Swift code is built for baseline
 * x86-64). Each function is cloned for AVX-512, AVX2 and baseline x86-64 and the loader picks one for the CPU.
 * Double sums run in eight independent lanes combined in a fixed order, so a result depends on the values alone
 * (not on threads or on which clone runs); nothing is fused into FMA, for the same reason. */
#include "CCohortKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__clang__)
#define CLONED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONED
#endif

#include <string.h>

enum { LANES = 8 };
/* Eight lanes as vector types (GCC and Clang extensions): lane k sums elements k, k + 8, k + 16, ... . Written
 * with plain arrays, the compiler produced two-lane code full of shuffles. */
typedef float floats8 __attribute__((vector_size(32)));
typedef double doubles8 __attribute__((vector_size(64)));

/* Macros, not functions: passing eight-double vectors by value changes the ABI with the target. */
#define WIDEN(p) ({ floats8 v_; memcpy(&v_, (p), sizeof v_); __builtin_convertvector(v_, doubles8); })
#define COMBINE(s) ((((s)[0] + (s)[1]) + ((s)[2] + (s)[3])) + (((s)[4] + (s)[5]) + ((s)[6] + (s)[7])))

CLONED void ccohort_bn_shifted_sums(const float *restrict x, size_t count, double pivot, double *sum, double *squares) {
    doubles8 s = {0}, q = {0};
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        const doubles8 d = WIDEN(x + i) - pivot;
        s += d;
        q += d * d;
    }
    for (; i < count; ++i) {
        const double d = (double)x[i] - pivot;
        s[0] += d;
        q[0] += d * d;
    }
    *sum = COMBINE(s);
    *squares = COMBINE(q);
}

CLONED void ccohort_bn_normalize(const float *restrict x, size_t count, float mean, float inv, float gamma, float beta, float *restrict out) {
    for (size_t i = 0; i < count; ++i) out[i] = gamma * ((x[i] - mean) * inv) + beta;
}

CLONED void ccohort_bn_gradient_sums(const float *restrict g, const float *restrict x, size_t count, double mean, double *sumG, double *sumGD) {
    doubles8 s = {0}, d = {0};
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        const doubles8 gk = WIDEN(g + i);
        s += gk;
        d += gk * (WIDEN(x + i) - mean);
    }
    for (; i < count; ++i) {
        s[0] += (double)g[i];
        d[0] += (double)g[i] * ((double)x[i] - mean);
    }
    *sumG = COMBINE(s);
    *sumGD = COMBINE(d);
}

CLONED void ccohort_bn_input_gradient(const float *restrict g, const float *restrict x, size_t count, float mean, float inv, float scale,
                                      float meanG, float meanGX, float *restrict out) {
    for (size_t i = 0; i < count; ++i) out[i] = scale * (g[i] - meanG - (x[i] - mean) * inv * meanGX);
}
