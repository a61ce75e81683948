// A sort whose comparator suspends: the stack holds libc's qsort between two frames of ours.
#include <stdio.h>
#include <stdlib.h>
#include <emscripten.h>

static int compares = 0;

static int cmp(const void *a, const void *b) {
  if (++compares % 7 == 0) emscripten_sleep(0);
  return *(const int *)a - *(const int *)b;
}

int main(void) {
  int v[40];
  unsigned s = 12345;
  for (int i = 0; i < 40; i++) v[i] = (int)((s = s * 1103515245u + 12345u) >> 16) % 1000;
  qsort(v, 40, sizeof v[0], cmp);
  for (int i = 0; i < 40; i++) printf("%d%c", v[i], i == 39 ? '\n' : ' ');
  printf("sorted with %d compares\n", compares);
  return 0;
}
