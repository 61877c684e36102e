/* The Adam update over float32 parameters, in C so that the square root and divisions vectorise (Swift's loop, and
 * its SIMD types' per-lane square root, stayed scalar: a third of a simple-cnn step). The operations are those of
 * CohortNN's Adam element by element, in the same order and nothing fused, so the values are the same. */
#include "CCohortKernels.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

void ccohort_adam_update(float *restrict value, const float *restrict gradient, float *restrict m, float *restrict v, size_t count,
                         float beta1, float beta2, float correction1, float correction2, float eps, float rate) {
    const float keep1 = 1 - beta1, keep2 = 1 - beta2;
    for (size_t i = 0; i < count; ++i) {
        const float g = gradient[i];
        const float mi = beta1 * m[i] + keep1 * g;
        const float vi = beta2 * v[i] + keep2 * g * g;
        m[i] = mi;
        v[i] = vi;
        const float denominator = sqrtf(vi / correction2) + eps;
        value[i] = value[i] - rate * (mi / correction1) / denominator;
    }
}
