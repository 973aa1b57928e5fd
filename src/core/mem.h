/*
 * mem.h - allocation wrappers that abort on exhaustion.
 *
 * Parley never limps on after malloc fails: a server that cannot allocate a
 * few bytes cannot answer honestly either. Callers therefore never check.
 */
#ifndef PARLEY_CORE_MEM_H
#define PARLEY_CORE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
