/* CDNNL: the few oneDNN (2.6, C API) calls Cohort uses, behind plain C functions.
 *
 * A convolution handle holds the primitives for one shape (created once, executed many times); tensors stay in
 * plain NCHW / OIHW (or GOIHW) layouts owned by the caller, reordered to the primitives' own formats inside. Every function returns 0 on success or oneDNN's status.
 */
#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H

#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

/** The one blocked activation layout Cohort's tensors take (TensorLayout.channelBlocks16): [n][c / 16][h][w][16]. */
#define CDNNL_BLOCKED dnnl_nChw16c

/** One tensor argument of a primitive: the caller's plain layout, the layout the primitive chose, and (when they
 *  differ) an internal buffer with the reorders between them, created once. */
typedef struct {
    dnnl_memory_desc_t user, chosen;
    int same;
    /* Which process-wide scratch buffer holds this slot's reordered copy (0: its own buffer). Outputs and output
     * gradients live only during one call (or two consecutive ones), so every convolution shares them. */
    int scratch;
    /* 1 when `buffer` belongs to an earlier slot that already holds this very tensor in this format (the forward's
     * input for the weight gradient, the forward's weights for the input gradient): no reorder, no extra memory. */
    int borrowed;
    void *buffer;
    dnnl_primitive_t toChosen, toUser;
} cdnnl_slot;

/** Buffers shared by every convolution of a process for its short-lived reordered copies (index 1: outputs, 2: the
 *  output gradient, 3: inference inputs). Owned by the caller, zero-initialised; calls that use one pool must not overlap. */
typedef struct {
    void *buffer[4];
    size_t size[4];
    /* 1: give back every buffer after each call, not only large ones (tests exercise the reallocation with it). */
    int releaseAll;
} cdnnl_scratch_pool;

typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t primitive, backwardData, backwardWeights;
    dnnl_memory_desc_t bias;
    /* forward: src, weights, dst; backward data: diff dst, weights, diff src; backward weights: src, diff dst, diff weights */
    cdnnl_slot slots[9];
    cdnnl_scratch_pool *pool;
    int hasBias;
} cdnnl_convolution;

static inline dnnl_status_t cdnnl_reorder_create(dnnl_primitive_t *out, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                                 dnnl_engine_t engine) {
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(out, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return s;
}

/** Records the caller's layout and the primitive's choice for `what` (a dnnl_query_*_md), without buffers or reorders. */
static inline dnnl_status_t cdnnl_slot_describe(cdnnl_slot *slot, const dnnl_memory_desc_t *user, const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, what, 0);
    if (!chosen) return dnnl_runtime_error;
    slot->user = *user;
    slot->chosen = *chosen;
    slot->same = dnnl_memory_desc_equal(user, chosen);
    return dnnl_success;
}

/** Fills a slot from the primitive's choice for `what` (a dnnl_query_*_md). */
static inline dnnl_status_t cdnnl_slot_init(cdnnl_slot *slot, const dnnl_memory_desc_t *user, const_dnnl_primitive_desc_t pd,
                                            dnnl_query_t what, dnnl_engine_t engine, const cdnnl_slot *earlier) {
    dnnl_status_t status = cdnnl_slot_describe(slot, user, pd, what);
    if (status != dnnl_success || slot->same) return status;
    const dnnl_memory_desc_t *chosen = &slot->chosen;
    if (earlier && !earlier->same && dnnl_memory_desc_equal(&earlier->chosen, chosen)) {
        slot->borrowed = 1;
        slot->buffer = earlier->buffer;
        return dnnl_success;
    }
    if (!slot->scratch) {
        slot->buffer = aligned_alloc(64, (dnnl_memory_desc_get_size(chosen) + 63) / 64 * 64);
        if (!slot->buffer) return dnnl_out_of_memory;
    }
    dnnl_status_t s = cdnnl_reorder_create(&slot->toChosen, user, chosen, engine);
    if (s == dnnl_success) s = cdnnl_reorder_create(&slot->toUser, chosen, user, engine);
    return s;
}

static inline void cdnnl_slot_free(cdnnl_slot *slot) {
    if (slot->toChosen) dnnl_primitive_destroy(slot->toChosen);
    if (slot->toUser) dnnl_primitive_destroy(slot->toUser);
    if (!slot->borrowed && !slot->scratch) free(slot->buffer);
}

