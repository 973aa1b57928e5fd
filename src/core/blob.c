/*
 * blob.c - lookup in embedded file tables.
 */
#include "core/blob.h"

#include <string.h>

const parley_blob_t *blob_find(const parley_blob_t *table, const char *name)
{
    for (; table && table->name; table++)
        if (strcmp(table->name, name) == 0) return table;
    return NULL;
}
