;; invert: a complete ocellus plugin (ABI 1.0) written by hand, to show the ABI without the Go
;; guest package. RGB8 or Gray8 in, the same format out, every byte replaced by 255 - byte.
;; Memory: the result record at 16, an error message at 64, the input at 1024, the output right
;; after the input.
;; Regenerate the .wasm with: wat2wasm invert.wat -o invert.wasm
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "invert: input must be rgb8 or gray8")

  (func (export "ocellus_abi_version") (result i32) (i32.const 0x10000))

  ;; ocellus_alloc(n): room for the input and the output at 1024; 0 if memory cannot grow.
  (func (export "ocellus_alloc") (param $n i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.shr_u
        (i32.add (i32.add (i32.const 1024) (i32.shl (local.get $n) (i32.const 1))) (i32.const 65535))
        (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  ;; record(status, format, ptr, len, h, w, c): fills the record at 16 (rank 3) and returns 16.
  (func $record (param $status i32) (param $format i32) (param $ptr i32) (param $len i32)
                (param $h i32) (param $w i32) (param $c i32) (result i32)
    (i32.store (i32.const 16) (local.get $status))
    (i32.store (i32.const 20) (local.get $format))
    (i32.store (i32.const 24) (local.get $ptr))
    (i32.store (i32.const 28) (local.get $len))
    (i32.store (i32.const 32) (i32.const 3))
    (i32.store (i32.const 36) (local.get $h))
    (i32.store (i32.const 40) (local.get $w))
    (i32.store (i32.const 44) (local.get $c))
    (i32.store (i32.const 48) (i32.const 0))
    (i32.const 16))

  (func $channels (param $f i32) (result i32)
    (if (result i32) (i32.eq (local.get $f) (i32.const 2)) (then (i32.const 1)) (else (i32.const 3))))

  (func $supported (param $f i32) (result i32)
    (i32.or (i32.eq (local.get $f) (i32.const 1)) (i32.eq (local.get $f) (i32.const 2))))

  (func (export "ocellus_output_shape") (param $w i32) (param $h i32) (param $f i32) (result i32)
    (if (i32.eqz (call $supported (local.get $f)))
      (then (return (call $record (i32.const 1) (i32.const 0) (i32.const 64) (i32.const 35)
                              (i32.const 0) (i32.const 0) (i32.const 0)))))
    (call $record (i32.const 0) (local.get $f) (i32.const 0) (i32.const 0)
                  (local.get $h) (local.get $w) (call $channels (local.get $f))))

  (func (export "ocellus_process") (param $p i32) (param $n i32) (param $w i32) (param $h i32) (param $f i32) (result i32)
    (local $i i32)
    (local $out i32)
    (if (i32.eqz (call $supported (local.get $f)))
      (then (return (call $record (i32.const 1) (i32.const 0) (i32.const 64) (i32.const 35)
                              (i32.const 0) (i32.const 0) (i32.const 0)))))
    (local.set $out (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $out) (local.get $i))
                    (i32.sub (i32.const 255) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $record (i32.const 0) (local.get $f) (local.get $out) (local.get $n)
                  (local.get $h) (local.get $w) (call $channels (local.get $f))))
)
