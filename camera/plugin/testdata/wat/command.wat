;; A WASI command (exports _start, no _initialize): what go build makes without -buildmode=c-shared.
;; Regenerate the .wasm with: wat2wasm command.wat -o command.wasm
(module
  (memory (export "memory") 1)
  (func (export "_start"))
  (func (export "ocellus_abi_version") (result i32) (i32.const 0x10000))
  (func (export "ocellus_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "ocellus_output_shape") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "ocellus_process") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
)
