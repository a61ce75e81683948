/* stdio: reads its input through an async import (short reads), parses and prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "async.h"

static char buf[64];
static int have, pos;

static int next_char(void) {
  if (pos == have) {
    have = read_input(buf, sizeof buf);
    pos = 0;
    if (have <= 0) return EOF;
  }
  return (unsigned char)buf[pos++];
}

static int read_line(char *line, int cap) {
  int n = 0, c;
  while ((c = next_char()) != EOF && c != '\n') if (n < cap - 1) line[n++] = (char)c;
  line[n] = 0;
  return c == EOF && n == 0 ? -1 : n;
}

int main(void) {
  char line[256];
  int lines = 0, words = 0;
  double total = 0;
  long long isum = 0;
  char longest[64] = "";
  while (read_line(line, sizeof line) >= 0) {
    lines++;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
      words++;
      char *end;
      double d = strtod(w, &end);
      if (*end == 0 && end != w) {
        total += d;
        isum += (long long)(d * 1000);
      } else if (strlen(w) > strlen(longest) && strlen(w) < sizeof longest) {
        strcpy(longest, w);
      }
      for (char *p = w; *p; p++) *p = (char)toupper((unsigned char)*p);
      printf("[%s]", w);
    }
    printf("\n");
  }
  printf("lines=%d words=%d total=%.3f isum=%lld longest=%s\n", lines, words, total, isum, longest);
  fprintf(stdout, "%8.3e|%-6d|%x|%s\n", total, words, lines * 255, "done");
  return 0;
}
