/*
 * arena.h - a bump allocator for everything one request (or one command) owns.
 *
 * Memory comes from chunks that die together in arena_free(); non-memory
 * resources (a jansson value, a statement) are released by cleanups registered
 * on the arena, run in reverse order before the chunks go.
 */
#ifndef PARLEY_CORE_ARENA_H
#define PARLEY_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;
typedef struct arena_cleanup arena_cleanup_t;

typedef struct {
    arena_chunk_t *head;
    arena_cleanup_t *cleanups;
    size_t chunk_size;
    size_t total; /* bytes handed out, for limits and metrics */
} arena_t;

/* Prepares an empty arena; the first allocation takes a chunk of chunk_size
 * (0 = 8 KiB). */
void arena_init(arena_t *a, size_t chunk_size);
/* Runs the cleanups, frees every chunk, and leaves the arena reusable. */
void arena_free(arena_t *a);
/* Returns n bytes aligned for any type; never NULL. */
void *arena_alloc(arena_t *a, size_t n);
void *arena_calloc(arena_t *a, size_t n);
char *arena_strndup(arena_t *a, const char *s, size_t n);
char *arena_strdup(arena_t *a, const char *s);
char *arena_sprintf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Registers fn(arg) to run when the arena is freed. */
void arena_defer(arena_t *a, void (*fn)(void *), void *arg);

#endif
