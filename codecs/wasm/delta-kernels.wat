;; Page-delta kernels (WebAssembly + 128-bit SIMD): XBZRLE encode/decode and XBRLE encode,
;; each with the same output as its TypeScript reference in codecs/.
;; Memory layout (one 64 KiB page): old page at 0, new page at 16384, output at 32768.
;; xbzrle_encode(length, limit) returns the encoded byte count, 0 for identical pages, -1 on
;; overflow (the encoding does not fit in `limit` bytes, or a run exceeds 0x3fff).
;; xbzrle_decode(pageLength, inputLength) applies the delta at 32768 to the page at 0: 0 when the
;; delta is valid, -1 when it is corrupt (the caller then reports why from its own parser).
;; xbrle_encode(length, limit): the 2011 format, (count u8, XOR byte) pairs over the whole page,
;; counts 1..255; same returns as xbzrle_encode.
(module
  (memory (export "memory") 1 1)

  ;; Writes a small ULEB128 `value` at `at`; returns the new output position.
  (func $uleb (param $at i32) (param $value i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $value) (i32.const 0x80))
      (then
        (i32.store8 (local.get $at) (local.get $value))
        (i32.add (local.get $at) (i32.const 1)))
      (else
        (i32.store8 (local.get $at) (i32.or (i32.and (local.get $value) (i32.const 0x7f)) (i32.const 0x80)))
        (i32.store8 offset=1 (local.get $at) (i32.shr_u (local.get $value) (i32.const 7)))
        (i32.add (local.get $at) (i32.const 2)))))

  (func (export "xbzrle_encode") (param $length i32) (param $limit i32) (result i32)
    (local $i i32) (local $out i32) (local $outEnd i32) (local $start i32) (local $run i32)
    (local $mask i32) (local $vectorEnd i32) (local $lengthBytes i32)
    (local.set $out (i32.const 32768))
    (local.set $outEnd (i32.add (i32.const 32768) (local.get $limit)))
    (local.set $vectorEnd (i32.and (local.get $length) (i32.const -16)))
    (block $done
      (loop $runs
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        ;; Unchanged run: 16 bytes at a time, then byte by byte.
        (local.set $start (local.get $i))
        (block $zeroEnd
          (loop $zeroVectors
            (br_if $zeroEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
            (local.set $mask
              (i8x16.bitmask (i8x16.eq (v128.load (local.get $i)) (v128.load offset=16384 (local.get $i)))))
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
            (br_if $zeroTailEnd (i32.ne (i32.load8_u (local.get $i)) (i32.load8_u offset=16384 (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $zeroTail)))
        ;; The trailing unchanged run is not written.
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (local.set $run (i32.sub (local.get $i) (local.get $start)))
        (if (i32.gt_u (local.get $run) (i32.const 0x3fff)) (then (return (i32.const -1))))
        (local.set $lengthBytes (select (i32.const 1) (i32.const 2) (i32.lt_u (local.get $run) (i32.const 0x80))))
        (if (i32.gt_u (i32.add (local.get $out) (local.get $lengthBytes)) (local.get $outEnd)) (then (return (i32.const -1))))
        (local.set $out (call $uleb (local.get $out) (local.get $run)))
        ;; Changed run: ends at the next equal byte.
        (local.set $start (local.get $i))
        (block $changedEnd
          (loop $changedVectors
            (br_if $changedEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
            (local.set $mask
              (i8x16.bitmask (i8x16.eq (v128.load (local.get $i)) (v128.load offset=16384 (local.get $i)))))
            (if (i32.ne (local.get $mask) (i32.const 0))
              (then
                (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $mask))))
                (br $changedEnd)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $changedVectors)))
        (block $changedTailEnd
          (loop $changedTail
            (br_if $changedTailEnd (i32.ge_u (local.get $i) (local.get $length)))
            (br_if $changedTailEnd (i32.eq (i32.load8_u (local.get $i)) (i32.load8_u offset=16384 (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $changedTail)))
        (local.set $run (i32.sub (local.get $i) (local.get $start)))
        (if (i32.gt_u (local.get $run) (i32.const 0x3fff)) (then (return (i32.const -1))))
        (local.set $lengthBytes (select (i32.const 1) (i32.const 2) (i32.lt_u (local.get $run) (i32.const 0x80))))
        (if (i32.gt_u (i32.add (i32.add (local.get $out) (local.get $lengthBytes)) (local.get $run)) (local.get $outEnd))
          (then (return (i32.const -1))))
        (local.set $out (call $uleb (local.get $out) (local.get $run)))
        (memory.copy (local.get $out) (i32.add (local.get $start) (i32.const 16384)) (local.get $run))
        (local.set $out (i32.add (local.get $out) (local.get $run)))
        (br $runs)))
    (i32.sub (local.get $out) (i32.const 32768)))

  ;; Reads a small ULEB128 at `at` (at most 2 bytes, the second must exist before `end`).
  ;; Returns value | (bytes read << 16), or -1 when truncated or longer than 2 bytes.
  (func $readUleb (param $at i32) (param $end i32) (result i32)
    (local $low i32) (local $high i32)
    (if (i32.ge_u (local.get $at) (local.get $end)) (then (return (i32.const -1))))
    (local.set $low (i32.load8_u (local.get $at)))
    (if (i32.eqz (i32.and (local.get $low) (i32.const 0x80)))
      (then (return (i32.or (local.get $low) (i32.const 0x10000)))))
    (if (i32.ge_u (i32.add (local.get $at) (i32.const 1)) (local.get $end)) (then (return (i32.const -1))))
    (local.set $high (i32.load8_u offset=1 (local.get $at)))
    (if (i32.and (local.get $high) (i32.const 0x80)) (then (return (i32.const -1))))
    (i32.or
      (i32.or (i32.and (local.get $low) (i32.const 0x7f)) (i32.shl (local.get $high) (i32.const 7)))
      (i32.const 0x20000)))

  (func (export "xbzrle_decode") (param $pageLength i32) (param $inputLength i32) (result i32)
    (local $s i32) (local $end i32) (local $d i32) (local $read i32) (local $run i32)
    (local.set $s (i32.const 32768))
    (local.set $end (i32.add (i32.const 32768) (local.get $inputLength)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $s)) (i32.const 2)) (then (return (i32.const -1))))
        ;; Unchanged run.
        (local.set $read (call $readUleb (local.get $s) (local.get $end)))
        (if (i32.lt_s (local.get $read) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $run (i32.and (local.get $read) (i32.const 0xffff)))
        (local.set $s (i32.add (local.get $s) (i32.shr_u (local.get $read) (i32.const 16))))
        (if (i32.and (i32.eqz (local.get $run)) (i32.ne (local.get $d) (i32.const 0))) (then (return (i32.const -1))))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (if (i32.gt_u (local.get $d) (local.get $pageLength)) (then (return (i32.const -1))))
        ;; Changed run.
        (local.set $read (call $readUleb (local.get $s) (local.get $end)))
        (if (i32.lt_s (local.get $read) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $run (i32.and (local.get $read) (i32.const 0xffff)))
        (local.set $s (i32.add (local.get $s) (i32.shr_u (local.get $read) (i32.const 16))))
        (if (i32.eqz (local.get $run)) (then (return (i32.const -1))))
        (if (i32.gt_u (i32.add (local.get $d) (local.get $run)) (local.get $pageLength)) (then (return (i32.const -1))))
        (if (i32.gt_u (i32.add (local.get $s) (local.get $run)) (local.get $end)) (then (return (i32.const -1))))
        (memory.copy (local.get $d) (local.get $s) (local.get $run))
        (local.set $s (i32.add (local.get $s) (local.get $run)))
        (local.set $d (i32.add (local.get $d) (local.get $run)))
        (br $pairs)))
    (i32.const 0))

  ;; Writes the pairs of one run of `length` bytes of XOR value `value` at `out` (counts of at
  ;; most 255); returns the new output position, or -1 when they do not fit before `outEnd`.
  (func $xbrleRun (param $out i32) (param $outEnd i32) (param $length i32) (param $value i32) (result i32)
    (if (i32.gt_u
          (i32.add (local.get $out) (i32.shl (i32.div_u (i32.add (local.get $length) (i32.const 254)) (i32.const 255)) (i32.const 1)))
          (local.get $outEnd))
      (then (return (i32.const -1))))
    (block $chunksEnd
      (loop $chunks
        (br_if $chunksEnd (i32.le_u (local.get $length) (i32.const 255)))
        (i32.store8 (local.get $out) (i32.const 255))
        (i32.store8 offset=1 (local.get $out) (local.get $value))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $length (i32.sub (local.get $length) (i32.const 255)))
        (br $chunks)))
    (i32.store8 (local.get $out) (local.get $length))
    (i32.store8 offset=1 (local.get $out) (local.get $value))
    (i32.add (local.get $out) (i32.const 2)))

  ;; XBRLE without a branch per byte: for each 16-byte block, a bitmask of the positions where the
  ;; XOR value differs from the byte before (a run starts there); only those positions are visited.
  (func (export "xbrle_encode") (param $length i32) (param $limit i32) (result i32)
    (local $i i32) (local $out i32) (local $outEnd i32) (local $runStart i32) (local $value i32)
    (local $starts i32) (local $position i32) (local $block v128) (local $previous v128)
    (local.set $out (i32.const 32768))
    (local.set $outEnd (i32.add (i32.const 32768) (local.get $limit)))
    (local.set $value (i32.xor (i32.load8_u (i32.const 0)) (i32.load8_u offset=16384 (i32.const 0))))
    (local.set $previous (i8x16.splat (local.get $value)))
    (block $done
      (loop $blocks
        ;; Inside a run of unchanged bytes, skip whole unchanged blocks with the cheapest test.
        (if (i32.eqz (local.get $value))
          (then
            (block $skipEnd
              (loop $skip
                (br_if $skipEnd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $length)))
                (br_if $skipEnd (i32.ne (i32.const 0xffff)
                  (i8x16.bitmask (i8x16.eq (v128.load (local.get $i)) (v128.load offset=16384 (local.get $i))))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $skip)))))
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (local.set $block (v128.xor (v128.load (local.get $i)) (v128.load offset=16384 (local.get $i))))
        ;; Compare with the XOR bytes one position earlier (an unaligned load; the first block, which
        ;; has no byte before it, shifts in the first byte's value instead).
        (local.set $previous
          (if (result v128) (local.get $i)
            (then (v128.xor (v128.load offset=0 (i32.sub (local.get $i) (i32.const 1)))
                            (v128.load offset=16383 (local.get $i))))
            (else (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $previous) (local.get $block)))))
        (local.set $starts (i8x16.bitmask (i8x16.ne (local.get $block) (local.get $previous))))
        ;; A last, partial block: ignore the lanes past the page.
        (if (i32.lt_u (i32.sub (local.get $length) (local.get $i)) (i32.const 16))
          (then (local.set $starts (i32.and (local.get $starts)
            (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $length) (local.get $i))) (i32.const 1))))))
        (block $startsEnd
          (loop $eachStart
            (br_if $startsEnd (i32.eqz (local.get $starts)))
            (local.set $position (i32.add (local.get $i) (i32.ctz (local.get $starts))))
            (local.set $out (call $xbrleRun (local.get $out) (local.get $outEnd)
              (i32.sub (local.get $position) (local.get $runStart)) (local.get $value)))
            (if (i32.lt_s (local.get $out) (i32.const 0)) (then (return (i32.const -1))))
            (local.set $runStart (local.get $position))
            (local.set $value (i32.xor (i32.load8_u (local.get $position)) (i32.load8_u offset=16384 (local.get $position))))
            (local.set $starts (i32.and (local.get $starts) (i32.sub (local.get $starts) (i32.const 1))))
            (br $eachStart)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    ;; One run of zeros covering the page: identical pages.
    (if (i32.and (i32.eqz (local.get $runStart)) (i32.eqz (local.get $value))) (then (return (i32.const 0))))
    (local.set $out (call $xbrleRun (local.get $out) (local.get $outEnd)
      (i32.sub (local.get $length) (local.get $runStart)) (local.get $value)))
    (if (i32.lt_s (local.get $out) (i32.const 0)) (then (return (i32.const -1))))
    (i32.sub (local.get $out) (i32.const 32768)))
)
