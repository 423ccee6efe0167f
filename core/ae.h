/* aelab core: status codes, error messages and process-wide settings.
 *
 * The core never prints, exits or calls Lua. A function that can fail returns
 * AE_OK or a negative AE_E* code and writes a message into the caller's
 * ae_error_t, naming the operation and the values involved. */
#ifndef AE_H
#define AE_H

#include <stddef.h>

enum {
  AE_OK = 0,
  AE_ESHAPE = -1,  /* tensor shapes do not fit the operation */
  AE_EARG = -2,    /* a bad argument value */
  AE_ENOMEM = -3,  /* allocation failed */
  AE_EIO = -4,     /* a file could not be opened, read or written */
  AE_EFORMAT = -5, /* a file's contents are not what they claim to be */
  AE_ESTATE = -6,  /* the object is not ready for this call */
};

typedef struct ae_error {
  int code;
  char msg[512];
} ae_error_t;

/* Records code and a printf-style message in e (if not NULL); returns code.
 * With code AE_ESHAPE, fmt is first translated (see ae_fail_shape). */
int ae_fail(ae_error_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The gettext domain of aelab's messages: the host binds it to its catalogues
 * (bindings/li18n.c), ae_fail looks shape messages up in it. */
#define AE_TEXTDOMAIN "aelab"

/* ae_fail_shape(e, fmt, ...): ae_fail(e, AE_ESHAPE, fmt, ...), the error users
 * meet most (data of the wrong shape), in the user's language. fmt must be a
 * string literal: it is a message id of the AE_TEXTDOMAIN gettext domain, which
 * xgettext extracts by this name (scripts/po.sh pot puts it in po/aelab.pot;
 * translate it in po/<ll>.po). Say it without English plurals built from %s
 * ("has C = %d", not "%d channel%s"): a translation cannot follow those. */
#define ae_fail_shape(e, ...) ae_fail((e), AE_ESHAPE, __VA_ARGS__)

/* Thread settings: the only process-wide mutable state besides the RNG.
 * Element-wise work uses ae_threads() OpenMP threads; GEMMs use
 * ae_gemm_threads() (1 unless the user asks for more). */
void ae_set_threads(int n);
int ae_threads(void);
void ae_set_gemm_threads(int n);
int ae_gemm_threads(void);

/* Most threads a model's step or a layer's workspaces split over. */
#define AE_MAXTHREADS 64

/* Below this many elements an element-wise loop runs on one thread:
 * waking a second thread costs more than it saves. */
#define AE_PAR_MIN 32768

#endif