/** Scratch copies above this size are given back after each call instead of held for the whole process: a
 *  network's largest activation would otherwise stay allocated twice (outputs and output gradients). */
#define CDNNL_SCRATCH_KEEP_LIMIT ((size_t)64 << 20)

/** Frees the pool's large buffers, except the output-gradient copy when `keepGradient` (backward weights reuses it). */
static inline void cdnnl_pool_release_large(cdnnl_scratch_pool *pool, int keepGradient) {
    for (int k = 1; k < 4; ++k) {
        if (k == 2 && keepGradient) continue;
        if (pool->size[k] > CDNNL_SCRATCH_KEEP_LIMIT || (pool->releaseAll && pool->size[k] > 0)) { free(pool->buffer[k]); pool->buffer[k] = NULL; pool->size[k] = 0; }
    }
}

/** The pool's buffer `k`, grown to hold `desc` when needed (NULL when memory runs out). */
static inline void *cdnnl_pool_buffer(cdnnl_scratch_pool *pool, int k, const dnnl_memory_desc_t *desc) {
    size_t size = (dnnl_memory_desc_get_size(desc) + 63) / 64 * 64;
    if (pool->size[k] < size) {
        free(pool->buffer[k]);
        pool->buffer[k] = aligned_alloc(64, size);
        pool->size[k] = pool->buffer[k] ? size : 0;
    }
    return pool->buffer[k];
}

/** Points a scratch slot at its shared buffer, grown when needed. */
static inline dnnl_status_t cdnnl_slot_bind(cdnnl_slot *slot, cdnnl_scratch_pool *pool) {
    if (!slot->scratch || slot->same) return dnnl_success;
    if (slot->borrowed) return dnnl_success;
    slot->buffer = cdnnl_pool_buffer(pool, slot->scratch, &slot->chosen);
    return slot->buffer ? dnnl_success : dnnl_out_of_memory;
}

/** The memory a primitive reads for this slot: the caller's buffer, or the internal one after a reorder. */
static inline dnnl_status_t cdnnl_slot_input(cdnnl_slot *slot, const void *data, dnnl_engine_t engine, dnnl_stream_t stream,
                                             dnnl_memory_t *user, dnnl_memory_t *chosen) {
    dnnl_status_t s = dnnl_memory_create(user, &slot->user, engine, (void *)data);
    if (s != dnnl_success || slot->same) { *chosen = NULL; return s; }
    s = dnnl_memory_create(chosen, &slot->chosen, engine, slot->buffer);
    if (s != dnnl_success || slot->borrowed) return s;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, *user}, {DNNL_ARG_TO, *chosen}};
    return dnnl_primitive_execute(slot->toChosen, stream, 2, args);
}

/** The memory a primitive writes for this slot (copied back by cdnnl_slot_output_finish). */
static inline dnnl_status_t cdnnl_slot_output(cdnnl_slot *slot, void *data, dnnl_engine_t engine, dnnl_memory_t *user, dnnl_memory_t *chosen) {
    dnnl_status_t s = dnnl_memory_create(user, &slot->user, engine, data);
    if (s != dnnl_success || slot->same) { *chosen = NULL; return s; }
    return dnnl_memory_create(chosen, &slot->chosen, engine, slot->buffer);
}

static inline dnnl_status_t cdnnl_slot_output_finish(cdnnl_slot *slot, dnnl_stream_t stream, dnnl_memory_t user, dnnl_memory_t chosen) {
    if (slot->same) return dnnl_success;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, chosen}, {DNNL_ARG_TO, user}};
    return dnnl_primitive_execute(slot->toUser, stream, 2, args);
}

static inline void cdnnl_convolution_destroy(cdnnl_convolution *c) {
    if (!c) return;
    for (int i = 0; i < 9; ++i) cdnnl_slot_free(&c->slots[i]);
    if (c->backwardData) dnnl_primitive_destroy(c->backwardData);
    if (c->backwardWeights) dnnl_primitive_destroy(c->backwardWeights);
    if (c->primitive) dnnl_primitive_destroy(c->primitive);
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c);
}

/** The plain (user) and `any` (primitive's choice) descriptors and geometry of one convolution shape. */
typedef struct {
    dnnl_memory_desc_t src, weights, dst, anySrc, anyWeights, anyDst;
    dnnl_dims_t strides, dilates, pad, padRight;
} cdnnl_convolution_shape;

