/* ReLU (and ReLU6) over float32 with a one-bit-per-element mask for the backward pass: element i is bit i % 8 of
 * byte i / 8, set when the gradient passes (0 < x < upper). Cloned for AVX-512, AVX2 and baseline x86-64 like
 * batch_norm.c; comparisons and selects only, so every clone gives the same bits. */
#include "CCohortKernels.h"
#include "lanes8.h"

/* The bits of the last, partial group: elements i ..< count of `x`. */
static uint8_t lastByte(const float *x, size_t i, size_t count, float upper) {
    uint8_t bits = 0;
    for (size_t j = i; j < count; ++j) if (x[j] > 0 && x[j] < upper) bits |= (uint8_t)(1u << (j - i));
    return bits;
}

CLONED void ccohort_relu_forward(const float *restrict x, size_t count, float upper, float *restrict out, uint8_t *restrict mask) {
    const floats8 zero = {0}, top = zero + upper;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const floats8 v = LOAD(floats8, x + i);
        // Selects, not min/max: NaN stays NaN (all its comparisons are false) and goes on to the loss.
        const ints8 below = v < zero, above = v > top;
        const ints8 y = ((ints8)v & ~below & ~above) | ((ints8)top & above);
        memcpy(out + i, &y, sizeof y);
        if (mask) mask[i / 8] = PASS_BYTE(v, zero, top);
    }
    if (i < count) {
        for (size_t j = i; j < count; ++j) out[j] = x[j] < 0 ? 0 : (x[j] > upper ? upper : x[j]);
        if (mask) mask[i / 8] = lastByte(x, i, count, upper);
    }
}

CLONED void ccohort_relu_backward(const float *restrict g, const uint8_t *restrict mask, size_t count, float *restrict out) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const ints8 y = LOAD(ints8, g + i) & LANE_MASK(mask[i / 8]);
        memcpy(out + i, &y, sizeof y);
    }
    for (size_t j = i; j < count; ++j) out[j] = (mask[j / 8] >> (j % 8)) & 1 ? g[j] : 0;
}

CLONED void ccohort_relu_mask(const float *restrict y, size_t count, float upper, uint8_t *restrict mask) {
    const floats8 zero = {0}, top = zero + upper;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) mask[i / 8] = PASS_BYTE(LOAD(floats8, y + i), zero, top);
    if (i < count) mask[i / 8] = lastByte(y, i, count, upper);
}
