/* Function pointers: an op table, a vtable and a small bytecode interpreter whose
   handlers are called indirectly; some handlers suspend. No setjmp. */
#include <stdio.h>
#include <stdint.h>
#include "async.h"

typedef int64_t (*binop)(int64_t, int64_t);
static int64_t op_add(int64_t a, int64_t b) { return a + b; }
static int64_t op_mul(int64_t a, int64_t b) { return a * b + sleep_ms(2); }
static int64_t op_xor(int64_t a, int64_t b) { return a ^ (b << 3); }
static int64_t op_slow(int64_t a, int64_t b) { int r = sleep_ms((int)(a & 15)); return a - b * r; }
static binop ops[] = { op_add, op_mul, op_xor, op_slow };

struct shape;
struct vt { double (*area)(const struct shape *); const char *(*name)(void); };
struct shape { const struct vt *vt; double a, b; };
static double sq_area(const struct shape *s) { return s->a * s->a; }
static double rect_area(const struct shape *s) { sleep_ms(3); return s->a * s->b; }
static double tri_area(const struct shape *s) { return 0.5 * s->a * s->b * (sleep_ms(1) - 2); }
static const char *sq_name(void) { return "square"; }
static const char *rect_name(void) { sleep_ms(0); return "rect"; }
static const char *tri_name(void) { return "tri"; }
static const struct vt VT[] = { { sq_area, sq_name }, { rect_area, rect_name }, { tri_area, tri_name } };

enum { PUSH, ADD, MUL, DUP, SWAP, JNZ, DEC, SLEEP, PRINT, HALT };
static int64_t stack[32];
static int sp;
typedef int (*handler)(const int *code, int pc);
static int h_push(const int *c, int pc) { stack[sp++] = c[pc + 1]; return pc + 2; }
static int h_add(const int *c, int pc) { sp--; stack[sp - 1] += stack[sp]; return pc + 1; }
static int h_mul(const int *c, int pc) { sp--; stack[sp - 1] = ops[1](stack[sp - 1], stack[sp]); return pc + 1; }
static int h_dup(const int *c, int pc) { stack[sp] = stack[sp - 1]; sp++; return pc + 1; }
static int h_swap(const int *c, int pc) { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; return pc + 1; }
static int h_jnz(const int *c, int pc) { return stack[--sp] ? c[pc + 1] : pc + 2; }
static int h_dec(const int *c, int pc) { stack[sp - 1]--; return pc + 1; }
static int h_sleep(const int *c, int pc) { int k = (int)stack[sp - 1] & 3; stack[sp - 1] += sleep_ms(k) - (2 * k + 1); return pc + 1; }
static int h_print(const int *c, int pc) { printf("vm: %lld\n", (long long)stack[sp - 1]); return pc + 1; }
static handler H[] = { h_push, h_add, h_mul, h_dup, h_swap, h_jnz, h_dec, h_sleep, h_print };

static int64_t run(const int *code) {
  int pc = 0;
  sp = 0;
  while (code[pc] != HALT) pc = H[code[pc]](code, pc);
  return stack[sp - 1];
}

int main(void) {
  int64_t acc = 1;
  for (int i = 0; i < 12; i++) acc = ops[(i * 7) & 3](acc, i + 1);
  printf("acc = %lld\n", (long long)acc);
  struct shape sh[6];
  for (int i = 0; i < 6; i++) { sh[i].vt = &VT[i % 3]; sh[i].a = i + 0.25; sh[i].b = 2.0 / (i + 1); }
  double total = 0;
  for (int i = 0; i < 6; i++) {
    double a = sh[i].vt->area(&sh[i]);
    total += a;
    printf("%s %.5f\n", sh[i].vt->name(), a);
  }
  printf("total %.5f\n", total);
  /* n = 5; do { sleep; print n; n--; } while (n); then 3 * 4 (MUL suspends too) */
  const int code2[] = { PUSH, 5, /*2*/ SLEEP, PRINT, DEC, DUP, JNZ, 2, PUSH, 3, PUSH, 4, MUL, PRINT, ADD, HALT };
  printf("vm2 result %lld\n", (long long)run(code2));
  return 0;
}
