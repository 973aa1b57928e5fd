/*
 * arena.c - chunked bump allocation with deferred cleanups.
 */
#include "core/arena.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct arena_chunk {
    arena_chunk_t *next;
    size_t size, used;
    _Alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
    arena_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

#define ALIGN (sizeof(max_align_t))

void arena_init(arena_t *a, size_t chunk_size)
{
    a->head = NULL;
    a->cleanups = NULL;
    a->chunk_size = chunk_size ? chunk_size : 8192;
    a->total = 0;
}

void arena_free(arena_t *a)
{
    arena_cleanup_t *c = a->cleanups;
    a->cleanups = NULL;
    while (c) {
        arena_cleanup_t *next = c->next;
        c->fn(c->arg);
        c = next;
    }
    arena_chunk_t *k = a->head;
    while (k) {
        arena_chunk_t *next = k->next;
        free(k);
        k = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *arena_alloc(arena_t *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    if (need == 0) need = ALIGN;
    arena_chunk_t *k = a->head;
    if (!k || k->size - k->used < need) {
        size_t size = need > a->chunk_size / 2 ? need : a->chunk_size;
        k = xmalloc(sizeof *k + size);
        k->size = size;
        k->used = 0;
        if (a->head && size == need) {
            /* A big block goes behind the current chunk so its free tail stays usable. */
            k->next = a->head->next;
            a->head->next = k;
        } else {
            k->next = a->head;
            a->head = k;
        }
    }
    void *p = k->data + k->used;
    k->used += need;
    a->total += need;
    return p;
}

void *arena_calloc(arena_t *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_sprintf(arena_t *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_defer(arena_t *a, void (*fn)(void *), void *arg)
{
    arena_cleanup_t *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}
