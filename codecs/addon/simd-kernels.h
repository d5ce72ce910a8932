/*
 * The native addon's XBZRLE and XBRLE encoders: the same bytes as the kernels of
 * ../reference-c/xbzrle-kernels.h (and the TypeScript and WebAssembly encoders), with runs
 * found 16 bytes at a time with SSE2 where the compiler targets it (every x86-64); elsewhere
 * the reference kernels. The C reference stays without intrinsics: it is what a careful C
 * programmer writes, and the yardstick `codecs bench` compares with.
 *
 * Unlike the WebAssembly kernels, this never reads past a page: the caller's memory has no
 * pad, so the last partial 16 bytes are compared byte by byte.
 */
#ifndef PAGEDELTA_SIMD_KERNELS_H
#define PAGEDELTA_SIMD_KERNELS_H
#include "../reference-c/xbzrle-kernels.h"

/*
 * Copies a run of n >= 1 bytes without a call: two overlapping moves of the widest size that
 * fits, 16-byte moves up to 64 bytes, memcpy beyond. A decode of a sparse delta is a few runs
 * of a dozen bytes, and a libc call per run was most of its time (perf: 29% in memmove).
 * The two regions never overlap (an input delta and a page).
 */
static inline void copy_run(uint8_t *to, const uint8_t *from, int n) {
  if (n > 64) {
    memcpy(to, from, (size_t)n);
    return;
  }
  if (n >= 16) {
    uint8_t last[16];
    memcpy(last, from + n - 16, 16);
    for (int k = 0; k < n - 16; k += 16) memcpy(to + k, from + k, 16);
    memcpy(to + n - 16, last, 16);
    return;
  }
  if (n >= 8) {
    uint64_t first, last;
    memcpy(&first, from, 8);
    memcpy(&last, from + n - 8, 8);
    memcpy(to, &first, 8);
    memcpy(to + n - 8, &last, 8);
    return;
  }
  if (n >= 4) {
    uint32_t first, last;
    memcpy(&first, from, 4);
    memcpy(&last, from + n - 4, 4);
    memcpy(to, &first, 4);
    memcpy(to + n - 4, &last, 4);
    return;
  }
  if (n >= 2) {
    uint16_t first, last;
    memcpy(&first, from, 2);
    memcpy(&last, from + n - 2, 2);
    memcpy(to, &first, 2);
    memcpy(to + n - 2, &last, 2);
    return;
  }
  to[0] = from[0];
}

/* Applies an XBZRLE delta that xbzrle_check has accepted for this page: no checks left to make. */
static inline void xbzrle_apply_checked(const uint8_t *in, int input_length, uint8_t *page) {
  int s = 0, d = 0;
  while (s < input_length) {
    int run = in[s];
    if (run & 0x80) {
      run = (run & 0x7f) | (in[s + 1] << 7);
      s += 2;
    } else {
      s += 1;
    }
    d += run;
    run = in[s];
    if (run & 0x80) {
      run = (run & 0x7f) | (in[s + 1] << 7);
      s += 2;
    } else {
      s += 1;
    }
    copy_run(page + d, in + s, run);
    s += run;
    d += run;
  }
}

#if defined(__SSE2__)
#include <emmintrin.h>

static inline __m128i load16(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }

/* Bit k set when byte k of old and cur (16 bytes from p) are equal. */
static inline unsigned equal_mask(const uint8_t *old, const uint8_t *cur, int i) {
  return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(load16(old + i), load16(cur + i)));
}

/*
 * XBZRLE: each run's end is the first zero (unchanged) or set (changed) bit of a 16-byte
 * compare's mask, and the changed bytes are copied with copy_run instead of a libc call.
 * Against the scalar kernel through the fast calls (16,384 kernel-visible pairs, ns a page):
 * SPARSE 266 -> 224, MEDIUM 247 -> 227, DENSE 433 -> 417, VERY-DENSE 557 -> 549. (An earlier
 * SSE2 encoder that copied with memcpy had been 1.2-1.3x slower than the scalar one on DENSE
 * pages; 32-byte AVX2 compares for unchanged stretches measured no faster: the two pages'
 * reads from memory set the pace.)
 */
