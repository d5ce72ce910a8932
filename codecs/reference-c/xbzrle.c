/*
 * pagedelta's own C reference for the page-delta codecs: the kernels of xbzrle-kernels.h
 * (scalar XBZRLE, word-at-a-time XBRLE) in a program. `codecs bench` compiles it (gcc -O2)
 * when a C compiler exists and runs it beside the TypeScript codecs, interleaved, on the same
 * pages.
 *
 *   xbzrle-reference dump PAIRS SCENARIO CODEC   the encodings of one scenario (tests):
 *                                               per page an int32 LE size, then its bytes
 *   xbzrle-reference serve PAIRS                 reads "<scenario index> [min ms]" lines on
 *                                               stdin; for each, times whole passes of each
 *                                               kernel over the pool until min ms of thread
 *                                               CPU time (at least one pass) and prints
 *                                               "<index> <enc MB/s> <dec MB/s> <xbrle enc MB/s>
 *                                               <enc passes> <dec passes> <xbrle passes>"
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

#include "xbzrle-kernels.h"

/* CPU time of this thread: on a shared machine, time spent preempted is not codec time. */
static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs `pass` (a block over the whole pool) until min_seconds of this thread's CPU time have
   passed, at least once; sets `passes` and `mbps` (bytes_per_pass a pass). */
#define TIMED_PASSES(passes, mbps, bytes_per_pass, pass)     \
  do {                                                      \
    const double start_ = now_seconds();                    \
    double elapsed_;                                        \
    passes = 0;                                             \
    do {                                                    \
      pass;                                                 \
      passes++;                                             \
      elapsed_ = now_seconds() - start_;                    \
    } while (elapsed_ < min_seconds);                       \
    mbps = (double)(bytes_per_pass) * passes / 1e6 / elapsed_; \
  } while (0)

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
    char *rest;
    int scenario = (int)strtol(line, &rest, 10);
    /* As long as the caller's own samples last, so both sides see the machine for as long. */
    double min_seconds = strtod(rest, NULL) / 1000.0;
    if (!(min_seconds >= 0) || min_seconds > 60) min_seconds = 0;
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
    /* Whole passes of each kernel until min_seconds (a decode pass re-applies the same
       deltas: the same work each time). */
    int decoded = 0;
    for (int p = 0; p < pages; p++) decoded += sizes[p] > 0;
    int encode_passes, decode_passes, xbrle_passes;
    double encode_mbps, decode_mbps, xbrle_mbps;
    TIMED_PASSES(encode_passes, encode_mbps, pool, {
      for (int p = 0; p < pages; p++) sink += xbzrle_encode(old + (size_t)p * page_size, news + (size_t)p * page_size, page_size, out, page_size);
    });
    TIMED_PASSES(decode_passes, decode_mbps, (size_t)decoded * page_size, {
      for (int p = 0; p < pages; p++)
        if (sizes[p] > 0) sink += xbzrle_decode(encoded + (size_t)p * page_size, sizes[p], work + (size_t)p * page_size, page_size);
    });
    TIMED_PASSES(xbrle_passes, xbrle_mbps, pool, {
      for (int p = 0; p < pages; p++) sink += xbrle_encode(old + (size_t)p * page_size, news + (size_t)p * page_size, page_size, out, page_size);
    });
    printf("%d %.1f %.1f %.1f %d %d %d\n", scenario, encode_mbps, decode_mbps, xbrle_mbps, encode_passes, decode_passes, xbrle_passes);
    fflush(stdout);
  }
  return sink == 42 ? 1 : 0;
}
