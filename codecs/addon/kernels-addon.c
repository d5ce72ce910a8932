/*
 * The native addon of the page-delta codecs: the XBZRLE decoder of codecs/reference-c and
 * XBZRLE and XBRLE encoders (simd-kernels.h: SSE2 where the compiler targets it),
 * called on the caller's own page memory through Node-API, and the trace reader's XOR+LZ4 kernel
 * (xor-lz4-apply.h). The WebAssembly kernels
 * work in place only on pages from allocatePages; on any other page they must copy both pages
 * in (8 KiB a call, more than the work on a sparse page), while this addon reads and writes
 * the caller's bytes where they are. Built by `npm install` (binding.gyp); when it cannot be
 * built the codecs keep their WebAssembly copy path.
 *
 *   xbzrleEncode(old, cur, out) -> encoded bytes, 0 (identical), -1 (does not fit in out)
 *   xbrleEncode(old, cur, out)  -> the same for XBRLE
 *   xbzrleDecode(encoded, page) -> 1 applied, 0 corrupt (page untouched)
 *   simd                        -> "sse2" or "none": what the XBRLE encoder was compiled with
 *   xorLz4Epoch(payload, jobs, offsets, count, chunks, pageSize, changed, apply)
 *     -> -1 every job applied, k the first job whose block is not valid LZ4 of one page
 *        (jobs before it applied, it and those after not), -2 bad arguments
 *     A job is a trace entry's XOR+LZ4 block (xor-lz4-apply.h): jobs holds 4 int32s a job
 *     (block start in payload, block length, index into chunks, entry index), offsets the byte
 *     offset of the job's page in its chunk; changed[entry] gets the non-zero delta bytes.
 *     With apply false the pages are not written (only counted). A record of many jobs is
 *     shared with a helper thread (both decode at once; see xor_lz4_helper).
 *   xorLz4Record(payload, entries, pageLimit, pageSize, maxBlock, pages, kinds, dataAt,
 *                dataSize, jobs, offsets, chunkShift, pageBase)
 *     -> an epoch record's entries parsed and its small XOR+LZ4 blocks queued for
 *        xorLz4Epoch: the jobs queued, -1 (left to the reader's parser), -2 bad arguments
 *   xorLz4Threads(n)            -> the threads xorLz4Epoch uses (n = 1 or 2 sets it first)
 *   crc32(bytes, previous)      -> zlib's crc32(previous, bytes) (crc32-clmul.h), -2 bad arguments
 *
 * Arguments must be Uint8Arrays (Buffers are); anything else, or pages of different lengths,
 * returns -2 and the caller reports it (the TypeScript side checks first anyway).
 */
#include <node_api.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "crc32-clmul.h"
#include "page-calls.h"
#include "xor-lz4-apply.h"

/* The bytes of a Uint8Array argument, or 0 when it is not one. */
static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *pointer;
  /* No ArrayBuffer handle or offset asked for: each handle costs an allocation per call. */
  if (napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)pointer;
  return 1;
}

static napi_value int_result(napi_env env, int value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

/* (old, cur, out) checked and handed to `encode`: bytes written, 0 identical, -1 does not fit, -2 bad arguments. */
static napi_value encode_with(napi_env env, napi_callback_info info, page_encoder encode) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *old, *cur, *out;
  size_t old_length, cur_length, out_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return int_result(env, -2);
  if (!bytes_of(env, argv[0], &old, &old_length) || !bytes_of(env, argv[1], &cur, &cur_length) || !bytes_of(env, argv[2], &out, &out_length)) return int_result(env, -2);
  return int_result(env, encode_page(encode, old, old_length, cur, cur_length, out, out_length));
}

static napi_value encode(napi_env env, napi_callback_info info) { return encode_with(env, info, xbzrle_encode_fast); }

static napi_value xbrle_encode_export(napi_env env, napi_callback_info info) { return encode_with(env, info, xbrle_encode_fast); }

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *encoded, *page;
  size_t encoded_length, page_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return int_result(env, -2);
  if (!bytes_of(env, argv[0], &encoded, &encoded_length) || !bytes_of(env, argv[1], &page, &page_length)) return int_result(env, -2);
  return int_result(env, decode_page(encoded, encoded_length, page, page_length));
}

/* One scratch page and write list per thread (worker threads load the addon too), made on first use. */
static __thread xor_lz4_scratch *thread_scratch = NULL;
static __thread xor_lz4_writes thread_writes = {NULL, NULL, 0, 0};

