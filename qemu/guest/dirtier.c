/*
 * pagedelta's guest memory dirtier: /init of the tiny initramfs the QEMU harness boots.
 *
 * It reproduces the project's own workload generators (the workloads folder) byte for byte inside
 * a real guest: the same xoshiro128** stream seeded through splitmix64, the same sub-stream
 * seeds (1: initial content, 2: writes, 3: whole-page pool, 4: hot-set scatter), the same page
 * choices and the same in-page changes. Only the clock differs: here the writes due at a time
 * are those of the real CLOCK_MONOTONIC since the buffer was filled.
 *
 * Parameters come from the kernel command line (/proc/cmdline) as pd.KEY=VALUE, already
 * validated and resolved to plain numbers by the harness:
 *   pd.workload  qemu-age-test | hotset | uniform | idle
 *   pd.mib       buffer size in MiB (the workload's region)
 *   pd.rate      page writes per second (qemu-age-test: loops per second)
 *   pd.hot pd.share          hotset: hot pages, share of writes that go to them
 *   pd.bytes pd.run          bytes changed per write (0: whole page), bytes per run
 *   pd.stride                qemu-age-test: bytes between incremented bytes
 *   pd.content pd.zero pd.text   zero | random | text | mixed, and mixed's fractions
 *   pd.seed pd.report        seed; milliseconds between rate lines
 *
 * As PID 1 it must never exit (the kernel panics): on a bad parameter it prints one
 * "pd: error: ..." line and sleeps forever; the harness reads that line and stops.
 *
 * Test mode (a normal process, for the project's tests):
 *   dirtier --test WRITES pd.KEY=VALUE ...
 * reads the parameters from argv, fills the buffer, applies WRITES events unpaced, prints
 * "pd: fnv1a64 HEX" of the buffer and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define BATCH 256
#define POOL_PAGES 4096

static int test_mode;

static void fail(const char *message, const char *detail) {
  printf("pd: error: %s%s%s\n", message, detail ? " " : "", detail ? detail : "");
  fflush(stdout);
  if (test_mode) exit(2);
  for (;;) pause();
}

/* ---- the project's generators: splitmix64 and xoshiro128** ---- */

static uint64_t splitmix_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

typedef struct {
  uint32_t s[4];
} rng_t;

static void rng_seed(rng_t *rng, uint64_t seed) {
  uint64_t state = seed;
  uint64_t first = splitmix_next(&state);
  uint64_t second = splitmix_next(&state);
  rng->s[0] = (uint32_t)first;
  rng->s[1] = (uint32_t)(first >> 32);
  rng->s[2] = (uint32_t)second;
  rng->s[3] = (uint32_t)(second >> 32);
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = 1;
}

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static inline uint32_t rng_u32(rng_t *rng) {
  uint32_t *s = rng->s;
  uint32_t result = rotl32(s[1] * 5, 7) * 9;
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

static double rng_double(rng_t *rng) {
  uint32_t high = rng_u32(rng) >> 5;
  uint32_t low = rng_u32(rng) >> 6;
  return ((double)high * 67108864.0 + (double)low) / 9007199254740992.0;
}

static uint64_t rng_below(rng_t *rng, uint64_t bound) {
  if (bound <= 65536) return ((uint64_t)rng_u32(rng) * bound) >> 32;
  return (uint64_t)(rng_double(rng) * (double)bound);
}

/* Seed of sub-stream `index` of `seed`, as the workloads derive it. */
static uint64_t derive_seed(uint64_t seed, uint64_t index) {
  uint64_t state = seed * 0x10001ull + index * 0x9e3779b97f4a7c15ull;
  return splitmix_next(&state) >> 11;
}

/* ---- parameters ---- */

static char workload[32] = "";
static char content[16] = "";
static double mib = -1, rate = -1, hot = -1, share = -1, bytes_per_write = -1, run = -1, stride = -1;
static double zero_fraction = -1, text_fraction = -1, seed_param = -1, report_ms = -1;

static void set_param(const char *key, const char *value) {
  char name[64];
  snprintf(name, sizeof name, "pd.%s", key);
  struct {
    const char *name;
    double *target;
  } numbers[] = {{"mib", &mib}, {"rate", &rate}, {"hot", &hot}, {"share", &share}, {"bytes", &bytes_per_write}, {"run", &run},
                 {"stride", &stride}, {"zero", &zero_fraction}, {"text", &text_fraction}, {"seed", &seed_param}, {"report", &report_ms}};
  if (strcmp(key, "workload") == 0) {
    snprintf(workload, sizeof workload, "%s", value);
    return;
  }
  if (strcmp(key, "content") == 0) {
    snprintf(content, sizeof content, "%s", value);
    return;
  }
  for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
    if (strcmp(key, numbers[i].name) == 0) {
      char *end;
      errno = 0;
      double parsed = strtod(value, &end);
      if (errno != 0 || end == value || *end != '\0' || parsed < 0) fail("bad number for", name);
      *numbers[i].target = parsed;
      return;
    }
  }
  fail("unknown parameter", name);
}