/** Creates the handle's engine and stream and fills `d` (and the handle's bias descriptor) for one shape. */
static inline dnnl_status_t cdnnl_convolution_begin(cdnnl_convolution *c, cdnnl_convolution_shape *d, int n, int ic, int ih, int iw, int oc,
                                                    int k, int oh, int ow, int stride, int padding, int dilation, int groups) {
    dnnl_status_t s = dnnl_engine_create(&c->engine, dnnl_cpu, 0);
    if (s == dnnl_success) s = dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags);
    dnnl_dims_t srcDims = {n, ic, ih, iw}, dstDims = {n, oc, oh, ow}, biasDims = {oc};
    dnnl_dims_t groupedWeights = {groups, oc / groups, ic / groups, k, k}, plainWeights = {oc, ic, k, k};
    int grouped = groups > 1, rank = grouped ? 5 : 4;
    dnnl_dim_t *weightDims = grouped ? groupedWeights : plainWeights;
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->src, 4, srcDims, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->dst, 4, dstDims, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&c->bias, 1, biasDims, dnnl_f32, dnnl_x);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->weights, rank, weightDims, dnnl_f32, grouped ? dnnl_goihw : dnnl_oihw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->anySrc, 4, srcDims, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->anyDst, 4, dstDims, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&d->anyWeights, rank, weightDims, dnnl_f32, dnnl_format_tag_any);
    d->strides[0] = d->strides[1] = stride;
    d->dilates[0] = d->dilates[1] = dilation - 1;
    d->pad[0] = d->pad[1] = padding;
    // oneDNN wants the right padding that makes the output size exact.
    d->padRight[0] = (oh - 1) * stride + (k - 1) * dilation + 1 - ih - padding;
    d->padRight[1] = (ow - 1) * stride + (k - 1) * dilation + 1 - iw - padding;
    return s;
}

/** Creates the training convolution (forward, backward data, backward weights) for input [n, ic, ih, iw], weights
 *  [oc, ic/groups, k, k] and output [n, oc, oh, ow] (dilation as in PyTorch: 1 = none). The primitives choose their
 *  memory formats (blocked layouts run several times faster than plain NCHW); callers keep plain layouts and the
 *  handle reorders at the edges (short-lived copies in `pool`, shared by all handles). Free with cdnnl_convolution_destroy.
 *  `transposed` 1: the handle serves a transposed convolution, called as backward data (its forward), then forward
 *  (its input gradient) and backward weights (its weight gradient) on that forward's input. */