/*
 * A second thread that decodes part of a record's XOR+LZ4 blocks while the calling thread
 * decodes the rest (one per environment, started on first use, stopped with it). The two take
 * batches of XOR_LZ4_CLAIM jobs from the two ends of the record (the caller from the front,
 * the helper from the back) until they meet, so a helper that starts late or loses its core
 * (a busy machine, V8 compiling on the other core) does less instead of holding the caller
 * up; a helper that has not started when the caller has taken every job is called off. Its
 * page writes are held back in its own list until the caller knows its own jobs valid; then
 * the helper applies them alongside the caller's when its jobs name none of the caller's
 * pages, and the caller applies them after its own otherwise: no page is written by two
 * threads. Records of fewer jobs than XOR_LZ4_SPLIT_MIN are not split (waking the helper
 * costs more than it saves).
 */
#define XOR_LZ4_SPLIT_MIN 64
#define XOR_LZ4_CLAIM 16
/*
 * Waking a sleeping thread through a condition variable took about 70 us on this project's VM
 * (a vCPU halted and woken again), more than half a record's decoding; a flag one thread spins
 * on is seen in well under a microsecond. So each side spins first: the helper for up to
 * HELPER_SPIN_NS after its last piece of work (a reader calls once per record, a few hundred
 * microseconds apart), the caller while the helper finishes; then they sleep. A spinning
 * thread yields its core every 256 looks, so a thread waiting for that core runs.
 */
#define HELPER_SPIN_NS 2000000
/* IDLE -> WORK or APPLY (the caller hands it over) -> BUSY (the helper takes it; or back to
   IDLE: the caller called it off first) -> DONE (the helper finished) -> IDLE (the caller saw it). */
enum { HELPER_IDLE, HELPER_WORK, HELPER_APPLY, HELPER_BUSY, HELPER_DONE, HELPER_QUIT };
typedef struct {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake, finished;
  atomic_int state;
  /* The jobs not yet taken: [low 32 bits, high 32 bits). */
  _Atomic uint64_t bounds;
  /* Set by the caller when one of its blocks is invalid: the helper's later jobs are moot. */
  atomic_int stop;
  /* The work, set before HELPER_WORK, valid until the caller has seen DONE or called it off. */
  const uint8_t *payload;
  const int32_t *jobs;
  const double *offsets;
  uint8_t *const *chunks;
  /* The helper's counts, by job. */
  int32_t *by_job;
  size_t by_job_capacity;
  /* The caller's pages (chunk and offset, plus one; 0 is empty), an open-addressing set, to
     tell whether the helper's pages are other pages: then it applies its own writes. */
  uint64_t *pages;
  size_t pages_capacity;
  int page_size, apply;
  /* The answer. The helper took jobs [low, end of the record), decoded into `writes`; or it
     met an invalid block, `result`, in the batch from `redo_from`: then its writes are
     dropped and the caller decodes [redo_from, result) itself. */
  int low, result, redo_from;
  /* Jobs the helper took but left to the caller (no memory for their writes): [left_from, left_to). */
  int left_from, left_to;
  xor_lz4_scratch *scratch;
  xor_lz4_writes writes;
} xor_lz4_helper;

/* Takes up to XOR_LZ4_CLAIM jobs from the front or the back of `bounds`; returns how many (0: none left), the first in *first. */
static int claim_jobs(_Atomic uint64_t *bounds, int front, int32_t *first) {
  uint64_t seen = atomic_load_explicit(bounds, memory_order_relaxed);
  for (;;) {
    const uint32_t low = (uint32_t)seen, high = (uint32_t)(seen >> 32);
    if (low >= high) return 0;
    const uint32_t take = high - low < XOR_LZ4_CLAIM ? high - low : XOR_LZ4_CLAIM;
    const uint64_t next = front ? ((uint64_t)high << 32) | (low + take) : ((uint64_t)(high - take) << 32) | low;
    if (atomic_compare_exchange_weak_explicit(bounds, &seen, next, memory_order_relaxed, memory_order_relaxed)) {
      *first = (int32_t)(front ? low : high - take);
      return (int)take;
    }
  }
}

static inline void spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static int64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spins until `state` is no longer `from` or HELPER_SPIN_NS pass; returns the state seen. */
static int spin_while(atomic_int *state, int from) {
  const int64_t deadline = monotonic_ns() + HELPER_SPIN_NS;
  for (;;) {
    for (int k = 0; k < 256; k++) {
      const int seen = atomic_load_explicit(state, memory_order_acquire);
      if (seen != from) return seen;
      spin_pause();
    }
    if (monotonic_ns() > deadline) return atomic_load_explicit(state, memory_order_acquire);
    /* Where another thread waits for this core (more busy threads than cores), it gets it. */
    sched_yield();
  }
}

