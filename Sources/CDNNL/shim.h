/* CDNNL: the few oneDNN (2.6, C API) calls Cohort uses, behind plain C functions.
 *
 * A convolution handle holds the primitive for one shape (created once, executed many times); tensors stay in
 * plain NCHW / OIHW (or GOIHW) layouts owned by the caller. Every function returns 0 on success or oneDNN's status.
 */
#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H

#include <dnnl.h>
#include <stdlib.h>

typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t primitive, backwardData, backwardWeights;
    dnnl_memory_desc_t src, weights, bias, dst;
    int hasBias;
} cdnnl_convolution;

/** Creates the forward-inference convolution for input [n, ic, ih, iw], weights [oc, ic/groups, k, k] and output
 *  [n, oc, oh, ow] (dilation as in PyTorch: 1 = none). Free with cdnnl_convolution_destroy. */
static inline int cdnnl_convolution_create(cdnnl_convolution **out, int n, int ic, int ih, int iw, int oc, int k, int oh, int ow,
                                           int stride, int padding, int dilation, int groups, int hasBias) {
    *out = NULL;
    cdnnl_convolution *c = (cdnnl_convolution *)calloc(1, sizeof(cdnnl_convolution));
    if (!c) return -1;
    dnnl_status_t s = dnnl_engine_create(&c->engine, dnnl_cpu, 0);
    if (s == dnnl_success) s = dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags);
    dnnl_dims_t src = {n, ic, ih, iw}, dst = {n, oc, oh, ow}, bias = {oc};
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&c->src, 4, src, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&c->dst, 4, dst, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&c->bias, 1, bias, dnnl_f32, dnnl_x);
    if (s == dnnl_success) {
        if (groups > 1) {
            dnnl_dims_t w = {groups, oc / groups, ic / groups, k, k};
            s = dnnl_memory_desc_init_by_tag(&c->weights, 5, w, dnnl_f32, dnnl_goihw);
        } else {
            dnnl_dims_t w = {oc, ic, k, k};
            s = dnnl_memory_desc_init_by_tag(&c->weights, 4, w, dnnl_f32, dnnl_oihw);
        }
    }
    dnnl_dims_t strides = {stride, stride}, dilates = {dilation - 1, dilation - 1}, pad = {padding, padding};
    dnnl_dims_t padRight = {padding, padding};
    // oneDNN wants the right padding that makes the output size exact.
    padRight[0] = (oh - 1) * stride + (k - 1) * dilation + 1 - ih - padding;
    padRight[1] = (ow - 1) * stride + (k - 1) * dilation + 1 - iw - padding;
    dnnl_convolution_desc_t desc;
    if (s == dnnl_success) s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                                                          &c->src, &c->weights, hasBias ? &c->bias : NULL, &c->dst,
                                                                          strides, dilates, pad, padRight);
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, NULL, c->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->primitive, pd);
    // Backward primitives, hinted by the forward one (they pick matching algorithms).
    dnnl_convolution_desc_t dataDesc, weightsDesc;
    dnnl_primitive_desc_t dataPD = NULL, weightsPD = NULL;
    if (s == dnnl_success) s = dnnl_dilated_convolution_backward_data_desc_init(&dataDesc, dnnl_convolution_direct, &c->src, &c->weights,
                                                                               &c->dst, strides, dilates, pad, padRight);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&dataPD, &dataDesc, NULL, c->engine, pd);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->backwardData, dataPD);
    if (s == dnnl_success) s = dnnl_dilated_convolution_backward_weights_desc_init(&weightsDesc, dnnl_convolution_direct, &c->src, &c->weights,
                                                                                  hasBias ? &c->bias : NULL, &c->dst, strides, dilates, pad, padRight);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&weightsPD, &weightsDesc, NULL, c->engine, pd);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->backwardWeights, weightsPD);
    if (dataPD) dnnl_primitive_desc_destroy(dataPD);
    if (weightsPD) dnnl_primitive_desc_destroy(weightsPD);
    if (pd) dnnl_primitive_desc_destroy(pd);
    c->hasBias = hasBias;
    if (s != dnnl_success) {
        if (c->backwardData) dnnl_primitive_destroy(c->backwardData);
        if (c->backwardWeights) dnnl_primitive_destroy(c->backwardWeights);
        if (c->primitive) dnnl_primitive_destroy(c->primitive);
        if (c->stream) dnnl_stream_destroy(c->stream);
        if (c->engine) dnnl_engine_destroy(c->engine);
        free(c);
        return (int)s;
    }
    *out = c;
    return 0;
}

