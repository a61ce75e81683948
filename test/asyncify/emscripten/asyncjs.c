// EM_ASYNC_JS: an import that awaits a JS promise, called through a function pointer
// from recursive code.
#include <stdio.h>
#include <emscripten.h>

EM_ASYNC_JS(int, fetch_value, (int x), {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return x * 10 + 1;
});

typedef int (*fn)(int);
static int twice(int x) { return fetch_value(x) + fetch_value(x + 1); }
static fn table[2] = { fetch_value, twice };

static int walk(int depth) {
  if (depth == 0) return 0;
  int here = table[depth & 1](depth);
  return here + walk(depth - 1);
}

int main(void) {
  printf("walk=%d\n", walk(6));
  return 0;
}
