// JPEG-LS decoding (ITU-T T.87 | ISO/IEC 14495-1): lossless and near-lossless scans of one component, or of
// several components each in its own scan (no interleave), 2 to 16 bits per sample, default or LSE-given
// thresholds. Written from the standard's description of the decoding process (Annex A and C). Anything else
// (line or sample interleave, mapping tables, point transforms, colour transforms) is reported unsupported so
// the caller can use another decoder; damaged data is reported corrupt, never read past its end.
#include "CCohortKernels.h"

#include <stdlib.h>
#include <string.h>

enum { CONTEXTS = 367, RUN_CONTEXT = 365 };

static const int J[32] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Entropy-coded bits, most significant first. A byte after 0xFF carries 7 bits (its top bit is a stuffed zero);
// 0xFF followed by a byte with its top bit set is a marker, which ends the scan: reading past it counts as overrun.
typedef struct {
    const uint8_t *p, *end;
    uint64_t bits;   // left-aligned
    int count;       // valid bits in `bits`
    int afterFF;
    int overrun;     // zero bytes supplied past the end of the scan
} Bits;

static void fill(Bits *b) {
    while (b->count <= 56) {
        if (b->p >= b->end || (b->afterFF && (*b->p & 0x80))) {
            b->overrun += 1;  // zeros: callers stop once this passes 64 bytes
            b->count += 8;
            continue;
        }
        uint8_t byte = *b->p++;
        if (b->afterFF) {
            b->bits |= (uint64_t)(byte & 0x7f) << (57 - b->count);
            b->count += 7;
        } else {
            b->bits |= (uint64_t)byte << (56 - b->count);
            b->count += 8;
        }
        b->afterFF = byte == 0xff;
    }
}

static inline uint32_t readBits(Bits *b, int n) {
    if (n == 0) return 0;
    if (b->count < n) fill(b);
    uint32_t value = (uint32_t)(b->bits >> (64 - n));
    b->bits <<= n;
    b->count -= n;
    return value;
}

// Zeros before the next one bit (the one is consumed), at most `limit`; returns limit + 1 past it.
static inline int readUnary(Bits *b, int limit) {
    int zeros = 0;
    for (;;) {
        if (b->count < 32) fill(b);
        if (b->overrun > 64) return limit + 1;
        uint64_t valid = b->count >= 64 ? ~0ull : ~((~0ull) >> b->count);  // (a 64-bit shift is undefined in C)
        uint64_t window = b->bits & valid;
        if (window == 0) {
            zeros += b->count;
            b->bits = 0;
            b->count = 0;
            if (zeros > limit) return limit + 1;
            continue;
        }
        int lead = __builtin_clzll(window);
        zeros += lead;
        b->bits = lead + 1 >= 64 ? 0 : b->bits << (lead + 1);
        b->count -= lead + 1;
        return zeros > limit ? limit + 1 : zeros;
    }
}

typedef struct {
    int maxval, near, range, qbpp, limit, reset, t1, t2, t3;
    int A[CONTEXTS], B[CONTEXTS], C[CONTEXTS], N[CONTEXTS], Nn[CONTEXTS];
    int runIndex;
    signed char *quantized;  // quantize(d) for d in [-maxval, maxval], indexed by d + maxval
} Coder;

static int clampThreshold(int i, int j, int maxval) { return (i > maxval || i < j) ? j : i; }

static int bitsFor(int value) {
    int n = 0;
    while ((1 << n) < value) ++n;
    return n;
}

