/*
 * CRC-32 (the IEEE polynomial of zlib, gzip and PNG: the trace format's record checksum),
 * folded with carry-less multiplies (PCLMULQDQ) where the CPU has them.
 *
 * Why: the trace reader checks every record's checksum on the calling thread, and zlib's
 * table-driven crc32 runs at about 4 GB/s here, a tenth of a trace read's time. Carry-less
 * multiplication folds 64 bytes per step instead of looking up 8 bytes.
 *
 * The method (reflected bit order, as the CRC is defined): four 128-bit accumulators take
 * the input 64 bytes at a time; to step one forward over 512 bits, its two 64-bit halves are
 * multiplied by x^(512+32) and x^(512-32) modulo P (bit-reflected) and XOR-ed into the next
 * block. The four are then folded into one (constants for 128 bits), the remaining 16-byte
 * blocks likewise, and the last 128 bits are reduced to 64 with x^(128-32) and x^64 mod P and
 * to 32 by Barrett reduction (floor(x^64 / P) and P itself, reflected). The constants are
 * computed from P = 0x104C11DB7 (docs/trace-format.md shows how). Inputs under 64 bytes and
 * the last 0-15 bytes go through a byte table.
 */
#ifndef PAGEDELTA_CRC32_CLMUL_H
#define PAGEDELTA_CRC32_CLMUL_H

#include <stddef.h>
#include <stdint.h>

static uint32_t crc32_table[256];

/* The byte table of the reflected polynomial 0xEDB88320 (run once). */
static void crc32_table_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc32_table[n] = c;
  }
}

/* `state` is the running register (the CRC value inverted), as the folds below use it. */
static inline uint32_t crc32_bytes(uint32_t state, const uint8_t *p, size_t length) {
  while (length-- > 0) state = crc32_table[(state ^ *p++) & 0xff] ^ (state >> 8);
  return state;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PAGEDELTA_CRC32_CLMUL 1

/* x^n mod P, bit-reflected and shifted left by one, for the n named. */
#define CRC32_X544 0x154442bd4ull /* fold 4 blocks: 512 + 32 */
#define CRC32_X480 0x1c6e41596ull /* fold 4 blocks: 512 - 32 */
#define CRC32_X160 0x1751997d0ull /* fold 1 block: 128 + 32 */
#define CRC32_X96 0x0ccaa009eull  /* fold 1 block: 128 - 32 */
#define CRC32_X64 0x163cd6124ull  /* 64 bits to 32 */
#define CRC32_P 0x1db710641ull    /* P, reflected */
#define CRC32_MU 0x1f7011641ull   /* floor(x^64 / P), reflected */

/* One accumulator stepped over the distance its constants stand for, plus the next block. */
__attribute__((target("pclmul,sse4.1"))) static inline __m128i crc32_fold(__m128i acc, __m128i constants, __m128i next) {
  __m128i low = _mm_clmulepi64_si128(acc, constants, 0x00);
  __m128i high = _mm_clmulepi64_si128(acc, constants, 0x11);
  return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

/* Continues the register `state` over length >= 64 bytes. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_clmul(uint32_t state, const uint8_t *p, size_t length) {
  __m128i a0 = _mm_loadu_si128((const __m128i *)p);
  __m128i a1 = _mm_loadu_si128((const __m128i *)(p + 16));
  __m128i a2 = _mm_loadu_si128((const __m128i *)(p + 32));
  __m128i a3 = _mm_loadu_si128((const __m128i *)(p + 48));
  a0 = _mm_xor_si128(a0, _mm_cvtsi32_si128((int)state));
  p += 64;
  length -= 64;
  const __m128i by4 = _mm_set_epi64x((long long)CRC32_X480, (long long)CRC32_X544);
  while (length >= 64) {
    a0 = crc32_fold(a0, by4, _mm_loadu_si128((const __m128i *)p));
    a1 = crc32_fold(a1, by4, _mm_loadu_si128((const __m128i *)(p + 16)));
    a2 = crc32_fold(a2, by4, _mm_loadu_si128((const __m128i *)(p + 32)));
    a3 = crc32_fold(a3, by4, _mm_loadu_si128((const __m128i *)(p + 48)));
    p += 64;
    length -= 64;
  }
  const __m128i by1 = _mm_set_epi64x((long long)CRC32_X96, (long long)CRC32_X160);
  __m128i acc = crc32_fold(a0, by1, a1);
  acc = crc32_fold(acc, by1, a2);
  acc = crc32_fold(acc, by1, a3);
  while (length >= 16) {
    acc = crc32_fold(acc, by1, _mm_loadu_si128((const __m128i *)p));
    p += 16;
    length -= 16;
  }
  /* 128 bits to 64: the low half times x^96 mod P, added to the high half. */
  const __m128i low32 = _mm_set_epi32(0, -1, 0, -1);
  __m128i t = _mm_clmulepi64_si128(acc, by1, 0x10);
  acc = _mm_xor_si128(_mm_srli_si128(acc, 8), t);
  /* 64 bits to 32 (held in bits 32..95): the low 32 times x^64 mod P. */
  t = _mm_srli_si128(acc, 4);
  acc = _mm_clmulepi64_si128(_mm_and_si128(acc, low32), _mm_set_epi64x(0, (long long)CRC32_X64), 0x00);
  acc = _mm_xor_si128(acc, t);
  /* Barrett: q = low32 * mu (keep 32 bits), then the remainder is acc ^ q * P. */
  const __m128i barrett = _mm_set_epi64x((long long)CRC32_MU, (long long)CRC32_P);
  t = _mm_clmulepi64_si128(_mm_and_si128(acc, low32), barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
  acc = _mm_xor_si128(acc, t);
  state = (uint32_t)_mm_extract_epi32(acc, 1);
  return crc32_bytes(state, p, length);
}

static int crc32_has_clmul(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}
#else
static int crc32_has_clmul(void) { return 0; }
static uint32_t crc32_clmul(uint32_t state, const uint8_t *p, size_t length) { return crc32_bytes(state, p, length); }
#endif

/* zlib's crc32(previous, p, length): the CRC of the bytes after those that gave `previous`. */
static inline uint32_t crc32_continue(uint32_t previous, const uint8_t *p, size_t length, int clmul) {
  uint32_t state = ~previous;
  state = clmul && length >= 64 ? crc32_clmul(state, p, length) : crc32_bytes(state, p, length);
  return ~state;
}

#endif
