/*
 * pagedelta's own C page-delta kernels, written from the format description in
 * docs/codecs.md: a scalar XBZRLE encoder, checker and decoder, and a word-at-a-time XBRLE
 * encoder. What a careful C programmer writes without SIMD intrinsics: unchanged stretches
 * are skipped 8 bytes at a time, changed ones 8 bytes at a time until a word holds an equal
 * byte, and bytes are copied with memcpy. Included by the C reference (xbzrle.c, compiled by
 * `codecs bench`) and by the native addon (codecs/addon/kernels-addon.c).
 */
#ifndef PAGEDELTA_XBZRLE_KERNELS_H
#define PAGEDELTA_XBZRLE_KERNELS_H
#include <stdint.h>
#include <string.h>

#define MAX_RUN 0x3fff

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* A small ULEB128 (1 or 2 bytes); returns the bytes written. */
static inline int put_uleb(uint8_t *out, uint32_t value) {
  if (value < 0x80) {
    out[0] = (uint8_t)value;
    return 1;
  }
  out[0] = (uint8_t)((value & 0x7f) | 0x80);
  out[1] = (uint8_t)(value >> 7);
  return 2;
}

/* XBZRLE: returns the encoded size, 0 for identical pages, -1 when it does not fit in limit. */
static inline int xbzrle_encode(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  int i = 0, written = 0;
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  while (i < length) {
    int start = i;
    /* Unchanged run: bytes to an 8-byte boundary, then words, then bytes. */
    while (i < length && (i & 7) != 0 && old[i] == cur[i]) i++;
    if ((i & 7) == 0) {
      while (i + 8 <= length && load64(old + i) == load64(cur + i)) i += 8;
      while (i < length && old[i] == cur[i]) i++;
    }
    if (i == length) break; /* the trailing unchanged run is not written */
    int zero_run = i - start;
    if (zero_run > MAX_RUN) return -1;
    if (written + (zero_run < 0x80 ? 1 : 2) > limit) return -1;
    written += put_uleb(out + written, (uint32_t)zero_run);
    /* Changed run: ends at the next equal byte (a zero byte of the XOR). */
    start = i;
    while (i < length && (i & 7) != 0 && old[i] != cur[i]) i++;
    if ((i & 7) == 0) {
      while (i + 8 <= length) {
        uint64_t x = load64(old + i) ^ load64(cur + i);
        if (((x - ones) & ~x & highs) != 0) break;
        i += 8;
      }
      while (i < length && old[i] != cur[i]) i++;
    }
    int changed_run = i - start;
    if (changed_run > MAX_RUN) return -1;
    if (written + (changed_run < 0x80 ? 1 : 2) + changed_run > limit) return -1;
    written += put_uleb(out + written, (uint32_t)changed_run);
    memcpy(out + written, cur + start, (size_t)changed_run);
    written += changed_run;
  }
  return written;
}

static inline int get_uleb(const uint8_t *in, int at, int end, uint32_t *value) {
  if (at >= end) return -1;
  uint8_t low = in[at];
  if ((low & 0x80) == 0) {
    *value = low;
    return 1;
  }
  if (at + 1 >= end || (in[at + 1] & 0x80)) return -1;
  *value = (uint32_t)(low & 0x7f) | ((uint32_t)in[at + 1] << 7);
  return 2;
}

/* Walks an XBZRLE delta against a page of page_length bytes, copying the changed runs into
   page when apply (page may be NULL otherwise): 0 when valid, -1 when corrupt (on a corrupt
   delta an applying walk has written the runs before the fault). */
static inline int xbzrle_walk(const uint8_t *in, int input_length, uint8_t *page, int page_length, int apply) {
  int s = 0, d = 0;
  while (s < input_length) {
    uint32_t run;
    if (input_length - s < 2) return -1;
    int n = get_uleb(in, s, input_length, &run);
    if (n < 0 || (run == 0 && d != 0)) return -1;
    s += n;
    d += (int)run;
    if (d > page_length) return -1;
    n = get_uleb(in, s, input_length, &run);
    if (n < 0 || run == 0) return -1;
    s += n;
    if (d + (int)run > page_length || s + (int)run > input_length) return -1;
    if (apply) memcpy(page + d, in + s, run);
    s += (int)run;
    d += (int)run;
  }
  return 0;
}

/* Checks a delta without writing: a caller can then leave the page untouched on a bad one. */
static inline int xbzrle_check(const uint8_t *in, int input_length, int page_length) {
  return xbzrle_walk(in, input_length, NULL, page_length, 0);
}

/* Applies the delta to page in place: 0 on success, -1 when it is corrupt. */
static inline int xbzrle_decode(const uint8_t *in, int input_length, uint8_t *page, int page_length) {
  return xbzrle_walk(in, input_length, page, page_length, 1);
}

/* One run of `run` bytes of XOR value `value` as (count, value) pairs of at most 255. */
static inline int put_run(uint8_t *out, int written, int limit, int run, uint8_t value) {
  while (run > 0) {
    int chunk = run > 255 ? 255 : run;
    if (written + 2 > limit) return -1;
    out[written] = (uint8_t)chunk;
    out[written + 1] = value;
    written += 2;
    run -= chunk;
  }
  return written;
}

/* XBRLE, word at a time: a run of one XOR value is extended 8 bytes per step. */
static inline int xbrle_encode(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
  int i = 0, written = 0;
  while (i < length) {
    uint8_t value = old[i] ^ cur[i];
    uint64_t splat = 0x0101010101010101ull * value;
    int end = i + 1;
    while (end < length && (end & 7) != 0 && (uint8_t)(old[end] ^ cur[end]) == value) end++;
    if ((end & 7) == 0) {
      while (end + 8 <= length && (load64(old + end) ^ load64(cur + end)) == splat) end += 8;
      while (end < length && (uint8_t)(old[end] ^ cur[end]) == value) end++;
    }
    if (i == 0 && end == length && value == 0) return 0; /* identical pages */
    written = put_run(out, written, limit, end - i, value);
    if (written < 0) return -1;
    i = end;
  }
  return written;
}

#endif
