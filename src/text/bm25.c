/*
 * bm25.c - BM25 ranking of reply suggestions.
 *
 * Owns the term pipeline (fold, stop words, light stemming), the vocabulary
 * hash, the postings built by bm25_finish and the top-k selection of a
 * search. A search allocates one score array and never touches the index.
 */
#include "text/bm25.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text/tokenize.h"

#define TERM_MAX     48
#define STACK_TOKENS 128

typedef struct {
    uint64_t h;
    uint32_t off, len; /* into terms */
    uint32_t df;
} vocab_t;

typedef struct {
    uint32_t term, doc, tf;
} stage_t;

struct bm25_index {
    char *terms;
    size_t terms_len, terms_cap;
    vocab_t *vocab;
    size_t n_vocab, cap_vocab;
    uint32_t *slots; /* vocab index + 1, 0 = empty */
    size_t slot_mask;
    int64_t *doc_ids;
    uint32_t *doc_len;
    size_t n_docs, cap_docs;
    stage_t *stage;
    size_t n_stage, cap_stage;
    bool finished;
    uint32_t *post_start; /* n_vocab + 1 */
    uint32_t *post_doc;
    float *post_tf;
    float *norm; /* per doc: k1 * (1 - b + b * dl / avgdl) */
    float *idf;  /* per term */
};

static const char *const stop_words[] = {
    "a",       "about",  "above",  "after", "again", "all",   "am",       "an",      "and",
    "any",     "are",    "as",     "at",    "be",    "been",  "before",   "being",   "below",
    "between", "both",   "but",    "by",    "can",   "could", "did",      "do",      "does",
    "doing",   "down",   "during", "each",  "few",   "for",   "from",     "further", "had",
    "has",     "have",   "having", "he",    "her",   "here",  "hers",     "hey",     "hi",
    "him",     "his",    "hello",  "how",   "i",     "if",    "in",       "into",    "is",
    "it",      "its",    "itself", "just",  "me",    "more",  "most",     "my",      "myself",
    "no",      "nor",    "not",    "of",    "off",   "on",    "once",     "only",    "or",
    "other",   "our",    "ours",   "out",   "over",  "own",   "please",   "same",    "she",
    "should",  "so",     "some",   "such",  "than",  "thank", "thanks",   "that",    "the",
    "their",   "theirs", "them",   "then",  "there", "these", "they",     "this",    "those",
    "through", "to",     "too",    "under", "until", "up",    "very",     "was",     "we",
    "were",    "what",   "when",   "where", "which", "while", "who",      "whom",    "why",
    "will",    "with",   "would",  "you",   "your",  "yours", "yourself", "im",      "ive",
    "id",      "ill",    "dont",   "u",     "ur",    "pls",   "plz",
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool is_stop(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++)
        if (strlen(stop_words[i]) == n && memcmp(stop_words[i], w, n) == 0) return true;
    return false;
}

static bool ends(const char *w, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(w + n - k, suf, k) == 0;
}

static bool vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static bool has_vowel(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (vowel(w[i])) return true;
    return false;
}

/* Light English stemming of an ASCII lower-case word; returns the new length. */
static size_t stem(char *w, size_t n)
{
    if (n > 4 && ends(w, n, "ies")) {
        n -= 2;
        w[n - 1] = 'y';
    } else if (ends(w, n, "sses")) {
        n -= 2;
    } else if (n > 4 && ends(w, n, "es") &&
               (strchr("sxz", w[n - 3]) || ends(w, n, "ches") || ends(w, n, "shes"))) {
        n -= 2;
    } else if (n > 3 && w[n - 1] == 's' && !ends(w, n, "ss") && !ends(w, n, "us") &&
               !ends(w, n, "is")) {
        n -= 1;
    }
    size_t cut = 0;
    if (n > 5 && ends(w, n, "ing") && has_vowel(w, n - 3))
        cut = 3;
    else if (n > 4 && ends(w, n, "ied"))
        n -= 2, w[n - 1] = 'y';
    else if (n > 4 && ends(w, n, "ed") && !ends(w, n, "eed") && has_vowel(w, n - 2))
        cut = 2;
    if (cut) {
        n -= cut;
        if (n >= 3 && w[n - 1] == w[n - 2] && !vowel(w[n - 1]) && !strchr("lsz", w[n - 1]))
            n--; /* shipp -> ship */
    }
    if (n > 4 && w[n - 1] == 'e') n--; /* charge / charged / charging meet at "charg" */
    if (n >= 6 && w[n - 1] == 'l' && w[n - 2] == 'l') n--; /* cancell -> cancel */
    return n;
}

