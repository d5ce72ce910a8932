/*
 * pagedelta's own C reference for the page-delta codecs, written from the format description
 * in docs/codecs.md: a scalar XBZRLE encoder and decoder, and a word-at-a-time XBRLE encoder.
 * It is what a careful C programmer writes without SIMD intrinsics (compiled with gcc -O2):
 * unchanged stretches are skipped 8 bytes at a time, changed ones 8 bytes at a time until a
 * word holds an equal byte, and bytes are copied with memcpy. `codecs bench` compiles it when
 * a C compiler exists and runs it beside the TypeScript codecs, interleaved, on the same pages.
 *
 *   xbzrle-reference dump PAIRS SCENARIO CODEC   the encodings of one scenario (tests):
 *                                               per page an int32 LE size, then its bytes
 *   xbzrle-reference serve PAIRS                 reads scenario indices on stdin, one a line;
 *                                               for each, times one pass of each kernel over
 *                                               the pool (thread CPU time) and prints
 *                                               "<index> <enc MB/s> <dec MB/s> <xbrle enc MB/s>"
 *                                               (decode: of the pages with a delta)
 *
 * PAIRS file: "PDPAIRS1", then uint32 LE page size, page count, scenario count; then the old
 * pages, then the new pages of each scenario.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUN 0x3fff

static uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* A small ULEB128 (1 or 2 bytes); returns the bytes written. */
static int put_uleb(uint8_t *out, uint32_t value) {
  if (value < 0x80) {
    out[0] = (uint8_t)value;
    return 1;
  }
  out[0] = (uint8_t)((value & 0x7f) | 0x80);
  out[1] = (uint8_t)(value >> 7);
  return 2;
}

/* XBZRLE: returns the encoded size, 0 for identical pages, -1 when it does not fit in limit. */
int xbzrle_encode(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
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

static int get_uleb(const uint8_t *in, int at, int end, uint32_t *value) {
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

/* Applies the delta to page in place: 0 on success, -1 when it is corrupt. */
int xbzrle_decode(const uint8_t *in, int input_length, uint8_t *page, int page_length) {
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
    memcpy(page + d, in + s, run);
    s += (int)run;
    d += (int)run;
  }
  return 0;
}

/* One run of `run` bytes of XOR value `value` as (count, value) pairs of at most 255. */
static int put_run(uint8_t *out, int written, int limit, int run, uint8_t value) {
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
int xbrle_encode(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit) {
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

/* CPU time of this thread: on a shared machine, time spent preempted is not codec time. */
static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t read_u32(FILE *f) {
  uint8_t b[4];
  if (fread(b, 1, 4, f) != 4) {
    fprintf(stderr, "xbzrle-reference: truncated pairs file\n");
    exit(2);
  }
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "dump") != 0 && strcmp(argv[1], "serve") != 0) || (strcmp(argv[1], "dump") == 0 && argc != 5)) {
    fprintf(stderr, "usage: xbzrle-reference dump PAIRS SCENARIO xbzrle|xbrle | serve PAIRS\n");
    return 2;
  }
  FILE *f = fopen(argv[2], "rb");
  char magic[8];
  if (f == NULL || fread(magic, 1, 8, f) != 8 || memcmp(magic, "PDPAIRS1", 8) != 0) {
    fprintf(stderr, "xbzrle-reference: %s is not a pairs file\n", argv[2]);
    return 2;
  }
  int page_size = (int)read_u32(f), pages = (int)read_u32(f), scenarios = (int)read_u32(f);
  size_t pool = (size_t)page_size * (size_t)pages;
  uint8_t *old = malloc(pool), *cur = malloc(pool * (size_t)scenarios);
  if (old == NULL || cur == NULL || fread(old, 1, pool, f) != pool || fread(cur, 1, pool * (size_t)scenarios, f) != pool * (size_t)scenarios) {
    fprintf(stderr, "xbzrle-reference: truncated pairs file\n");
    return 2;
  }
  fclose(f);
  uint8_t *out = malloc((size_t)page_size * 2);
  if (strcmp(argv[1], "dump") == 0) {
    int scenario = atoi(argv[3]);
    int xbrle = strcmp(argv[4], "xbrle") == 0;
    if (scenario < 0 || scenario >= scenarios) return 2;
    for (int p = 0; p < pages; p++) {
      const uint8_t *o = old + (size_t)p * page_size, *c = cur + pool * scenario + (size_t)p * page_size;
      int32_t size = xbrle ? xbrle_encode(o, c, page_size, out, page_size) : xbzrle_encode(o, c, page_size, out, page_size);
      fwrite(&size, 4, 1, stdout);
      if (size > 0) fwrite(out, 1, (size_t)size, stdout);
    }
    return 0;
  }
  /* serve: the encodings for the decode pass are made once per scenario, untimed. */
  uint8_t *work = malloc(pool), *encoded = malloc(pool);
  int *sizes = malloc(sizeof(int) * (size_t)pages);
  char line[64];
  volatile int sink = 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    int scenario = atoi(line);
    if (scenario < 0 || scenario >= scenarios) {
      printf("error scenario %d\n", scenario);
      fflush(stdout);
      continue;
    }
    const uint8_t *news = cur + pool * scenario;
    for (int p = 0; p < pages; p++) {
      sizes[p] = xbzrle_encode(old + (size_t)p * page_size, news + (size_t)p * page_size, page_size, encoded + (size_t)p * page_size, page_size);
    }
    memcpy(work, old, pool);
    double t0 = now_seconds();
    for (int p = 0; p < pages; p++) sink += xbzrle_encode(old + (size_t)p * page_size, news + (size_t)p * page_size, page_size, out, page_size);
    double t1 = now_seconds();
    int decoded = 0;
    for (int p = 0; p < pages; p++) {
      if (sizes[p] > 0) {
        sink += xbzrle_decode(encoded + (size_t)p * page_size, sizes[p], work + (size_t)p * page_size, page_size);
        decoded++;
      }
    }
    double t2 = now_seconds();
    for (int p = 0; p < pages; p++) sink += xbrle_encode(old + (size_t)p * page_size, news + (size_t)p * page_size, page_size, out, page_size);
    double t3 = now_seconds();
    double mb = (double)pool / 1e6;
    printf("%d %.1f %.1f %.1f\n", scenario, mb / (t1 - t0), (double)decoded * page_size / 1e6 / (t2 - t1), mb / (t3 - t2));
    fflush(stdout);
  }
  return sink == 42 ? 1 : 0;
}
