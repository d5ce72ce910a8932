/*
 * The native addon of the page-delta codecs: the XBZRLE encoder and decoder of
 * codecs/reference-c and an XBRLE encoder (simd-kernels.h: SSE2 where the compiler targets it),
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
 *     With apply false the pages are not written (only counted).
 *
 * Arguments must be Uint8Arrays (Buffers are); anything else, or pages of different lengths,
 * returns -2 and the caller reports it (the TypeScript side checks first anyway).
 */
#include <node_api.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "simd-kernels.h"
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

typedef int (*encoder)(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit);

/* (old, cur, out) checked and handed to `encode`: bytes written, 0 identical, -1 does not fit, -2 bad arguments. */
static napi_value encode_with(napi_env env, napi_callback_info info, encoder encode) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *old, *cur, *out;
  size_t old_length, cur_length, out_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return int_result(env, -2);
  if (!bytes_of(env, argv[0], &old, &old_length) || !bytes_of(env, argv[1], &cur, &cur_length) || !bytes_of(env, argv[2], &out, &out_length)) return int_result(env, -2);
  if (old_length != cur_length || cur_length == 0 || cur_length > 0x7fffffff) return int_result(env, -2);
  int limit = out_length > 0x7fffffff ? 0x7fffffff : (int)out_length;
  return int_result(env, encode(old, cur, (int)cur_length, out, limit));
}

static napi_value encode(napi_env env, napi_callback_info info) { return encode_with(env, info, xbzrle_encode); }

static napi_value xbrle_encode_export(napi_env env, napi_callback_info info) { return encode_with(env, info, xbrle_encode_fast); }

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *encoded, *page;
  size_t encoded_length, page_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return int_result(env, -2);
  if (!bytes_of(env, argv[0], &encoded, &encoded_length) || !bytes_of(env, argv[1], &page, &page_length)) return int_result(env, -2);
  if (encoded_length > 0x7fffffff || page_length > 0x7fffffff) return int_result(env, -2);
  /* Every cache line of the delta is asked for before the parse needs it: the parser finds
     each run length only after the one before, so on a cold delta its misses would come one
     after another. */
  for (size_t at = 0; at < encoded_length; at += 64) __builtin_prefetch(encoded + at);
  /* Checked whole first, so that a corrupt delta leaves the page as it was. */
  if (xbzrle_check(encoded, (int)encoded_length, (int)page_length) != 0) return int_result(env, 0);
  xbzrle_apply_checked(encoded, (int)encoded_length, page);
  return int_result(env, 1);
}

/* One scratch page and write list per thread (worker threads load the addon too), made on first use. */
static __thread xor_lz4_scratch *thread_scratch = NULL;
static __thread xor_lz4_writes thread_writes = {NULL, NULL, 0, 0};

/* Frees them when the thread's Node environment ends (a worker thread that exits). */
static void free_thread_buffers(void *unused) {
  (void)unused;
  free(thread_scratch);
  thread_scratch = NULL;
  free(thread_writes.at);
  free(thread_writes.value);
  thread_writes.at = NULL;
  thread_writes.value = NULL;
  thread_writes.count = thread_writes.capacity = 0;
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
  if (!(count_value >= 0 && count_value <= 0x7fffffff) || count_value != (double)(int32_t)count_value) return int_result(env, -2);
  if (!(page_size_value >= 8 && page_size_value <= XOR_LZ4_MAX_PAGE) || page_size_value != (double)(int32_t)page_size_value) return int_result(env, -2);
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
  /* The thread's write list in a local for the record: a thread-local variable of a loaded
     library is found through a call (__tls_get_addr), which the compiler repeated for every
     held write (9% of a replay). It goes back to the thread when the record is done. */
  xor_lz4_writes writes = thread_writes;
  xor_lz4_scratch *scratch = thread_scratch;
  int result = -1;
  for (int32_t job = 0; job < count; job++) {
    const int32_t at = jobs[4 * job], size = jobs[4 * job + 1], chunk = jobs[4 * job + 2], entry = jobs[4 * job + 3];
    const double offset = offsets[job];
    /* Blocks of at most 1 MiB: their lengths then add up in an int (255 a continuation byte). */
    if (at < 0 || size < 0 || size > (1 << 20) || (size_t)at + (size_t)size > payload_length || chunk < 0 || (uint32_t)chunk >= chunk_count ||
        !(offset >= 0) || offset + page_size > (double)chunk_lengths[chunk] || offset != (double)(size_t)offset ||
        (changed != NULL && (entry < 0 || (size_t)entry >= changed_length))) {
      result = -2;
      break;
    }
    const int nonzero = xor_lz4_apply(payload + at, size, apply ? chunks[chunk] + (size_t)offset : NULL, page_size, scratch, &writes);
    if (nonzero < 0) {
      result = job; /* the jobs before it are applied */
      break;
    }
    if (changed != NULL) changed[entry] = nonzero;
  }
  apply_held_writes(&writes);
  thread_writes = writes;
  return int_result(env, result);
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value function;
  /* init runs once in each environment (the main thread, each worker), on its own thread. */
  napi_add_env_cleanup_hook(env, free_thread_buffers, NULL);
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
  napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, advise_huge_pages, NULL, &function);
  napi_set_named_property(env, exports, "adviseHugePages", function);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
