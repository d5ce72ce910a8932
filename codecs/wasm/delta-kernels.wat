;; Page-delta kernels (WebAssembly + 128-bit SIMD): XBZRLE encode/decode and XBRLE encode,
;; each with the same output as its TypeScript reference in codecs/.
;;
;; The memory is imported: it is a page arena (codecs/page-memory.ts) whose pages the callers
;; own, so the kernels take addresses and work in place. Every address passed in must leave
;; at least 16 readable bytes after the region it names (the arena keeps a pad at its end):
;; the kernels read whole 16-byte vectors past the end of a short run.
;;
;; xbzrle_encode(old, cur, out, length, limit) encodes the `length`-byte page at `cur` against
;; the one at `old` into `out`; returns the encoded byte count, 0 for identical pages, -1 on
;; overflow (the encoding does not fit in `limit` bytes, or a run exceeds 0x3fff). Bytes of
;; `out` past the returned count (but inside `limit`) may be overwritten.
;; xbzrle_decode(page, pageLength, input, inputLength) checks the whole delta first and then
;; applies it to the page: 0 when applied, -1 when corrupt (the page is then untouched and
;; the caller reports why from its own parser). It writes one word of no meaning at 114688
;; (the sink, in the arena's scratch space: see kernels.ts).
;; xbrle_encode(old, cur, out, length, limit): the 2011 format, (count u8, XOR byte) pairs
;; over the whole page, counts 1..255; same returns as xbzrle_encode.
(module
  (import "env" "memory" (memory 2))

  ;; Copies `length` bytes from `from` to `to` where the 16 bytes after `to + length` may be
  ;; overwritten (an output buffer with room): whole vectors for short runs, memory.copy
  ;; (a call out of the module) for long ones.
  (func $copyOver (param $to i32) (param $from i32) (param $length i32)
    (local $k i32)
    (if (i32.gt_u (local.get $length) (i32.const 128))
      (then (memory.copy (local.get $to) (local.get $from) (local.get $length)) (return)))
    (loop $vectors
      (v128.store (i32.add (local.get $to) (local.get $k)) (v128.load (i32.add (local.get $from) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $k) (local.get $length)))))

  ;; Copies `length` (>= 1) bytes from `from` to `to` without touching any byte outside
  ;; [to, to + length), and without reading the destination (a read of a cold page line would
  ;; stall; stores do not): two overlapping loads/stores of the largest width that fits, whole
  ;; vectors then one overlapping vector for longer runs, memory.copy for long ones.
  (func $copyExact (param $to i32) (param $from i32) (param $length i32)
    (local $k i32) (local $last i32)
    (if (i32.ge_u (local.get $length) (i32.const 16))
      (then
        (if (i32.gt_u (local.get $length) (i32.const 128))
          (then (memory.copy (local.get $to) (local.get $from) (local.get $length)) (return)))
        ;; The last 16 bytes are loaded before any store (the regions do not overlap anyway).
        (local.set $last (i32.sub (local.get $length) (i32.const 16)))
        (v128.store (i32.add (local.get $to) (local.get $last)) (v128.load (i32.add (local.get $from) (local.get $last))))
        (loop $vectors
          (v128.store (i32.add (local.get $to) (local.get $k)) (v128.load (i32.add (local.get $from) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $k) (local.get $last))))
        (return)))
    (if (i32.ge_u (local.get $length) (i32.const 8))
      (then
        (i64.store (local.get $to) (i64.load (local.get $from)))
        (local.set $last (i32.sub (local.get $length) (i32.const 8)))
        (i64.store (i32.add (local.get $to) (local.get $last)) (i64.load (i32.add (local.get $from) (local.get $last))))
        (return)))
    (if (i32.ge_u (local.get $length) (i32.const 4))
      (then
        (i32.store (local.get $to) (i32.load (local.get $from)))
        (local.set $last (i32.sub (local.get $length) (i32.const 4)))
        (i32.store (i32.add (local.get $to) (local.get $last)) (i32.load (i32.add (local.get $from) (local.get $last))))
        (return)))
    (if (i32.ge_u (local.get $length) (i32.const 2))
      (then
        (i32.store16 (local.get $to) (i32.load16_u (local.get $from)))
        (local.set $last (i32.sub (local.get $length) (i32.const 2)))
        (i32.store16 (i32.add (local.get $to) (local.get $last)) (i32.load16_u (i32.add (local.get $from) (local.get $last))))
        (return)))
    (i32.store8 (local.get $to) (i32.load8_u (local.get $from))))

  (func (export "xbzrle_encode") (param $old i32) (param $cur i32) (param $out i32) (param $length i32) (param $limit i32) (result i32)
    (local $i i32) (local $o i32) (local $outEnd i32) (local $start i32) (local $run i32)
    (local $mask i32) (local $lengthBytes i32) (local $po i32) (local $pc i32)
    (local.set $o (local.get $out))
    (local.set $outEnd (i32.add (local.get $out) (local.get $limit)))
    (block $done
      (loop $runs
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        ;; Unchanged run: 64 bytes at a time, then 16, then byte by byte.
        (local.set $start (local.get $i))
        (block $bigEnd
          (loop $big
            (br_if $bigEnd (i32.gt_u (i32.add (local.get $i) (i32.const 64)) (local.get $length)))
            (local.set $po (i32.add (local.get $old) (local.get $i)))
            (local.set $pc (i32.add (local.get $cur) (local.get $i)))
            (br_if $bigEnd (i32.ne (i32.const 0xffff) (i8x16.bitmask
              (v128.and
                (v128.and (i8x16.eq (v128.load (local.get $po)) (v128.load (local.get $pc)))
                          (i8x16.eq (v128.load offset=16 (local.get $po)) (v128.load offset=16 (local.get $pc))))
                (v128.and (i8x16.eq (v128.load offset=32 (local.get $po)) (v128.load offset=32 (local.get $pc)))
                          (i8x16.eq (v128.load offset=48 (local.get $po)) (v128.load offset=48 (local.get $pc))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 64)))
            (br $big)))
        (block $zeroEnd
          (loop $zeroVectors
            (br_if $zeroEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
            (local.set $mask
              (i8x16.bitmask (i8x16.eq (v128.load (i32.add (local.get $old) (local.get $i)))
                                       (v128.load (i32.add (local.get $cur) (local.get $i))))))
            (if (i32.ne (local.get $mask) (i32.const 0xffff))
              (then
                (local.set $i (i32.add (local.get $i)
                  (i32.ctz (i32.xor (local.get $mask) (i32.const 0xffff)))))
                (br $zeroEnd)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $zeroVectors)))
        (block $zeroTailEnd
          (loop $zeroTail
            (br_if $zeroTailEnd (i32.ge_u (local.get $i) (local.get $length)))
            (br_if $zeroTailEnd (i32.ne (i32.load8_u (i32.add (local.get $old) (local.get $i)))
                                        (i32.load8_u (i32.add (local.get $cur) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $zeroTail)))
        ;; The trailing unchanged run is not written.
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (local.set $run (i32.sub (local.get $i) (local.get $start)))
        (if (i32.gt_u (local.get $run) (i32.const 0x3fff)) (then (return (i32.const -1))))
        (local.set $lengthBytes (select (i32.const 1) (i32.const 2) (i32.lt_u (local.get $run) (i32.const 0x80))))
        (if (i32.gt_u (i32.add (local.get $o) (local.get $lengthBytes)) (local.get $outEnd)) (then (return (i32.const -1))))
        ;; The length as a small ULEB128 (1 or 2 bytes), inline: a call costs more than this.
        (if (i32.lt_u (local.get $run) (i32.const 0x80))
          (then
            (i32.store8 (local.get $o) (local.get $run))
            (local.set $o (i32.add (local.get $o) (i32.const 1))))
          (else
            (i32.store16 (local.get $o)
              (i32.or (i32.or (i32.and (local.get $run) (i32.const 0x7f)) (i32.const 0x80))
                      (i32.shl (i32.shr_u (local.get $run) (i32.const 7)) (i32.const 8))))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))))
        ;; Changed run: ends at the next equal byte.
        (local.set $start (local.get $i))
        (block $changedEnd
          (loop $changedVectors
            (br_if $changedEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
            (local.set $mask
              (i8x16.bitmask (i8x16.eq (v128.load (i32.add (local.get $old) (local.get $i)))
                                       (v128.load (i32.add (local.get $cur) (local.get $i))))))
            (if (i32.ne (local.get $mask) (i32.const 0))
              (then
                (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $mask))))
                (br $changedEnd)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $changedVectors)))
        (block $changedTailEnd
          (loop $changedTail
            (br_if $changedTailEnd (i32.ge_u (local.get $i) (local.get $length)))
            (br_if $changedTailEnd (i32.eq (i32.load8_u (i32.add (local.get $old) (local.get $i)))
                                           (i32.load8_u (i32.add (local.get $cur) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $changedTail)))
        (local.set $run (i32.sub (local.get $i) (local.get $start)))
        (if (i32.gt_u (local.get $run) (i32.const 0x3fff)) (then (return (i32.const -1))))
        (local.set $lengthBytes (select (i32.const 1) (i32.const 2) (i32.lt_u (local.get $run) (i32.const 0x80))))
        (if (i32.gt_u (i32.add (i32.add (local.get $o) (local.get $lengthBytes)) (local.get $run)) (local.get $outEnd))
          (then (return (i32.const -1))))
        ;; The length as a small ULEB128 (1 or 2 bytes), inline: a call costs more than this.
        (if (i32.lt_u (local.get $run) (i32.const 0x80))
          (then
            (i32.store8 (local.get $o) (local.get $run))
            (local.set $o (i32.add (local.get $o) (i32.const 1))))
          (else
            (i32.store16 (local.get $o)
              (i32.or (i32.or (i32.and (local.get $run) (i32.const 0x7f)) (i32.const 0x80))
                      (i32.shl (i32.shr_u (local.get $run) (i32.const 7)) (i32.const 8))))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))))
        ;; Whole vectors may run up to 15 bytes past the run: only where the output has room.
        (if (i32.le_u (i32.add (i32.add (local.get $o) (local.get $run)) (i32.const 16)) (local.get $outEnd))
          (then
            ;; A run of at most 48 bytes, the usual case, is one to three vectors, without a call.
            (if (i32.le_u (local.get $run) (i32.const 48))
              (then
                (local.set $pc (i32.add (local.get $cur) (local.get $start)))
                (v128.store (local.get $o) (v128.load (local.get $pc)))
                (if (i32.gt_u (local.get $run) (i32.const 16))
                  (then
                    (v128.store offset=16 (local.get $o) (v128.load offset=16 (local.get $pc)))
                    (if (i32.gt_u (local.get $run) (i32.const 32))
                      (then (v128.store offset=32 (local.get $o) (v128.load offset=32 (local.get $pc))))))))
              (else (call $copyOver (local.get $o) (i32.add (local.get $cur) (local.get $start)) (local.get $run)))))
          (else (memory.copy (local.get $o) (i32.add (local.get $cur) (local.get $start)) (local.get $run))))
        (local.set $o (i32.add (local.get $o) (local.get $run)))
        (br $runs)))
    (i32.sub (local.get $o) (local.get $out)))

  ;; Checks an XBZRLE delta against a page of `pageLength` bytes without writing anything:
  ;; 0 when valid, -1 when truncated, over-long, or running past the page or the input.
  (func $xbzrleCheck (param $pageLength i32) (param $s i32) (param $inputLength i32) (result i32)
    (local $end i32) (local $d i32) (local $low i32) (local $high i32) (local $run i32)
    (local.set $end (i32.add (local.get $s) (local.get $inputLength)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $s)) (i32.const 2)) (then (return (i32.const -1))))
        ;; Unchanged run (two bytes are there, checked above).
        (local.set $low (i32.load8_u (local.get $s)))
        (if (i32.and (local.get $low) (i32.const 0x80))
          (then
            (local.set $high (i32.load8_u offset=1 (local.get $s)))
            (if (i32.and (local.get $high) (i32.const 0x80)) (then (return (i32.const -1))))
            (local.set $run (i32.or (i32.and (local.get $low) (i32.const 0x7f)) (i32.shl (local.get $high) (i32.const 7))))
            (local.set $s (i32.add (local.get $s) (i32.const 2))))
          (else
            (local.set $run (local.get $low))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        (if (i32.and (i32.eqz (local.get $run)) (i32.ne (local.get $d) (i32.const 0))) (then (return (i32.const -1))))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (if (i32.gt_u (local.get $d) (local.get $pageLength)) (then (return (i32.const -1))))
        ;; Changed run.
        (if (i32.ge_u (local.get $s) (local.get $end)) (then (return (i32.const -1))))
        (local.set $low (i32.load8_u (local.get $s)))
        (if (i32.and (local.get $low) (i32.const 0x80))
          (then
            (if (i32.ge_u (i32.add (local.get $s) (i32.const 1)) (local.get $end)) (then (return (i32.const -1))))
            (local.set $high (i32.load8_u offset=1 (local.get $s)))
            (if (i32.and (local.get $high) (i32.const 0x80)) (then (return (i32.const -1))))
            (local.set $run (i32.or (i32.and (local.get $low) (i32.const 0x7f)) (i32.shl (local.get $high) (i32.const 7))))
            (local.set $s (i32.add (local.get $s) (i32.const 2))))
          (else
            (local.set $run (local.get $low))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        (if (i32.eqz (local.get $run)) (then (return (i32.const -1))))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (if (i32.gt_u (local.get $d) (local.get $pageLength)) (then (return (i32.const -1))))
        (local.set $s (i32.add (local.get $s) (local.get $run)))
        (if (i32.gt_u (local.get $s) (local.get $end)) (then (return (i32.const -1))))
        (br $pairs)))
    (i32.const 0))

  (func (export "xbzrle_decode") (param $page i32) (param $pageLength i32) (param $input i32) (param $inputLength i32) (result i32)
    (local $s i32) (local $end i32) (local $d i32) (local $low i32) (local $run i32) (local $last i32)
    ;; One load from every cache line of the input before any is parsed: the parser finds the
    ;; next run length only after reading the previous one, so on a cold input its misses
    ;; would come one after another; issued together they overlap (MEDIUM to VERY-DENSE
    ;; deltas decoded 1.3-1.5x faster in place). The bytes are stored to the sink so that the
    ;; loads are kept.
    (local.set $s (local.get $input))
    (local.set $end (i32.add (local.get $input) (local.get $inputLength)))
    (block $touched
      (loop $touch
        (br_if $touched (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $low (i32.or (local.get $low) (i32.load8_u (local.get $s))))
        (local.set $s (i32.add (local.get $s) (i32.const 64)))
        (br $touch)))
    (i32.store (i32.const 114688) (local.get $low))
    (if (call $xbzrleCheck (local.get $pageLength) (local.get $input) (local.get $inputLength))
      (then (return (i32.const -1))))
    ;; Valid: apply without checks.
    (local.set $s (local.get $input))
    (local.set $d (local.get $page))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $low (i32.load8_u (local.get $s)))
        (if (i32.and (local.get $low) (i32.const 0x80))
          (then
            (local.set $run (i32.or (i32.and (local.get $low) (i32.const 0x7f)) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 7))))
            (local.set $s (i32.add (local.get $s) (i32.const 2))))
          (else
            (local.set $run (local.get $low))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (local.set $low (i32.load8_u (local.get $s)))
        (if (i32.and (local.get $low) (i32.const 0x80))
          (then
            (local.set $run (i32.or (i32.and (local.get $low) (i32.const 0x7f)) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 7))))
            (local.set $s (i32.add (local.get $s) (i32.const 2))))
          (else
            (local.set $run (local.get $low))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        ;; Runs of 8 to 48 bytes (the common ones) are copied inline: two overlapping 8-byte
        ;; moves up to 16 bytes, two or three 16-byte ones up to 48.
        (if (i32.lt_u (i32.sub (local.get $run) (i32.const 8)) (i32.const 41))
          (then
            (if (i32.le_u (local.get $run) (i32.const 16))
              (then
                (local.set $last (i32.sub (local.get $run) (i32.const 8)))
                (i64.store (local.get $d) (i64.load (local.get $s)))
                (i64.store (i32.add (local.get $d) (local.get $last)) (i64.load (i32.add (local.get $s) (local.get $last)))))
              (else
                (local.set $last (i32.sub (local.get $run) (i32.const 16)))
                (v128.store (local.get $d) (v128.load (local.get $s)))
                (if (i32.gt_u (local.get $run) (i32.const 32))
                  (then (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s)))))
                (v128.store (i32.add (local.get $d) (local.get $last)) (v128.load (i32.add (local.get $s) (local.get $last)))))))
          (else (call $copyExact (local.get $d) (local.get $s) (local.get $run))))
        (local.set $s (i32.add (local.get $s) (local.get $run)))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (br $pairs)))
    (i32.const 0))

  ;; Writes the pairs of one run of `length` bytes of XOR value `value` at `out` (counts of at
  ;; most 255); returns the new output position, or -1 when they do not fit before `outEnd`.
  (func $xbrleRun (param $out i32) (param $outEnd i32) (param $length i32) (param $value i32) (result i32)
    (if (i32.le_u (local.get $length) (i32.const 255))
      (then
        (if (i32.gt_u (i32.add (local.get $out) (i32.const 2)) (local.get $outEnd)) (then (return (i32.const -1))))
        (i32.store16 (local.get $out) (i32.or (local.get $length) (i32.shl (local.get $value) (i32.const 8))))
        (return (i32.add (local.get $out) (i32.const 2)))))
    (if (i32.gt_u
          (i32.add (local.get $out) (i32.shl (i32.div_u (i32.add (local.get $length) (i32.const 254)) (i32.const 255)) (i32.const 1)))
          (local.get $outEnd))
      (then (return (i32.const -1))))
    (block $chunksEnd
      (loop $chunks
        (br_if $chunksEnd (i32.le_u (local.get $length) (i32.const 255)))
        (i32.store16 (local.get $out) (i32.or (i32.const 255) (i32.shl (local.get $value) (i32.const 8))))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $length (i32.sub (local.get $length) (i32.const 255)))
        (br $chunks)))
    (i32.store16 (local.get $out) (i32.or (local.get $length) (i32.shl (local.get $value) (i32.const 8))))
    (i32.add (local.get $out) (i32.const 2)))

  ;; XBRLE without a branch per byte: for each 16-byte block, a bitmask of the positions where the
  ;; XOR value differs from the byte before (a run starts there); only those positions are visited.
  ;; A block where every lane starts a run (changed random bytes) is written in one step: the
  ;; pending run's pair, then sixteen (1, byte) pairs from two interleaving shuffles, of which the
  ;; last stays pending (its run may go on into the next block).
  (func (export "xbrle_encode") (param $old i32) (param $cur i32) (param $out i32) (param $length i32) (param $limit i32) (result i32)
    (local $i i32) (local $o i32) (local $outEnd i32) (local $runStart i32) (local $value i32)
    (local $starts i32) (local $position i32) (local $block v128) (local $previous v128)
    (local $po i32) (local $pc i32) (local $run i32)
    (local.set $o (local.get $out))
    (local.set $outEnd (i32.add (local.get $out) (local.get $limit)))
    (local.set $value (i32.xor (i32.load8_u (local.get $old)) (i32.load8_u (local.get $cur))))
    (local.set $previous (i8x16.splat (local.get $value)))
    (block $done
      (loop $blocks
        ;; Inside a run of unchanged bytes, skip whole unchanged blocks with the cheapest test.
        (if (i32.eqz (local.get $value))
          (then
            (block $skipEnd
              (loop $skip
                (br_if $skipEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
                (br_if $skipEnd (i32.ne (i32.const 0xffff) (i8x16.bitmask
                  (i8x16.eq (v128.load (i32.add (local.get $old) (local.get $i))) (v128.load (i32.add (local.get $cur) (local.get $i)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $skip)))))
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (local.set $po (i32.add (local.get $old) (local.get $i)))
        (local.set $pc (i32.add (local.get $cur) (local.get $i)))
        (local.set $block (v128.xor (v128.load (local.get $po)) (v128.load (local.get $pc))))
        ;; Compare with the XOR bytes one position earlier (an unaligned load; the first block, which
        ;; has no byte before it, shifts in the first byte's value instead).
        (local.set $previous
          (if (result v128) (local.get $i)
            (then (v128.xor (v128.load (i32.sub (local.get $po) (i32.const 1)))
                            (v128.load (i32.sub (local.get $pc) (i32.const 1)))))
            (else (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $previous) (local.get $block)))))
        (local.set $starts (i8x16.bitmask (i8x16.ne (local.get $block) (local.get $previous))))
        ;; A last, partial block: ignore the lanes past the page.
        (if (i32.lt_u (i32.sub (local.get $length) (local.get $i)) (i32.const 16))
          (then (local.set $starts (i32.and (local.get $starts)
            (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $length) (local.get $i))) (i32.const 1))))))
        (if (i32.and (i32.eq (local.get $starts) (i32.const 0xffff))
                     (i32.le_u (i32.add (local.get $o) (i32.const 32)) (local.get $outEnd)))
          (then
            ;; Every lane starts a run: the pending run ends at lane 0.
            (local.set $o (call $xbrleRun (local.get $o) (local.get $outEnd)
              (i32.sub (local.get $i) (local.get $runStart)) (local.get $value)))
            (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (i32.const -1))))
            (if (i32.le_u (i32.add (local.get $o) (i32.const 32)) (local.get $outEnd))
              (then
                (v128.store (local.get $o)
                  (i8x16.shuffle 16 0 16 1 16 2 16 3 16 4 16 5 16 6 16 7 (local.get $block) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1)))
                (v128.store offset=16 (local.get $o)
                  (i8x16.shuffle 16 8 16 9 16 10 16 11 16 12 16 13 16 14 16 15 (local.get $block) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1)))
                (local.set $o (i32.add (local.get $o) (i32.const 30)))
                (local.set $runStart (i32.add (local.get $i) (i32.const 15)))
                (local.set $value (i8x16.extract_lane_u 15 (local.get $block)))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $blocks)))
            ;; Too close to the limit for the vector stores: lane by lane below (lane 0 is done).
            (local.set $runStart (local.get $i))
            (local.set $value (i8x16.extract_lane_u 0 (local.get $block)))
            (local.set $starts (i32.const 0xfffe))))
        (block $startsEnd
          (loop $eachStart
            (br_if $startsEnd (i32.eqz (local.get $starts)))
            (local.set $position (i32.add (local.get $i) (i32.ctz (local.get $starts))))
            (local.set $run (i32.sub (local.get $position) (local.get $runStart)))
            ;; The common pair inline (a call per run costs more than the pair).
            (if (i32.and (i32.le_u (local.get $run) (i32.const 255))
                         (i32.le_u (i32.add (local.get $o) (i32.const 2)) (local.get $outEnd)))
              (then
                (i32.store16 (local.get $o) (i32.or (local.get $run) (i32.shl (local.get $value) (i32.const 8))))
                (local.set $o (i32.add (local.get $o) (i32.const 2))))
              (else
                (local.set $o (call $xbrleRun (local.get $o) (local.get $outEnd) (local.get $run) (local.get $value)))
                (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (i32.const -1))))))
            (local.set $runStart (local.get $position))
            (local.set $value (i32.xor (i32.load8_u (i32.add (local.get $old) (local.get $position)))
                                       (i32.load8_u (i32.add (local.get $cur) (local.get $position)))))
            (local.set $starts (i32.and (local.get $starts) (i32.sub (local.get $starts) (i32.const 1))))
            (br $eachStart)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    ;; One run of zeros covering the page: identical pages.
    (if (i32.and (i32.eqz (local.get $runStart)) (i32.eqz (local.get $value))) (then (return (i32.const 0))))
    (local.set $o (call $xbrleRun (local.get $o) (local.get $outEnd)
      (i32.sub (local.get $length) (local.get $runStart)) (local.get $value)))
    (if (i32.lt_s (local.get $o) (i32.const 0)) (then (return (i32.const -1))))
    (i32.sub (local.get $o) (local.get $out)))
)
