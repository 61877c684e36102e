/* Per-channel batch-normalisation passes over float32 planes, in C so that they vectorise (Swift's loops stayed
 * scalar: the checked index arithmetic kept LLVM from vectorising them, and Swift code is built for baseline
 * x86-64). Each function is cloned for AVX-512, AVX2 and baseline x86-64 and the loader picks one for the CPU.
 * Double sums run in eight independent lanes combined in a fixed order, so a result depends on the values alone
 * (not on threads or on which clone runs); nothing is fused into FMA, for the same reason. */
#include "CCohortKernels.h"
#include "lanes8.h"

#pragma STDC FP_CONTRACT OFF

enum { LANES = 8 };
/* Lane k sums elements k, k + 8, k + 16, ... . Written with plain arrays, the compiler produced two-lane code
 * full of shuffles. */
#define WIDEN(p) __builtin_convertvector(LOAD(floats8, p), doubles8)
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

CLONED void ccohort_bn_normalize(const float *restrict x, size_t count, float mean, float inv, float gamma, float beta, float upper,
                                 int clamp, float *restrict out, uint8_t *restrict mask) {
    if (!clamp) {
        for (size_t i = 0; i < count; ++i) out[i] = gamma * ((x[i] - mean) * inv) + beta;
        return;
    }
    size_t i = 0;
    if (mask) {
        // The ReLU's mask bits on the way (0 < v < upper, as from the clamped output), a byte per eight values.
        const floats8 zero = {0}, top = zero + upper;
        for (; i + LANES <= count; i += LANES) {
            const floats8 v = gamma * ((LOAD(floats8, x + i) - mean) * inv) + beta;
            const ints8 below = v < zero, above = v > top;
            const ints8 y = ((ints8)v & ~below & ~above) | ((ints8)top & above);
            memcpy(out + i, &y, sizeof y);
            mask[i / LANES] = PASS_BYTE(v, zero, top);
        }
    }
    // The ReLU that follows, done here: selects keep NaN (it goes on to the loss).
    for (; i < count; ++i) {
        const float v = gamma * ((x[i] - mean) * inv) + beta;
        out[i] = v < 0 ? 0 : (v > upper ? upper : v);
    }
}

/* The ReLU mask bits of elements bit .. bit + 7 (bit i of the mask: element i), bytes past the end read as 0. */
static inline int maskByte(const uint8_t *mask, size_t maskBytes, size_t bit) {
    const size_t byte = bit >> 3;
    const unsigned shift = bit & 7;
    unsigned v = mask[byte];
    if (shift && byte + 1 < maskBytes) v |= (unsigned)mask[byte + 1] << 8;
    return (int)((v >> shift) & 0xFF);
}

/* g where the ReLU passed its gradient, else 0 (whole vector of eight). */
#define MASKED(g, mask, maskBytes, bit) \
    ((floats8)(LOAD(ints8, g) & LANE_MASK(maskByte((mask), (maskBytes), (bit)))))
#define MASKED1(g, mask, bit) ((((mask)[(bit) >> 3] >> ((bit) & 7)) & 1) ? (g) : 0.0f)

CLONED void ccohort_bn_gradient_sums(const float *restrict g, const float *restrict x, size_t count, double mean, const uint8_t *mask,
                                     size_t maskBytes, size_t firstBit, double *sumG, double *sumGD) {
    doubles8 s = {0}, d = {0};
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        floats8 gv;
        if (mask) gv = MASKED(g + i, mask, maskBytes, firstBit + i);
        else memcpy(&gv, g + i, sizeof gv);
        const doubles8 gk = __builtin_convertvector(gv, doubles8);
        s += gk;
        d += gk * (WIDEN(x + i) - mean);
    }
    for (; i < count; ++i) {
        const double gk = mask ? MASKED1(g[i], mask, firstBit + i) : g[i];
        s[0] += gk;
        d[0] += gk * ((double)x[i] - mean);
    }
    *sumG = COMBINE(s);
    *sumGD = COMBINE(d);
}

CLONED void ccohort_bn_input_gradient(const float *restrict g, const float *restrict x, size_t count, float mean, float inv, float scale,
                                      float meanG, float meanGX, const uint8_t *mask, size_t maskBytes, size_t firstBit, float *restrict out) {
    size_t i = 0;
    if (mask) {
        for (; i + LANES <= count; i += LANES) {
            const floats8 gv = MASKED(g + i, mask, maskBytes, firstBit + i);
            floats8 xv;
            memcpy(&xv, x + i, sizeof xv);
            const floats8 y = scale * (gv - meanG - (xv - mean) * inv * meanGX);
            memcpy(out + i, &y, sizeof y);
        }
        for (; i < count; ++i) out[i] = scale * (MASKED1(g[i], mask, firstBit + i) - meanG - (x[i] - mean) * inv * meanGX);
        return;
    }
    for (; i < count; ++i) out[i] = scale * (g[i] - meanG - (x[i] - mean) * inv * meanGX);
}