/* Takes every pd.KEY=VALUE word of `text` (space separated). */
static void parse_words(char *text) {
  for (char *word = strtok(text, " \t\n"); word; word = strtok(NULL, " \t\n")) {
    if (strncmp(word, "pd.", 3) != 0) continue;
    char *equals = strchr(word, '=');
    if (!equals) fail("parameter without a value:", word);
    *equals = '\0';
    set_param(word + 3, equals + 1);
  }
}

static double or_default(double value, double fallback) { return value < 0 ? fallback : value; }

/* ---- the buffer ---- */

static uint8_t *buffer;
static uint64_t pages;

static const char *const WORDS[] = {
    "the", "of", "and", "to", "in", "is", "was", "for", "that", "on", "with", "as", "by", "at", "from", "this", "be", "are", "or",
    "an", "it", "not", "which", "have", "has", "had", "were", "but", "all", "they", "their", "one", "more", "when", "there",
    "been", "can", "would", "if", "will", "also", "two", "other", "its", "into", "time", "than", "first", "new", "page",
    "memory", "guest", "host", "migration", "dirty", "cache", "delta", "round", "send", "receive", "bandwidth", "latency",
    "value", "key", "table", "row", "index", "query", "server", "client", "request", "response", "error", "status", "user",
    "session", "record", "field", "buffer", "queue", "thread", "lock", "read", "write", "update", "insert", "delete",
    "select", "commit", "offset", "length", "count", "total", "size", "block", "file", "path", "name", "type", "data"};
#define WORD_COUNT (sizeof WORDS / sizeof WORDS[0])

/* Text-like bytes (lines of words and numbers), the same stream as the workloads' text pool. */
static uint8_t *make_text_pool(rng_t *rng, size_t length) {
  uint8_t *pool = malloc(length);
  if (!pool) fail("out of memory for the text pool", NULL);
  size_t offset = 0;
  unsigned line = 0;
  char number[24];
  while (offset < length) {
    uint32_t roll = rng_u32(rng);
    const char *word;
    if ((roll & 15) == 0) {
      snprintf(number, sizeof number, "%u", (unsigned)rng_below(rng, 100000));
      word = number;
    } else {
      double uniform = (double)(roll >> 4) / 268435456.0;
      word = WORDS[(size_t)(uniform * uniform * (double)WORD_COUNT)];
    }
    size_t word_length = strlen(word);
    for (size_t i = 0; i < word_length && offset < length; i++) pool[offset++] = (uint8_t)word[i];
    line += (unsigned)word_length + 1;
    if (offset < length) pool[offset++] = line > 60 + (roll & 15) ? 10 : 32;
    if (line > 60 + (roll & 15)) line = 0;
  }
  return pool;
}

static void fill_words(rng_t *rng, uint8_t *at, size_t length) {
  for (size_t i = 0; i < length; i += 4) {
    uint32_t word = rng_u32(rng);
    memcpy(at + i, &word, 4); /* little-endian, as the workloads' Int32Array on x86 */
  }
}

static void fill_buffer(uint64_t seed) {
  rng_t rng;
  rng_seed(&rng, derive_seed(seed, 1));
  int is_mixed = strcmp(content, "mixed") == 0;
  uint8_t *text = NULL;
  size_t text_slots = 0;
  if (strcmp(content, "text") == 0 || (is_mixed && text_fraction > 0)) {
    size_t length = PAGE * 4 > 65536 ? PAGE * 4 : 65536;
    text = make_text_pool(&rng, length);
    text_slots = (length - PAGE) >> 3;
  }
  for (uint64_t page = 0; page < pages; page++) {
    uint8_t *at = buffer + page * PAGE;
    char kind = content[0]; /* z, r, t */
    if (is_mixed) {
      double roll = rng_double(&rng);
      kind = roll < zero_fraction ? 'z' : roll < zero_fraction + text_fraction ? 't' : 'r';
    }
    if (kind == 'z') memset(at, 0, PAGE);
    else if (kind == 't') memcpy(at, text + (text_slots > 0 ? rng_below(&rng, text_slots) << 3 : 0), PAGE);
    else fill_words(&rng, at, PAGE);
  }
  free(text);
}

