/* ReLU (and ReLU6) over float32 with a one-bit-per-element mask for the backward pass: element i is bit i % 8 of
 * byte i / 8, set when the gradient passes (0 < x < upper). Cloned for AVX-512, AVX2 and baseline x86-64 like
 * batch_norm.c; comparisons and selects only, so every clone gives the same bits. */
#include "CCohortKernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define CLONED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONED
#endif

typedef float floats8 __attribute__((vector_size(32)));
typedef int ints8 __attribute__((vector_size(32)));

#define LOAD(type, p) ({ type v_; memcpy(&v_, (p), sizeof v_); v_; })

CLONED void ccohort_relu_forward(const float *restrict x, size_t count, float upper, float *restrict out, uint8_t *restrict mask) {
    const ints8 bits = {1, 2, 4, 8, 16, 32, 64, 128};
    const floats8 zero = {0}, top = zero + upper;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const floats8 v = LOAD(floats8, x + i);
        // Selects, not min/max: NaN stays NaN (all its comparisons are false) and goes on to the loss.
        const ints8 below = v < zero, above = v > top;
        const ints8 y = ((ints8)v & ~below & ~above) | ((ints8)top & above);
        memcpy(out + i, &y, sizeof y);
        if (mask) {
            const ints8 pass = (v > zero) & (v < top) & bits;
            mask[i / 8] = (uint8_t)(((pass[0] | pass[1]) | (pass[2] | pass[3])) | ((pass[4] | pass[5]) | (pass[6] | pass[7])));
        }
    }
    if (i < count) {
        uint8_t last = 0;
        for (size_t j = i; j < count; ++j) {
            const float v = x[j];
            out[j] = v < 0 ? 0 : (v > upper ? upper : v);
            if (v > 0 && v < upper) last |= (uint8_t)(1u << (j - i));
        }
        if (mask) mask[i / 8] = last;
    }
}

CLONED void ccohort_relu_backward(const float *restrict g, const uint8_t *restrict mask, size_t count, float *restrict out) {
    const ints8 bits = {1, 2, 4, 8, 16, 32, 64, 128};
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const ints8 passes = ((bits & (int)mask[i / 8]) != 0);
        const ints8 y = LOAD(ints8, g + i) & passes;
        memcpy(out + i, &y, sizeof y);
    }
    for (size_t j = i; j < count; ++j) out[j] = (mask[j / 8] >> (j % 8)) & 1 ? g[j] : 0;
}

CLONED void ccohort_relu_mask(const float *restrict y, size_t count, float upper, uint8_t *restrict mask) {
    const ints8 bits = {1, 2, 4, 8, 16, 32, 64, 128};
    const floats8 zero = {0}, top = zero + upper;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const floats8 v = LOAD(floats8, y + i);
        const ints8 pass = (v > zero) & (v < top) & bits;
        mask[i / 8] = (uint8_t)(((pass[0] | pass[1]) | (pass[2] | pass[3])) | ((pass[4] | pass[5]) | (pass[6] | pass[7])));
    }
    if (i < count) {
        uint8_t last = 0;
        for (size_t j = i; j < count; ++j) if (y[j] > 0 && y[j] < upper) last |= (uint8_t)(1u << (j - i));
        mask[i / 8] = last;
    }
}