static void setUp(Coder *c, int precision, int near, int maxval, int t1, int t2, int t3, int reset) {
    c->maxval = maxval > 0 ? maxval : (1 << precision) - 1;
    c->near = near;
    c->range = (c->maxval + 2 * near) / (2 * near + 1) + 1;
    c->qbpp = bitsFor(c->range);
    int bpp = bitsFor(c->maxval + 1);
    if (bpp < 2) bpp = 2;
    c->limit = 2 * (bpp + (bpp > 8 ? bpp : 8));
    c->reset = reset > 0 ? reset : 64;
    // Default thresholds, T.87 C.2.4.1.1 (basic values 3, 7, 21).
    int d1, d2, d3;
    if (c->maxval >= 128) {
        int factor = ((c->maxval < 4095 ? c->maxval : 4095) + 128) / 256;
        d1 = clampThreshold(factor * (3 - 2) + 2 + 3 * near, near + 1, c->maxval);
        d2 = clampThreshold(factor * (7 - 3) + 3 + 5 * near, d1, c->maxval);
        d3 = clampThreshold(factor * (21 - 4) + 4 + 7 * near, d2, c->maxval);
    } else {
        int factor = 256 / (c->maxval + 1);
        int v1 = 3 / factor + 3 * near, v2 = 7 / factor + 5 * near, v3 = 21 / factor + 7 * near;
        d1 = clampThreshold(v1 > 2 ? v1 : 2, near + 1, c->maxval);
        d2 = clampThreshold(v2 > 3 ? v2 : 3, d1, c->maxval);
        d3 = clampThreshold(v3 > 4 ? v3 : 4, d2, c->maxval);
    }
    c->t1 = t1 > 0 ? t1 : d1;
    c->t2 = t2 > 0 ? t2 : d2;
    c->t3 = t3 > 0 ? t3 : d3;
    int a = (c->range + 32) / 64;
    for (int q = 0; q < CONTEXTS; ++q) {
        c->A[q] = a > 2 ? a : 2;
        c->B[q] = c->C[q] = c->Nn[q] = 0;
        c->N[q] = 1;
    }
    c->runIndex = 0;
}

static inline int quantizeSlow(const Coder *c, int d) {
    if (d <= -c->t3) return -4;
    if (d <= -c->t2) return -3;
    if (d <= -c->t1) return -2;
    if (d < -c->near) return -1;
    if (d <= c->near) return 0;
    if (d < c->t1) return 1;
    if (d < c->t2) return 2;
    if (d < c->t3) return 3;
    return 4;
}

static inline int quantize(const Coder *c, int d) { return c->quantized[d + c->maxval]; }

// Tabulates the gradient quantisation for the scan (a branch-free lookup in the inner loop).
static int tabulate(Coder *c) {
    free(c->quantized);
    c->quantized = malloc((size_t)2 * c->maxval + 1);
    if (!c->quantized) return -1;
    for (int d = -c->maxval; d <= c->maxval; ++d) c->quantized[d + c->maxval] = (signed char)quantizeSlow(c, d);
    return 0;
}

// Golomb code with limited length (T.87 A.5.3): the unary prefix, then k bits, or an escape and qbpp bits.
static inline int readGolomb(Bits *b, int k, int limit, int qbpp) {
    int prefix = readUnary(b, limit);
    if (prefix < limit - qbpp - 1) return (int)(((uint32_t)prefix << k) | readBits(b, k));
    if (prefix > limit) return -1;
    return (int)readBits(b, qbpp) + 1;
}

static inline int reconstruct(const Coder *c, int predicted, int error) {
    int value = predicted + error * (2 * c->near + 1);
    int span = c->range * (2 * c->near + 1);
    if (value < -c->near) value += span;
    else if (value > c->maxval + c->near) value -= span;
    if (value < 0) value = 0;
    if (value > c->maxval) value = c->maxval;
    return value;
}