/* The threads to use: 2 (split records) or 1; xorLz4Threads(n) sets it, for comparisons. */
static __thread int thread_count = 2;
static __thread xor_lz4_helper *thread_helper = NULL;
static __thread int helper_failed = 0;

/*
 * Decodes jobs [from, to) (arguments already checked) into `writes` (when apply) and their
 * counts: into changed[entry], or with `by_job` into by_job[job - from] (the helper's, copied
 * to `changed` only if its jobs are taken). Returns -1, or the first job whose block is invalid
 * (the jobs before it decoded, it and those after not).
 */
static int xor_lz4_jobs(const uint8_t *payload, const int32_t *jobs, const double *offsets, uint8_t *const *chunks, int32_t *changed, int32_t *by_job,
                        int page_size, int apply, int from, int to, xor_lz4_scratch *scratch, xor_lz4_writes *writes) {
  for (int job = from; job < to; job++) {
    const int32_t at = jobs[4 * job], size = jobs[4 * job + 1], chunk = jobs[4 * job + 2], entry = jobs[4 * job + 3];
    const int nonzero = xor_lz4_entry(payload + at, size, apply ? chunks[chunk] + (size_t)offsets[job] : NULL, page_size, scratch, writes);
    if (nonzero < 0) return job;
    if (by_job != NULL) by_job[job - from] = nonzero;
    else if (changed != NULL) changed[entry] = nonzero;
  }
  return -1;
}

/* The helper's part of a record: batches from the back until the jobs run out, the caller
   stops it, or a block is invalid. */
static void helper_work(xor_lz4_helper *h) {
  int32_t first;
  int taken;
  while (!atomic_load_explicit(&h->stop, memory_order_relaxed) && (taken = claim_jobs(&h->bounds, 0, &first)) > 0) {
    /* Room for every write the batch could hold, first: a list that cannot grow has its
       write made at once, which the helper must never do (the caller may be writing that
       page). Without the room the batch is left to the caller. */
    if (h->apply && !reserve_writes(&h->writes, (size_t)taken * (size_t)(h->page_size / 8))) {
      h->left_from = first;
      h->left_to = h->low = first + taken;
      return;
    }
    h->low = first;
    const int bad = xor_lz4_jobs(h->payload, h->jobs, h->offsets, h->chunks, NULL, h->by_job + first, h->page_size, h->apply, first, first + taken, h->scratch, &h->writes);
    if (bad >= 0) {
      h->result = bad;
      h->redo_from = first;
      h->writes.count = 0;
      return;
    }
  }
}

static void *helper_main(void *argument) {
  xor_lz4_helper *h = (xor_lz4_helper *)argument;
  for (;;) {
    /* After a piece of work the state is DONE until the caller takes the answer (IDLE), then
       WORK again: spin through both before sleeping. */
    int state = atomic_load_explicit(&h->state, memory_order_acquire);
    if (state == HELPER_DONE) state = spin_while(&h->state, HELPER_DONE);
    if (state == HELPER_IDLE) state = spin_while(&h->state, HELPER_IDLE);
    if (state != HELPER_WORK && state != HELPER_APPLY && state != HELPER_QUIT) {
      pthread_mutex_lock(&h->lock);
      while ((state = atomic_load(&h->state)) != HELPER_WORK && state != HELPER_APPLY && state != HELPER_QUIT) pthread_cond_wait(&h->wake, &h->lock);
      pthread_mutex_unlock(&h->lock);
    }
    if (state == HELPER_QUIT) return NULL;
    /* Taken, unless the caller called it off meanwhile. */
    if (!atomic_compare_exchange_strong(&h->state, &state, HELPER_BUSY)) continue;
    if (state == HELPER_APPLY) apply_held_writes(&h->writes);
    else helper_work(h);
    pthread_mutex_lock(&h->lock);
    atomic_store_explicit(&h->state, HELPER_DONE, memory_order_release);
    pthread_cond_signal(&h->finished);
    pthread_mutex_unlock(&h->lock);
  }
}

/* Hands the helper `state` (WORK or APPLY), waking it if it sleeps. */
static void helper_start(xor_lz4_helper *h, int state) {
  pthread_mutex_lock(&h->lock);
  atomic_store_explicit(&h->state, state, memory_order_release);
  pthread_cond_signal(&h->wake);
  pthread_mutex_unlock(&h->lock);
}

/*
 * Ends what was handed over as `given` (WORK or APPLY): called off if the helper has not
 * taken it (returns 0: the caller then does what is left), else waited for, spinning first
 * (returns 1). The helper is IDLE after.
 */