static inline int cdnnl_convolution_create(cdnnl_convolution **out, int n, int ic, int ih, int iw, int oc, int k, int oh, int ow,
                                           int stride, int padding, int dilation, int groups, int hasBias, int transposed,
                                           int layouts, cdnnl_scratch_pool *pool) {
    *out = NULL;
    cdnnl_convolution *c = (cdnnl_convolution *)calloc(1, sizeof(cdnnl_convolution));
    if (!c) return -1;
    c->pool = pool;
    c->slots[2].scratch = c->slots[5].scratch = c->slots[8].scratch = 1;
    c->slots[3].scratch = 2;
    cdnnl_convolution_shape d;
    dnnl_status_t s = cdnnl_convolution_begin(c, &d, n, ic, ih, iw, oc, k, oh, ow, stride, padding, dilation, groups);
    dnnl_memory_desc_t src = d.src, weights = d.weights, dst = d.dst, anySrc = d.anySrc, anyWeights = d.anyWeights, anyDst = d.anyDst;
    // The caller's input (bit 0 of `layouts`) or output (bit 1) in channel blocks of 16 (CDNNL_BLOCKED) instead of
    // NCHW: when the primitive chose that layout too, it reads or writes the caller's buffer with no reorder.
    dnnl_dims_t srcDims = {n, ic, ih, iw}, dstDims = {n, oc, oh, ow};
    if (s == dnnl_success && (layouts & 1)) s = dnnl_memory_desc_init_by_tag(&src, 4, srcDims, dnnl_f32, CDNNL_BLOCKED);
    if (s == dnnl_success && (layouts & 2)) s = dnnl_memory_desc_init_by_tag(&dst, 4, dstDims, dnnl_f32, CDNNL_BLOCKED);
    // A 1x1 convolution to fewer than 16 channels (a segmentation head) stays in plain NCHW: a blocked layout pads
    // its output to 16 channels, and the reorders of its large input and padded output cost several times the
    // convolution itself (U-Net's 16 -> 2 head at 8x256x256: about 18 ms a step blocked, 4 ms plain).
    if (s == dnnl_success && k == 1 && oc < 16 && groups == 1 && !transposed) { anySrc = src; anyWeights = weights; anyDst = dst; }
    dnnl_dim_t *strides = d.strides, *dilates = d.dilates, *pad = d.pad, *padRight = d.padRight;
    dnnl_convolution_desc_t desc, dataDesc, weightsDesc;
    dnnl_primitive_desc_t pd = NULL, dataPD = NULL, weightsPD = NULL;
    if (s == dnnl_success) s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                                                          &anySrc, &anyWeights, hasBias ? &c->bias : NULL, &anyDst,
                                                                          strides, dilates, pad, padRight);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, NULL, c->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->primitive, pd);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[0], &src, pd, dnnl_query_src_md, c->engine, NULL);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[1], &weights, pd, dnnl_query_weights_md, c->engine, NULL);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[2], &dst, pd, dnnl_query_dst_md, c->engine, NULL);
    // Backward primitives, hinted by the forward one (they pick matching algorithms and formats).
    if (s == dnnl_success) s = dnnl_dilated_convolution_backward_data_desc_init(&dataDesc, dnnl_convolution_direct, &anySrc, &anyWeights,
                                                                               &anyDst, strides, dilates, pad, padRight);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&dataPD, &dataDesc, NULL, c->engine, pd);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->backwardData, dataPD);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[3], &dst, dataPD, dnnl_query_diff_dst_md, c->engine, NULL);
    // A transposed convolution runs backward data first (its forward pass), so the forward's weight copy and the
    // backward-data output-gradient copy are not there to be reused: those slots reorder for themselves.
    const cdnnl_slot *forwardWeights = transposed ? NULL : &c->slots[1], *dataGradient = transposed ? NULL : &c->slots[3];
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[4], &weights, dataPD, dnnl_query_weights_md, c->engine, forwardWeights);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[5], &src, dataPD, dnnl_query_diff_src_md, c->engine, NULL);
    if (s == dnnl_success) s = dnnl_dilated_convolution_backward_weights_desc_init(&weightsDesc, dnnl_convolution_direct, &anySrc, &anyWeights,
                                                                                  hasBias ? &c->bias : NULL, &anyDst, strides, dilates, pad, padRight);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&weightsPD, &weightsDesc, NULL, c->engine, pd);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->backwardWeights, weightsPD);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[6], &src, weightsPD, dnnl_query_src_md, c->engine, &c->slots[0]);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[7], &dst, weightsPD, dnnl_query_diff_dst_md, c->engine, dataGradient);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[8], &weights, weightsPD, dnnl_query_diff_weights_md, c->engine, NULL);
    if (dataPD) dnnl_primitive_desc_destroy(dataPD);
    if (weightsPD) dnnl_primitive_desc_destroy(weightsPD);
    if (pd) dnnl_primitive_desc_destroy(pd);
    c->hasBias = hasBias;
    if (s != dnnl_success) {
        cdnnl_convolution_destroy(c);
        return (int)s;
    }
    *out = c;
    return 0;
}

/** Runs primitive `p` with inputs in slots `in` (argument kinds `inKinds`) and one output slot; `extra` is the bias. */
static inline int cdnnl_convolution_run(cdnnl_convolution *c, dnnl_primitive_t p, int firstSlot, int inKind0, const void *in0,
                                        int inKind1, const void *in1, int outKind, void *outData, int biasKind, void *bias) {
    dnnl_memory_t users[3] = {NULL, NULL, NULL}, chosen[3] = {NULL, NULL, NULL}, biasMemory = NULL;
    cdnnl_slot *slots = &c->slots[firstSlot];
    dnnl_status_t s = cdnnl_slot_bind(&slots[0], c->pool);
    if (s == dnnl_success) s = cdnnl_slot_bind(&slots[1], c->pool);
    if (s == dnnl_success) s = cdnnl_slot_bind(&slots[2], c->pool);
    // A borrowed diff-dst copy follows its owner's (shared) buffer.
    if (firstSlot == 6 && c->slots[7].borrowed) c->slots[7].buffer = c->slots[3].buffer;
    if (s == dnnl_success) s = cdnnl_slot_input(&slots[0], in0, c->engine, c->stream, &users[0], &chosen[0]);
    if (s == dnnl_success) s = cdnnl_slot_input(&slots[1], in1, c->engine, c->stream, &users[1], &chosen[1]);
    if (s == dnnl_success) s = cdnnl_slot_output(&slots[2], outData, c->engine, &users[2], &chosen[2]);
    if (s == dnnl_success && c->hasBias && bias) s = dnnl_memory_create(&biasMemory, &c->bias, c->engine, bias);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{inKind0, chosen[0] ? chosen[0] : users[0]}, {inKind1, chosen[1] ? chosen[1] : users[1]},
                                   {outKind, chosen[2] ? chosen[2] : users[2]}, {biasKind, biasMemory}};
        s = dnnl_primitive_execute(p, c->stream, biasMemory ? 4 : 3, args);
    }
    if (s == dnnl_success) s = cdnnl_slot_output_finish(&slots[2], c->stream, users[2], chosen[2]);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    for (int i = 0; i < 3; ++i) { if (users[i]) dnnl_memory_destroy(users[i]); if (chosen[i]) dnnl_memory_destroy(chosen[i]); }
    if (biasMemory) dnnl_memory_destroy(biasMemory);
    cdnnl_pool_release_large(c->pool, firstSlot == 3 ? 1 : 0);
    return (int)s;
}

