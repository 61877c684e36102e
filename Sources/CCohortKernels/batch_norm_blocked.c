/* Batch normalisation's passes over one chunk of an activation in channel blocks of 16 (oneDNN's nChw16c): the
 * chunk of image b and block j holds `positions` (H x W) groups of 16 values, value l of a group belonging to
 * channel 16 j + l. Per-channel arguments and results are arrays of 16, one per lane. Each lane's double sums run
 * in position order, so results depend on the values alone; nothing is fused into FMA (as batch_norm.c). */
#include "CCohortKernels.h"
#include "lanes8.h"

#pragma STDC FP_CONTRACT OFF

#define WIDEN(p) __builtin_convertvector(LOAD(floats8, p), doubles8)
#define STORE(p, v) ({ __typeof__(v) s_ = (v); memcpy((p), &s_, sizeof s_); })

CLONED void ccohort_bn16_shifted_sums(const float *restrict x, size_t positions, const double *pivot, double *sum, double *squares) {
    const doubles8 p0 = LOAD(doubles8, pivot), p1 = LOAD(doubles8, pivot + 8);
    doubles8 s0 = {0}, s1 = {0}, q0 = {0}, q1 = {0};
    for (size_t p = 0; p < positions; ++p) {
        const doubles8 d0 = WIDEN(x + 16 * p) - p0, d1 = WIDEN(x + 16 * p + 8) - p1;
        s0 += d0;
        s1 += d1;
        q0 += d0 * d0;
        q1 += d1 * d1;
    }
    STORE(sum, s0);
    STORE(sum + 8, s1);
    STORE(squares, q0);
    STORE(squares + 8, q1);
}

/* One half-group of eight values: normalised, clamped to [0, top] when `clamp` (selects keep NaN), mask byte. */
#define NORMALIZE8(xp, op, mp, mean, inv, gamma, beta) do { \
        const floats8 v_ = (gamma) * ((LOAD(floats8, xp) - (mean)) * (inv)) + (beta); \
        if (clamp) { \
            const ints8 below_ = v_ < zero, above_ = v_ > top; \
            STORE(op, ((ints8)v_ & ~below_ & ~above_) | ((ints8)top & above_)); \
            if (mask) *(mp) = PASS_BYTE(v_, zero, top); \
        } else STORE(op, v_); \
    } while (0)

CLONED void ccohort_bn16_normalize(const float *restrict x, size_t positions, const float *mean, const float *inv, const float *gamma,
                                   const float *beta, float upper, int clamp, float *restrict out, uint8_t *restrict mask) {
    const floats8 m0 = LOAD(floats8, mean), m1 = LOAD(floats8, mean + 8), i0 = LOAD(floats8, inv), i1 = LOAD(floats8, inv + 8);
    const floats8 g0 = LOAD(floats8, gamma), g1 = LOAD(floats8, gamma + 8), b0 = LOAD(floats8, beta), b1 = LOAD(floats8, beta + 8);
    const floats8 zero = {0}, top = zero + upper;
    for (size_t p = 0; p < positions; ++p) {
        NORMALIZE8(x + 16 * p, out + 16 * p, mask + 2 * p, m0, i0, g0, b0);
        NORMALIZE8(x + 16 * p + 8, out + 16 * p + 8, mask + 2 * p + 1, m1, i1, g1, b1);
    }
}

/* g of eight values, zero where the mask byte's bit is clear (no mask: g itself). */
#define GRADIENT8(gp, mp) (mask ? (floats8)(LOAD(ints8, gp) & LANE_MASK(*(mp))) : LOAD(floats8, gp))

CLONED void ccohort_bn16_gradient_sums(const float *restrict g, const float *restrict x, size_t positions, const double *mean,
                                       const uint8_t *mask, double *sumG, double *sumGD) {
    const doubles8 m0 = LOAD(doubles8, mean), m1 = LOAD(doubles8, mean + 8);
    doubles8 s0 = {0}, s1 = {0}, d0 = {0}, d1 = {0};
    for (size_t p = 0; p < positions; ++p) {
        const doubles8 g0 = __builtin_convertvector(GRADIENT8(g + 16 * p, mask + 2 * p), doubles8);
        const doubles8 g1 = __builtin_convertvector(GRADIENT8(g + 16 * p + 8, mask + 2 * p + 1), doubles8);
        s0 += g0;
        s1 += g1;
        d0 += g0 * (WIDEN(x + 16 * p) - m0);
        d1 += g1 * (WIDEN(x + 16 * p + 8) - m1);
    }
    STORE(sumG, s0);
    STORE(sumG + 8, s1);
    STORE(sumGD, d0);
    STORE(sumGD + 8, d1);
}

CLONED void ccohort_bn16_input_gradient(const float *restrict g, const float *restrict x, size_t positions, const float *mean, const float *inv,
                                        const float *scale, const float *meanG, const float *meanGX, const uint8_t *mask, float *restrict out) {
    const floats8 m0 = LOAD(floats8, mean), m1 = LOAD(floats8, mean + 8), i0 = LOAD(floats8, inv), i1 = LOAD(floats8, inv + 8);
    const floats8 c0 = LOAD(floats8, scale), c1 = LOAD(floats8, scale + 8), a0 = LOAD(floats8, meanG), a1 = LOAD(floats8, meanG + 8);
    const floats8 x0 = LOAD(floats8, meanGX), x1 = LOAD(floats8, meanGX + 8);
    for (size_t p = 0; p < positions; ++p) {
        const floats8 v0 = GRADIENT8(g + 16 * p, mask + 2 * p), v1 = GRADIENT8(g + 16 * p + 8, mask + 2 * p + 1);
        STORE(out + 16 * p, c0 * (v0 - a0 - (LOAD(floats8, x + 16 * p) - m0) * i0 * x0));
        STORE(out + 16 * p + 8, c1 * (v1 - a1 - (LOAD(floats8, x + 16 * p + 8) - m1) * i1 * x1));
    }
}
