/*
 * A trace entry's XOR delta stored as an LZ4 block (the public LZ4 block format: sequences of
 * a token, literals, a 2-byte offset and a match length), applied to its page with the page's
 * cold memory touched only where the delta is non-zero. (Blocks over an eighth of a page go to
 * xor_lz4_apply_dense, at the end: decoded whole, then every word looked at.) The TypeScript reader does the same in
 * workloads/trace/xor-lz4-block.ts; this is its native twin for whole epoch records, called
 * once per record (not per entry, which would pay a Node-API call per page).
 *
 * The block is decoded into a scratch page that is all zeros between blocks, and each 8-byte
 * word of the scratch written with possibly non-zero bytes is marked dirty in a bitmap. A
 * match whose source bytes are all zero (clean words are; dirty ones are looked at) copies
 * only zeros into bytes that are still zero: it is skipped, which is what a sparse delta's
 * long zero runs are. The block's validity is checked as it is decoded. At the end only the
 * dirty words are XORed into the page (and counted, and cleared in the scratch), so the page
 * is touched only where the delta changes something, and not at all when the block is
 * invalid. A match that copies earlier non-zero output (and does not overlap it) copies only
 * the source's dirty words and marks only the words that get a non-zero byte (a Redis trace's
 * blocks had 79 dirty words, 57 of them zero, when such matches were copied and marked whole).
 * (Marking only words that hold a non-zero byte by looking at each word written measured 1.5x
 * slower: the marking then loads every word it writes.)
 */
#ifndef PAGEDELTA_XOR_LZ4_APPLY_H
#define PAGEDELTA_XOR_LZ4_APPLY_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest page this kernel takes (the trace format allows up to 16 MiB: larger pages stay in TypeScript). */
#define XOR_LZ4_MAX_PAGE 65536
#define XOR_LZ4_WORDS (XOR_LZ4_MAX_PAGE / 8)
/* Bytes past a page the dense decoder may write (copy_over). */
#define XOR_LZ4_OVER 16

/*
 * Page writes held back: each a page word and the delta word to XOR into it. A record's blocks
 * are decoded first and their writes applied after, a few ahead prefetched: the pages are
 * random in a large memory, and their misses then overlap instead of each stalling the decode.
 */
typedef struct {
  uint8_t **at;
  uint64_t *value;
  size_t count, capacity;
} xor_lz4_writes;

static inline uint64_t load_word(const uint8_t *p);
static inline void store_word(uint8_t *p, uint64_t v);

/* Applies and forgets the held-back writes, in order (XOR: the order does not change the result). */
static inline void apply_held_writes(xor_lz4_writes *w) {
  const size_t ahead = 16;
  for (size_t k = 0; k < w->count; k++) {
    if (k + ahead < w->count) __builtin_prefetch(w->at[k + ahead], 1);
    store_word(w->at[k], load_word(w->at[k]) ^ w->value[k]);
  }
  w->count = 0;
}

/* Writes held at the most (16 MiB of list): a crafted record of many tiny dense blocks is applied in parts. */
#define XOR_LZ4_MAX_HELD ((size_t)1 << 20)

/* Grows the list to hold at least `wanted` writes (doubling); 0 when no memory could be had. */
static inline int grow_writes(xor_lz4_writes *w, size_t wanted) {
  size_t capacity = w->capacity == 0 ? 4096 : 2 * w->capacity;
  while (capacity < wanted) capacity *= 2;
  uint8_t **ats = (uint8_t **)realloc(w->at, capacity * sizeof *ats);
  if (ats == NULL) return 0;
  w->at = ats;
  uint64_t *values = (uint64_t *)realloc(w->value, capacity * sizeof *values);
  if (values == NULL) return 0;
  w->value = values;
  w->capacity = capacity;
  return 1;
}

