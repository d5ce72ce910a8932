/*
 * The native addon of the page-delta codecs: the C kernels of codecs/reference-c (scalar
 * XBZRLE) called on the caller's own page memory through Node-API. The WebAssembly kernels
 * work in place only on pages from allocatePages; on any other page they must copy both pages
 * in (8 KiB a call, more than the work on a sparse page), while this addon reads and writes
 * the caller's bytes where they are. Built by `npm install` (binding.gyp); when it cannot be
 * built the codecs keep their WebAssembly copy path.
 *
 *   xbzrleEncode(old, cur, out) -> encoded bytes, 0 (identical), -1 (does not fit in out)
 *   xbzrleDecode(encoded, page) -> 1 applied, 0 corrupt (page untouched)
 *
 * Arguments must be Uint8Arrays (Buffers are); anything else, or pages of different lengths,
 * returns -2 and the caller reports it (the TypeScript side checks first anyway).
 */
#include <node_api.h>

#include "../reference-c/xbzrle-kernels.h"

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

static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *old, *cur, *out;
  size_t old_length, cur_length, out_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return int_result(env, -2);
  if (!bytes_of(env, argv[0], &old, &old_length) || !bytes_of(env, argv[1], &cur, &cur_length) || !bytes_of(env, argv[2], &out, &out_length)) return int_result(env, -2);
  if (old_length != cur_length || cur_length == 0 || cur_length > 0x7fffffff) return int_result(env, -2);
  int limit = out_length > 0x7fffffff ? 0x7fffffff : (int)out_length;
  return int_result(env, xbzrle_encode(old, cur, (int)cur_length, out, limit));
}

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
  return int_result(env, xbzrle_decode(encoded, (int)encoded_length, page, (int)page_length) == 0 ? 1 : 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value function;
  napi_create_function(env, "xbzrleEncode", NAPI_AUTO_LENGTH, encode, NULL, &function);
  napi_set_named_property(env, exports, "xbzrleEncode", function);
  napi_create_function(env, "xbzrleDecode", NAPI_AUTO_LENGTH, decode, NULL, &function);
  napi_set_named_property(env, exports, "xbzrleDecode", function);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