/** 1 when the handle keeps its own copy of the forward input for the weight gradient (the caller need not keep it). */
static inline int cdnnl_convolution_keeps_input(const cdnnl_convolution *c) { return c && c->slots[6].borrowed; }

/** Runs the convolution on caller buffers (bias may be NULL when created without). */
static inline int cdnnl_convolution_execute(cdnnl_convolution *c, const float *src, const float *weights, const float *bias, float *dst) {
    return cdnnl_convolution_run(c, c->primitive, 0, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, weights, DNNL_ARG_DST, dst,
                                 DNNL_ARG_BIAS, (void *)bias);
}

/** Gradient with respect to the input (overwrites `diffSrc`); after the forward pass with the same weights. */
static inline int cdnnl_convolution_backward_data(cdnnl_convolution *c, const float *diffDst, const float *weights, float *diffSrc) {
    return cdnnl_convolution_run(c, c->backwardData, 3, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_WEIGHTS, weights, DNNL_ARG_DIFF_SRC,
                                 diffSrc, 0, NULL);
}

/** In place of cdnnl_convolution_backward_data when the input gradient is not wanted (a network's first layer):
 *  only puts the output gradient where cdnnl_convolution_backward_weights reads it, in the primitive's layout. */
static inline int cdnnl_convolution_skip_backward_data(cdnnl_convolution *c, const float *diffDst) {
    if (!c->slots[7].borrowed) return 0;
    dnnl_memory_t user = NULL, chosen = NULL;
    dnnl_status_t s = cdnnl_slot_bind(&c->slots[3], c->pool);
    if (s == dnnl_success) s = cdnnl_slot_input(&c->slots[3], diffDst, c->engine, c->stream, &user, &chosen);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    if (user) dnnl_memory_destroy(user);
    if (chosen) dnnl_memory_destroy(chosen);
    return (int)s;
}

/** Gradients with respect to the weights and bias (overwrites `diffWeights` and `diffBias`); after the forward pass on
 *  the same input and cdnnl_convolution_backward_data with the same output gradient (their reordered copies are reused). */
static inline int cdnnl_convolution_backward_weights(cdnnl_convolution *c, const float *src, const float *diffDst, float *diffWeights, float *diffBias) {
    return cdnnl_convolution_run(c, c->backwardWeights, 6, DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_DIFF_WEIGHTS,
                                 diffWeights, DNNL_ARG_DIFF_BIAS, diffBias);
}

/** Creates an inference-only convolution with a bias and post-ops applied in the primitive, in this order: when
 *  `sum` is 1, adding the tensor given to cdnnl_convolution_fused_execute (a residual connection); then, when
 *  `activation` is 1, ReLU, or when it is 2, clipping to [0, `upper`] (ReLU6). Meant for batch normalisation folded
 *  into weights and bias. Nothing is kept for a backward pass: an input copy, when needed, lives in the shared pool. */
