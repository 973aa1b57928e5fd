/*
 * error.c - filling parley_err_t and naming codes.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int parley_errf(parley_err_t *err, int code, const char *field, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *parley_strerror(int code)
{
    switch (code) {
    case PARLEY_OK: return "ok";
    case PARLEY_EINVAL: return "invalid";
    case PARLEY_ENOENT: return "not_found";
    case PARLEY_EEXIST: return "exists";
    case PARLEY_EPERM: return "forbidden";
    case PARLEY_EAUTH: return "unauthorized";
    case PARLEY_ECONFLICT: return "conflict";
    case PARLEY_ELIMIT: return "limit";
    case PARLEY_EBUSY: return "busy";
    case PARLEY_EIO: return "io";
    case PARLEY_EVERSION: return "version";
    case PARLEY_ENOMEM: return "nomem";
    default: return "error";
    }
}