static int decodeRegular(Coder *c, Bits *b, int q, int sign, int predicted) {
    int k = 0;
    while ((c->N[q] << k) < c->A[q] && k < 24) ++k;
    int mapped = readGolomb(b, k, c->limit, c->qbpp);
    if (mapped < 0) return -1;
    int error;
    if (c->near == 0 && k == 0 && 2 * c->B[q] <= -c->N[q]) {
        error = (mapped & 1) ? (mapped - 1) >> 1 : -(mapped >> 1) - 1;
    } else {
        error = (mapped & 1) ? -((mapped + 1) >> 1) : mapped >> 1;
    }
    // Context update and bias correction (A.6).
    c->B[q] += error * (2 * c->near + 1);
    c->A[q] += error < 0 ? -error : error;
    if (c->N[q] == c->reset) {
        c->A[q] >>= 1;
        c->B[q] >>= 1;  // arithmetic: floor(B / 2)
        c->N[q] >>= 1;
    }
    c->N[q] += 1;
    if (c->B[q] <= -c->N[q]) {
        c->B[q] += c->N[q];
        if (c->C[q] > -128) c->C[q] -= 1;
        if (c->B[q] <= -c->N[q]) c->B[q] = -c->N[q] + 1;
    } else if (c->B[q] > 0) {
        c->B[q] -= c->N[q];
        if (c->C[q] < 127) c->C[q] += 1;
        if (c->B[q] > 0) c->B[q] = 0;
    }
    return reconstruct(c, predicted, sign * error);
}

// The run-interruption sample (A.7.2) at the end of a run that stopped before the end of the line.
static int decodeInterruption(Coder *c, Bits *b, int ra, int rb) {
    int type = (ra - rb <= c->near && rb - ra <= c->near) ? 1 : 0;
    int q = RUN_CONTEXT + type;
    int predicted = type ? ra : rb;
    int sign = (type == 0 && ra > rb) ? -1 : 1;
    int temp = type ? c->A[q] + (c->N[q] >> 1) : c->A[q];
    int k = 0;
    while ((c->N[q] << k) < temp && k < 24) ++k;
    int mapped = readGolomb(b, k, c->limit - J[c->runIndex] - 1, c->qbpp);
    if (mapped < 0) return -1;
    int sum = mapped + type;
    int map = sum & 1;
    int magnitude = (sum + map) >> 1;
    int error = (k == 0 && 2 * c->Nn[q] < c->N[q]) ? (map ? magnitude : -magnitude) : (map ? -magnitude : magnitude);
    if (error < 0) c->Nn[q] += 1;
    c->A[q] += (mapped + 1 - type) >> 1;
    if (c->N[q] == c->reset) {
        c->A[q] >>= 1;
        c->N[q] >>= 1;
        c->Nn[q] >>= 1;
    }
    c->N[q] += 1;
    if (c->runIndex > 0) c->runIndex -= 1;
    return reconstruct(c, predicted, sign * error);
}

// Decodes one line into cur[0..width), with prev the line above; both have a slot at [-1] and prev one at [width].
static int decodeLine(Coder *c, Bits *b, const int *prev, int *cur, int width) {
    int x = 0;
    while (x < width) {
        int ra = x > 0 ? cur[x - 1] : prev[0], rb = prev[x], rc = x > 0 ? prev[x - 1] : prev[-1], rd = prev[x + 1];
        int q1 = quantize(c, rd - rb), q2 = quantize(c, rb - rc), q3 = quantize(c, rc - ra);
        if (q1 == 0 && q2 == 0 && q3 == 0) {
            // Run mode (A.7.1): runs of Ra, in chunks of 2^J[RUNindex], then the remainder or the line's end.
            int remaining = width - x, length = 0;
            while (readBits(b, 1)) {
                int chunk = 1 << J[c->runIndex];
                int take = chunk < remaining - length ? chunk : remaining - length;
                length += take;
                if (take == chunk && c->runIndex < 31) c->runIndex += 1;
                if (length == remaining) break;
                if (b->overrun > 64) return -1;
            }
            if (length < remaining) length += (int)readBits(b, J[c->runIndex]);
            if (length > remaining || b->overrun > 64) return -1;
            for (int i = 0; i < length; ++i) cur[x + i] = ra;
            x += length;
            if (x == width) break;
            int value = decodeInterruption(c, b, ra, prev[x]);
            if (value < 0) return -1;
            cur[x++] = value;
            continue;
        }
        int q = 81 * q1 + 9 * q2 + q3, sign = 1;
        if (q < 0) {
            q = -q;
            sign = -1;
        }
        int hi = ra > rb ? ra : rb, lo = ra > rb ? rb : ra;
        int predicted = rc >= hi ? lo : rc <= lo ? hi : ra + rb - rc;
        predicted += sign * c->C[q];
        if (predicted < 0) predicted = 0;
        if (predicted > c->maxval) predicted = c->maxval;
        int value = decodeRegular(c, b, q, sign, predicted);
        if (value < 0) return -1;
        cur[x++] = value;
    }
    return b->overrun > 64 ? -1 : 0;
}

