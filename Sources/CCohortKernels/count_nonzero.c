// Counting non-zero samples (mask foreground, empty-image checks) over raw sample bytes.
#include "CCohortKernels.h"

#include <string.h>

size_t ccohort_count_nonzero(const uint8_t *data, size_t count, int width) {
    size_t nonzero = 0;
    switch (width) {
    case 1:
        for (size_t i = 0; i < count; ++i) nonzero += data[i] != 0;
        break;
    case 2:
        for (size_t i = 0; i < count; ++i) { uint16_t v; memcpy(&v, data + 2 * i, 2); nonzero += v != 0; }
        break;
    case 4:
        for (size_t i = 0; i < count; ++i) { uint32_t v; memcpy(&v, data + 4 * i, 4); nonzero += v != 0; }
        break;
    default:
        for (size_t i = 0; i < count; ++i) { uint64_t v; memcpy(&v, data + 8 * i, 8); nonzero += v != 0; }
        break;
    }
    return nonzero;
}
