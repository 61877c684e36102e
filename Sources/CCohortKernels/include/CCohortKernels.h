/* CCohortKernels: small byte-crunching kernels that must be fast even in debug builds of the Swift code.
 *
 * SHA-256 block compression for CohortCore's SHA256 (FIPS 180-4): the Swift side does buffering and padding;
 * this does the per-block work, with the x86 SHA extensions when the CPU has them (checked once at run time)
 * and portable C otherwise.
 */
#ifndef CCOHORT_KERNELS_H
#define CCOHORT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Compresses `blocks` 64-byte blocks from `data` into `state` (8 words, H0..H7). */
void ccohort_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/** The same with the portable code only (for tests that compare the two paths). */
void ccohort_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/** 1 when ccohort_sha256_blocks uses the CPU's SHA instructions. */
int ccohort_sha256_accelerated(void);

/** Number of `width`-byte samples (1, 2, 4 or 8 bytes) among `count` that are not all-zero bytes. */
size_t ccohort_count_nonzero(const uint8_t *data, size_t count, int width);

/** Results of ccohort_jpegls_decode. */
enum { CCOHORT_JPEGLS_OK = 0, CCOHORT_JPEGLS_UNSUPPORTED = 1, CCOHORT_JPEGLS_CORRUPT = 2 };

/** Decodes one JPEG-LS image (ITU-T T.87): one component, or several in separate scans; lossless or near-lossless;
 *  2-16 bits. Samples go to `out` (`capacity` values) pixel by pixel, components interleaved, as read (no sign
 *  handling). UNSUPPORTED means another decoder may succeed (interleaved scans, mapping tables, point transforms);
 *  CORRUPT means the stream is damaged. Never reads outside `data[0..<size]`. */
int ccohort_jpegls_decode(const uint8_t *data, size_t size, uint16_t *out, size_t capacity, int *width, int *height,
                          int *components, int *precision, char *message, size_t messageCapacity);

/** Bilinear resampling of a one-channel `w` x `h` float image into `width` x `height`: output pixel (x, y) takes the
 *  source value at (m0 x + m1 y + m2, m3 x + m4 y + m5) (pixel centres), clamped to the edge inside the source's
 *  pixel area, `fill` outside it. The same values as CohortData's Resampling.warp. */
void ccohort_warp_gray_bilinear(const float *src, int64_t w, int64_t h, float *dst, int64_t width, int64_t height,
                                float fill, const double m[6]);

/** One Adam step over `count` float32 parameters (torch.optim.Adam without weight decay): m and v updated in
 *  place, then value -= rate * (m / correction1) / (sqrt(v / correction2) + eps). The arrays must not overlap. */
void ccohort_adam_update(float *restrict value, const float *restrict gradient, float *restrict m, float *restrict v, size_t count,
                         float beta1, float beta2, float correction1, float correction2, float eps, float rate);

/** Batch normalisation over one channel plane of `count` values (float32; see batch_norm.c). The sums of
 *  x - pivot and of (x - pivot)^2, in double. */
void ccohort_bn_shifted_sums(const float *restrict x, size_t count, double pivot, double *sum, double *squares);

/** out = gamma * ((x - mean) * inv) + beta, clamped to [0, upper] when `clamp` (a ReLU after the norm; NaN kept).
 *  `out` must not overlap `x`. With `clamp` and `mask`, also that ReLU's mask (see ccohort_relu_forward): bit i set
 *  when 0 < value < upper; `count` must then be a multiple of 8 (mask gets count / 8 bytes). */
void ccohort_bn_normalize(const float *restrict x, size_t count, float mean, float inv, float gamma, float beta, float upper, int clamp,
                          float *restrict out, uint8_t *restrict mask);

/** The sum of g and of g * (x - mean), in double. With `mask` (a ReLU's, see ccohort_relu_forward; `maskBytes`
 *  long), g counts only where bit `firstBit + i` is set, for element i. */
void ccohort_bn_gradient_sums(const float *restrict g, const float *restrict x, size_t count, double mean, const uint8_t *mask,
                              size_t maskBytes, size_t firstBit, double *sumG, double *sumGD);

/** out = scale * (g - meanG - (x - mean) * inv * meanGX), the input gradient of a training pass; g masked as in
 *  ccohort_bn_gradient_sums. */
void ccohort_bn_input_gradient(const float *restrict g, const float *restrict x, size_t count, float mean, float inv, float scale,
                               float meanG, float meanGX, const uint8_t *mask, size_t maskBytes, size_t firstBit, float *restrict out);

