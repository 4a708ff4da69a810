;; sandbox: reports what the host's WASI subset gives a plugin. Whatever the input, the output is a
;; 40x1 gray8 frame holding, little-endian: random_get(8 bytes) at 0, the monotonic clock (u64) at
;; 8, the realtime clock (u64) at 16, argc at 24, the environment count at 28, the errno of an
;; fd_write to fd 3 at 32 and of one to fd 2 at 36. The fd 2 write is "sandbox says hi\n".
;; Regenerate the .wasm with: wat2wasm sandbox.wat -o sandbox.wasm
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "\58\02\00\00\10\00\00\00") ;; one iovec: 16 bytes at 600
  (data (i32.const 600) "sandbox says hi\n")

  (func (export "ocellus_abi_version") (result i32) (i32.const 0x10000))
  (func (export "ocellus_alloc") (param i32) (result i32) (i32.const 2048))

  ;; record(ptr, len): a gray8 frame [1, 40, 1] at ptr.
  (func $record (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 2))
    (i32.store (i32.const 24) (local.get $ptr))
    (i32.store (i32.const 28) (local.get $len))
    (i32.store (i32.const 32) (i32.const 3))
    (i32.store (i32.const 36) (i32.const 1))
    (i32.store (i32.const 40) (i32.const 40))
    (i32.store (i32.const 44) (i32.const 1))
    (i32.const 16))

  (func (export "ocellus_output_shape") (param i32 i32 i32) (result i32)
    (call $record (i32.const 0) (i32.const 0)))

  (func (export "ocellus_process") (param i32 i32 i32 i32 i32) (result i32)
    (drop (call $random_get (i32.const 1024) (i32.const 8)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 1032)))
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 1040)))
    (drop (call $args_sizes_get (i32.const 1048) (i32.const 560)))
    (drop (call $environ_sizes_get (i32.const 1052) (i32.const 564)))
    (i32.store (i32.const 1056) (call $fd_write (i32.const 3) (i32.const 512) (i32.const 1) (i32.const 520)))
    (i32.store (i32.const 1060) (call $fd_write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))
    (call $record (i32.const 1024) (i32.const 40)))
)