size_t bm25_term(const char *word, size_t len, char *buf, size_t cap)
{
    char tmp[TERM_MAX * 2];
    size_t n = 0;
    bool ascii = true;
    if (cap) buf[0] = '\0';
    if (!word || len == 0) return 0;
    if (word[0] == '#') word++, len--; /* hashtag body */
    for (size_t i = 0; i < len; i++) ascii &= !((unsigned char)word[i] & 0x80);
    if (ascii) {
        for (size_t i = 0; i < len && n < sizeof tmp - 1; i++)
            tmp[n++] = (char)(word[i] >= 'A' && word[i] <= 'Z' ? word[i] + 32 : word[i]);
    } else {
        n = tok_fold(word, len, tmp, sizeof tmp);
        if (n == (size_t)-1) return 0;
        if (n >= sizeof tmp) n = strlen(tmp);
    }
    /* apostrophes: drop a possessive "'s", then any other */
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        bool ap = tmp[i] == '\'';
        size_t al = 1;
        if ((unsigned char)tmp[i] == 0xE2 && i + 2 < n && (unsigned char)tmp[i + 1] == 0x80 &&
            ((unsigned char)tmp[i + 2] == 0x98 || (unsigned char)tmp[i + 2] == 0x99))
            ap = true, al = 3;
        if (!ap) {
            tmp[o++] = tmp[i++];
            continue;
        }
        if (i + al + 1 == n && tmp[i + al] == 's') break;
        i += al;
    }
    n = o;
    if (n == 0 || is_stop(tmp, n)) return 0;
    if (ascii) n = stem(tmp, n);
    if (n > TERM_MAX) n = TERM_MAX;
    if (cap) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return n;
}

/* ---- vocabulary ---- */

static uint32_t *slot_of(const bm25_index_t *ix, uint64_t h, const char *t, size_t n)
{
    size_t i = (size_t)(h ^ (h >> 31)) & ix->slot_mask;
    for (;;) {
        uint32_t v = ix->slots[i];
        if (v == 0) return &ix->slots[i];
        const vocab_t *e = &ix->vocab[v - 1];
        if (e->h == h && e->len == n && memcmp(ix->terms + e->off, t, n) == 0) return &ix->slots[i];
        i = (i + 1) & ix->slot_mask;
    }
}

static int grow_slots(bm25_index_t *ix)
{
    size_t cap = (ix->slot_mask + 1) * 2;
    uint32_t *old = ix->slots;
    size_t old_n = ix->slot_mask + 1;
    ix->slots = calloc(cap, sizeof *ix->slots);
    if (!ix->slots) {
        ix->slots = old;
        return PARLEY_ENOMEM;
    }
    ix->slot_mask = cap - 1;
    for (size_t i = 0; i < old_n; i++)
        if (old[i]) {
            const vocab_t *e = &ix->vocab[old[i] - 1];
            *slot_of(ix, e->h, ix->terms + e->off, e->len) = old[i];
        }
    free(old);
    return 0;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(p, c * size);
    if (q) *cap = c;
    return q;
}

