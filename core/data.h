/* Data sets: IDX files (MNIST's format, plain or gzip'd) and the built-in
 * 7×5 letter font. */
#ifndef AE_DATA_H
#define AE_DATA_H

#include "tensor.h"

/* Reads an IDX file (optionally gzip-compressed). Unsigned-byte images come
 * back scaled to [0, 1] when `scale` is set; labels as floats. The tensor has
 * the file's dimensions (N, 28, 28) or (N). Checks magic, type, sizes and
 * length; every failure says what was wrong with which file. */
ae_tensor_t *ae_idx_load(const char *path, int scale, ae_error_t *e);

#define AE_LETTERS 32
/* The classic 7×5 font: 32 symbols (` a-z { | } ~ DEL) of 35 pixels, row by
 * row, 1 = ink. chars gets the 32 characters (DEL shown as '#'). */
ae_tensor_t *ae_letters(char chars[AE_LETTERS + 1], ae_error_t *e);

#endif