static inline int cdnnl_convolution_create_fused(cdnnl_convolution **out, int n, int ic, int ih, int iw, int oc, int k, int oh, int ow,
                                                 int stride, int padding, int dilation, int groups, int sum, int activation, float upper,
                                                 cdnnl_scratch_pool *pool) {
    *out = NULL;
    cdnnl_convolution *c = (cdnnl_convolution *)calloc(1, sizeof(cdnnl_convolution));
    if (!c) return -1;
    c->pool = pool;
    c->hasBias = 1;
    cdnnl_convolution_shape d;
    dnnl_status_t s = cdnnl_convolution_begin(c, &d, n, ic, ih, iw, oc, k, oh, ow, stride, padding, dilation, groups);
    dnnl_convolution_desc_t desc;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &d.anySrc,
                                                                          &d.anyWeights, &c->bias, &d.anyDst, d.strides, d.dilates, d.pad, d.padRight);
    if (s == dnnl_success) s = dnnl_post_ops_create(&ops);
    if (s == dnnl_success && sum) s = dnnl_post_ops_append_sum(ops, 1.0f);
    if (s == dnnl_success && activation == 1) s = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (s == dnnl_success && activation == 2) s = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, 0.0f, upper);
    if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, attr, c->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&c->primitive, pd);
    // Input and output move through cdnnl_convolution_fused_execute_kept's own copies: only their layouts are recorded.
    if (s == dnnl_success) s = cdnnl_slot_describe(&c->slots[0], &d.src, pd, dnnl_query_src_md);
    if (s == dnnl_success) s = cdnnl_slot_init(&c->slots[1], &d.weights, pd, dnnl_query_weights_md, c->engine, NULL);
    if (s == dnnl_success) s = cdnnl_slot_describe(&c->slots[2], &d.dst, pd, dnnl_query_dst_md);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (ops) dnnl_post_ops_destroy(ops);
    if (s != dnnl_success) {
        cdnnl_convolution_destroy(c);
        return (int)s;
    }
    *out = c;
    return 0;
}

/** A tensor kept in a primitive's own layout between fused inference convolutions (no reorder to NCHW and back
 *  between them). Owned by the caller: free with cdnnl_blocked_free. */
typedef struct {
    dnnl_memory_desc_t desc;
    void *buffer;
} cdnnl_blocked;

static inline void cdnnl_blocked_free(cdnnl_blocked *b) {
    if (!b) return;
    free(b->buffer);
    free(b);
}

/** Copies `from` (layout `fromDesc`) into `to` (layout `toDesc`, same logical tensor): a plain copy when the
 *  layouts are equal, else a reorder made for the call. */
static inline dnnl_status_t cdnnl_copy(dnnl_engine_t engine, dnnl_stream_t stream, const dnnl_memory_desc_t *fromDesc, const void *from,
                                       const dnnl_memory_desc_t *toDesc, void *to) {
    if (dnnl_memory_desc_equal(fromDesc, toDesc)) {
        memcpy(to, from, dnnl_memory_desc_get_size(toDesc));
        return dnnl_success;
    }
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t a = NULL, b = NULL;
    dnnl_status_t s = cdnnl_reorder_create(&reorder, fromDesc, toDesc, engine);
    if (s == dnnl_success) s = dnnl_memory_create(&a, fromDesc, engine, (void *)from);
    if (s == dnnl_success) s = dnnl_memory_create(&b, toDesc, engine, to);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
        s = dnnl_primitive_execute(reorder, stream, 2, args);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    if (a) dnnl_memory_destroy(a);
    if (b) dnnl_memory_destroy(b);
    if (reorder) dnnl_primitive_destroy(reorder);
    return s;
}

/** Copies a kept tensor into plain NCHW `dst` ([n, c, h, w]). */
static inline int cdnnl_blocked_to_plain(const cdnnl_blocked *b, float *dst, int n, int c, int h, int w, dnnl_engine_t engine, dnnl_stream_t stream) {
    dnnl_dims_t dims = {n, c, h, w};
    dnnl_memory_desc_t plain;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&plain, 4, dims, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = cdnnl_copy(engine, stream, &b->desc, b->buffer, &plain, dst);
    return (int)s;
}

/** Copies an activation [n, c, h, w] between plain NCHW and channel blocks of 16 (`toBlocked` 1: NCHW to blocks;
 *  c a multiple of 16). */
static inline int cdnnl_reorder_channel_blocks(const float *from, float *to, int n, int c, int h, int w, int toBlocked, dnnl_engine_t engine,
                                               dnnl_stream_t stream) {
    dnnl_dims_t dims = {n, c, h, w};
    dnnl_memory_desc_t plain, blocked;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&plain, 4, dims, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&blocked, 4, dims, dnnl_f32, CDNNL_BLOCKED);
    if (s == dnnl_success) s = toBlocked ? cdnnl_copy(engine, stream, &plain, from, &blocked, to) : cdnnl_copy(engine, stream, &blocked, from, &plain, to);
    return (int)s;
}

