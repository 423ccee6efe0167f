/* ae.h: process-wide settings (threads) and the error helper. */
#include "ae.h"

#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>

static int threads = 1;      /* element-wise threads; the host sets the default */
static int gemm_threads = 1; /* BLIS threads per GEMM call */

int ae_fail(ae_error_t *e, int code, const char *fmt, ...) {
  if (e) {
    va_list ap;
    /* Shape errors (ae_fail_shape) reach the user in their language: their
     * formats are message ids of the "aelab" domain. The host binds that
     * domain to its catalogues and picks the language (bindings/li18n.c:
     * LC_MESSAGES C.UTF-8, LANGUAGE); a program that never binds it, the C
     * tests for one, gets the English id back, as does a message missing
     * from the catalogue. The other codes stay English by design: they are
     * rarer, and many carry system text (file names, strerror). */
    const char *f = code == AE_ESHAPE ? dgettext(AE_TEXTDOMAIN, fmt) : fmt;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, f, ap);
    va_end(ap);
    e->code = code;
  }
  return code;
}

void ae_set_threads(int n) { threads = n < 1 ? 1 : n; }
int ae_threads(void) { return threads; }
void ae_set_gemm_threads(int n) { gemm_threads = n < 1 ? 1 : n; }
int ae_gemm_threads(void) { return gemm_threads; }
