/*
 * rconv_cache.h - the per-conversation report rows a batch wrote, kept in
 * memory until its flush.
 *
 * Every desk event of a conversation reads and rewrites its
 * report_conversations row (desk/rollups.c: conv_get, conv_put): a new
 * conversation's first message is three events, so three reads and three
 * upserts of a 42-column row in one batch. The writer keeps the rows it
 * wrote in this cache instead, reads through it, and upserts each once
 * before the COMMIT (sqlite_reports.c). A failing job's rows are undone
 * from a log (rconv_cache_mark / rconv_cache_rewind), as its savepoint undoes
 * its SQL. Owned by the store; a plain data structure (no SQL here).
 */
#ifndef PARLEY_STORE_RCONV_CACHE_H
#define PARLEY_STORE_RCONV_CACHE_H

#include <stddef.h>

#include "store/store_reports.h"

typedef struct rconv_cache rconv_cache_t;

rconv_cache_t *rconv_cache_new(void);
void rconv_cache_free(rconv_cache_t *k);

/* The row of the conversation written in this batch, or NULL. */
const rconv_t *rconv_cache_get(const rconv_cache_t *k, int64_t conversation_id);
/* Keeps r as the conversation's row (logging what it replaces). */
void rconv_cache_put(rconv_cache_t *k, const rconv_t *r);
/* Rows kept. */
size_t rconv_cache_len(const rconv_cache_t *k);

/* Where the log stands (a job's start), and back to there: the rows put
 * since are restored to what they were, or dropped. */
size_t rconv_cache_mark(const rconv_cache_t *k);
void rconv_cache_rewind(rconv_cache_t *k, size_t mark);

/* Calls fn on every row kept, in the order first put; stops at the first
 * non-zero result and returns it. */
int rconv_cache_each(const rconv_cache_t *k, int (*fn)(void *ctx, const rconv_t *r), void *ctx);
/* Forgets every row and the log. */
void rconv_cache_clear(rconv_cache_t *k);

#endif