/* Adds one held-back write; 0 when no memory could be had for it (the caller writes it at once). */
static inline int hold_write(xor_lz4_writes *w, uint8_t *at, uint64_t value) {
  if (w->count == XOR_LZ4_MAX_HELD) apply_held_writes(w);
  if (w->count == w->capacity && !grow_writes(w, w->count + 1)) return 0;
  w->at[w->count] = at;
  w->value[w->count++] = value;
  return 1;
}

/* Room for `more` writes in the list without growing it or applying it early; 0 when none could be had. */
static inline int reserve_writes(xor_lz4_writes *w, size_t more) {
  if (w->count + more > XOR_LZ4_MAX_HELD) return 0;
  return w->count + more <= w->capacity || grow_writes(w, w->count + more);
}

typedef struct {
  /* A page, and room for the 16-byte moves of xor_lz4_apply_dense that end past it (cleared
     with the page). */
  uint8_t bytes[XOR_LZ4_MAX_PAGE + XOR_LZ4_OVER];
  /* One bit an 8-byte word of bytes: 512 bits (8 entries) for a 4 KiB page. */
  uint64_t dirty[XOR_LZ4_WORDS / 64];
} xor_lz4_scratch;

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

/*
 * A length's continuation bytes at block[*i]: each 255 adds 255 and goes on, the first below
 * 255 adds itself and ends. Returns the sum, or -1 when the block ends first. Eight bytes are
 * looked at in one load where the block has them: a loop of one or two steps whose count
 * depends on the data was a quarter of the branch mispredictions of a sparse trace.
 */
static inline int length_extension(const uint8_t *block, int *i, int size) {
  int sum = 0;
  while (*i + 8 <= size) {
    const uint64_t not255 = ~load_word(block + *i); /* a byte of 255 is 0 here */
    if (not255 != 0) {
      const int k = __builtin_ctzll(not255) >> 3;
      sum += 255 * k + block[*i + k];
      *i += k + 1;
      return sum;
    }
    sum += 8 * 255;
    *i += 8;
  }
  for (;;) {
    if (*i >= size) return -1;
    const int more = block[(*i)++];
    sum += more;
    if (more != 255) return sum;
  }
}

/* Bits lo..hi (0 <= lo <= hi <= 63). */
static inline uint64_t bit_range(int lo, int hi) { return (~0ull >> (63 - hi)) & (~0ull << lo); }

/* Marks the words holding scratch bytes [from, to) (to > from) dirty. */
static inline void mark_dirty(xor_lz4_scratch *s, int from, int to) {
  const int first = from >> 3, last = (to - 1) >> 3;
  for (int w = first >> 6; w <= last >> 6; w++)
    s->dirty[w] |= bit_range(w == first >> 6 ? first & 63 : 0, w == last >> 6 ? last & 63 : 63);
}

/* The dirty bits of bitmap word w that fall in scratch words first..last. */
static inline uint64_t dirty_in(const xor_lz4_scratch *s, int w, int first, int last) {
  return s->dirty[w] & bit_range(w == first >> 6 ? first & 63 : 0, w == last >> 6 ? last & 63 : 63);
}

/* Scratch word `word` with only its bytes inside [from, to) kept (little-endian: byte k is bits 8k..8k+7). */
static inline uint64_t word_in(const xor_lz4_scratch *s, int word, int from, int to) {
  uint64_t value = load_word(s->bytes + (word << 3));
  if (word == from >> 3) value &= ~0ull << (8 * (from & 7));
  if (word == (to - 1) >> 3 && (to & 7) != 0) value &= ~(~0ull << (8 * (to & 7)));
  return value;
}

