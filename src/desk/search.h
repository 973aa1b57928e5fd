/*
 * search.h - full-text search of messages: the store finds the newest matches
 * that pass the filters, this module ranks them and cuts their snippets.
 */
#ifndef PARLEY_DESK_SEARCH_H
#define PARLEY_DESK_SEARCH_H

#include "desk/desk.h"

/* How many of the newest matches are ranked. An agent searching a desk of
 * millions of messages wants the relevant recent ones; ranking every match of
 * a common word would read all of them. */
#define SEARCH_WINDOW 2000

/* The best `limit` messages of the account for text (every word must occur),
 * filtered by f: BM25 (desk's text/bm25, word frequencies taken over the
 * window) over the SEARCH_WINDOW newest matches, best first, each with a
 * snippet of about a dozen words around its first match, matched words in
 * [brackets]. *n = 0 when text has nothing searchable. */
int search_messages(store_conn_t *c, const store_desk_ops_t *ops, int64_t account_id,
                    const char *text, const conv_filter_t *f, int limit, arena_t *a,
                    search_hit_t **out, int *n);

/* The snippet of body for the query's words (exposed for tests). */
char *search_snippet(arena_t *a, const char *body, const char *query);

#endif
