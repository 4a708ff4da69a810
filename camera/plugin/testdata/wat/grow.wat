;; A plugin whose process grows memory one page at a time until memory.grow fails, then traps:
;; a non-Go plugin running into the memory limit. Its output_shape works (identity shape).
;; Regenerate the .wasm with: wat2wasm grow.wat -o grow.wasm
(module
  (memory (export "memory") 1)
  (func (export "ocellus_abi_version") (result i32) (i32.const 0x10000))
  (func (export "ocellus_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "ocellus_output_shape") (param $w i32) (param $h i32) (param $f i32) (result i32)
    (i32.store (i32.const 20) (local.get $f))
    (i32.store (i32.const 32) (i32.const 3))
    (i32.store (i32.const 36) (local.get $h))
    (i32.store (i32.const 40) (local.get $w))
    (i32.store (i32.const 44) (i32.const 1))
    (i32.const 16))
  (func (export "ocellus_process") (param i32 i32 i32 i32 i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)
)
