/* Bilinear resampling of one-channel float images under an affine map: the inner loop of CohortData's
 * Resampling.warp for gray images, in C so the coordinate conversions carry no overflow checks. The arithmetic is
 * that of the Swift loop operation for operation (double coordinates, float interpolation, nothing fused), so the
 * values are the same to the last bit; CohortDataTests compares the two. */
#include "CCohortKernels.h"

#pragma STDC FP_CONTRACT OFF

void ccohort_warp_gray_bilinear(const float *src, int64_t w, int64_t h, float *dst, int64_t width, int64_t height,
                                float fill, const double m[6]) {
    const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5];
    const double right = (double)w - 0.5, bottom = (double)h - 0.5, lastX = (double)(w - 1), lastY = (double)(h - 1);
    for (int64_t y = 0; y < height; ++y) {
        const double rowX = b * (double)y + c, rowY = e * (double)y + f;
        float *row = dst + y * width;
        for (int64_t x = 0; x < width; ++x) {
            const double sx = rowX + a * (double)x, sy = rowY + d * (double)x;
            if (sx < -0.5 || sy < -0.5 || sx > right || sy > bottom) { row[x] = fill; continue; }
            /* Swift's max(v, 0) is `0 >= v ? 0 : v` and min(v, last) is `last < v ? last : v`: kept, zero signs and all. */
            const double mx = 0 >= sx ? 0 : sx, my = 0 >= sy ? 0 : sy;
            const double cx = lastX < mx ? lastX : mx, cy = lastY < my ? lastY : my;
            const int64_t x0 = (int64_t)cx, y0 = (int64_t)cy;
            const int64_t x1 = x0 + 1 < w - 1 ? x0 + 1 : w - 1, y1 = y0 + 1 < h - 1 ? y0 + 1 : h - 1;
            const float fx = (float)(cx - (double)x0), fy = (float)(cy - (double)y0);
            const float *r0 = src + y0 * w, *r1 = src + y1 * w;
            const float top = r0[x0] + (r0[x1] - r0[x0]) * fx;
            const float lower = r1[x0] + (r1[x1] - r1[x0]) * fx;
            row[x] = top + (lower - top) * fy;
        }
    }
}