/** Runs a fused convolution: post-ops(conv(src, weights) + bias), where the sum post-op (when created with one)
 *  adds the addend ([n, oc, oh, ow]). The input and the addend are each given plain (`src`, `addend`) or kept in a
 *  primitive's layout (`srcKept`, `addendKept`, used when not NULL); the output is left in this primitive's own
 *  layout in a new `*dstKept` (the next fused convolution reads it without a reorder). */
static inline int cdnnl_convolution_fused_execute_kept(cdnnl_convolution *c, const float *src, const cdnnl_blocked *srcKept,
                                                       const float *weights, const float *bias, const float *addend,
                                                       const cdnnl_blocked *addendKept, cdnnl_blocked **dstKept) {
    *dstKept = NULL;
    dnnl_memory_t input = NULL, weightsUser = NULL, weightsChosen = NULL, output = NULL, biasMemory = NULL;
    cdnnl_slot *slots = c->slots;
    const dnnl_memory_desc_t *inputDesc = &slots[0].chosen, *outputDesc = &slots[2].chosen;
    cdnnl_blocked *result = (cdnnl_blocked *)calloc(1, sizeof(cdnnl_blocked));
    if (!result) return dnnl_out_of_memory;
    result->desc = *outputDesc;
    result->buffer = aligned_alloc(64, (dnnl_memory_desc_get_size(outputDesc) + 63) / 64 * 64);
    dnnl_status_t s = result->buffer ? dnnl_success : dnnl_out_of_memory;
    // The input as the primitive reads it: the kept buffer itself when its layout is the one chosen here.
    const void *inputData = srcKept ? srcKept->buffer : src;
    const dnnl_memory_desc_t *givenDesc = srcKept ? &srcKept->desc : &slots[0].user;
    if (s == dnnl_success && !dnnl_memory_desc_equal(givenDesc, inputDesc)) {
        // (Also when this primitive reads plain NCHW and the input was kept in another primitive's layout.)
        void *copy = cdnnl_pool_buffer(c->pool, 3, inputDesc);
        s = copy ? cdnnl_copy(c->engine, c->stream, givenDesc, inputData, inputDesc, copy) : dnnl_out_of_memory;
        inputData = copy;
    }
    if (s == dnnl_success) s = dnnl_memory_create(&input, inputDesc, c->engine, (void *)inputData);
    if (s == dnnl_success) s = cdnnl_slot_input(&slots[1], weights, c->engine, c->stream, &weightsUser, &weightsChosen);
    if (s == dnnl_success) s = dnnl_memory_create(&output, outputDesc, c->engine, result->buffer);
    if (s == dnnl_success) s = dnnl_memory_create(&biasMemory, &c->bias, c->engine, (void *)bias);
    // The sum post-op reads the destination: fill it with the addend, in this primitive's layout.
    if (s == dnnl_success && (addend || addendKept))
        s = cdnnl_copy(c->engine, c->stream, addendKept ? &addendKept->desc : &slots[2].user, addendKept ? addendKept->buffer : addend,
                       outputDesc, result->buffer);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, input}, {DNNL_ARG_WEIGHTS, weightsChosen ? weightsChosen : weightsUser},
                                   {DNNL_ARG_DST, output}, {DNNL_ARG_BIAS, biasMemory}};
        s = dnnl_primitive_execute(c->primitive, c->stream, 4, args);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    dnnl_memory_t all[5] = {input, weightsUser, weightsChosen, output, biasMemory};
    for (int i = 0; i < 5; ++i) if (all[i]) dnnl_memory_destroy(all[i]);
    cdnnl_pool_release_large(c->pool, 0);
    if (s != dnnl_success) {
        cdnnl_blocked_free(result);
        return (int)s;
    }
    *dstKept = result;
    return 0;
}

/** Threads of oneDNN's OpenMP runtime (libgomp). */
extern void omp_set_num_threads(int);
static inline void cdnnl_set_threads(int n) { omp_set_num_threads(n > 0 ? n : 1); }

/** libgomp's entry for a parallel region (what `#pragma omp parallel` compiles to) and a thread's place in its
 * team: Cohort's own parallel loops run on the team that runs oneDNN's primitives instead of a second pool. */
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);

#endif