/* 1 when scratch bytes [from, to) (to > from) are all zero: clean words are, dirty ones are looked at. */
static inline int zero_range(const xor_lz4_scratch *s, int from, int to) {
  const int first = from >> 3, last = (to - 1) >> 3;
  const int w0 = first >> 6, w1 = last >> 6;
  /* The common answer for a range within two bitmap words, no dirty word, without a loop. */
  if (w1 - w0 <= 1) {
    const uint64_t low = ~0ull << (first & 63), high = ~0ull >> (63 - (last & 63));
    const uint64_t dirty = w0 == w1 ? s->dirty[w0] & low & high : (s->dirty[w0] & low) | (s->dirty[w1] & high);
    if (dirty == 0) return 1;
  }
  for (int w = w0; w <= w1; w++) {
    uint64_t words = dirty_in(s, w, first, last);
    while (words != 0) {
      const int word = (w << 6) + __builtin_ctzll(words);
      words &= words - 1;
      if (word_in(s, word, from, to) != 0) return 0;
    }
  }
  return 1;
}

/*
 * A match copying earlier output [source, source + match) that it does not overlap (the
 * output from d on is still zero). Only the source's dirty words can hold non-zero bytes, so
 * only they are copied, OR-ed into place, and only destination words that get a non-zero
 * byte are marked. A sparse delta's matches often copy long stretches that are mostly zeros
 * (in a Redis trace, 57 of a block's 79 dirty words were zero when the whole destination was
 * marked); copied and marked whole, each such word cost a copy and a look at the end.
 */
static inline void copy_dirty_match(xor_lz4_scratch *s, int source, int d, int match) {
  const int offset = d - source, end = source + match;
  const int first = source >> 3, last = (end - 1) >> 3;
  for (int w = first >> 6; w <= last >> 6; w++) {
    uint64_t words = dirty_in(s, w, first, last);
    while (words != 0) {
      const int word = (w << 6) + __builtin_ctzll(words);
      words &= words - 1;
      const uint64_t value = word_in(s, word, source, end);
      if (value == 0) continue;
      /* The word's byte 0 lands at `to`: across the destination words at and at + 1. Each is
         written only when it gets a non-zero byte, so never past the page. */
      const int to = (word << 3) + offset, at = to >> 3, shift = 8 * (to & 7);
      const uint64_t low = value << shift;
      if (low != 0) {
        store_word(s->bytes + (at << 3), load_word(s->bytes + (at << 3)) | low);
        s->dirty[at >> 6] |= 1ull << (at & 63);
      }
      if (shift != 0) {
        const uint64_t high = value >> (64 - shift);
        if (high != 0) {
          store_word(s->bytes + ((at + 1) << 3), load_word(s->bytes + ((at + 1) << 3)) | high);
          s->dirty[(at + 1) >> 6] |= 1ull << ((at + 1) & 63);
        }
      }
    }
  }
}

/*
 * An overlapping match (offset < match): the `offset` bytes before `to` repeated for `match`
 * bytes, writing no byte past to + match (bytes there must stay zero: a later zero match is
 * skipped on that promise). A byte loop here waits on its own store every byte; a period of
 * one is a fill, and longer periods copy whole words once a word's worth is behind them.
 */
static inline void repeat_match(uint8_t *to, int offset, int match) {
  if (offset == 1) {
    memset(to, to[-1], (size_t)match);
    return;
  }
  /* A stride of whole periods of at least 8 bytes: the source of each word is then written.
     A period of 8 or more is one already; a shorter one is first written out byte by byte. */
  const int stride = offset >= 8 ? offset : offset * ((8 + offset - 1) / offset);
  int k = 0;
  if (offset < 8)
    for (; k < stride && k < match; k++) to[k] = to[k - offset];
  for (; k + 8 <= match; k += 8) store_word(to + k, load_word(to + k - stride));
  for (; k < match; k++) to[k] = to[k - stride];
}

/*
 * A sequence's start at block[*i] (the output so far d bytes long): its token in *token and its
 * literal count, checked to fit both the block and the page; -1 when they do not. Both
 * decoders parse with this and sequence_match, so they take and refuse the same blocks.
 */
static inline int sequence_literals(const uint8_t *block, int *i, int size, int d, int page_size, int *token) {
  if (*i >= size) return -1;
  *token = block[(*i)++];
  int literals = *token >> 4;
  if (literals == 15) {
    const int more = length_extension(block, i, size);
    if (more < 0) return -1;
    literals += more;
  }
  if (literals > size - *i || literals > page_size - d) return -1;
  return literals;
}

