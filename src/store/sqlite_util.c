/*
 * sqlite_util.c - binding and reading helpers shared by the SQLite query files.
 */
#include "store/sqlite_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

/* Binds arguments by a format: 'i' int64_t, 's' const char * (NULL binds NULL),
 * 'z' int64_t where 0 binds NULL. */
sqlite3_stmt *sq__q(store_conn_t *c, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = sq__prep(c, sql);
    if (!st) return NULL;
    /* A format that does not match the statement is a programming error. */
    assert(sqlite3_bind_parameter_count(st) == (int)strlen(fmt));
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        int pos = i + 1;
        switch (fmt[i]) {
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            sqlite3_bind_blob(st, pos, p ? p : "", (int)n, SQLITE_TRANSIENT);
            break;
        }
        case 'i': sqlite3_bind_int64(st, pos, va_arg(ap, int64_t)); break;
        case 'z': {
            int64_t v = va_arg(ap, int64_t);
            if (v)
                sqlite3_bind_int64(st, pos, v);
            else
                sqlite3_bind_null(st, pos);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s)
                sqlite3_bind_text(st, pos, s, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, pos);
            break;
        }
        }
    }
    va_end(ap);
    return st;
}

/* Runs a statement that returns no rows. */
int sq__run(store_conn_t *c, sqlite3_stmt *st)
{
    if (!st) return PARLEY_EIO;
    int rc = sq__rc(c, sqlite3_step(st));
    sqlite3_reset(st);
    return rc;
}

const char *sq__col_str(sqlite3_stmt *st, int i, arena_t *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t) return NULL;
    return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

int64_t sq__col_i(sqlite3_stmt *st, int i)
{
    return sqlite3_column_int64(st, i);
}

/* Steps to the one expected row: 0 with a row, PARLEY_ENOENT without. */
int sq__one(store_conn_t *c, sqlite3_stmt *st)
{
    if (!st) return PARLEY_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 0;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? PARLEY_ENOENT : sq__rc(c, rc);
}
