/*
 * error.h - the one set of return codes and the caller-owned error struct.
 *
 * Every fallible function returns 0 or a negative PARLEY_E* code and, when the
 * caller passes a parley_err_t, leaves a human sentence in it. Nothing deep
 * inside prints: the caller decides whether the text goes to a log, a problem
 * response or a terminal.
 */
#ifndef PARLEY_CORE_ERROR_H
#define PARLEY_CORE_ERROR_H

#include <stddef.h>

#define PARLEY_OK        0
#define PARLEY_EINVAL    (-22) /* input is malformed or out of range */
#define PARLEY_ENOENT    (-2)  /* the thing asked for does not exist */
#define PARLEY_EEXIST    (-17) /* a unique thing already exists */
#define PARLEY_EPERM     (-1)  /* the caller may not do this */
#define PARLEY_EAUTH     (-13) /* credentials missing or wrong */
#define PARLEY_ECONFLICT (-35) /* a concurrent change won; retry with fresh data */
#define PARLEY_ELIMIT    (-7)  /* a size or rate limit was exceeded */
#define PARLEY_EBUSY     (-16) /* the store stayed locked by another process; retry later */
#define PARLEY_EIO       (-5)  /* the store or the system failed */
#define PARLEY_EVERSION  (-71) /* data written by a newer Parley */
#define PARLEY_ENOMEM    (-12) /* never returned: allocation failure aborts */

typedef struct {
    int code;
    char field[96]; /* JSON pointer of the offending field, or "" */
    char msg[256];  /* one sentence for a human */
} parley_err_t;

/* Fills err (when not NULL) and returns code, so callers can write
 * `return parley_errf(err, PARLEY_EINVAL, "/email", "e-mail is required");`. */
int parley_errf(parley_err_t *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A short stable name for a code ("invalid", "not_found", ...). */
const char *parley_strerror(int code);

#endif
