/* qsort whose comparators suspend: the async import is called deep inside libc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "async.h"

static long compares;

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  compares++;
  if (compares % 3 == 0) compares += sleep_ms(x & 7) & 0; /* suspends, result unused */
  return (x > y) - (x < y);
}

static int cmp_double_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  int r = sleep_ms(1);           /* suspends on every comparison; r == 3 */
  return (x < y) * r - (x > y) * r;
}

struct rec { char name[12]; int64_t key; double w; };

static int cmp_rec(const void *a, const void *b) {
  const struct rec *p = a, *q = b;
  if (p->key != q->key) return sleep_ms((int)(p->key & 3)) > 0 ? (p->key < q->key ? -1 : 1) : 0;
  return strcmp(p->name, q->name);
}

int main(void) {
  int a[37];
  unsigned s = 7;
  for (int i = 0; i < 37; i++) { s = s * 1103515245u + 12345u; a[i] = (int)(s >> 16) % 1000 - 500; }
  qsort(a, 37, sizeof a[0], cmp_int);
  for (int i = 0; i < 37; i++) printf("%d%c", a[i], i == 36 ? '\n' : ' ');
  printf("compares>0: %d\n", compares > 0);

  double d[20];
  for (int i = 0; i < 20; i++) d[i] = (i * 7919 % 23) / 3.0 - 2.5;
  qsort(d, 20, sizeof d[0], cmp_double_desc);
  for (int i = 0; i < 20; i++) printf("%.4f ", d[i]);
  printf("\n");

  struct rec r[9];
  for (int i = 0; i < 9; i++) {
    snprintf(r[i].name, sizeof r[i].name, "n%d", (i * 5) % 9);
    r[i].key = ((int64_t)(i % 4) << 40) - i;
    r[i].w = i * 0.5;
  }
  qsort(r, 9, sizeof r[0], cmp_rec);
  for (int i = 0; i < 9; i++) printf("%s:%lld:%.1f\n", r[i].name, (long long)r[i].key, r[i].w);
  return 0;
}
