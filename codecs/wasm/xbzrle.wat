;; XBZRLE encoder kernel (WebAssembly + 128-bit SIMD), same output as codecs/xbzrle.ts.
;; Memory layout (one 64 KiB page): old page at 0, new page at 16384, output at 32768.
;; encode(length, limit) returns the encoded byte count, 0 for identical pages, -1 on
;; overflow (the encoding does not fit in `limit` bytes, or a run exceeds 0x3fff).
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

  (func (export "encode") (param $length i32) (param $limit i32) (result i32)
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
)