/* The first position from i on where old and cur are not (equal: 1) or are (0) equal, or length. */
static inline int run_end(const uint8_t *old, const uint8_t *cur, int i, int length, int equal) {
  const unsigned whole_run = equal ? 0xffff : 0;
  for (; i + 16 <= length; i += 16) {
    const unsigned mask = equal_mask(old, cur, i);
    if (mask != whole_run) return i + __builtin_ctz(equal ? ~mask : mask);
  }
  while (i < length && (old[i] == cur[i]) == equal) i++;
  return i;
}

static inline int xbzrle_encode_fast(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  int i = 0, written = 0;
  while (i < length) {
    int start = i;
    i = run_end(old, cur, i, length, 1);
    if (i == length) break; /* the trailing unchanged run is not written */
    const int zero_run = i - start;
    if (zero_run > MAX_RUN) return -1;
    if (written + (zero_run < 0x80 ? 1 : 2) > limit) return -1;
    written += put_uleb(out + written, (uint32_t)zero_run);
    start = i;
    i = run_end(old, cur, i, length, 0);
    const int changed_run = i - start;
    if (changed_run > MAX_RUN) return -1;
    if (written + (changed_run < 0x80 ? 1 : 2) + changed_run > limit) return -1;
    written += put_uleb(out + written, (uint32_t)changed_run);
    copy_run(out + written, cur + start, changed_run);
    written += changed_run;
  }
  return written;
}

/*
 * XBRLE: per 16 bytes, a mask of the positions whose XOR byte differs from the one before
 * (a run starts there); only those are visited. Inside a run of unchanged bytes, whole
 * unchanged 16-byte blocks are skipped with one compare.
 */
static inline int xbrle_encode_fast(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  int i = 0, written = 0, run_start = 0;
  int value = old[0] ^ cur[0];
  while (i + 16 <= length) {
    if (value == 0) {
      while (i + 16 <= length && equal_mask(old, cur, i) == 0xffff) i += 16;
      if (i + 16 > length) break;
    }
    const __m128i block = _mm_xor_si128(load16(old + i), load16(cur + i));
    /* The XOR bytes one position earlier; the first block has none before it: its lane 0
       is compared with its own value. */
    const __m128i before = i > 0 ? _mm_xor_si128(load16(old + i - 1), load16(cur + i - 1)) : _mm_or_si128(_mm_slli_si128(block, 1), _mm_cvtsi32_si128(value));
    unsigned starts = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(block, before)) & 0xffff;
    while (starts != 0) {
      const int position = i + __builtin_ctz(starts);
      const int run = position - run_start;
      if (run <= 255 && written + 2 <= limit) {
        out[written] = (uint8_t)run;
        out[written + 1] = (uint8_t)value;
        written += 2;
      } else {
        written = put_run(out, written, limit, run, (uint8_t)value);
        if (written < 0) return -1;
      }
      run_start = position;
      value = old[position] ^ cur[position];
      starts &= starts - 1;
    }
    i += 16;
  }
  for (; i < length; i++) {
    const int x = old[i] ^ cur[i];
    if (x == value) continue;
    written = put_run(out, written, limit, i - run_start, (uint8_t)value);
    if (written < 0) return -1;
    run_start = i;
    value = x;
  }
  if (run_start == 0 && value == 0) return 0; /* identical pages */
  written = put_run(out, written, limit, length - run_start, (uint8_t)value);
  return written < 0 ? -1 : written;
}

#define PAGEDELTA_SIMD "sse2"
#else
static inline int xbzrle_encode_fast(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  return xbzrle_encode(old, cur, length, out, limit);
}
static inline int xbrle_encode_fast(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  return xbrle_encode(old, cur, length, out, limit);
}
#define PAGEDELTA_SIMD "none"
#endif

#endif