/*
 * The match after a sequence's literals (the output then d bytes long): its offset in *offset
 * and its length, or -1 when the offset points outside the output or the match breaks the
 * block format's parsing restrictions (the LZ4 library refuses those blocks): a match starts at
 * least 12 bytes before the end, and the last 5 bytes are literals.
 */
static inline int sequence_match(const uint8_t *block, int *i, int size, int d, int page_size, int token, int *offset) {
  if (size - *i < 2) return -1;
  *offset = block[*i] | (block[*i + 1] << 8);
  *i += 2;
  if (*offset == 0 || *offset > d) return -1;
  int match = (token & 15) + 4;
  if ((token & 15) == 15) {
    const int more = length_extension(block, i, size);
    if (more < 0) return -1;
    match += more;
  }
  if (d > page_size - 12 || match > page_size - 5 - d) return -1;
  return match;
}

/* Zeros the scratch words marked dirty (a block found invalid part way). */
static inline void clear_dirty(xor_lz4_scratch *s, int page_size) {
  const int bitmap = ((page_size >> 3) + 63) >> 6;
  for (int w = 0; w < bitmap; w++) {
    uint64_t words = s->dirty[w];
    s->dirty[w] = 0;
    while (words != 0) {
      store_word(s->bytes + (((w << 6) + __builtin_ctzll(words)) << 3), 0);
      words &= words - 1;
    }
  }
}

/*
 * Applies block[0, size) to page[0, page_size) (when page is not NULL) and returns the number
 * of non-zero delta bytes, or -1 when the block is not valid LZ4 of exactly page_size bytes
 * (the rules of the TypeScript reader: a last sequence of literals only, matches inside the
 * output so far, no match starting in the last 12 bytes or reaching the last 5): the page is
 * then untouched, since it is written only at the end. With
 * `held` the page writes are added there instead (applied by apply_held_writes). The scratch
 * is all zeros (and no word dirty) on entry and on return.
 */
static inline int xor_lz4_apply(const uint8_t *block, int size, uint8_t *page, int page_size, xor_lz4_scratch *s, xor_lz4_writes *held) {
  uint8_t *out = s->bytes;
  int i = 0, d = 0;
  for (;;) {
    int token;
    const int literals = sequence_literals(block, &i, size, d, page_size, &token);
    if (literals < 0) goto invalid;
    if (literals > 0) {
      if (literals < 16) {
        /* Literals of zeros leave the scratch as it was: not marked (a block's first byte is
           often one, and a mark there sent later zero matches down the slow path). */
        int any = 0;
        for (int k = 0; k < literals; k++) any |= out[d + k] = block[i + k];
        if (any) mark_dirty(s, d, d + literals);
      } else {
        memcpy(out + d, block + i, (size_t)literals);
        mark_dirty(s, d, d + literals);
      }
    }
    i += literals;
    d += literals;
    if (i == size) break;
    int offset;
    const int match = sequence_match(block, &i, size, d, page_size, token, &offset);
    if (match < 0) goto invalid;
    const int source = d - offset;
    /* Output that copies only zeros is left as it is (zeros). An overlapping match repeats
       the `offset` bytes before d; a disjoint one copies [source, source + match). */
    if (!zero_range(s, source, offset >= match ? source + match : d)) {
      if (offset >= match) copy_dirty_match(s, source, d, match);
      else {
        repeat_match(out + d, offset, match);
        mark_dirty(s, d, d + match);
      }
    }
    d += match;
  }
  if (d != page_size) goto invalid;
  /* Page sizes are powers of two of at least 8 bytes: whole words. */
  int changed = 0;
  const int bitmap = ((page_size >> 3) + 63) >> 6;
  for (int w = 0; w < bitmap; w++) {
    uint64_t words = s->dirty[w];
    s->dirty[w] = 0;
    while (words != 0) {
      const int at = ((w << 6) + __builtin_ctzll(words)) << 3;
      words &= words - 1;
      const uint64_t value = load_word(out + at);
      if (value == 0) continue;
      if (page != NULL && (held == NULL || !hold_write(held, page + at, value))) store_word(page + at, load_word(page + at) ^ value);
      changed += nonzero_bytes(value);
      store_word(out + at, 0);
    }
  }
  return changed;
invalid:
  clear_dirty(s, page_size);
  return -1;
}