static int helper_finish(xor_lz4_helper *h, int given) {
  if (atomic_compare_exchange_strong(&h->state, &given, HELPER_IDLE)) return 0;
  if (spin_while(&h->state, HELPER_BUSY) != HELPER_DONE) {
    pthread_mutex_lock(&h->lock);
    while (atomic_load(&h->state) != HELPER_DONE) pthread_cond_wait(&h->finished, &h->lock);
    pthread_mutex_unlock(&h->lock);
  }
  atomic_store_explicit(&h->state, HELPER_IDLE, memory_order_release);
  return 1;
}

static inline uint64_t page_key(const int32_t *jobs, const double *offsets, int32_t job) {
  return ((uint64_t)jobs[4 * job + 2] << 40) + (uint64_t)offsets[job] + 1;
}

/* 1 when no job of [from, to) names a page of a job of [0, first), by a set of the latter's
   pages; 0 when one does, or when no memory could be had for the set. */
static int pages_apart(xor_lz4_helper *h, const int32_t *jobs, const double *offsets, int32_t first, int32_t from, int32_t to) {
  size_t capacity = 64;
  while (capacity < 2 * (size_t)first) capacity *= 2;
  if (h->pages_capacity < capacity) {
    uint64_t *grown = (uint64_t *)realloc(h->pages, capacity * sizeof *grown);
    if (grown == NULL) return 0;
    h->pages = grown;
    h->pages_capacity = capacity;
  }
  memset(h->pages, 0, capacity * sizeof *h->pages);
  const size_t mask = capacity - 1;
  for (int32_t job = 0; job < first; job++) {
    const uint64_t key = page_key(jobs, offsets, job);
    size_t slot = (size_t)(key * 0x9e3779b97f4a7c15ull >> 32) & mask;
    while (h->pages[slot] != 0 && h->pages[slot] != key) slot = (slot + 1) & mask;
    h->pages[slot] = key;
  }
  for (int32_t job = from; job < to; job++) {
    const uint64_t key = page_key(jobs, offsets, job);
    size_t slot = (size_t)(key * 0x9e3779b97f4a7c15ull >> 32) & mask;
    while (h->pages[slot] != 0) {
      if (h->pages[slot] == key) return 0;
      slot = (slot + 1) & mask;
    }
  }
  return 1;
}

/* This thread's helper, started on first use; NULL when it cannot be (then records are not split). */
static xor_lz4_helper *helper(void) {
  if (thread_helper != NULL || helper_failed) return thread_helper;
  xor_lz4_helper *h = (xor_lz4_helper *)calloc(1, sizeof *h);
  if (h != NULL) h->scratch = (xor_lz4_scratch *)calloc(1, sizeof(xor_lz4_scratch));
  if (h == NULL || h->scratch == NULL || pthread_mutex_init(&h->lock, NULL) != 0) goto failed;
  if (pthread_cond_init(&h->wake, NULL) != 0 || pthread_cond_init(&h->finished, NULL) != 0) goto failed;
  atomic_init(&h->state, HELPER_IDLE);
  if (pthread_create(&h->thread, NULL, helper_main, h) != 0) goto failed;
  return thread_helper = h;
failed:
  if (h != NULL) free(h->scratch);
  free(h);
  helper_failed = 1;
  return NULL;
}

static void stop_helper(void) {
  xor_lz4_helper *h = thread_helper;
  if (h == NULL) return;
  pthread_mutex_lock(&h->lock);
  atomic_store(&h->state, HELPER_QUIT);
  pthread_cond_signal(&h->wake);
  pthread_mutex_unlock(&h->lock);
  pthread_join(h->thread, NULL);
  free(h->scratch);
  free(h->by_job);
  free(h->pages);
  free(h->writes.at);
  free(h->writes.value);
  free(h);
  thread_helper = NULL;
}

/* Frees them when the thread's Node environment ends (a worker thread that exits). */
static void free_thread_buffers(void *unused) {
  (void)unused;
  stop_helper();
  free(thread_scratch);
  thread_scratch = NULL;
  free(thread_writes.at);
  free(thread_writes.value);
  thread_writes.at = NULL;
  thread_writes.value = NULL;
  thread_writes.count = thread_writes.capacity = 0;
}

/* 1 when `value` is a whole number in [lo, hi] (NaN and fractions are not): a number argument
   is refused, not rounded. */
static int whole_in(double value, double lo, double hi) {
  return value >= lo && value <= hi && value == (double)(int64_t)value;
}

/* A Uint8Array, Int32Array or Float64Array argument's data and element count, or 0. */
static int elements_of(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok) return 0;
  return type == want;
}

