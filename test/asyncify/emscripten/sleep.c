// Suspends in a loop, with locals of every numeric type live across each sleep.
#include <stdio.h>
#include <emscripten.h>

static double step(int i, long long acc, float f) {
  emscripten_sleep(1);
  return acc * 0.5 + f * i;
}

int main(void) {
  long long acc = 1;
  double d = 0.25;
  float f = 1.5f;
  for (int i = 0; i < 5; i++) {
    d += step(i, acc, f);
    acc = acc * 3 + i;
    f *= 1.25f;
    printf("i=%d acc=%lld d=%.4f f=%.4f\n", i, acc, d, f);
  }
  return (int)(acc % 100);
}