static int readU16(const uint8_t *p) { return (p[0] << 8) | p[1]; }

static int fail(char *message, size_t capacity, const char *text, int status) {
    if (message && capacity) {
        strncpy(message, text, capacity - 1);
        message[capacity - 1] = '\0';
    }
    return status;
}

// Decodes the scan starting at `data` (just after its SOS segment) for component `component` into `out`.
static int decodeScan(const uint8_t *data, const uint8_t *end, Coder *c, int width, int height, int components,
                      int component, uint16_t *out, const uint8_t **scanEnd) {
    int *lines = calloc((size_t)2 * (width + 2), sizeof(int));
    if (!lines) return -2;
    int *prev = lines + 1, *cur = lines + (width + 2) + 1;
    Bits b = {data, end, 0, 0, 0, 0};
    int status = 0;
    for (int y = 0; y < height && status == 0; ++y) {
        prev[width] = prev[width - 1];
        cur[-1] = prev[0];
        status = decodeLine(c, &b, prev, cur, width);
        for (int x = 0; x < width; ++x) out[((size_t)y * width + x) * components + component] = (uint16_t)cur[x];
        int *swap = prev;
        prev = cur;
        cur = swap;
    }
    free(lines);
    // The scan ends at the next marker. The reader stops on a marker's second byte, having taken its 0xFF as data:
    // look from a byte before where it stopped, skipping stuffed bytes.
    const uint8_t *p = b.p > data ? b.p - 1 : b.p;
    while (p + 1 < end && !(p[0] == 0xff && (p[1] & 0x80))) ++p;
    *scanEnd = p;
    return status;
}

