/* The async imports the test host (test/asyncify/wasi-host.mjs) provides. */
#ifndef ASYNC_H
#define ASYNC_H
#define ASYNC_IMPORT(name) __attribute__((import_module("env"), import_name(name)))
ASYNC_IMPORT("sleep_ms") int sleep_ms(int ms);
ASYNC_IMPORT("read_input") int read_input(char *buf, int len);
ASYNC_IMPORT("async_rand") int async_rand(void);
#endif