static napi_value xor_lz4_epoch(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) return int_result(env, -2);
  void *payload_data, *jobs_data, *offsets_data, *changed_data = NULL;
  size_t payload_length, jobs_length, offsets_length, changed_length = 0;
  double count_value, page_size_value;
  bool apply, is_array;
  uint32_t chunk_count;
  if (!elements_of(env, argv[0], napi_uint8_array, &payload_data, &payload_length) ||
      !elements_of(env, argv[1], napi_int32_array, &jobs_data, &jobs_length) ||
      !elements_of(env, argv[2], napi_float64_array, &offsets_data, &offsets_length) ||
      napi_get_value_double(env, argv[3], &count_value) != napi_ok ||
      napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[4], &chunk_count) != napi_ok ||
      napi_get_value_double(env, argv[5], &page_size_value) != napi_ok ||
      napi_get_value_bool(env, argv[7], &apply) != napi_ok)
    return int_result(env, -2);
  napi_valuetype changed_type;
  if (napi_typeof(env, argv[6], &changed_type) != napi_ok) return int_result(env, -2);
  if (changed_type != napi_null && !elements_of(env, argv[6], napi_int32_array, &changed_data, &changed_length)) return int_result(env, -2);
  /* A whole count the arrays hold; a page size that is a power of two, 8 .. XOR_LZ4_MAX_PAGE
     (the kernel works in 8-byte words): anything else is refused, not rounded. */
  if (!whole_in(count_value, 0, 0x7fffffff) || !whole_in(page_size_value, 8, XOR_LZ4_MAX_PAGE)) return int_result(env, -2);
  const int32_t count = (int32_t)count_value, page_size = (int32_t)page_size_value;
  if ((page_size & (page_size - 1)) != 0) return int_result(env, -2);
  if ((size_t)count * 4 > jobs_length || (size_t)count > offsets_length || chunk_count > 4096) return int_result(env, -2);
  uint8_t *chunks[4096];
  size_t chunk_lengths[4096];
  for (uint32_t c = 0; c < chunk_count; c++) {
    napi_value chunk;
    void *data;
    if (napi_get_element(env, argv[4], c, &chunk) != napi_ok || !elements_of(env, chunk, napi_uint8_array, &data, &chunk_lengths[c])) return int_result(env, -2);
    chunks[c] = (uint8_t *)data;
  }
  if (thread_scratch == NULL) {
    thread_scratch = (xor_lz4_scratch *)calloc(1, sizeof(xor_lz4_scratch));
    if (thread_scratch == NULL) return int_result(env, -2);
  }
  const uint8_t *payload = (const uint8_t *)payload_data;
  const int32_t *jobs = (const int32_t *)jobs_data;
  const double *offsets = (const double *)offsets_data;
  int32_t *changed = (int32_t *)changed_data;
  /* Every job's arguments checked first: a record is then decoded whole, split or not. */
  int32_t first_bad = -1;
  size_t total_bytes = 0;
  for (int32_t job = 0; job < count && first_bad < 0; job++) {
    const int32_t at = jobs[4 * job], size = jobs[4 * job + 1], chunk = jobs[4 * job + 2], entry = jobs[4 * job + 3];
    const double offset = offsets[job];
    /* Blocks of at most 1 MiB: their lengths then add up in an int (255 a continuation byte). */
    if (at < 0 || size < 0 || size > (1 << 20) || (size_t)at + (size_t)size > payload_length || chunk < 0 || (uint32_t)chunk >= chunk_count ||
        !(offset >= 0) || offset + page_size > (double)chunk_lengths[chunk] || offset != (double)(size_t)offset ||
        (changed != NULL && (entry < 0 || (size_t)entry >= changed_length)))
      first_bad = job;
    else
      total_bytes += (size_t)size;
  }
  const int32_t valid = first_bad < 0 ? count : first_bad;
  /* The thread's write list in a local for the record: a thread-local variable of a loaded
     library is found through a call (__tls_get_addr), which the compiler repeated for every
     held write (9% of a replay). It goes back to the thread when the record is done. */
  xor_lz4_writes writes = thread_writes;
  xor_lz4_scratch *scratch = thread_scratch;
  int result;
  /* Shared with the helper if it can hold every write of the record (its list then never
     fills and applies early: pages are written by this thread only). */
  xor_lz4_helper *h = thread_count > 1 && valid >= XOR_LZ4_SPLIT_MIN && (size_t)valid * (size_t)(page_size / 8) <= XOR_LZ4_MAX_HELD ? helper() : NULL;
  if (h != NULL && h->by_job_capacity < (size_t)valid) {
    int32_t *grown = (int32_t *)realloc(h->by_job, sizeof(int32_t) * (size_t)valid);
    if (grown == NULL) h = NULL;
    else {
      h->by_job = grown;
      h->by_job_capacity = (size_t)valid;
    }
  }
  if (h != NULL) {
    h->payload = payload;
    h->jobs = jobs;
    h->offsets = offsets;
    h->chunks = chunks;
    h->page_size = page_size;
    h->apply = apply;
    h->low = valid;
    h->result = -1;
    h->left_from = h->left_to = 0;
    atomic_store_explicit(&h->stop, 0, memory_order_relaxed);
    atomic_store_explicit(&h->bounds, (uint64_t)valid << 32, memory_order_relaxed);
    helper_start(h, HELPER_WORK);
    result = -1;
    int32_t first;
    int taken;
    while ((taken = claim_jobs(&h->bounds, 1, &first)) > 0) {
      result = xor_lz4_jobs(payload, jobs, offsets, chunks, changed, NULL, page_size, apply, first, first + taken, scratch, &writes);
      if (result >= 0) {
        atomic_store_explicit(&h->stop, 1, memory_order_relaxed);
        break;
      }
    }
    helper_finish(h, HELPER_WORK);
    if (result < 0 && h->left_to > h->left_from)
      result = xor_lz4_jobs(payload, jobs, offsets, chunks, changed, NULL, page_size, apply, h->left_from, h->left_to, scratch, &writes);
    if (result < 0 && h->result >= 0) {
      /* The helper met an invalid block: the jobs of its batch before it are this thread's. */
      result = xor_lz4_jobs(payload, jobs, offsets, chunks, changed, NULL, page_size, apply, h->redo_from, h->result, scratch, &writes);
      if (result < 0) result = h->result;
      h->writes.count = 0;
    }
    if (result >= 0 || h->low == valid) {
      /* The helper's writes, if any, are of jobs after an invalid one: dropped. */
      h->writes.count = 0;
      apply_held_writes(&writes);
    } else {
      /* The helper took [low, valid), this thread [0, low), all valid. Its writes go on by the
         helper, at the same time as this thread's, when they name other pages (two threads
         then never write one page); else after this thread's. */
      const int32_t low = h->low;
      if (h->writes.count > 0 && pages_apart(h, jobs, offsets, low, low, valid)) {
        helper_start(h, HELPER_APPLY);
        apply_held_writes(&writes);
        if (!helper_finish(h, HELPER_APPLY)) apply_held_writes(&h->writes);
      } else {
        apply_held_writes(&writes);
        apply_held_writes(&h->writes);
      }
      if (changed != NULL)
        for (int32_t job = low; job < valid; job++) changed[jobs[4 * job + 3]] = h->by_job[job];
    }
  } else {
    result = xor_lz4_jobs(payload, jobs, offsets, chunks, changed, NULL, page_size, apply, 0, valid, scratch, &writes);
    apply_held_writes(&writes);
  }
  thread_writes = writes;
  if (result < 0 && first_bad >= 0) result = -2; /* the jobs before the bad one applied */
  return int_result(env, result);
}

