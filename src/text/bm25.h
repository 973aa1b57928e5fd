/*
 * bm25.h - BM25 ranking of reply suggestions (canned responses, KB articles).
 *
 * Owns an in-memory inverted index over short documents and the Okapi BM25
 * scoring (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))) of a
 * query against it. Text goes through tok_split + tok_fold; words, numbers
 * and hashtag bodies are terms, simple English stop words are dropped and a
 * light stemmer folds plurals (-s, -es, -ies), -ing and -ed ("refunds",
 * "refunded", "refunding" -> "refund"). No I/O, no global state.
 *
 * Life cycle: bm25_index_new, bm25_add / bm25_add_doc for every document,
 * bm25_finish once, then any number of bm25_search calls (a finished index is
 * read-only and may be searched from several threads), bm25_index_free.
 */
#ifndef PARLEY_TEXT_BM25_H
#define PARLEY_TEXT_BM25_H

#include <stddef.h>
#include <stdint.h>

#ifndef PARLEY_EINVAL
#define PARLEY_EINVAL (-22)
#endif
#ifndef PARLEY_ENOMEM
#define PARLEY_ENOMEM (-12)
#endif

#define BM25_K1           1.2
#define BM25_B            0.75
#define BM25_TITLE_WEIGHT 2 /* a title term counts as this many body terms */

typedef struct bm25_index bm25_index_t;

typedef struct {
    int64_t doc_id;
    double score;
} bm25_result_t;

/* A new empty index, or NULL when out of memory. */
bm25_index_t *bm25_index_new(void);
void bm25_index_free(bm25_index_t *ix);

/* Adds document doc_id with text[0..len). Ids are the caller's and need not
 * be unique or dense. Returns 0, PARLEY_EINVAL (NULL index, finished index,
 * text NULL with len > 0) or PARLEY_ENOMEM. */
int bm25_add(bm25_index_t *ix, int64_t doc_id, const char *text, size_t len);

/* Adds a document made of a title (whose terms count BM25_TITLE_WEIGHT
 * times) and a body. Same returns as bm25_add. */
int bm25_add_doc(bm25_index_t *ix, int64_t doc_id, const char *title, size_t title_len,
                 const char *body, size_t body_len);

/* Freezes the index: builds postings and document-length norms. Returns 0,
 * PARLEY_EINVAL (NULL or already finished) or PARLEY_ENOMEM. */
int bm25_finish(bm25_index_t *ix);

/* Ranks the documents for query[0..len) and writes the best min(k, matches)
 * to results, highest score first (equal scores: earlier added first).
 * Documents sharing no term with the query are never returned; an empty or
 * stop-word-only query returns 0. Returns the number written, or
 * PARLEY_EINVAL (NULL index, unfinished index, results NULL with k > 0) or
 * PARLEY_ENOMEM. */
int bm25_search(const bm25_index_t *ix, const char *query, size_t len, size_t k,
                bm25_result_t *results);

/* Number of documents added. */
size_t bm25_count(const bm25_index_t *ix);

/* Writes the term form of word[0..len) (folded, stemmed) into buf (cap bytes,
 * NUL-terminated); returns its length, 0 for a stop word or a non-term.
 * Exposed so callers and tests can see what the index sees. */
size_t bm25_term(const char *word, size_t len, char *buf, size_t cap);

#endif /* PARLEY_TEXT_BM25_H */