/* Finds or adds term t[0..n); returns its id or -1 when out of memory. */
static int64_t intern(bm25_index_t *ix, const char *t, size_t n)
{
    uint64_t h = hash_bytes(t, n);
    uint32_t *s = slot_of(ix, h, t, n);
    if (*s) return *s - 1;
    if ((ix->n_vocab + 1) * 2 > ix->slot_mask + 1) {
        if (grow_slots(ix)) return -1;
        s = slot_of(ix, h, t, n);
    }
    char *terms = grow(ix->terms, &ix->terms_cap, ix->terms_len + n, 1);
    if (!terms) return -1;
    ix->terms = terms;
    vocab_t *v = grow(ix->vocab, &ix->cap_vocab, ix->n_vocab + 1, sizeof *v);
    if (!v) return -1;
    ix->vocab = v;
    memcpy(ix->terms + ix->terms_len, t, n);
    v[ix->n_vocab] = (vocab_t){h, (uint32_t)ix->terms_len, (uint32_t)n, 0};
    ix->terms_len += n;
    *s = (uint32_t)++ix->n_vocab;
    return (int64_t)ix->n_vocab - 1;
}

static int64_t lookup(const bm25_index_t *ix, const char *t, size_t n)
{
    uint32_t v = *slot_of(ix, hash_bytes(t, n), t, n);
    return v ? (int64_t)v - 1 : -1;
}

/* ---- building ---- */

bm25_index_t *bm25_index_new(void)
{
    bm25_index_t *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    ix->slots = calloc(64, sizeof *ix->slots);
    if (!ix->slots) {
        free(ix);
        return NULL;
    }
    ix->slot_mask = 63;
    return ix;
}

void bm25_index_free(bm25_index_t *ix)
{
    if (!ix) return;
    free(ix->terms);
    free(ix->vocab);
    free(ix->slots);
    free(ix->doc_ids);
    free(ix->doc_len);
    free(ix->stage);
    free(ix->post_start);
    free(ix->post_doc);
    free(ix->post_tf);
    free(ix->norm);
    free(ix->idf);
    free(ix);
}

typedef struct {
    uint32_t *ids;
    size_t n, cap;
} idlist_t;

