;; A plugin that declares ABI 2.0, which this host does not implement.
;; Regenerate the .wasm with: wat2wasm abi2.wat -o abi2.wasm
(module
  (memory (export "memory") 1)
  (func (export "ocellus_abi_version") (result i32) (i32.const 0x20000))
  (func (export "ocellus_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "ocellus_output_shape") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "ocellus_process") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))
)
