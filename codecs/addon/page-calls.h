/*
 * What both native modules (kernels-addon.c through Node-API, fast-calls.cc through V8 fast
 * calls) do around the page kernels of simd-kernels.h once they have the arguments' bytes:
 * the same checks and the same returns, so the two paths cannot drift apart.
 */
#ifndef PAGEDELTA_PAGE_CALLS_H
#define PAGEDELTA_PAGE_CALLS_H
#include <stddef.h>
#include <stdint.h>

#include "simd-kernels.h"

/* An encoder of the kernels: (old, cur, length, out, limit) -> bytes, 0 identical, -1 does not fit. */
typedef int (*page_encoder)(const uint8_t *old, const uint8_t *cur, int length, uint8_t *out, int limit);

/* `encode` on two pages of one length (1 .. 2^31-1 bytes; -2 otherwise), `out` as far as an int reaches. */
static inline int encode_page(page_encoder encode, const uint8_t *old, size_t old_length, const uint8_t *cur, size_t cur_length, uint8_t *out, size_t out_length) {
  if (old_length != cur_length || cur_length == 0 || cur_length > 0x7fffffff) return -2;
  const int limit = out_length > 0x7fffffff ? 0x7fffffff : (int)out_length;
  return encode(old, cur, (int)cur_length, out, limit);
}

/* An XBZRLE delta applied to `page`: 1 applied, 0 corrupt (page untouched), -2 lengths out of range. */
static inline int decode_page(const uint8_t *encoded, size_t encoded_length, uint8_t *page, size_t page_length) {
  if (encoded_length > 0x7fffffff || page_length > 0x7fffffff) return -2;
  /* Every cache line of the delta is asked for before the parse needs it: the parser finds
     each run length only after the one before, so on a cold delta its misses would come one
     after another. */
  for (size_t at = 0; at < encoded_length; at += 64) __builtin_prefetch(encoded + at);
  /* Checked whole first, so that a corrupt delta leaves the page as it was. */
  if (xbzrle_check(encoded, (int)encoded_length, (int)page_length) != 0) return 0;
  xbzrle_apply_checked(encoded, (int)encoded_length, page);
  return 1;
}

#endif