/** Runs the convolution on caller buffers (bias may be NULL when created without). */
static inline int cdnnl_convolution_execute(cdnnl_convolution *c, const float *src, const float *weights, const float *bias, float *dst) {
    dnnl_memory_t m[4] = {NULL, NULL, NULL, NULL};
    dnnl_status_t s = dnnl_memory_create(&m[0], &c->src, c->engine, (void *)src);
    if (s == dnnl_success) s = dnnl_memory_create(&m[1], &c->weights, c->engine, (void *)weights);
    if (s == dnnl_success && c->hasBias) s = dnnl_memory_create(&m[2], &c->bias, c->engine, (void *)bias);
    if (s == dnnl_success) s = dnnl_memory_create(&m[3], &c->dst, c->engine, dst);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m[0]}, {DNNL_ARG_WEIGHTS, m[1]}, {DNNL_ARG_DST, m[3]}, {DNNL_ARG_BIAS, m[2]}};
        s = dnnl_primitive_execute(c->primitive, c->stream, c->hasBias ? 4 : 3, args);
        if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    }
    for (int i = 0; i < 4; ++i) if (m[i]) dnnl_memory_destroy(m[i]);
    return (int)s;
}

/** Gradient with respect to the input (overwrites `diffSrc`). */
static inline int cdnnl_convolution_backward_data(cdnnl_convolution *c, const float *diffDst, const float *weights, float *diffSrc) {
    dnnl_memory_t m[3] = {NULL, NULL, NULL};
    dnnl_status_t s = dnnl_memory_create(&m[0], &c->dst, c->engine, (void *)diffDst);
    if (s == dnnl_success) s = dnnl_memory_create(&m[1], &c->weights, c->engine, (void *)weights);
    if (s == dnnl_success) s = dnnl_memory_create(&m[2], &c->src, c->engine, diffSrc);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, m[0]}, {DNNL_ARG_WEIGHTS, m[1]}, {DNNL_ARG_DIFF_SRC, m[2]}};
        s = dnnl_primitive_execute(c->backwardData, c->stream, 3, args);
        if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    }
    for (int i = 0; i < 3; ++i) if (m[i]) dnnl_memory_destroy(m[i]);
    return (int)s;
}

/** Gradients with respect to the weights and bias (overwrites `diffWeights` and `diffBias`). */
static inline int cdnnl_convolution_backward_weights(cdnnl_convolution *c, const float *src, const float *diffDst, float *diffWeights, float *diffBias) {
    dnnl_memory_t m[4] = {NULL, NULL, NULL, NULL};
    dnnl_status_t s = dnnl_memory_create(&m[0], &c->src, c->engine, (void *)src);
    if (s == dnnl_success) s = dnnl_memory_create(&m[1], &c->dst, c->engine, (void *)diffDst);
    if (s == dnnl_success) s = dnnl_memory_create(&m[2], &c->weights, c->engine, diffWeights);
    if (s == dnnl_success && c->hasBias) s = dnnl_memory_create(&m[3], &c->bias, c->engine, diffBias);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m[0]}, {DNNL_ARG_DIFF_DST, m[1]}, {DNNL_ARG_DIFF_WEIGHTS, m[2]}, {DNNL_ARG_DIFF_BIAS, m[3]}};
        s = dnnl_primitive_execute(c->backwardWeights, c->stream, c->hasBias ? 4 : 3, args);
        if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    }
    for (int i = 0; i < 4; ++i) if (m[i]) dnnl_memory_destroy(m[i]);
    return (int)s;
}

static inline void cdnnl_convolution_destroy(cdnnl_convolution *c) {
    if (!c) return;
    dnnl_primitive_destroy(c->backwardData);
    dnnl_primitive_destroy(c->backwardWeights);
    dnnl_primitive_destroy(c->primitive);
    dnnl_stream_destroy(c->stream);
    dnnl_engine_destroy(c->engine);
    free(c);
}

/** Threads of oneDNN's OpenMP runtime (libgomp). */
extern void omp_set_num_threads(int);
static inline void cdnnl_set_threads(int n) { omp_set_num_threads(n > 0 ? n : 1); }

/** Row-major single-precision GEMM: C = alpha op(A) op(B) + beta C (oneDNN's dnnl_sgemm). 0 on success. */
static inline int cdnnl_sgemm(int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
                              const float *b, long ldb, float beta, float *c, long ldc) {
    return (int)dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#endif
