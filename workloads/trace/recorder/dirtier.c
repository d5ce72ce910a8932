/*
 * Benchmark target for the recorder: maps MIB MiB, fills every page with non-zero bytes
 * (so the resident size is known), prints "ready <address>" and then writes one byte of
 * RATE pseudo-random pages per second (xorshift, seeded) until killed. Used by
 * `pagedelta trace bench-record` to time snapshots of a process of known size and dirty rate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: dirtier MIB RATE\n");
    return 2;
  }
  size_t pages = (size_t)atol(argv[1]) * 256;
  double rate = atof(argv[2]);
  unsigned char *memory = mmap(0, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  uint64_t state = 88172645463325252ull;
  for (size_t i = 0; i < pages * 4096 / 8; i++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    ((uint64_t *)memory)[i] = state | 1;
  }
  printf("ready %lx %zu\n", (unsigned long)memory, pages);
  fflush(stdout);
  double start = now();
  uint64_t written = 0;
  for (;;) {
    double due = (now() - start) * rate;
    while (written < due) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      size_t page = state % pages;
      memory[page * 4096 + (state >> 40) % 4096] += 1;
      written++;
    }
    usleep(1000);
  }
}
