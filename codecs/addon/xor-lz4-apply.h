/*
 * A trace entry's XOR delta stored as an LZ4 block (the public LZ4 block format: sequences of
 * a token, literals, a 2-byte offset and a match length), applied to its page with the page's
 * cold memory touched only where the delta is non-zero. The TypeScript reader does the same in
 * workloads/trace/xor-lz4-block.ts; this is its native twin for whole epoch records, called
 * once per record (not per entry, which would pay a Node-API call per page).
 *
 * The block is decoded into a scratch page that is all zeros between blocks, and each 64-byte
 * line of the scratch written with possibly non-zero bytes is marked dirty. A match whose
 * source bytes are all zero (clean lines are; dirty ones are looked at) copies only zeros
 * into bytes that are still zero: it is skipped, which is what a sparse delta's long zero
 * runs are. At the end only the dirty lines are XORed
 * into the page (and counted, and cleared in the scratch), so the page's cold lines are
 * touched once each and only where the delta changes something.
 */
#ifndef PAGEDELTA_XOR_LZ4_APPLY_H
#define PAGEDELTA_XOR_LZ4_APPLY_H
#include <stdint.h>
#include <string.h>

/* Largest page this kernel takes (the trace format allows up to 16 MiB: larger pages stay in TypeScript). */
#define XOR_LZ4_MAX_PAGE 65536
#define XOR_LZ4_LINES (XOR_LZ4_MAX_PAGE / 64)

typedef struct {
  uint8_t bytes[XOR_LZ4_MAX_PAGE + 64];
  /* One bit a 64-byte line: 64 lines (a 4 KiB page) a word. */
  uint64_t dirty[XOR_LZ4_LINES / 64];
} xor_lz4_scratch;

/* 0 when block[0, size) is valid LZ4 of exactly page_size bytes (the rules of the TypeScript check). */
static inline int xor_lz4_check(const uint8_t *block, int size, int page_size) {
  int i = 0, d = 0;
  for (;;) {
    if (i >= size) return -1;
    int token = block[i++];
    int literals = token >> 4;
    if (literals == 15) {
      int more = 255;
      while (more == 255) {
        if (i >= size) return -1;
        more = block[i++];
        literals += more;
      }
    }
    if (literals > size - i || literals > page_size - d) return -1;
    i += literals;
    d += literals;
    if (i == size) break;
    if (size - i < 2) return -1;
    int offset = block[i] | (block[i + 1] << 8);
    i += 2;
    if (offset == 0 || offset > d) return -1;
    int match = (token & 15) + 4;
    if ((token & 15) == 15) {
      int more = 255;
      while (more == 255) {
        if (i >= size) return -1;
        more = block[i++];
        match += more;
      }
    }
    if (match > page_size - d) return -1;
    d += match;
  }
  return d == page_size ? 0 : -1;
}

static inline uint64_t load_word(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline void store_word(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Non-zero bytes of a word: each lane's high bit set when the lane is non-zero, summed by a multiply. */
static inline int nonzero_bytes(uint64_t x) {
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
  return (int)((((((x & low7) + low7) | x) & ~low7) >> 7) * 0x0101010101010101ull >> 56);
}

/* Bits lo..hi (0 <= lo <= hi <= 63). */
static inline uint64_t bit_range(int lo, int hi) { return (~0ull >> (63 - hi)) & (~0ull << lo); }

/* Marks the lines of scratch bytes [from, to) (to > from) dirty. */
static inline void mark_dirty(xor_lz4_scratch *s, int from, int to) {
  const int first = from >> 6, last = (to - 1) >> 6;
  for (int w = first >> 6; w <= last >> 6; w++)
    s->dirty[w] |= bit_range(w == first >> 6 ? first & 63 : 0, w == last >> 6 ? last & 63 : 63);
}

/* 1 when scratch bytes [from, to) (to > from) are all zero: clean lines are, dirty ones are looked at. */
static inline int zero_range(const xor_lz4_scratch *s, int from, int to) {
  const int first = from >> 6, last = (to - 1) >> 6;
  for (int w = first >> 6; w <= last >> 6; w++) {
    uint64_t lines = s->dirty[w] & bit_range(w == first >> 6 ? first & 63 : 0, w == last >> 6 ? last & 63 : 63);
    while (lines != 0) {
      const int line = (w << 6) + __builtin_ctzll(lines);
      lines &= lines - 1;
      const int start = from > (line << 6) ? from : (line << 6);
      const int end = to < ((line + 1) << 6) ? to : ((line + 1) << 6);
      int k = start;
      uint64_t any = 0;
      for (; k + 8 <= end; k += 8) any |= load_word(s->bytes + k);
      for (; k < end; k++) any |= s->bytes[k];
      if (any != 0) return 0;
    }
  }
  return 1;
}

/*
 * Applies a checked block to page[0, page_size) (when page is not NULL) and returns the number
 * of non-zero delta bytes. The scratch is all zeros (and no line dirty) on entry and on return.
 */
static inline int xor_lz4_apply(const uint8_t *block, int size, uint8_t *page, int page_size, xor_lz4_scratch *s) {
  uint8_t *out = s->bytes;
  int i = 0, d = 0;
  for (;;) {
    int token = block[i++];
    int literals = token >> 4;
    if (literals == 15) {
      int more = 255;
      while (more == 255) {
        more = block[i++];
        literals += more;
      }
    }
    if (literals > 0) {
      memcpy(out + d, block + i, (size_t)literals);
      mark_dirty(s, d, d + literals);
    }
    i += literals;
    d += literals;
    if (i == size) break;
    int offset = block[i] | (block[i + 1] << 8);
    i += 2;
    int match = (token & 15) + 4;
    if ((token & 15) == 15) {
      int more = 255;
      while (more == 255) {
        more = block[i++];
        match += more;
      }
    }
    int source = d - offset;
    /* Output that copies only zeros is left as it is (zeros). An overlapping match repeats
       the `offset` bytes before d; a disjoint one copies [source, source + match). */
    if (!zero_range(s, source, offset >= match ? source + match : d)) {
      if (offset >= match) memcpy(out + d, out + source, (size_t)match);
      else
        for (int k = 0; k < match; k++) out[d + k] = out[source + k];
      mark_dirty(s, d, d + match);
    }
    d += match;
  }
  /* Page sizes are powers of two of at least 8 bytes: whole words. */
  int changed = 0;
  const int words = (((page_size + 63) >> 6) + 63) >> 6;
  for (int w = 0; w < words; w++) {
    uint64_t lines = s->dirty[w];
    s->dirty[w] = 0;
    while (lines != 0) {
      const int from = ((w << 6) + __builtin_ctzll(lines)) << 6;
      lines &= lines - 1;
      const int to = from + 64 < page_size ? from + 64 : page_size;
      for (int k = from; k < to; k += 8) {
        const uint64_t value = load_word(out + k);
        if (value == 0) continue;
        if (page != NULL) store_word(page + k, load_word(page + k) ^ value);
        changed += nonzero_bytes(value);
        store_word(out + k, 0);
      }
    }
  }
  return changed;
}

#endif
