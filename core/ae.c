/* ae.h: process-wide settings (threads) and the error helper. */
#include "ae.h"

#include <stdarg.h>
#include <stdio.h>

static int threads = 1;      /* element-wise threads; the host sets the default */
static int gemm_threads = 1; /* BLIS threads per GEMM call */

int ae_fail(ae_error_t *e, int code, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
  }
  return code;
}

void ae_set_threads(int n) { threads = n < 1 ? 1 : n; }
int ae_threads(void) { return threads; }
void ae_set_gemm_threads(int n) { gemm_threads = n < 1 ? 1 : n; }
int ae_gemm_threads(void) { return gemm_threads; }
