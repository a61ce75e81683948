;; A program that sleeps and reads its input asynchronously: it asks who is there, reads a
;; line from stdin (WASI fd_read), sleeps 200 ms (env.sleep), greets the name and asks
;; again, until the input ends; main returns how many it greeted.
;;
;; fd_read and sleep are async imports: the host answers them with Promises. Run it with
;; weft/runtime (examples/async-run.mjs): directly where the engine has JSPI, or after
;;   weft asyncify async-io.wasm -o async-io.asyncified.wasm --imports env.sleep,wasi_snapshot_preview1.fd_read
;; everywhere.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 1)
  ;; 0: an iovec {ptr, len}; 8: bytes read/written; 16...: text; 1024...: the line buffer
  (data (i32.const 16) "Who is there? ")
  (data (i32.const 32) "Hello, ")
  (data (i32.const 48) "\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Reads up to $len bytes of stdin; 0 at the end of the input or on an error.
  (func $read (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (return (i32.const 0))))
    (i32.load (i32.const 8)))

  (func (export "main") (result i32)
    (local $n i32) (local $count i32)
    (loop $next
      (call $write (i32.const 16) (i32.const 14))
      (local.set $n (call $read (i32.const 1024) (i32.const 256)))
      (if (i32.eqz (local.get $n))
        (then
          (call $write (i32.const 48) (i32.const 1))
          (return (local.get $count))))
      (call $sleep (i32.const 200))
      (call $write (i32.const 32) (i32.const 7))
      (call $write (i32.const 1024) (local.get $n))
      (local.set $count (i32.add (local.get $count) (i32.const 1)))
      (br $next))
    (local.get $count)))