/* A varint of at most `most` bytes at payload[*at] (7 bits a byte, low first; any longer one,
   or one running past `length`, is -1: the caller then leaves the record to the reader's own
   parser, which says what is wrong or takes it). */
static inline int64_t short_varint(const uint8_t *payload, size_t length, size_t *at, int most) {
  int64_t value = 0;
  for (int k = 0; k < most; k++) {
    if (*at >= length) return -1;
    const uint8_t byte = payload[(*at)++];
    value |= (int64_t)(byte & 0x7f) << (7 * k);
    if (byte < 0x80) return value;
  }
  return -1;
}

/*
 * xorLz4Record(payload, entries, pageLimit, pageSize, maxBlock, pages, kinds, dataAt,
 * dataSize, jobs, offsets, chunkShift, pageBase): an epoch record's entries parsed, as the
 * trace reader parses them (workloads/trace/reader.ts), into pages/kinds/dataAt/dataSize, and
 * every XOR+LZ4 entry of at most maxBlock bytes queued as a job for xorLz4Epoch: trace page p
 * is guest page g = p + pageBase, in chunk g >> chunkShift at byte offset (g & mask) * pageSize,
 * or chunk 0 and offset 0 when chunkShift is -1 (a count-only read). Returns the jobs queued (the entries' count when every
 * entry is one), -1 when the record does not parse by the common rules (varints of at most 5
 * bytes; the reader's parser then says what is wrong, or takes what only it takes), -2 on bad
 * arguments. One call a record, where the reader's per-entry JavaScript was a tenth of a
 * replay.
 */
