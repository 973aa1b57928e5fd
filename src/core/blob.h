/*
 * blob.h - files embedded into the binary at build time (cmake/embed.cmake).
 *
 * Migrations, lexicons and web assets travel inside `parley`, so the binary
 * never depends on the working directory it was started from.
 */
#ifndef PARLEY_CORE_BLOB_H
#define PARLEY_CORE_BLOB_H

#include <stddef.h>

typedef struct {
    const char *name; /* file name without directories; NULL ends a table */
    const char *data; /* NUL-terminated for convenience; len excludes the NUL */
    size_t len;
} parley_blob_t;

/* Finds name in a NULL-terminated table, or NULL. */
const parley_blob_t *blob_find(const parley_blob_t *table, const char *name);

#endif
