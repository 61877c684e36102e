/* Shared by batch_norm.c and relu.c: the CPU-cloning attribute, eight-lane vector types (GCC and Clang
 * extensions) and the ReLU mask's bit <-> lane conversions (element i of a group of eight is bit i of its byte). */
#ifndef CCOHORT_LANES8_H
#define CCOHORT_LANES8_H

#include <string.h>

/* Each kernel is cloned for AVX-512, AVX2 and baseline x86-64; the loader picks one for the CPU. */
#if defined(__x86_64__) && defined(__clang__)
#define CLONED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONED
#endif

typedef float floats8 __attribute__((vector_size(32)));
typedef int ints8 __attribute__((vector_size(32)));
typedef double doubles8 __attribute__((vector_size(64)));

/* Macros, not functions: passing eight-lane vectors by value changes the ABI with the target. */
#define LOAD(type, p) ({ type v_; memcpy(&v_, (p), sizeof v_); v_; })
#define LANE_BITS ((ints8){1, 2, 4, 8, 16, 32, 64, 128})
/* The mask byte of eight floats: bit k set when 0 < v[k] < top[k]. */
#define PASS_BYTE(v, zero, top) ({ const ints8 p_ = ((v) > (zero)) & ((v) < (top)) & LANE_BITS; \
    (uint8_t)(((p_[0] | p_[1]) | (p_[2] | p_[3])) | ((p_[4] | p_[5]) | (p_[6] | p_[7]))); })
/* All-ones lanes where the bits of `byte` are set, zero lanes elsewhere. */
#define LANE_MASK(byte) ((LANE_BITS & (int)(byte)) != 0)

#endif
