/* Recursion: a tree walk and fib that sleep at the leaves; int64 and double sums. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "async.h"

struct node { int64_t v; double f; struct node *l, *r; };

static struct node *build(int depth, int64_t *seed) {
  struct node *n = malloc(sizeof *n);
  *seed = *seed * 6364136223846793005LL + 1442695040888963407LL;
  n->v = *seed >> 33;
  n->f = (double)(n->v % 1000) / 7.0;
  n->l = depth ? build(depth - 1, seed) : NULL;
  n->r = depth > 1 ? build(depth - 2, seed) : NULL;
  return n;
}

static int64_t walk(struct node *n, int depth, double *acc) {
  if (!n) return 0;
  int64_t here = n->v ^ depth;
  if (!n->l && !n->r) {
    int r = sleep_ms(depth);          /* a leaf: suspend */
    *acc += n->f * r;
    return here + r;
  }
  int64_t a = walk(n->l, depth + 1, acc);
  double mid = *acc;
  int64_t b = walk(n->r, depth + 1, acc);
  *acc = (*acc + mid) / 2.0;
  return a * 31 + b - here;
}

static uint64_t fib(int n) {
  if (n < 2) return (uint64_t)(sleep_ms(n) >> 1) + 0 * n; /* sleep_ms(n) = 2n+1, >>1 = n */
  return fib(n - 1) + fib(n - 2);
}

static int ackish(int m, int n) {
  if (m == 0) return n + 1 + (sleep_ms(0) - 1);
  if (n == 0) return ackish(m - 1, 1);
  return ackish(m - 1, ackish(m, n - 1));
}

int main(void) {
  int64_t seed = 42;
  struct node *t = build(7, &seed);
  double acc = 0;
  int64_t h = walk(t, 0, &acc);
  printf("walk %lld %.6f\n", (long long)h, acc);
  for (int i = 0; i <= 13; i += 3) printf("fib(%d) = %llu\n", i, (unsigned long long)fib(i));
  printf("ack(2,3) = %d\n", ackish(2, 3));
  return 0;
}