/*
 * Copies n >= 1 bytes in 16-byte moves, writing up to 15 bytes past to + n: for the dense
 * decoder, whose output is written in order (the bytes past the end are written again later)
 * and cleared whole after. A libc call per short literal run or match was a third of it.
 * A move reads all its bytes before it writes any, so a source less than 16 bytes before
 * `to` still copies its first n bytes right.
 */
static inline void copy_over(uint8_t *to, const uint8_t *from, int n) {
  for (int k = 0; k < n; k += 16) {
    uint8_t chunk[16];
    memcpy(chunk, from + k, 16);
    memcpy(to + k, chunk, 16);
  }
}

/*
 * A block of more than an eighth of a page holds much content (a text page, a dense rewrite):
 * marking and looking up dirty words then costs more than it saves. It is decoded whole into
 * the scratch by the same rules as xor_lz4_apply, every word of the page is then looked at,
 * and the scratch is cleared. Same returns and page writes as xor_lz4_apply.
 */
static inline int xor_lz4_apply_dense(const uint8_t *block, int size, uint8_t *page, int page_size, xor_lz4_scratch *s, xor_lz4_writes *held) {
  uint8_t *out = s->bytes;
  int i = 0, d = 0;
  for (;;) {
    int token;
    const int literals = sequence_literals(block, &i, size, d, page_size, &token);
    if (literals < 0) goto invalid;
    if (literals > 0) {
      if (size - i >= literals + 16) copy_over(out + d, block + i, literals);
      else memcpy(out + d, block + i, (size_t)literals);
    }
    i += literals;
    d += literals;
    if (i == size) break;
    int offset;
    const int match = sequence_match(block, &i, size, d, page_size, token, &offset);
    if (match < 0) goto invalid;
    if (offset >= match) copy_over(out + d, out + d - offset, match);
    else repeat_match(out + d, offset, match);
    d += match;
  }
  if (d != page_size) goto invalid;
  int changed = 0;
  const int words = page_size >> 3;
  if (page != NULL && held != NULL && reserve_writes(held, (size_t)words)) {
    /* Every word appended, the list advanced only past non-zero ones: no branch on the
       content, which in a dense page is as often zero as not. */
    uint8_t **at_list = held->at + held->count;
    uint64_t *value_list = held->value + held->count;
    size_t taken = 0;
    for (int word = 0; word < words; word++) {
      const uint64_t value = load_word(out + 8 * word);
      at_list[taken] = page + 8 * word;
      value_list[taken] = value;
      taken += value != 0;
      changed += nonzero_bytes(value);
    }
    held->count += taken;
  } else {
    for (int at = 0; at < page_size; at += 8) {
      const uint64_t value = load_word(out + at);
      if (value == 0) continue;
      if (page != NULL && (held == NULL || !hold_write(held, page + at, value))) store_word(page + at, load_word(page + at) ^ value);
      changed += nonzero_bytes(value);
    }
  }
  memset(out, 0, (size_t)page_size + XOR_LZ4_OVER);
  return changed;
invalid:
  memset(out, 0, (size_t)page_size + XOR_LZ4_OVER);
  return -1;
}

/* One entry's block, by the method that suits its size. */
static inline int xor_lz4_entry(const uint8_t *block, int size, uint8_t *page, int page_size, xor_lz4_scratch *s, xor_lz4_writes *held) {
  return size > page_size / 8 ? xor_lz4_apply_dense(block, size, page, page_size, s, held) : xor_lz4_apply(block, size, page, page_size, s, held);
}

#endif