/* Appends the term ids of text to l `times` times (times 0: look up only). */
static int collect(bm25_index_t *ix, const char *text, size_t len, unsigned times, idlist_t *l)
{
    size_t total = tok_split(text, len, NULL, 0);
    if (total == 0) return 0;
    tok_t *tok = malloc(total * sizeof *tok);
    if (!tok) return PARLEY_ENOMEM;
    size_t got = tok_split(text, len, tok, total);
    int rc = 0;
    for (size_t i = 0; i < got && i < total; i++) {
        tok_kind_t k = tok[i].kind;
        if (k != TOK_WORD && k != TOK_NUMBER && k != TOK_HASHTAG) continue;
        char term[TERM_MAX + 1];
        size_t n = bm25_term(text + tok[i].start, tok[i].len, term, sizeof term);
        if (n == 0) continue;
        int64_t id = intern(ix, term, n);
        if (id < 0) {
            rc = PARLEY_ENOMEM;
            break;
        }
        uint32_t *ids = grow(l->ids, &l->cap, l->n + times, sizeof *ids);
        if (!ids) {
            rc = PARLEY_ENOMEM;
            break;
        }
        l->ids = ids;
        for (unsigned t = 0; t < times; t++) l->ids[l->n++] = (uint32_t)id;
    }
    free(tok);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int bm25_add_doc(bm25_index_t *ix, int64_t doc_id, const char *title, size_t title_len,
                 const char *body, size_t body_len)
{
    if (!ix || ix->finished || (!title && title_len) || (!body && body_len)) return PARLEY_EINVAL;
    if (ix->n_docs >= UINT32_MAX - 1) return PARLEY_EINVAL;
    idlist_t l = {NULL, 0, 0};
    int rc = collect(ix, title, title_len, BM25_TITLE_WEIGHT, &l);
    if (!rc) rc = collect(ix, body, body_len, 1, &l);
    if (rc) goto done;
    rc = PARLEY_ENOMEM;
    int64_t *ids = grow(ix->doc_ids, &ix->cap_docs, ix->n_docs + 1, sizeof *ids);
    if (!ids) goto done;
    ix->doc_ids = ids;
    size_t cap = ix->cap_docs;
    uint32_t *dl = realloc(ix->doc_len, cap * sizeof *dl);
    if (!dl) goto done;
    ix->doc_len = dl;
    if (l.n) qsort(l.ids, l.n, sizeof *l.ids, cmp_u32);
    size_t runs = 0;
    for (size_t i = 0; i < l.n; i++) runs += i == 0 || l.ids[i] != l.ids[i - 1];
    stage_t *st = grow(ix->stage, &ix->cap_stage, ix->n_stage + runs, sizeof *st);
    if (!st) goto done;
    ix->stage = st;
    uint32_t doc = (uint32_t)ix->n_docs;
    for (size_t i = 0; i < l.n;) {
        size_t j = i;
        while (j < l.n && l.ids[j] == l.ids[i]) j++;
        st[ix->n_stage++] = (stage_t){l.ids[i], doc, (uint32_t)(j - i)};
        ix->vocab[l.ids[i]].df++;
        i = j;
    }
    ix->doc_ids[doc] = doc_id;
    ix->doc_len[doc] = (uint32_t)(l.n > UINT32_MAX ? UINT32_MAX : l.n);
    ix->n_docs++;
    rc = 0;
done:
    free(l.ids);
    return rc;
}

int bm25_add(bm25_index_t *ix, int64_t doc_id, const char *text, size_t len)
{
    return bm25_add_doc(ix, doc_id, NULL, 0, text, len);
}

int bm25_finish(bm25_index_t *ix)
{
    if (!ix || ix->finished) return PARLEY_EINVAL;
    size_t nv = ix->n_vocab, nd = ix->n_docs, ns = ix->n_stage;
    ix->post_start = calloc(nv + 1, sizeof *ix->post_start);
    ix->post_doc = malloc((ns ? ns : 1) * sizeof *ix->post_doc);
    ix->post_tf = malloc((ns ? ns : 1) * sizeof *ix->post_tf);
    ix->norm = malloc((nd ? nd : 1) * sizeof *ix->norm);
    ix->idf = malloc((nv ? nv : 1) * sizeof *ix->idf);
    if (!ix->post_start || !ix->post_doc || !ix->post_tf || !ix->norm || !ix->idf)
        return PARLEY_ENOMEM;
    /* counting sort of the staged postings by term; docs stay ascending */
    for (size_t i = 0; i < ns; i++) ix->post_start[ix->stage[i].term + 1]++;
    for (size_t t = 0; t < nv; t++) ix->post_start[t + 1] += ix->post_start[t];
    uint32_t *fill = malloc((nv ? nv : 1) * sizeof *fill);
    if (!fill) return PARLEY_ENOMEM;
    memcpy(fill, ix->post_start, nv * sizeof *fill);
    for (size_t i = 0; i < ns; i++) {
        uint32_t p = fill[ix->stage[i].term]++;
        ix->post_doc[p] = ix->stage[i].doc;
        ix->post_tf[p] = (float)ix->stage[i].tf;
    }
    free(fill);
    double total = 0;
    for (size_t d = 0; d < nd; d++) total += ix->doc_len[d];
    double avgdl = nd && total > 0 ? total / (double)nd : 1.0;
    for (size_t d = 0; d < nd; d++)
        ix->norm[d] = (float)(BM25_K1 * (1.0 - BM25_B + BM25_B * ix->doc_len[d] / avgdl));
    for (size_t t = 0; t < nv; t++) {
        double df = ix->vocab[t].df;
        ix->idf[t] = (float)log(1.0 + ((double)nd - df + 0.5) / (df + 0.5));
    }
    free(ix->stage);
    ix->stage = NULL;
    ix->n_stage = ix->cap_stage = 0;
    ix->finished = true;
    return 0;
}

size_t bm25_count(const bm25_index_t *ix)
{
    return ix ? ix->n_docs : 0;
}

/* ---- searching ---- */

/* true when doc a ranks above doc b */
static bool better(const float *score, uint32_t a, uint32_t b)
{
    return score[a] > score[b] || (score[a] == score[b] && a < b);
}

static void sift_down(uint32_t *heap, size_t n, size_t i, const float *score)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(score, heap[w], heap[l])) w = l;
        if (r < n && better(score, heap[w], heap[r])) w = r;
        if (w == i) return;
        uint32_t t = heap[i];
        heap[i] = heap[w];
        heap[w] = t;
        i = w;
    }
}