static napi_value xor_lz4_record(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 13) return int_result(env, -2);
  void *payload_data, *pages_data, *kinds_data, *at_data, *size_data, *jobs_data, *offsets_data;
  size_t payload_length, pages_length, kinds_length, at_length, size_length, jobs_length, offsets_length;
  double entries_value, limit_value, page_size_value, max_block_value, shift_value, base_value;
  if (!elements_of(env, argv[0], napi_uint8_array, &payload_data, &payload_length) ||
      napi_get_value_double(env, argv[1], &entries_value) != napi_ok ||
      napi_get_value_double(env, argv[2], &limit_value) != napi_ok ||
      napi_get_value_double(env, argv[3], &page_size_value) != napi_ok ||
      napi_get_value_double(env, argv[4], &max_block_value) != napi_ok ||
      !elements_of(env, argv[5], napi_float64_array, &pages_data, &pages_length) ||
      !elements_of(env, argv[6], napi_uint8_array, &kinds_data, &kinds_length) ||
      !elements_of(env, argv[7], napi_int32_array, &at_data, &at_length) ||
      !elements_of(env, argv[8], napi_int32_array, &size_data, &size_length) ||
      !elements_of(env, argv[9], napi_int32_array, &jobs_data, &jobs_length) ||
      !elements_of(env, argv[10], napi_float64_array, &offsets_data, &offsets_length) ||
      napi_get_value_double(env, argv[11], &shift_value) != napi_ok ||
      napi_get_value_double(env, argv[12], &base_value) != napi_ok)
    return int_result(env, -2);
  if (!whole_in(entries_value, 0, 0x7fffffff) || !whole_in(page_size_value, 8, XOR_LZ4_MAX_PAGE)) return int_result(env, -2);
  if (!(max_block_value >= 0 && max_block_value <= page_size_value) || !(limit_value >= 0)) return int_result(env, -2);
  if (!whole_in(shift_value, -1, 32) || !whole_in(base_value, 0, 4294967296.0)) return int_result(env, -2);
  const size_t entries = (size_t)entries_value;
  if (pages_length < entries || kinds_length < entries || at_length < entries || size_length < entries || jobs_length < 4 * entries || offsets_length < entries) return int_result(env, -2);
  if (payload_length > 0x7fffffff) return int_result(env, -2);
  /* counts (optional): a Uint32Array with a slot for every page below the page limit. */
  void *counts_data = NULL;
  size_t counts_length = 0;
  if (argc >= 14) {
    napi_valuetype counts_type;
    if (napi_typeof(env, argv[13], &counts_type) != napi_ok) return int_result(env, -2);
    if (counts_type != napi_null && counts_type != napi_undefined) {
      if (!elements_of(env, argv[13], napi_uint32_array, &counts_data, &counts_length) || !((double)counts_length >= limit_value)) return int_result(env, -2);
    }
  }
  const uint8_t *payload = (const uint8_t *)payload_data;
  double *pages = (double *)pages_data;
  uint8_t *kinds = (uint8_t *)kinds_data;
  int32_t *data_at = (int32_t *)at_data, *data_size = (int32_t *)size_data, *jobs = (int32_t *)jobs_data;
  double *offsets = (double *)offsets_data;
  const int64_t page_size = (int64_t)page_size_value, max_block = (int64_t)max_block_value;
  const int shift = (int)shift_value;
  const int64_t mask = shift > 0 ? ((int64_t)1 << shift) - 1 : 0, base = (int64_t)base_value;
  size_t at = 12;
  int64_t page = 0;
  int32_t queued = 0;
  for (size_t entry = 0; entry < entries; entry++) {
    const int64_t zigzag = short_varint(payload, payload_length, &at, 5);
    if (zigzag < 0) return int_result(env, -1);
    page += (zigzag & 1) == 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    if (page < 0 || !((double)page < limit_value)) return int_result(env, -1);
    if (at >= payload_length) return int_result(env, -1);
    const uint8_t kind = payload[at++];
    int64_t size = 0;
    if (kind == 1) {
      size = short_varint(payload, payload_length, &at, 5);
      if (size < 0) return int_result(env, -1);
    } else if (kind == 2) {
      size = page_size;
    } else if (kind != 0 && kind != 3) {
      return int_result(env, -1);
    }
    if ((int64_t)at + size > (int64_t)payload_length) return int_result(env, -1);
    pages[entry] = (double)page;
    kinds[entry] = kind;
    data_at[entry] = (int32_t)at;
    data_size[entry] = (int32_t)size;
    if (kind == 1 && size <= max_block) {
      int32_t *job = jobs + 4 * (size_t)queued;
      job[0] = (int32_t)at;
      job[1] = (int32_t)size;
      job[2] = shift < 0 ? 0 : (int32_t)((page + base) >> shift);
      job[3] = (int32_t)entry;
      offsets[queued++] = shift < 0 ? 0.0 : (double)(((page + base) & mask) * page_size);
    }
    at += (size_t)size;
  }
  if (at != payload_length) return int_result(env, -1);
  if (counts_data != NULL) {
    /* Parsed whole: each entry's page counted (every page is below the limit, so has a slot). */
    uint32_t *counts = (uint32_t *)counts_data;
    for (size_t entry = 0; entry < entries; entry++) counts[(size_t)pages[entry]]++;
  }
  return int_result(env, queued);
}

