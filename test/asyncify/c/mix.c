/* doubles, int64, switch (br_table), loops and an async random source. */
#include <stdio.h>
#include <stdint.h>
#include <math.h>
#include "async.h"

static double poly(double x, int n) {
  double r = 0;
  for (int i = n; i >= 0; i--) r = r * x + (double)(i + 1) / (i + 2);
  return r;
}

static int64_t step(int64_t s, int op) {
  switch (op) {
    case 0: return s * 3 + 1;
    case 1: return s / 2;
    case 2: return s ^ (s >> 7);
    case 3: return s + async_rand();
    case 4: return s - (int64_t)sleep_ms(op) * 1000000007LL;
    case 5: return (s << 13) | (s >> 51 & 0x1fff);
    case 6: return -s;
    default: return s + op;
  }
}

static float fsum(int n) {
  float f = 0.f;
  for (int i = 1; i <= n; i++) {
    f += 1.0f / (float)i;
    if (i % 5 == 0) f *= (float)sleep_ms(0);
  }
  return f;
}

int main(void) {
  int64_t s = 0x123456789abcLL;
  uint32_t hist[8] = { 0 };
  for (int i = 0; i < 40; i++) {
    int op = async_rand() % 9;
    hist[op % 8]++;
    s = step(s, op);
    if ((i & 7) == 7) printf("s[%d] = %lld\n", i, (long long)s);
  }
  for (int i = 0; i < 8; i++) printf("%u ", hist[i]);
  printf("\n");
  double x = 0.1;
  for (int k = 0; k < 6; k++) {
    x = poly(x, 5 + k) / (1 + sleep_ms(k));
    printf("x%d = %.10g sqrt = %.10g\n", k, x, sqrt(fabs(x)));
  }
  printf("fsum = %.6f\n", (double)fsum(23));
  long double ld = 1.0L / 3.0L; /* soft-float calls into compiler-rt */
  printf("ld*3 = %.6f\n", (double)(ld * 3.0L));
  return 0;
}