int ccohort_jpegls_decode(const uint8_t *data, size_t size, uint16_t *out, size_t capacity, int *width, int *height,
                          int *components, int *precision, char *message, size_t messageCapacity) {
    const uint8_t *p = data, *end = data + size;
    if (size < 4 || readU16(p) != 0xFFD8) return fail(message, messageCapacity, "no JPEG-LS start of image", CCOHORT_JPEGLS_CORRUPT);
    p += 2;
    int frameSeen = 0, scans = 0, maxval = 0, t1 = 0, t2 = 0, t3 = 0, reset = 0;
    int ids[4] = {0};
    Coder *coder = calloc(1, sizeof(Coder));
    if (!coder) return fail(message, messageCapacity, "out of memory", CCOHORT_JPEGLS_CORRUPT);
    int status = CCOHORT_JPEGLS_OK;
    while (p + 4 <= end && status == CCOHORT_JPEGLS_OK) {
        if (p[0] != 0xff) { status = fail(message, messageCapacity, "expected a marker", CCOHORT_JPEGLS_CORRUPT); break; }
        int marker = readU16(p);
        if (marker == 0xFFD9) break;
        if (marker == 0xFFFF) { ++p; continue; }
        int length = readU16(p + 2);
        if (length < 2 || p + 2 + length > end) { status = fail(message, messageCapacity, "a marker segment overruns the data", CCOHORT_JPEGLS_CORRUPT); break; }
        const uint8_t *segment = p + 4;
        if (marker == 0xFFF7) {  // SOF55: precision, lines, columns, components
            if (length < 11 || frameSeen) { status = fail(message, messageCapacity, "bad JPEG-LS frame header", CCOHORT_JPEGLS_CORRUPT); break; }
            *precision = segment[0];
            *height = readU16(segment + 1);
            *width = readU16(segment + 3);
            *components = segment[5];
            if (*precision < 2 || *precision > 16 || *height == 0 || *width == 0 || *components < 1 || *components > 4 ||
                length < 8 + 3 * *components) {
                status = fail(message, messageCapacity, "JPEG-LS frame header out of range", CCOHORT_JPEGLS_CORRUPT);
                break;
            }
            for (int i = 0; i < *components; ++i) {
                ids[i] = segment[6 + 3 * i];
                if (segment[7 + 3 * i] != 0x11) status = fail(message, messageCapacity, "subsampled components", CCOHORT_JPEGLS_UNSUPPORTED);
            }
            if ((size_t)*width * *height * *components > capacity) status = fail(message, messageCapacity, "the frame is larger than the buffer", CCOHORT_JPEGLS_CORRUPT);
            frameSeen = 1;
        } else if (marker == 0xFFF8) {  // LSE
            if (length >= 13 && segment[0] == 1) {
                maxval = readU16(segment + 1); t1 = readU16(segment + 3); t2 = readU16(segment + 5);
                t3 = readU16(segment + 7); reset = readU16(segment + 9);
            } else {
                status = fail(message, messageCapacity, "JPEG-LS mapping tables or extensions", CCOHORT_JPEGLS_UNSUPPORTED);
            }
        } else if (marker == 0xFFDA) {  // SOS: components, their ids, NEAR, interleave, point transform
            int count = segment[0];
            if (!frameSeen || count < 1 || length < 6 + 2 * count) { status = fail(message, messageCapacity, "bad JPEG-LS scan header", CCOHORT_JPEGLS_CORRUPT); break; }
            int near = segment[1 + 2 * count], interleave = segment[2 + 2 * count], transform = segment[3 + 2 * count] & 0x0f;
            if (count != 1 || interleave != 0 || transform != 0) { status = fail(message, messageCapacity, "interleaved scans or a point transform", CCOHORT_JPEGLS_UNSUPPORTED); break; }
            if (segment[2] != 0) { status = fail(message, messageCapacity, "JPEG-LS mapping tables", CCOHORT_JPEGLS_UNSUPPORTED); break; }
            int component = -1;
            for (int i = 0; i < *components; ++i) if (ids[i] == segment[1]) component = i;
            int scanMaxval = maxval > 0 ? maxval : (1 << *precision) - 1;
            int limitNear = (scanMaxval < 510 ? scanMaxval : 510) / 2;  // NEAR <= min(MAXVAL / 2, 255), T.87 C.2.3
            if (component < 0 || near > limitNear) { status = fail(message, messageCapacity, "a scan names an unknown component or an impossible NEAR", CCOHORT_JPEGLS_CORRUPT); break; }
            setUp(coder, *precision, near, maxval, t1, t2, t3, reset);
            if (tabulate(coder) != 0) { status = fail(message, messageCapacity, "out of memory", CCOHORT_JPEGLS_CORRUPT); break; }
            const uint8_t *after = NULL;
            int result = decodeScan(p + 2 + length, end, coder, *width, *height, *components, component, out, &after);
            if (result != 0) { status = fail(message, messageCapacity, "the JPEG-LS scan data is corrupt or truncated", CCOHORT_JPEGLS_CORRUPT); break; }
            ++scans;
            p = after;
            continue;
        }
        p += 2 + length;
    }
    free(coder->quantized);
    free(coder);
    if (status == CCOHORT_JPEGLS_OK && (!frameSeen || scans != *components)) {
        status = fail(message, messageCapacity, "the JPEG-LS stream lacks a frame or a scan per component", CCOHORT_JPEGLS_CORRUPT);
    }
    return status;
}
