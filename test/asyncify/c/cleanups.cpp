// C++ exceptions (clang's -fwasm-exceptions: legacy try/catch/catch_all/rethrow in wasm)
// through frames whose destructors sleep: every cleanup is a catch_all that runs the
// destructors and rethrows, and the catch clauses run the handlers; all of them suspend.
// wasi-libc has no C++ runtime, so the few ABI functions the compiler calls are defined
// below, enough for this program: one exception type, thrown and caught by reference.
#include <stdio.h>
#include <stdlib.h>
extern "C" {
#include "async.h"
}

// ---- a minimal C++ exception ABI -------------------------------------------------------
struct Header {
  const void *type;
  void (*destroy)(void *);
};
struct LandingPadContext {
  unsigned long lpad_index, lsda, selector;
};
extern "C" {
LandingPadContext __wasm_lpad_context;
void *_ZTVN10__cxxabiv117__class_type_infoE[4];
void *__cxa_allocate_exception(unsigned long size) {
  Header *h = (Header *)calloc(1, sizeof(Header) + size);
  return h + 1;
}
void __cxa_throw(void *object, void *type, void (*destroy)(void *)) {
  Header *h = (Header *)object - 1;
  h->type = type;
  h->destroy = destroy;
  __builtin_wasm_throw(0, h);
}
// The one type this program throws is the type of every catch clause: selector 1.
int _Unwind_CallPersonality(void *) {
  __wasm_lpad_context.selector = 1;
  return 6; // _URC_HANDLER_FOUND
}
static Header *caught;
void *__cxa_begin_catch(void *header) {
  caught = (Header *)header;
  return caught + 1;
}
void __cxa_end_catch() {}
void __cxa_rethrow() { __builtin_wasm_throw(0, caught); }
void _ZSt9terminatev() { abort(); }
}

// ---- the program ---------------------------------------------------------------------
struct Failure {
  int code;
};

static int depth_log[64];
static int logged;

struct Guard {
  int id;
  explicit Guard(int i) : id(i) {}
  ~Guard() {
    sleep_ms(id % 7);
    depth_log[logged++ & 63] = id;
    printf("  ~Guard %d\n", id);
  }
};

// (A throw written inside work crashes clang-19 at -O1 and above: its own function.)
__attribute__((noinline)) static void fail(int n) { throw Failure{n}; }

__attribute__((noinline)) static int work(int n, int fail_at) {
  Guard g(n * 10 + 1);
  if (n == fail_at) fail(n);
  int r = async_rand() % 5;
  if (n > 0) r += work(n - 1, fail_at);
  Guard h(n * 10 + 2);
  return r;
}

__attribute__((noinline)) static int attempt(int n, int fail_at) {
  try {
    Guard a(1000 + n);
    return work(n, fail_at);
  } catch (Failure &f) {
    sleep_ms(3);
    printf(" caught failure at depth %d\n", f.code);
    if (f.code == 0) throw;  // rethrown to the caller, through its cleanups
    return -f.code;
  }
}

int main() {
  for (int fail_at = -1; fail_at <= 4; fail_at++) {
    try {
      Guard top(9000 + fail_at);
      printf("attempt(5, %d) = %d\n", fail_at, attempt(5, fail_at));
    } catch (Failure &f) {
      printf("main caught the rethrown failure %d\n", f.code);
    }
  }
  int sum = 0;
  for (int i = 0; i < logged && i < 64; i++) sum += depth_log[i];
  printf("%d destructors ran, ids sum %d\n", logged, sum);
  return 0;
}
