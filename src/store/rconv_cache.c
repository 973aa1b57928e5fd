/*
 * rconv_cache.c - the report rows a batch wrote, until its flush. See
 * rconv_cache.h.
 */
#include "store/rconv_cache.h"

#include "core/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t conversation_id;
    bool had; /* the row existed before this put: old holds it */
    rconv_t old;
} undo_t;

struct rconv_cache {
    rconv_t *rows;
    size_t n, cap;
    uint32_t *index; /* row + 1 by hash of the id; 0 = empty */
    size_t index_cap;
    undo_t *undo;
    size_t n_undo, undo_cap;
};

rconv_cache_t *rconv_cache_new(void)
{
    return xcalloc(1, sizeof(rconv_cache_t));
}

void rconv_cache_free(rconv_cache_t *k)
{
    if (!k) return;
    free(k->rows);
    free(k->index);
    free(k->undo);
    free(k);
}

static size_t slot_of(const rconv_cache_t *k, int64_t id)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 20) & (k->index_cap - 1);
}

/* The index rebuilt for the rows there are (after a growth or a rewind). */
static void reindex(rconv_cache_t *k, size_t cap)
{
    if (cap != k->index_cap) {
        free(k->index);
        k->index = xcalloc(cap, sizeof *k->index);
        k->index_cap = cap;
    } else if (k->index) {
        memset(k->index, 0, sizeof *k->index * cap);
    }
    for (size_t i = 0; i < k->n; i++) {
        size_t s = slot_of(k, k->rows[i].conversation_id);
        while (k->index[s]) s = (s + 1) & (k->index_cap - 1);
        k->index[s] = (uint32_t)i + 1;
    }
}

/* The row index of id, or -1 (slots of rows dropped by a rewind that is
 * under way point past n: skipped). */
static long find(const rconv_cache_t *k, int64_t id)
{
    if (!k->n) return -1;
    for (size_t s = slot_of(k, id);; s = (s + 1) & (k->index_cap - 1)) {
        uint32_t i = k->index[s];
        if (!i) return -1;
        if (i <= k->n && k->rows[i - 1].conversation_id == id) return (long)i - 1;
    }
}

const rconv_t *rconv_cache_get(const rconv_cache_t *k, int64_t conversation_id)
{
    long i = find(k, conversation_id);
    return i < 0 ? NULL : &k->rows[i];
}

void rconv_cache_put(rconv_cache_t *k, const rconv_t *r)
{
    if (k->n_undo == k->undo_cap) {
        k->undo_cap = k->undo_cap ? k->undo_cap * 2 : 16;
        k->undo = xrealloc(k->undo, sizeof *k->undo * k->undo_cap);
    }
    undo_t *u = &k->undo[k->n_undo++];
    u->conversation_id = r->conversation_id;
    long i = find(k, r->conversation_id);
    u->had = i >= 0;
    if (i >= 0) {
        u->old = k->rows[i];
        k->rows[i] = *r;
        return;
    }
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->rows = xrealloc(k->rows, sizeof *k->rows * k->cap);
    }
    k->rows[k->n++] = *r;
    if (k->n * 2 > k->index_cap) {
        reindex(k, k->index_cap ? k->index_cap * 2 : 64);
        return;
    }
    size_t s = slot_of(k, r->conversation_id);
    while (k->index[s]) s = (s + 1) & (k->index_cap - 1);
    k->index[s] = (uint32_t)k->n;
}

size_t rconv_cache_len(const rconv_cache_t *k)
{
    return k->n;
}

size_t rconv_cache_mark(const rconv_cache_t *k)
{
    return k->n_undo;
}

void rconv_cache_rewind(rconv_cache_t *k, size_t mark)
{
    if (mark >= k->n_undo) return;
    /* newest first: a row added after the mark is the last one when its
     * own (first) put is undone */
    bool dropped = false;
    while (k->n_undo > mark) {
        const undo_t *u = &k->undo[--k->n_undo];
        long i = find(k, u->conversation_id);
        if (i < 0) continue; /* cannot happen: every put left its row */
        if (u->had) {
            k->rows[i] = u->old;
        } else {
            k->n--; /* rows[i] is rows[n - 1] here */
            dropped = true;
        }
    }
    if (dropped) reindex(k, k->index_cap);
}

int rconv_cache_each(const rconv_cache_t *k, int (*fn)(void *ctx, const rconv_t *r), void *ctx)
{
    for (size_t i = 0; i < k->n; i++) {
        int rc = fn(ctx, &k->rows[i]);
        if (rc) return rc;
    }
    return 0;
}

void rconv_cache_clear(rconv_cache_t *k)
{
    k->n = 0;
    k->n_undo = 0;
    if (k->index) memset(k->index, 0, sizeof *k->index * k->index_cap);
}