/* ---- the writes ---- */

static rng_t writes;
static uint64_t scatter_multiplier = 1, scatter_shift = 0;
static uint32_t hot_threshold_scaled; /* unused when share is 1: see hot_always */
static int hot_always;
static uint64_t hot_pages;
static unsigned runs_per_write, run_bytes, last_run;
static uint8_t *page_pool;
static uint32_t pool_offsets[POOL_PAGES];
static uint64_t planned_pages[BATCH];
static uint32_t *planned_starts, *planned_values;

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static void setup_writes(uint64_t seed) {
  rng_seed(&writes, derive_seed(seed, 2));
  if (pages > 2) {
    uint64_t multiplier = (uint64_t)((double)pages * 0.6180339887498949);
    uint64_t cap = (uint64_t)(9007199254740992.0 / (double)pages) - 1;
    if (cap < multiplier) multiplier = cap;
    if (multiplier < 1) multiplier = 1;
    while (gcd(multiplier, pages) != 1) multiplier--;
    scatter_multiplier = multiplier;
    rng_t scatter;
    rng_seed(&scatter, derive_seed(seed, 4));
    scatter_shift = rng_below(&scatter, pages);
  }
  if (bytes_per_write == 0) {
    rng_t pool;
    rng_seed(&pool, derive_seed(seed, 3));
    size_t length = 4u << 20;
    page_pool = malloc(length);
    if (!page_pool) fail("out of memory for the page pool", NULL);
    fill_words(&pool, page_pool, length);
    uint64_t slots = (length - PAGE) >> 2;
    for (int i = 0; i < POOL_PAGES; i++) pool_offsets[i] = (uint32_t)(rng_below(&pool, slots + 1) << 2);
    runs_per_write = 1;
  } else {
    run_bytes = (unsigned)run;
    runs_per_write = ((unsigned)bytes_per_write + run_bytes - 1) / run_bytes;
    last_run = (unsigned)bytes_per_write - (runs_per_write - 1) * run_bytes;
  }
  planned_starts = calloc((size_t)BATCH * runs_per_write, 4);
  planned_values = calloc((size_t)BATCH * runs_per_write, 4);
  if (!planned_starts || !planned_values) fail("out of memory for the write plan", NULL);
  /* share as a 32-bit threshold; share = 1 would need 2^32, so it is a flag. */
  hot_always = share >= 1;
  hot_threshold_scaled = hot_always ? 0 : (uint32_t)(share * 4294967296.0);
}

static void plan(int index) {
  if (bytes_per_write == 0) {
    planned_starts[index] = rng_u32(&writes) & (POOL_PAGES - 1);
    return;
  }
  uint64_t span = PAGE - run_bytes + 1;
  for (unsigned r = 0; r < runs_per_write; r++) {
    planned_starts[index * runs_per_write + r] = (uint32_t)(((uint64_t)rng_u32(&writes) * span) >> 32);
    planned_values[index * runs_per_write + r] = rng_u32(&writes);
  }
}

static void apply_batch(int count) {
  for (int k = 0; k < count; k++) {
    uint8_t *at = buffer + planned_pages[k] * PAGE;
    if (bytes_per_write == 0) {
      memcpy(at, page_pool + pool_offsets[planned_starts[k]], PAGE);
      continue;
    }
    for (unsigned r = 0; r < runs_per_write; r++) {
      uint8_t *start = at + planned_starts[k * runs_per_write + r];
      uint32_t value = planned_values[k * runs_per_write + r];
      unsigned length = r == runs_per_write - 1 ? last_run : run_bytes;
      for (unsigned i = 0; i < length; i++) start[i] ^= (uint8_t)((((value >> ((i & 3) << 3)) ^ (i >> 2) * 0x9d) & 0xff) | 1);
    }
  }
}

