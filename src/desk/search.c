/*
 * search.c - ranks the store's newest full-text matches and cuts snippets.
 */
#include "desk/search.h"

#include "desk/contacts.h"
#include "text/bm25.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIPPET_WORDS 12
#define TERM_CAP      64
#define MAX_QTERMS    16

/* Words as fts_query_from cuts them: runs of letters, digits, UTF-8 and
 * inner apostrophes. Returns false at the end of text. */
static bool next_word(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s && !(isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)) s++;
    if (!*s) return false;
    const char *e = s;
    while (*e && (isalnum((unsigned char)*e) || (unsigned char)*e >= 0x80 || *e == '\'')) e++;
    *start = s;
    *len = (size_t)(e - s);
    *p = e;
    return true;
}

typedef struct {
    char t[MAX_QTERMS][TERM_CAP];
    int n;
} qterms_t;

static void query_terms(const char *query, qterms_t *q)
{
    q->n = 0;
    const char *p = query, *w;
    size_t len;
    while (q->n < MAX_QTERMS && next_word(&p, &w, &len))
        if (bm25_term(w, len, q->t[q->n], TERM_CAP)) q->n++;
}

static bool matches(const qterms_t *q, const char *w, size_t len)
{
    char t[TERM_CAP];
    if (!bm25_term(w, len, t, sizeof t)) return false;
    for (int i = 0; i < q->n; i++)
        if (!strcmp(t, q->t[i])) return true;
    return false;
}

typedef struct {
    const char *s;
    size_t len;
    bool hit;
} word_t;

static char *snippet_for(arena_t *a, const char *body, const qterms_t *q)
{
    /* First pass: where the first matched word is. */
    int first = -1, count = 0;
    const char *p = body, *w;
    size_t len;
    while (first < 0 && next_word(&p, &w, &len)) {
        if (matches(q, w, len)) first = count;
        count++;
    }
    int from = first > 3 ? first - 3 : 0;
    /* Second pass: the window's words, as written. */
    word_t words[SNIPPET_WORDS];
    int n = 0, i = 0;
    bool more = false;
    p = body;
    while (next_word(&p, &w, &len)) {
        if (i++ < from) continue;
        if (n == SNIPPET_WORDS) {
            more = true;
            break;
        }
        words[n++] = (word_t){w, len, matches(q, w, len)};
    }
    buf_t b;
    buf_init(&b, 0);
    if (n > 0) {
        if (from > 0) buf_puts(&b, "...");
        for (int k = 0; k < n; k++) {
            if (k) /* what stood between the words */
                buf_append(&b, words[k - 1].s + words[k - 1].len,
                           (size_t)(words[k].s - (words[k - 1].s + words[k - 1].len)));
            if (words[k].hit) buf_putc(&b, '[');
            buf_append(&b, words[k].s, words[k].len);
            if (words[k].hit) buf_putc(&b, ']');
        }
        if (more)
            buf_puts(&b, "...");
        else
            buf_puts(&b, words[n - 1].s + words[n - 1].len); /* closing punctuation */
    }
    char *out = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    return out;
}

char *search_snippet(arena_t *a, const char *body, const char *query)
{
    qterms_t q;
    query_terms(query, &q);
    return snippet_for(a, body, &q);
}

/* A query word for counting: as typed (ASCII words compare case-blind, the
 * way the full-text index folded them) and as BM25 folds it (for words with
 * other letters). */
typedef struct {
    const char *s;
    size_t len;
    char term[TERM_CAP];
} qword_t;

static bool ascii_word(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)w[i] >= 0x80) return false;
    return true;
}

static bool same_word(const qword_t *q, const char *w, size_t len)
{
    if (ascii_word(w, len)) return len == q->len && !strncasecmp(w, q->s, len);
    char t[TERM_CAP];
    return bm25_term(w, len, t, sizeof t) && !strcmp(t, q->term);
}

/* BM25's term saturation and length normalisation (k1, b as in text/bm25.h).
 * Every candidate holds every query word, so document-frequency weights are
 * equal across them and drop out of the order. */
static double score(const char *body, const qword_t *q, int nq, double avgdl, int *dl_out)
{
    int tf[MAX_QTERMS] = {0}, dl = 0;
    const char *p = body, *w;
    size_t len;
    while (next_word(&p, &w, &len)) {
        dl++;
        for (int i = 0; i < nq; i++)
            if (same_word(&q[i], w, len)) tf[i]++;
    }
    if (dl_out) *dl_out = dl;
    if (avgdl <= 0) return 0;
    double s = 0, norm = BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl);
    for (int i = 0; i < nq; i++) s += tf[i] * (BM25_K1 + 1) / (tf[i] + norm);
    return s;
}

typedef struct {
    int idx;
    double score;
} ranked_t;

static int by_score(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->idx - y->idx; /* equal scores: the newer first */
}

int search_messages(store_conn_t *c, const store_desk_ops_t *ops, int64_t account_id,
                    const char *text, const conv_filter_t *f, int limit, arena_t *a,
                    search_hit_t **out, int *n)
{
    *out = NULL;
    *n = 0;
    char *fq = fts_query_from(a, text, false);
    if (!fq || limit <= 0) return 0;
    search_hit_t *cand;
    int nc = 0;
    int rc = ops->message_search(c, account_id, fq, f, SEARCH_WINDOW, a, &cand, &nc);
    if (rc || nc == 0) return rc;
    qword_t qw[MAX_QTERMS];
    int nq = 0;
    const char *p = text, *w;
    size_t len;
    while (nq < MAX_QTERMS && next_word(&p, &w, &len)) {
        qw[nq] = (qword_t){.s = w, .len = len};
        bm25_term(w, len, qw[nq].term, TERM_CAP);
        nq++;
    }
    ranked_t *r = arena_alloc(a, sizeof *r * (size_t)nc);
    int *dl = arena_alloc(a, sizeof *dl * (size_t)nc);
    double total = 0;
    for (int i = 0; i < nc; i++) {
        score(cand[i].body, qw, 0, 0, &dl[i]);
        total += dl[i];
    }
    double avgdl = total / nc;
    for (int i = 0; i < nc; i++) r[i] = (ranked_t){i, score(cand[i].body, qw, nq, avgdl, NULL)};
    qsort(r, (size_t)nc, sizeof *r, by_score);
    int k = nc < limit ? nc : limit;
    qterms_t q;
    query_terms(text, &q);
    search_hit_t *hits = arena_alloc(a, sizeof *hits * (size_t)k);
    for (int i = 0; i < k; i++) {
        hits[i] = cand[r[i].idx];
        hits[i].rank = r[i].score;
        hits[i].snippet = snippet_for(a, hits[i].body, &q);
    }
    *out = hits;
    *n = k;
    return 0;
}