/* xorLz4Threads(n): 1 decodes every record on the calling thread, 2 splits large ones with a helper thread; returns the count in use. */
static napi_value xor_lz4_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t wanted = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return int_result(env, -2);
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &wanted) == napi_ok && (wanted == 1 || wanted == 2)) thread_count = wanted;
  return int_result(env, thread_count == 2 && helper() != NULL ? 2 : 1);
}

/* adviseHugePages(bytes): asks the kernel to back the 2 MiB-aligned interior of a Uint8Array's memory with huge pages; returns the bytes advised (0: none, or refused). */
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_of(env, argv[0], &data, &length)) return int_result(env, -2);
#ifdef MADV_HUGEPAGE
  const uintptr_t huge = (uintptr_t)2 << 20;
  const uintptr_t start = ((uintptr_t)data + huge - 1) & ~(huge - 1);
  const uintptr_t end = ((uintptr_t)data + length) & ~(huge - 1);
  if (end <= start) return int_result(env, 0);
  if (madvise((void *)start, end - start, MADV_HUGEPAGE) != 0) return int_result(env, 0);
  napi_value result;
  napi_create_double(env, (double)(end - start), &result);
  return result;
#else
  return int_result(env, 0);
#endif
}

static pthread_once_t crc32_once = PTHREAD_ONCE_INIT;
static int crc32_clmul_ok = 0;

static void crc32_setup(void) {
  crc32_table_init();
  crc32_clmul_ok = crc32_has_clmul();
}

/* crc32(bytes, previous): the CRC-32 of bytes continuing from previous (0 to start), as zlib's. */
static napi_value crc32_export(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *data;
  size_t length;
  uint32_t previous = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !bytes_of(env, argv[0], &data, &length)) return int_result(env, -2);
  double given;
  if (napi_get_value_double(env, argv[1], &given) != napi_ok || !(given >= 0 && given <= 4294967295.0) || given != (double)(uint32_t)given) return int_result(env, -2);
  previous = (uint32_t)given;
  napi_value result;
  napi_create_uint32(env, crc32_continue(previous, data, length, crc32_clmul_ok), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value function;
  /* init runs once in each environment (the main thread, each worker), on its own thread. */
  napi_add_env_cleanup_hook(env, free_thread_buffers, NULL);
  pthread_once(&crc32_once, crc32_setup);
  napi_create_function(env, "xbzrleEncode", NAPI_AUTO_LENGTH, encode, NULL, &function);
  napi_set_named_property(env, exports, "xbzrleEncode", function);
  napi_create_function(env, "xbrleEncode", NAPI_AUTO_LENGTH, xbrle_encode_export, NULL, &function);
  napi_set_named_property(env, exports, "xbrleEncode", function);
  napi_value simd;
  napi_create_string_utf8(env, PAGEDELTA_SIMD, NAPI_AUTO_LENGTH, &simd);
  napi_set_named_property(env, exports, "simd", simd);
  napi_create_function(env, "xbzrleDecode", NAPI_AUTO_LENGTH, decode, NULL, &function);
  napi_set_named_property(env, exports, "xbzrleDecode", function);
  napi_create_function(env, "xorLz4Epoch", NAPI_AUTO_LENGTH, xor_lz4_epoch, NULL, &function);
  napi_set_named_property(env, exports, "xorLz4Epoch", function);
  napi_create_function(env, "xorLz4Record", NAPI_AUTO_LENGTH, xor_lz4_record, NULL, &function);
  napi_set_named_property(env, exports, "xorLz4Record", function);
  napi_create_function(env, "xorLz4Threads", NAPI_AUTO_LENGTH, xor_lz4_threads, NULL, &function);
  napi_set_named_property(env, exports, "xorLz4Threads", function);
  napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, advise_huge_pages, NULL, &function);
  napi_set_named_property(env, exports, "adviseHugePages", function);
  napi_create_function(env, "crc32", NAPI_AUTO_LENGTH, crc32_export, NULL, &function);
  napi_set_named_property(env, exports, "crc32", function);
  napi_value clmul;
  napi_get_boolean(env, crc32_clmul_ok, &clmul);
  napi_set_named_property(env, exports, "crc32Clmul", clmul);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