/* Applies `count` events of the workload (page writes, or loops of qemu-age-test). */
static void apply(uint64_t count) {
  if (count == 0 || workload[0] == 'i') return; /* idle never writes */
  if (workload[0] == 'q') {
    uint8_t increment = (uint8_t)(count % 256);
    uint64_t length = (uint64_t)(mib * 1048576.0 + 0.5);
    for (uint64_t byte = 0; byte < length; byte += (uint64_t)stride) buffer[byte] = (uint8_t)(buffer[byte] + increment);
    return;
  }
  int is_hotset = workload[0] == 'h';
  while (count > 0) {
    int batch = count < BATCH ? (int)count : BATCH;
    for (int k = 0; k < batch; k++) {
      uint64_t rank;
      if (is_hotset) {
        uint32_t roll = rng_u32(&writes);
        rank = (hot_always || roll < hot_threshold_scaled) ? rng_below(&writes, hot_pages) : rng_below(&writes, pages);
        planned_pages[k] = (rank * scatter_multiplier + scatter_shift) % pages;
      } else {
        planned_pages[k] = rng_below(&writes, pages);
      }
      plan(k);
    }
    apply_batch(batch);
    count -= (uint64_t)batch;
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static uint64_t fnv1a64(const uint8_t *data, uint64_t length) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < length; i++) hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

/*
 * Where the kernel put the buffer in guest-physical memory (what QEMU's RAM block offsets
 * follow): the lowest and highest page frame and the number of contiguous runs.
 */
static void report_placement(void) {
  FILE *file = fopen("/proc/self/pagemap", "rb");
  if (!file) return;
  uint64_t lowest = UINT64_MAX, highest = 0, runs = 0, previous = UINT64_MAX, resident = 0;
  /* The frames themselves, as runs "FRAME+LENGTH" (x+LENGTH: not resident), a few per line,
     each line starting with the index of its first buffer page: the harness rebuilds the
     buffer's guest-physical placement from them. */
  uint64_t run_first = 0, run_length = 0, run_index = 0;
  int run_present = 0, on_line = 0;
  for (uint64_t page = 0; page <= pages; page++) {
    uint64_t entry = 0, frame = 0;
    int present = 0;
    if (page < pages) {
      uint64_t virtual_page = ((uintptr_t)buffer >> 12) + page;
      if (fseeko(file, (off_t)(virtual_page * 8), SEEK_SET) != 0 || fread(&entry, 8, 1, file) != 1) break;
      present = (int)(entry >> 63);
      frame = entry & ((1ull << 55) - 1);
      if (present) {
        resident++;
        if (frame < lowest) lowest = frame;
        if (frame > highest) highest = frame;
        if (frame != previous + 1) runs++;
        previous = frame;
      }
    }
    int extends = page < pages && run_length > 0 && present == run_present && (!present || frame == run_first + run_length);
    if (extends) {
      run_length++;
      continue;
    }
    if (run_length > 0) {
      if (on_line == 0) printf("pd: frames %llu", (unsigned long long)run_index);
      if (run_present) printf(" %llu+%llu", (unsigned long long)run_first, (unsigned long long)run_length);
      else printf(" x+%llu", (unsigned long long)run_length);
      if (++on_line == 16) {
        printf("\n");
        on_line = 0;
      }
    }
    run_index = page;
    run_first = frame;
    run_length = 1;
    run_present = present;
  }
  if (on_line > 0) printf("\n");
  fclose(file);
  if (resident > 0 && highest > 0) {
    printf("pd: placement resident=%llu runs=%llu lowest-frame=%llu highest-frame=%llu\n", (unsigned long long)resident,
           (unsigned long long)runs, (unsigned long long)lowest, (unsigned long long)highest);
  }
}

/* The guest kernel's own memory use at ready (MemTotal and MemFree, KiB). */
/*
 * The kernel's soft-dirty tracking, exercised as the recorder uses it (it cannot run here:
 * the guest has no Node.js): clear every page's bit by writing 4 to /proc/self/clear_refs,
 * read the pagemap entries of a probe mapping of SOFT_DIRTY_PAGES pages, write some of its
 * pages (half with changed bytes, half with the bytes they held), read the entries again.
 * Printed as
 *   pd: soft-dirty cleared HEX
 *   pd: soft-dirty written changed=PAGE,... same=PAGE,... HEX
 * (HEX: the raw 8-byte little-endian entries) for the harness to parse with the recorder's
 * own pagemap parser; "pd: soft-dirty unavailable REASON" when the probe cannot run. The probe
 * mapping is apart from the workload's buffer, whose bytes it must not change, and smaller
 * than a huge page, so every entry is one 4 KiB page.
 */
#define SOFT_DIRTY_PAGES 32
static const int soft_dirty_changed[] = {1, 3, 20};
static const int soft_dirty_same[] = {2, 7, 31};

static int read_probe_entries(const uint8_t *probe, uint64_t *entries) {
  FILE *file = fopen("/proc/self/pagemap", "rb");
  if (!file) return -1;
  off_t at = (off_t)(((uintptr_t)probe >> 12) * 8);
  int ok = fseeko(file, at, SEEK_SET) == 0 && fread(entries, 8, SOFT_DIRTY_PAGES, file) == SOFT_DIRTY_PAGES;
  fclose(file);
  return ok ? 0 : -1;
}

static void print_entries(const uint64_t *entries) {
  const uint8_t *bytes = (const uint8_t *)entries; /* x86: already little-endian */
  for (int k = 0; k < SOFT_DIRTY_PAGES * 8; k++) printf("%02x", bytes[k]);
  printf("\n");
}

#define COUNT(array) (sizeof array / sizeof *array)

static void print_pages(const char *label, const int *list, unsigned count) {
  printf("%s", label);
  for (unsigned k = 0; k < count; k++) printf("%s%d", k ? "," : "", list[k]);
}

/* The probe's steps on a mapped probe; NULL when done, else why it stopped. */
static const char *soft_dirty_steps(uint8_t *probe) {
  static char reason[160];
  uint64_t entries[SOFT_DIRTY_PAGES];
  for (int page = 0; page < SOFT_DIRTY_PAGES; page++) memset(probe + page * PAGE, 0x5a + page, PAGE);
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  int cleared = fd >= 0 && write(fd, "4", 1) == 1;
  if (!cleared) snprintf(reason, sizeof reason, "/proc/self/clear_refs: %s", strerror(errno));
  if (fd >= 0) close(fd);
  if (!cleared) return reason;
  if (read_probe_entries(probe, entries) != 0) return "cannot read /proc/self/pagemap";
  printf("pd: soft-dirty cleared ");
  print_entries(entries);
  for (unsigned k = 0; k < COUNT(soft_dirty_changed); k++) {
    volatile uint8_t *byte = probe + soft_dirty_changed[k] * PAGE + 100;
    *byte = (uint8_t)(*byte ^ 0xff);
  }
  for (unsigned k = 0; k < COUNT(soft_dirty_same); k++) {
    volatile uint8_t *byte = probe + soft_dirty_same[k] * PAGE + 100;
    *byte = *byte; /* the same bytes: a write all the same, which the dirty log would resend */
  }
  if (read_probe_entries(probe, entries) != 0) return "cannot read /proc/self/pagemap";
  print_pages("pd: soft-dirty written changed=", soft_dirty_changed, COUNT(soft_dirty_changed));
  print_pages(" same=", soft_dirty_same, COUNT(soft_dirty_same));
  printf(" ");
  print_entries(entries);
  return NULL;
}

static void report_soft_dirty(void) {
  uint8_t *probe = mmap(NULL, SOFT_DIRTY_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (probe == MAP_FAILED) {
    printf("pd: soft-dirty unavailable cannot map the probe: %s\n", strerror(errno));
    return;
  }
  const char *stopped = soft_dirty_steps(probe);
  if (stopped) printf("pd: soft-dirty unavailable %s\n", stopped);
  munmap(probe, SOFT_DIRTY_PAGES * PAGE);
}

static void report_memory(void) {
  FILE *file = fopen("/proc/meminfo", "r");
  if (!file) return;
  char line[256];
  unsigned long long total = 0, free_kib = 0;
  while (fgets(line, sizeof line, file)) {
    sscanf(line, "MemTotal: %llu kB", &total);
    sscanf(line, "MemFree: %llu kB", &free_kib);
  }
  fclose(file);
  printf("pd: meminfo total-kib=%llu free-kib=%llu\n", total, free_kib);
}

static void read_cmdline(void) {
  mkdir("/proc", 0555);
  if (mount("proc", "/proc", "proc", 0, NULL) != 0 && errno != EBUSY) fail("cannot mount /proc", strerror(errno));
  FILE *file = fopen("/proc/cmdline", "r");
  if (!file) fail("cannot read /proc/cmdline", strerror(errno));
  static char line[4096];
  size_t length = fread(line, 1, sizeof line - 1, file);
  fclose(file);
  line[length] = '\0';
  parse_words(line);
}

int main(int argc, char **argv) {
  uint64_t test_writes = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "--test") == 0) {
    test_mode = 1;
    test_writes = strtoull(argv[2], NULL, 10);
    for (int i = 3; i < argc; i++) {
      char word[512];
      snprintf(word, sizeof word, "%s", argv[i]);
      parse_words(word);
    }
  } else {
    read_cmdline();
  }

  int is_age = strcmp(workload, "qemu-age-test") == 0;
  if (!is_age && strcmp(workload, "hotset") != 0 && strcmp(workload, "uniform") != 0 && strcmp(workload, "idle") != 0) {
    fail("pd.workload must be qemu-age-test, hotset, uniform or idle, got", workload[0] ? workload : "nothing");
  }
  if (content[0] == '\0') snprintf(content, sizeof content, "%s", is_age ? "zero" : "mixed");
  if (strcmp(content, "zero") && strcmp(content, "random") && strcmp(content, "text") && strcmp(content, "mixed")) {
    fail("pd.content must be zero, random, text or mixed, got", content);
  }
  mib = or_default(mib, 16);
  rate = or_default(rate, is_age ? 100 : workload[0] == 'i' ? 0 : 10000);
  share = or_default(share, 0.9);
  bytes_per_write = or_default(bytes_per_write, 16);
  run = or_default(run, 4);
  stride = or_default(stride, 1024);
  zero_fraction = or_default(zero_fraction, 0.25);
  text_fraction = or_default(text_fraction, 0.5);
  report_ms = or_default(report_ms, 1000);
  uint64_t seed = (uint64_t)or_default(seed_param, 1);
  if (strcmp(content, "mixed") != 0) zero_fraction = text_fraction = 0;
  if (share > 1) fail("pd.share must be at most 1", NULL);
  if (run < 1 || run > PAGE || bytes_per_write > PAGE || stride < 1) fail("pd.run, pd.bytes or pd.stride out of range", NULL);
  uint64_t length = (uint64_t)(mib * 1048576.0 + 0.5);
  pages = (length + PAGE - 1) / PAGE;
  if (pages == 0) fail("pd.mib must be positive", NULL);
  double hot_default = (double)(uint64_t)((double)pages * 0.1 + 0.5);
  hot_pages = (uint64_t)or_default(hot, hot_default < 1 ? 1 : hot_default);
  if (hot_pages < 1 || hot_pages > pages) fail("pd.hot must be between 1 and the buffer's pages", NULL);

  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (test_mode ? 0 : MAP_POPULATE);
  buffer = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (buffer == MAP_FAILED) fail("cannot map the buffer:", strerror(errno));
  if (!test_mode && mlock(buffer, pages * PAGE) != 0) printf("pd: warning: mlock failed: %s\n", strerror(errno));
  fill_buffer(seed);
  setup_writes(seed);

  if (test_mode) {
    if (getenv("PD_PLACEMENT")) report_placement(); /* tests of the frame report */
    apply(test_writes);
    printf("pd: fnv1a64 %016llx\n", (unsigned long long)fnv1a64(buffer, pages * PAGE));
    return 0;
  }

  report_soft_dirty();
  report_placement();
  report_memory();
  printf("pd: ready workload=%s pages=%llu rate=%g content=%s seed=%llu\n", workload, (unsigned long long)pages, rate, content,
         (unsigned long long)seed);
  const double start = now_ms();
  double last_report = start;
  uint64_t done = 0, reported = 0;
  const struct timespec tick = {0, 1000000}; /* 1 ms */
  for (;;) {
    if (rate > 0) {
      double now = now_ms();
      /* The epsilon keeps exact products from rounding down, as in the workloads. */
      uint64_t due = (uint64_t)((now - start) * rate / 1000.0 + 1e-9);
      if (due > done) {
        apply(due - done);
        done = due;
      }
    }
    nanosleep(&tick, NULL);
    double now = now_ms();
    if (now - last_report >= report_ms) {
      printf("pd: rate %.0f %s/s\n", (double)(done - reported) * 1000.0 / (now - last_report), is_age ? "loops" : "writes");
      last_report = now;
      reported = done;
    }
  }
}