/** The same passes over one chunk of an activation in channel blocks of 16 (nChw16c; see batch_norm_blocked.c):
 *  `positions` groups of 16 values, one per channel lane; per-channel arguments and results are arrays of 16.
 *  Masks (a ReLU's, bit i for element i of the chunk) start at the chunk's first byte; NULL for none. */
void ccohort_bn16_shifted_sums(const float *restrict x, size_t positions, const double *pivot, double *sum, double *squares);
void ccohort_bn16_normalize(const float *restrict x, size_t positions, const float *mean, const float *inv, const float *gamma,
                            const float *beta, float upper, int clamp, float *restrict out, uint8_t *restrict mask);
void ccohort_bn16_gradient_sums(const float *restrict g, const float *restrict x, size_t positions, const double *mean,
                                const uint8_t *mask, double *sumG, double *sumGD);
void ccohort_bn16_input_gradient(const float *restrict g, const float *restrict x, size_t positions, const float *mean, const float *inv,
                                 const float *scale, const float *meanG, const float *meanGX, const uint8_t *mask, float *restrict out);

/** ReLU over `count` float32 values: out = x clamped to [0, upper] (NaN kept), and when `mask` is not NULL one bit
 *  per element, element i at bit i % 8 of byte i / 8, set when 0 < x < upper. `x` starts a mask byte. */
void ccohort_relu_forward(const float *restrict x, size_t count, float upper, float *restrict out, uint8_t *restrict mask);

/** The mask bits of ccohort_relu_forward from its output `y` (0 < y < upper exactly where 0 < x < upper). */
void ccohort_relu_mask(const float *restrict y, size_t count, float upper, uint8_t *restrict mask);

/** The ReLU input gradient: out = g where the mask bit is set, else 0 (same layout as ccohort_relu_forward). */
void ccohort_relu_backward(const float *restrict g, const uint8_t *restrict mask, size_t count, float *restrict out);

/** Max pooling of one h x w float32 plane into ho x wo outputs (k x k windows, stride s, padding p as -inf): each
 *  output is the first maximum in window order, its window position ky * k + kx goes to `pos` (see max_pool.c). */
void ccohort_max_pool_plane(const float *restrict x, long h, long w, int k, int s, int p, long ho, long wo, float *restrict out,
                            uint8_t *restrict pos);

/** The input gradient of one plane from ccohort_max_pool_plane's positions: each output's gradient added at its
 *  maximum, 0 elsewhere (`out`, h x w, is overwritten). */
void ccohort_max_pool_backward_plane(const float *restrict g, const uint8_t *restrict pos, long ho, long wo, int k, int s, int p,
                                     long h, long w, float *restrict out);

/** The CRC-32 of ISO 3309 / PNG / zlib (libdeflate's), continuing from `crc` (0 to start). */
uint32_t ccohort_crc32(uint32_t crc, const void *data, size_t size);

/** Results of ccohort_png_decode. */
enum { CCOHORT_PNG_OK = 0, CCOHORT_PNG_FALLBACK = 1 };

/** A PNG decoded by ccohort_png_decode: `pixels` (malloc'd, free with `free`) holds `height * width * channels`
 *  samples, one byte each up to 8 bits (1/2/4-bit gray unpacked, not scaled), two little-endian bytes at 16. */
typedef struct {
    uint32_t width, height;
    int bitDepth, colorType, channels;
    uint8_t *pixels;
} CCohortPNGImage;

/** Decodes the PNG file held in `data[0..<size]` when it is non-interlaced gray (1-16 bits), gray+alpha, RGB or RGBA
 *  (8/16 bits) and every chunk checks out; values exactly as stored, the same as libpng's classic API gives.
 *  CCOHORT_PNG_FALLBACK (nothing allocated) for everything else, damaged files included: read those with libpng.
 *  Images of more than `maxPixels` pixels fall back too, so libpng reports the limit. */
int ccohort_png_decode(const uint8_t *data, size_t size, uint64_t maxPixels, CCohortPNGImage *image);

/** The header of the PNG file that starts with `data[0..<size]` (33 bytes suffice: signature and IHDR), pixels NULL,
 *  when IHDR is intact (CRC) and describes gray, gray+alpha, RGB or RGBA (interlaced or not) within `maxPixels`;
 *  the same fields libpng's header read gives. CCOHORT_PNG_FALLBACK for anything else (palette files included). */
int ccohort_png_header(const uint8_t *data, size_t size, uint64_t maxPixels, CCohortPNGImage *header);

#ifdef __cplusplus
}
#endif

#endif
