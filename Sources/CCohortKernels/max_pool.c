/* Max pooling of float32 planes for MaxPool2d: each output is the first maximum of its window in window order
 * (row by row; a later value replaces the kept one only when strictly greater), and its position in the window
 * (ky * k + kx) goes to one byte for the backward pass. Windows wholly inside the plane run without bounds tests,
 * with the common 2x2 / 2 and 3x3 / 2 shapes unrolled as constants; the border ones test bounds (padding is -inf).
 * Comparisons and selects only: every clone gives the same values and positions. */
#include "CCohortKernels.h"
#include "lanes8.h"

/* One inside window at `q` (its top-left input) with row length `w`; K a constant where inlined. */
static inline __attribute__((always_inline)) void insideWindow(const float *q, long w, int K, float *out, uint8_t *pos) {
    float best = q[0];
    int at = 0;
    for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx) {
            const float v = q[ky * w + kx];
            const int better = v > best;
            best = better ? v : best;
            at = better ? ky * K + kx : at;
        }
    *out = best;
    *pos = (uint8_t)at;
}

/* Outputs ox in [lo, hi] of one row whose windows are all inside the plane; `row` is the window row's first input. */
static inline __attribute__((always_inline)) void insideRun(const float *row, long w, int K, int S, long lo, long hi, float *out,
                                                            uint8_t *pos) {
    for (long ox = lo; ox <= hi; ++ox) insideWindow(row + ox * S, w, K, out + ox, pos + ox);
}

/* A window that may cross the plane's edge: only the inputs inside count. */
static void borderWindow(const float *x, long h, long w, int k, long y0, long x0, float *out, uint8_t *pos) {
    float best = 0;
    int at = -1;
    for (int ky = 0; ky < k; ++ky) {
        const long iy = y0 + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; ++kx) {
            const long ix = x0 + kx;
            if (ix < 0 || ix >= w) continue;
            const float v = x[iy * w + ix];
            if (at < 0 || v > best) { best = v; at = ky * k + kx; }
        }
    }
    *out = at < 0 ? -__builtin_inff() : best;
    *pos = (uint8_t)(at < 0 ? 0 : at);
}

CLONED void ccohort_max_pool_plane(const float *restrict x, long h, long w, int k, int s, int p, long ho, long wo, float *restrict out,
                                   uint8_t *restrict pos) {
    for (long oy = 0; oy < ho; ++oy) {
        const long y0 = oy * s - p;
        float *o = out + oy * wo;
        uint8_t *a = pos + oy * wo;
        const int insideRow = y0 >= 0 && y0 + k <= h;
        long lo = 0, hi = -1;  // the outputs of this row whose windows lie inside the plane
        if (insideRow) {
            lo = (p + s - 1) / s;
            hi = w - k + p >= 0 ? (w - k + p) / s : -1;
            if (hi > wo - 1) hi = wo - 1;
        }
        for (long ox = 0; ox < wo && ox < lo; ++ox) borderWindow(x, h, w, k, y0, ox * s - p, o + ox, a + ox);
        if (lo <= hi) {
            const float *row = x + y0 * w - p;
            if (k == 2 && s == 2) insideRun(row, w, 2, 2, lo, hi, o, a);
            else if (k == 3 && s == 2) insideRun(row, w, 3, 2, lo, hi, o, a);
            else insideRun(row, w, k, s, lo, hi, o, a);
        }
        for (long ox = (lo <= hi ? hi + 1 : lo); ox < wo; ++ox) borderWindow(x, h, w, k, y0, ox * s - p, o + ox, a + ox);
    }
}

/* Windows that tile the plane (stride k, no padding): each input gets its window's gradient or 0, written once. */
static inline __attribute__((always_inline)) void tiledGradient(const float *g, const uint8_t *pos, long ho, long wo, int K, long h, long w,
                                                                float *out) {
    for (long oy = 0; oy < ho; ++oy) {
        for (int ky = 0; ky < K; ++ky) {
            float *row = out + (oy * K + ky) * w;
            for (long ox = 0; ox < wo; ++ox) {
                const int at = pos[oy * wo + ox] - ky * K;
                const float v = g[oy * wo + ox];
                for (int kx = 0; kx < K; ++kx) row[ox * K + kx] = kx == at ? v : 0.0f;
            }
            for (long ix = wo * K; ix < w; ++ix) row[ix] = 0;  // columns no window covers
        }
    }
    for (long iy = ho * K; iy < h; ++iy) memset(out + iy * w, 0, (size_t)w * sizeof(float));
}

CLONED void ccohort_max_pool_backward_plane(const float *restrict g, const uint8_t *restrict pos, long ho, long wo, int k, int s, int p,
                                            long h, long w, float *restrict out) {
    if (k == s && p == 0) {
        if (k == 2) tiledGradient(g, pos, ho, wo, 2, h, w, out);
        else tiledGradient(g, pos, ho, wo, k, h, w, out);
        return;
    }
    memset(out, 0, (size_t)(h * w) * sizeof(float));
    for (long oy = 0; oy < ho; ++oy)
        for (long ox = 0; ox < wo; ++ox) {
            const int at = pos[oy * wo + ox];
            out[(oy * s - p + at / k) * w + ox * s - p + at % k] += g[oy * wo + ox];
        }
}
