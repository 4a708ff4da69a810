;; A plugin that imports WASI path_open: refused at load (plugins get no filesystem).
;; Regenerate the .wasm with: wat2wasm fsimport.wat -o fsimport.wasm
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "ocellus_abi_version") (result i32) (i32.const 0x10000))
  (func (export "ocellus_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "ocellus_output_shape") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "ocellus_process") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
)