static size_t query_terms(const bm25_index_t *ix, const char *q, size_t len, uint32_t *out,
                          size_t cap)
{
    tok_t stack[STACK_TOKENS];
    tok_t *tok = stack;
    size_t total = tok_split(q, len, stack, STACK_TOKENS), n = 0;
    if (total > STACK_TOKENS) {
        tok = malloc(total * sizeof *tok);
        if (!tok) return (size_t)-1;
        total = tok_split(q, len, tok, total);
    }
    for (size_t i = 0; i < total && n < cap; i++) {
        if (tok[i].kind != TOK_WORD && tok[i].kind != TOK_NUMBER && tok[i].kind != TOK_HASHTAG)
            continue;
        char term[TERM_MAX + 1];
        size_t tl = bm25_term(q + tok[i].start, tok[i].len, term, sizeof term);
        if (tl == 0) continue;
        int64_t id = lookup(ix, term, tl);
        if (id < 0) continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) seen = out[k] == (uint32_t)id;
        if (!seen) out[n++] = (uint32_t)id;
    }
    if (tok != stack) free(tok);
    return n;
}

int bm25_search(const bm25_index_t *ix, const char *query, size_t len, size_t k,
                bm25_result_t *results)
{
    if (!ix || !ix->finished || (!results && k) || (!query && len)) return PARLEY_EINVAL;
    if (k == 0 || ix->n_docs == 0 || len == 0) return 0;
    if (k > INT_MAX) k = INT_MAX;
    uint32_t terms[256];
    size_t nt = query_terms(ix, query, len, terms, 256);
    if (nt == (size_t)-1) return PARLEY_ENOMEM;
    if (nt == 0) return 0;
    float *score = calloc(ix->n_docs, sizeof *score);
    uint32_t *heap = malloc((k < ix->n_docs ? k : ix->n_docs) * sizeof *heap);
    if (!score || !heap) {
        free(score);
        free(heap);
        return PARLEY_ENOMEM;
    }
    for (size_t q = 0; q < nt; q++) {
        uint32_t t = terms[q];
        float idf = ix->idf[t];
        for (uint32_t p = ix->post_start[t]; p < ix->post_start[t + 1]; p++) {
            uint32_t d = ix->post_doc[p];
            float tf = ix->post_tf[p];
            score[d] += idf * tf * (float)(BM25_K1 + 1.0) / (tf + ix->norm[d]);
        }
    }
    /* min-heap of the best k: the root is the weakest kept */
    size_t hn = 0, cap = k < ix->n_docs ? k : ix->n_docs;
    for (uint32_t d = 0; d < ix->n_docs; d++) {
        if (score[d] <= 0) continue;
        if (hn < cap) {
            heap[hn++] = d;
            for (size_t i = hn - 1; i > 0;) {
                size_t parent = (i - 1) / 2;
                if (!better(score, heap[parent], heap[i])) break;
                uint32_t t = heap[i];
                heap[i] = heap[parent];
                heap[parent] = t;
                i = parent;
            }
        } else if (better(score, d, heap[0])) {
            heap[0] = d;
            sift_down(heap, hn, 0, score);
        }
    }
    /* pop the weakest to the end: results come out best first */
    for (size_t n = hn; n > 0; n--) {
        uint32_t d = heap[0];
        results[n - 1].doc_id = ix->doc_ids[d];
        results[n - 1].score = score[d];
        heap[0] = heap[n - 1];
        sift_down(heap, n - 1, 0, score);
    }
    free(score);
    free(heap);
    return (int)hn;
}
