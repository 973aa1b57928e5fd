/*
 * sentiment.c - scoring one text with the VADER 3.3.x rules.
 *
 * Owns the reference's pipeline (emoji to descriptions, white-space split,
 * punctuation stripping, the valence rules, the "but" pass, the normalisation
 * and Python's rounding), reproduced with the reference's arithmetic order so
 * that every double matches. Nothing here allocates for a short text, and a
 * long one takes one heap block.
 *
 * Speed (issue 4: a million short posts a second on one core) comes from
 * doing each thing once: a text that is ASCII (or becomes ASCII once its emoji
 * are described) is lowered whole and turned into bit masks 16 bytes at a
 * time (split_ascii()); tokens are found by bit scans; each word is hashed
 * once, its table slot prefetched while the split goes on, and looked up
 * afterwards (resolve_words()), when the misses of all the words have
 * overlapped; the rules and the sums visit the lexicon words only. Other
 * texts take the code point path (split_words()); the two agree to the bit,
 * as the unit tests check on 4,300 texts.
 */
#include "text/sentiment.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
#include <emmintrin.h>
#endif

#define C_INCR   0.733
#define N_SCALAR -0.74

/* Texts whose scratch needs fit here are scored without touching the heap. */
#define STACK_SCRATCH 16384

/* A product that the compiler may not fuse with a following addition: an FMA
 * (GNU C contracts by default when the target has one) would change the last
 * bit and so, now and then, a rounded score. Every product of the rules that
 * feeds a sum goes through here. */
static inline double mul(double a, double b)
{
    volatile double p = a * b;
    return p;
}

/* Per-word facts the rules test, gathered once while splitting. */
enum {
    W_LEX = SENTIMENT__LEX,
    W_BOOST = SENTIMENT__BOOST,
    W_IDIOM_PART = SENTIMENT__IDIOM_PART,
    W_UPPER = 32,    /* Python's str.isupper() of the token */
    W_NEGATED = 64,  /* in the NEGATE list or holds "n't": the reference's negated() */
    W_MAYBE_NT = 128 /* while splitting: holds an apostrophe, so perhaps "n't" */
};

/* One white-space separated token of the reference, after its stripping. */
typedef struct {
    const sentiment__entry_t *e; /* entry of the lowered token, or &no_entry */
    const char *lw;              /* the lowered token (Python's str.lower()) */
    uint32_t lwlen;
    uint32_t hash; /* sentiment__hash() of lw */
    uint8_t flags; /* W_* */
    uint8_t id;    /* sentiment__word_t */
} word_t;

/* ---- UTF-8 and the few Unicode properties the reference relies on ---- */

/* Decodes one strict UTF-8 sequence (no overlongs, surrogates or values past
 * U+10FFFF) at p[0..n), n >= 1; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xc2) return 0;
    if (c < 0xe0) {
        if (n < 2 || (p[1] & 0xc0) != 0x80) return 0;
        *cp = ((c & 0x1fu) << 6) | (p[1] & 0x3fu);
        return 2;
    }
    if (c < 0xf0) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)) return 0;
        *cp = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
        return 3;
    }
    if (c > 0xf4 || n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
        (p[3] & 0xc0) != 0x80)
        return 0;
    if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)) return 0;
    *cp = ((c & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
    return 4;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

typedef struct {
    uint32_t lo, hi;
} range_t;

/* CPython 3.11 (Unicode 14) counts these as upper case beyond category Lu:
 * Other_Uppercase. */
static const range_t other_upper[] = {
    {0x2160, 0x216f}, {0x24b6, 0x24cf}, {0x1f130, 0x1f149}, {0x1f150, 0x1f169}, {0x1f170, 0x1f189}};

/* ... and these as lower case beyond category Ll: Other_Lowercase. */
static const range_t other_lower[] = {
    {0xaa, 0xaa},       {0xba, 0xba},       {0x2b0, 0x2b8},     {0x2c0, 0x2c1},    {0x2e0, 0x2e4},
    {0x345, 0x345},     {0x37a, 0x37a},     {0x1d2c, 0x1d6a},   {0x1d78, 0x1d78},  {0x1d9b, 0x1dbf},
    {0x2071, 0x2071},   {0x207f, 0x207f},   {0x2090, 0x209c},   {0x2170, 0x217f},  {0x24d0, 0x24e9},
    {0x2c7c, 0x2c7d},   {0xa69c, 0xa69d},   {0xa770, 0xa770},   {0xa7f8, 0xa7f9},  {0xab5c, 0xab5f},
    {0x10780, 0x10780}, {0x10783, 0x10785}, {0x10787, 0x107b0}, {0x107b2, 0x107ba}};

static bool in_ranges(const range_t *r, size_t n, uint32_t cp)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi) return true;
    return false;
}

enum { CASE_NONE, CASE_UPPER, CASE_LOWER_OR_TITLE };

/* How one code point counts for Python's str.isupper(). */
static int cp_case(uint32_t cp)
{
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') return CASE_UPPER;
        return (cp >= 'a' && cp <= 'z') ? CASE_LOWER_OR_TITLE : CASE_NONE;
    }
    if (in_ranges(other_upper, sizeof other_upper / sizeof other_upper[0], cp)) return CASE_UPPER;
    if (in_ranges(other_lower, sizeof other_lower / sizeof other_lower[0], cp))
        return CASE_LOWER_OR_TITLE;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: return CASE_UPPER;
    case UTF8PROC_CATEGORY_LT: return CASE_LOWER_OR_TITLE;
    case UTF8PROC_CATEGORY_LL:
        /* Unicode 15 letters that CPython 3.11 does not know yet. */
        return (cp >= 0x1df25 && cp <= 0x1df2a) ? CASE_NONE : CASE_LOWER_OR_TITLE;
    default: return CASE_NONE;
    }
}

/* ---- The reference's pre-processing ---- */

typedef struct {
    char *text; /* after emoji replacement; may alias the input */
    size_t len;
    unsigned excl, quest; /* counts of '!' and '?' in text */
    word_t *words;
    size_t nwords, nupper, nlex; /* words, of them upper case, of them in the lexicon */
    uint32_t *lex;               /* the indices of the nlex lexicon words, in order */
    size_t first_but;            /* index of the first "but", or nwords */
    sentiment__view_t view;      /* the model's word table */
    double *sent;
} work_t;

/* The end of the run of ASCII bytes that starts at p[i]. */
static inline size_t ascii_run(const unsigned char *p, size_t i, size_t len)
{
    while (i + 8 <= len && !(sentiment__load64le(p + i) & 0x8080808080808080ull)) i += 8;
    while (i < len && p[i] < 0x80) i++;
    return i;
}

/* Validates text and measures it after the reference's emoji replacement;
 * returns false on invalid UTF-8. *ascii_after tells whether the replaced
 * text will be all ASCII (every non-ASCII code point an emoji with an ASCII
 * description). */
static bool measure(const sentiment_model_t *m, const unsigned char *p, size_t len, size_t *out_len,
                    bool *has_emoji, bool *ascii_after)
{
    uint32_t min_cp = sentiment__emoji_min_cp(m);
    size_t total = 0;
    bool prev_space = true, ascii = true;
    *has_emoji = false;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) { /* a run of ASCII at once */
            size_t j = ascii_run(p, i, len);
            prev_space = p[j - 1] == ' ';
            total += j - i;
            i = j;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        size_t dlen;
        if (n == 0) return false;
        bool dascii;
        if (cp >= min_cp && sentiment__emoji(m, cp, &dlen, &dascii)) {
            total += dlen + !prev_space;
            prev_space = false;
            *has_emoji = true;
            ascii = ascii && dascii;
        } else {
            total += n;
            prev_space = false;
            ascii = false;
        }
        i += n;
    }
    *out_len = total;
    *ascii_after = ascii;
    return true;
}

/* Writes the text with every emoji code point replaced by its description,
 * exactly as polarity_scores() builds text_no_emoji. */
static void replace_emoji(const sentiment_model_t *m, const unsigned char *p, size_t len, char *out)
{
    uint32_t min_cp = sentiment__emoji_min_cp(m);
    bool prev_space = true;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) { /* a run of ASCII at once */
            size_t j = ascii_run(p, i, len);
            memcpy(out, p + i, j - i);
            out += j - i;
            prev_space = p[j - 1] == ' ';
            i = j;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        size_t dlen;
        const char *d;
        if (n > 1 && cp >= min_cp && (d = sentiment__emoji(m, cp, &dlen, NULL)) != NULL) {
            if (!prev_space) *out++ = ' ';
            memcpy(out, d, dlen);
            out += dlen;
            prev_space = false;
        } else {
            memcpy(out, p + i, n);
            out += n;
            prev_space = n == 1 && p[i] == ' ';
        }
        i += n;
    }
}

/* Classes of the ASCII bytes, one table lookup per byte in the hot loops. */
enum {
    B_SPACE = 1, /* Python's str.isspace() */
    B_PUNCT = 2, /* string.punctuation */
    B_UPPER = 4,
    B_LOWER = 8
};

#define SP B_SPACE
#define PU B_PUNCT
#define UP B_UPPER
#define LO B_LOWER
static const uint8_t ascii_class[128] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  SP, SP, SP, SP, SP, 0,  0,  /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  SP, SP, SP, SP, /* 0x10 */
    SP, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, PU, /* 0x20 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  PU, PU, PU, PU, PU, PU, /* 0x30 */
    PU, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, /* 0x40 */
    UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, PU, PU, PU, PU, PU, /* 0x50 */
    PU, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, /* 0x60 */
    LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, PU, PU, PU, PU, 0}; /* 0x70 */
#undef SP
#undef PU
#undef UP
#undef LO

static bool is_ascii_punct(unsigned char c)
{
    return c < 0x80 && (ascii_class[c] & B_PUNCT);
}

/* Lowers t[0..len) as Python's str.lower() does into out (room for 2 * len),
 * noting str.isupper() on the way; returns the lowered length. */
static size_t lower_token(const char *t, size_t len, char *out, bool *upper)
{
    const unsigned char *p = (const unsigned char *)t;
    bool cased = false, killed = false;
    size_t o = 0;
    int prev_case = CASE_NONE;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            unsigned char c = p[i++];
            if (c >= 'A' && c <= 'Z') {
                cased = true;
                prev_case = CASE_UPPER;
                c = (unsigned char)(c + 32);
            } else if (c >= 'a' && c <= 'z') {
                killed = true;
                prev_case = CASE_LOWER_OR_TITLE;
            } else {
                prev_case = CASE_NONE;
            }
            out[o++] = (char)c;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        int k = cp_case(cp);
        if (k == CASE_UPPER) cased = true;
        if (k == CASE_LOWER_OR_TITLE) killed = true;
        i += n;
        if (cp == 0x130) { /* the one full (two code point) lower mapping */
            memcpy(out + o, "i\xcc\x87", 3);
            o += 3;
        } else if (cp == 0x3a3) {
            /* Final sigma, approximated within the token: after a cased
             * letter and before none (case-ignorables are not skipped). */
            uint32_t next = 0;
            bool next_cased =
                i < len && (utf8_decode(p + i, len - i, &next), cp_case(next) != CASE_NONE);
            o += utf8_encode(prev_case != CASE_NONE && !next_cased ? 0x3c2 : 0x3c3, out + o);
        } else {
            o += utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), out + o);
        }
        prev_case = k;
    }
    *upper = cased && !killed;
    return o;
}

static bool has_nt(const char *s, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++)
        if (s[i] == 'n' && s[i + 1] == '\'' && s[i + 2] == 't') return true;
    return false;
}

/* str.count() of one ASCII character: memchr() skips ahead. */
static unsigned count_char(const char *p, size_t len, char c)
{
    unsigned n = 0;
    if (len == 0) return 0; /* p may be NULL */
    for (const char *e = p + len; (p = memchr(p, c, (size_t)(e - p))) != NULL; p++) n++;
    return n;
}

/* Python's str.isspace() for the non-ASCII code point at p[i] (valid UTF-8);
 * *n gets its length. */
static bool is_space_high(const unsigned char *p, size_t len, size_t i, size_t *n)
{
    uint32_t cp = 0;
    *n = utf8_decode(p + i, len - i, &cp);
    return sentiment__is_space(cp);
}

static inline void store64le(char *d, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(d, &x, 8); /* one move; GCC does not merge the loop below */
#else
    for (int k = 0; k < 8; k++) d[k] = (char)(x >> (8 * k));
#endif
}

/* sentiment__hash() of key[0..len) when at least 8 bytes past the key may be
 * read (the scorer's own scratch): the tail is a masked load, not a loop. */
static inline uint32_t hash_padded(const char *key, size_t len)
{
    const unsigned char *s = (const unsigned char *)key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
    for (; len >= 8; s += 8, len -= 8) {
        h = (h ^ sentiment__load64le(s)) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    uint64_t w = len ? sentiment__load64le(s) & (~0ull >> (64 - 8 * len)) : 0;
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h >> 32);
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Bit 7 of each byte of x (ASCII bytes only) that lies in [lo, hi]. */
static inline uint64_t bytes_in(uint64_t x, unsigned lo, unsigned hi)
{
    return ((x + ONES * (0x80 - lo)) & ~(x + ONES * (0x7f - hi))) & HIGHS;
}

/* Scans the ASCII token at p[*i] eight bytes at a time, writing its bytes
 * lowered to lower (up to 8 bytes past the token: the scratch has room).
 * Stops at white space, a non-ASCII byte or len, with *i there; returns the
 * B_UPPER and B_LOWER classes seen. */
static unsigned scan_ascii_token(const unsigned char *p, size_t len, size_t *pi, char *lower)
{
    size_t i = *pi, start = i;
    uint64_t up = 0, lo = 0;
    for (;;) {
        size_t limit = len - i;
        uint64_t x;
        if (limit >= 8) {
            x = sentiment__load64le(p + i);
        } else {
            unsigned char tail[8] = {0};
            memcpy(tail, p + i, limit);
            x = sentiment__load64le(tail);
        }
        /* bytes that may end the token: >= 0x80, or <= 0x20 (space or a control) */
        uint64_t stop = (x & HIGHS) | ((x - ONES * 0x21) & ~x & HIGHS);
        size_t k = stop ? (size_t)__builtin_ctzll(stop) / 8 : 8;
        if (k > limit) k = limit;
        uint64_t valid = ((1ull << (4 * k)) << (4 * k)) - 1; /* k low bytes, k <= 8 */
        uint64_t u = bytes_in(x, 'A', 'Z') & valid;
        up |= u;
        lo |= bytes_in(x, 'a', 'z') & valid;
        store64le(lower + (i - start), x | (u >> 2)); /* lowered: 0x80 >> 2 == 0x20 */
        i += k;
        if (k == 8) continue;
        if (i >= len || p[i] >= 0x80 || (ascii_class[p[i]] & B_SPACE)) break;
        lower[i - start] = (char)p[i]; /* a control character that is no space */
        i++;
    }
    *pi = i;
    return (up ? B_UPPER : 0) | (lo ? B_LOWER : 0);
}

/* Starts loading the entry of h's home slot, where a present key usually is:
 * by the time resolve_words() runs, it has arrived. */
static inline void prefetch_slot(const sentiment__view_t *v, uint32_t h)
{
    __builtin_prefetch(&v->table[h & v->mask]);
}

/* Whether e's key is key[0..len), key readable 8 bytes past len. */
static inline bool key_is_padded(const sentiment__view_t *v, const sentiment__entry_t *e,
                                 const char *key, size_t len)
{
    const unsigned char *q = (const unsigned char *)key;
    if (e->key_len != len) return false;
    if (len <= 8) {
        uint64_t mask = ((1ull << (4 * len)) << (4 * len)) - 1;
        return (sentiment__load64le(q) & mask) == sentiment__load64le(e->key8);
    }
    if (sentiment__load64le(q) != sentiment__load64le(e->key8)) return false;
    const unsigned char *k = (const unsigned char *)v->pool + e->key_off;
    for (size_t i = 8; i < len; i += 8) { /* the pool too has 8 bytes of slack */
        uint64_t d = sentiment__load64le(q + i) ^ sentiment__load64le(k + i);
        size_t r = len - i < 8 ? len - i : 8;
        if (d & (((1ull << (4 * r)) << (4 * r)) - 1)) return false;
    }
    return true;
}

/* sentiment__lookup_hashed() for a key readable 8 bytes past len. */
static inline const sentiment__entry_t *lookup_padded(const sentiment__view_t *v, const char *key,
                                                      size_t len, uint32_t h)
{
    for (uint32_t i = h & v->mask;; i = (i + 1) & v->mask) {
        const sentiment__entry_t *e = &v->table[i];
        if (!e->used) return NULL;
        if (e->hash == h && key_is_padded(v, e, key, len)) return e;
    }
}

/* Appends the word whose lowered form is lw[0..lwlen) (readable 8 bytes past
 * its end) and starts fetching its slot of the table: resolve_words() looks
 * it up once every word is split, so that the cache misses of all the words
 * overlap instead of queueing behind each other. */
static inline void add_word(work_t *w, const char *lw, size_t lwlen, bool upper, bool maybe_nt)
{
    word_t *wd = &w->words[w->nwords++];
    wd->lw = lw;
    wd->lwlen = (uint32_t)lwlen;
    wd->hash = hash_padded(lw, lwlen);
    wd->flags = (uint8_t)((upper ? W_UPPER : 0) | (maybe_nt ? W_MAYBE_NT : 0));
    w->nupper += upper;
    prefetch_slot(&w->view, wd->hash);
}

/* What an absent word reads: no flags, SW__NONE. */
static const sentiment__entry_t no_entry;

/* The word's entry, or &no_entry. Whether a word is in the table is a coin
 * toss to the branch predictor, so the usual cases (the home slot holds the
 * word, or is empty) are told apart without a branch; a home slot taken by
 * another key sends the word down the probe sequence (lookup_padded()). */
static inline const sentiment__entry_t *probe(const sentiment__view_t *v, const word_t *wd)
{
    const sentiment__entry_t *c = &v->table[wd->hash & v->mask];
    size_t len = wd->lwlen, r = len < 8 ? len : 8;
    uint64_t d =
        (sentiment__load64le((const unsigned char *)wd->lw) ^ sentiment__load64le(c->key8)) &
        (((1ull << (4 * r)) << (4 * r)) - 1);
    bool ok = (c->used != 0) & (c->hash == wd->hash) & (c->key_len == len) & (d == 0);
    if (ok && len > 8) ok = key_is_padded(v, c, wd->lw, len);
    if (__builtin_expect(!ok && c->used, 0)) {
        const sentiment__entry_t *e = lookup_padded(v, wd->lw, len, wd->hash);
        return e ? e : &no_entry;
    }
    return ok ? c : &no_entry;
}

/* Looks every word up (its tag and home entry were prefetched by add_word())
 * and gathers what the rules ask of it. */
static void resolve_words(work_t *w)
{
    word_t *ws = w->words;
    size_t n = w->nwords, nlex = 0, first_but = n;
    for (size_t i = 0; i < n; i++) {
        word_t *wd = &ws[i];
        const sentiment__entry_t *e = probe(&w->view, wd);
        unsigned ef = e->flags;
        unsigned flags = (wd->flags & W_UPPER) | (ef & (W_LEX | W_BOOST | W_IDIOM_PART)) |
                         ((ef & SENTIMENT__NEGATE) ? W_NEGATED : 0);
        wd->e = e;
        wd->id = e->word;
        if (e->word == SW__BUT && first_but == n) first_but = i;
        if ((wd->flags & W_MAYBE_NT) && has_nt(wd->lw, wd->lwlen)) flags |= W_NEGATED;
        wd->flags = (uint8_t)flags;
        w->lex[nlex] = (uint32_t)i;
        nlex += (flags & W_LEX) != 0;
    }
    w->nlex = nlex;
    w->first_but = first_but;
}

/* The token starting at p[start] that holds non-ASCII code points: scanned,
 * stripped and lowered code point by code point. Returns its end. */
static size_t split_general(work_t *w, size_t start, char **lower)
{
    const unsigned char *p = (const unsigned char *)w->text;
    size_t len = w->len, i = start, n;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (ascii_class[c] & B_SPACE) break;
            i++;
        } else {
            if (is_space_high(p, len, i, &n)) break;
            i += n;
        }
    }
    size_t end = i, a = start, b = end, chars = 0;
    while (a < b && is_ascii_punct(p[a])) a++;
    while (b > a && is_ascii_punct(p[b - 1])) b--;
    for (size_t k = a; k < b && chars <= 2; k++) chars += (p[k] & 0xc0) != 0x80;
    if (chars <= 2) a = start, b = end;
    bool upper;
    size_t lwlen = lower_token(w->text + a, b - a, *lower, &upper);
    add_word(w, *lower, lwlen, upper, true);
    *lower += lwlen;
    return end;
}

/* Bit i of a mask array stands for byte i of the text. */

/* First position in [i, n) whose bit is set (or clear, with clear), else n. */
static inline size_t next_bit(const uint64_t *m, size_t i, size_t n, bool clear)
{
    while (i < n) {
        uint64_t x = (clear ? ~m[i >> 6] : m[i >> 6]) >> (i & 63);
        if (x) {
            size_t r = i + (size_t)__builtin_ctzll(x);
            return r < n ? r : n;
        }
        i = (i | 63) + 1;
    }
    return n;
}

/* Whether any bit in [a, b) is set. */
static inline bool any_bit(const uint64_t *m, size_t a, size_t b)
{
    while (a < b) {
        size_t off = a & 63, take = 64 - off < b - a ? 64 - off : b - a;
        uint64_t x = m[a >> 6] >> off;
        if (take < 64) x &= (1ull << take) - 1;
        if (x) return true;
        a += take;
    }
    return false;
}

#if !defined(__SSE2__) || defined(SENTIMENT_NO_SSE2)
static inline uint64_t compress_highs(uint64_t m) /* bit 7 of byte k -> bit k */
{
    return ((m & HIGHS) * 0x0002040810204081ull) >> 56;
}
#endif

/* Lowers the 64 bytes of block blk of the ASCII text p[0..len) into lower
 * and sets their bits in sp (white space; past the end counts as such), up
 * (capitals) and ap (apostrophes). SSE2 (every x86-64) takes 16 bytes per
 * step; elsewhere 8 bytes at a time in a 64-bit word. */
static void build_masks(work_t *w, const unsigned char *p, size_t len, size_t blk, char *lower,
                        uint64_t *sp, uint64_t *up, uint64_t *ap)
{
    uint64_t s = 0, u = 0, q = 0;
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    for (size_t j = 0; j < 4; j++) {
        size_t i = blk * 64 + j * 16;
        if (i >= len) {
            s |= ~0ull << (16 * j); /* past the end: white space, as a sentinel */
            break;
        }
        __m128i x;
        if (len - i >= 16) {
            x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        } else {
            unsigned char tail[16];
            memset(tail, ' ', sizeof tail); /* past the end: white space */
            memcpy(tail, p + i, len - i);
            x = _mm_loadu_si128((const __m128i *)(const void *)tail);
        }
        /* bytes are ASCII here, so the signed compares are plain ones */
        __m128i xs = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x08)),
                                                _mm_cmplt_epi8(x, _mm_set1_epi8(0x0e))),
                                  _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1b)),
                                                _mm_cmplt_epi8(x, _mm_set1_epi8(0x21))));
        __m128i xu = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                   _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
        __m128i xq = _mm_cmpeq_epi8(x, _mm_set1_epi8('\''));
        _mm_storeu_si128((__m128i *)(void *)(lower + i),
                         _mm_or_si128(x, _mm_and_si128(xu, _mm_set1_epi8(0x20))));
        /* '!' and '?' are counted here too, bit by bit: they are few */
        for (unsigned e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('!'))); e;
             e &= e - 1)
            w->excl++;
        for (unsigned e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('?'))); e;
             e &= e - 1)
            w->quest++;
        s |= (uint64_t)(unsigned)_mm_movemask_epi8(xs) << (16 * j);
        u |= (uint64_t)(unsigned)_mm_movemask_epi8(xu) << (16 * j);
        q |= (uint64_t)(unsigned)_mm_movemask_epi8(xq) << (16 * j);
    }
#else
    for (size_t j = 0; j < 8; j++) {
        size_t i = blk * 64 + j * 8;
        if (i >= len) {
            s |= ~0ull << (8 * j); /* past the end: white space, as a sentinel */
            break;
        }
        uint64_t x;
        if (len - i >= 8) {
            x = sentiment__load64le(p + i);
        } else {
            unsigned char tail[8];
            memset(tail, ' ', 8); /* past the end: white space */
            memcpy(tail, p + i, len - i);
            x = sentiment__load64le(tail);
        }
        uint64_t xs = bytes_in(x, 0x09, 0x0d) | bytes_in(x, 0x1c, 0x20);
        uint64_t xu = bytes_in(x, 'A', 'Z');
        store64le(lower + i, x | (xu >> 2)); /* lowered: 0x80 >> 2 == 0x20 */
        s |= compress_highs(xs) << (8 * j);
        u |= compress_highs(xu) << (8 * j);
        q |= compress_highs(bytes_in(x, '\'', '\'')) << (8 * j);
    }
#endif
    (void)w;
    sp[blk] = s;
    up[blk] = u;
    ap[blk] = q;
}

/* split_words() for a text that is all ASCII: one branch-free pass lowers it
 * whole into lower and sets three bit masks (white space, upper case letters,
 * apostrophes) in masks (3 * (len / 64 + 1) words); tokens are then found
 * with bit scans, and only their ends are looked at byte by byte (for the
 * punctuation to strip). lower has room for len + 16 bytes. */
static void split_ascii(const sentiment_model_t *m, work_t *w, char *lower, uint64_t *masks)
{
    const unsigned char *p = (const unsigned char *)w->text;
    size_t len = w->len, nblk = len / 64 + 1;
    uint64_t *sp = masks, *up = masks + nblk, *ap = masks + 2 * nblk;
    w->nwords = w->nupper = 0;
    w->view = sentiment__view(m);
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    w->excl = w->quest = 0; /* counted by build_masks() */
#else
    w->excl = count_char(w->text, len, '!');
    w->quest = count_char(w->text, len, '?');
#endif

    for (size_t blk = 0; blk < nblk; blk++) build_masks(w, p, len, blk, lower, sp, up, ap);

    for (size_t i = next_bit(sp, 0, len, true); i < len; i = next_bit(sp, i, len, true)) {
        size_t start = i, end = next_bit(sp, i, len, false), a = start, b = end;
        while (a < b && (ascii_class[p[a]] & B_PUNCT)) a++;
        while (b > a && (ascii_class[p[b - 1]] & B_PUNCT)) b--;
        if (b < a + 3) a = start, b = end; /* two characters or fewer once stripped */
        bool upper, apos;
        if ((start >> 6) == ((end - 1) >> 6)) { /* within one mask word: the usual case */
            size_t blk = start >> 6, off = start & 63;
            uint64_t range = ((2ull << (end - 1 - start)) - 1) << off;
            upper = up[blk] & range;
            apos = ap[blk] & range;
        } else {
            upper = any_bit(up, start, end);
            apos = any_bit(ap, start, end);
        }
        if (upper) /* str.isupper(): cased, and no lower case letter (few words get here) */
            for (size_t k = start; k < end && upper; k++) upper = !(ascii_class[p[k]] & B_LOWER);
        add_word(w, lower + a, b - a, upper, apos);
        i = end;
    }
    resolve_words(w);
}

/* text.split(), each token through _strip_punc_if_word(), then lowered and
 * looked up once; counts '!' and '?' on the way. An ASCII token takes one
 * pass with a class table that lowers as it goes; a token with other code
 * points (valid UTF-8 here) goes to split_general(). lower has room for
 * 2 * w->len + 8 bytes. */
static void split_words(const sentiment_model_t *m, work_t *w, char *lower)
{
    const unsigned char *p = (const unsigned char *)w->text;
    size_t len = w->len, i = 0, n;
    w->nwords = w->nupper = 0;
    w->view = sentiment__view(m);
    w->excl = count_char(w->text, len, '!');
    w->quest = count_char(w->text, len, '?');
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (ascii_class[c] & B_SPACE) {
                i++;
                continue;
            }
        } else if (is_space_high(p, len, i, &n)) {
            i += n;
            continue;
        }
        /* an ASCII token: lowered whole into lower, punctuation included */
        size_t start = i;
        unsigned seen = scan_ascii_token(p, len, &i, lower);
        if (i < len && p[i] >= 0x80) { /* not ASCII after all */
            i = split_general(w, start, &lower);
            continue;
        }
        size_t end = i, a = start, b = end;
        while (a < b && (ascii_class[p[a]] & B_PUNCT)) a++;
        while (b > a && (ascii_class[p[b - 1]] & B_PUNCT)) b--;
        if (b < a + 3) a = start, b = end; /* two characters or fewer once stripped */
        bool upper = (seen & (B_UPPER | B_LOWER)) == B_UPPER;
        add_word(w, lower + (a - start), b - a, upper, true);
        lower += end - start;
    }
    resolve_words(w);
}

/* ---- The valence rules ---- */

static inline int word_id(const word_t *w)
{
    return w->id;
}

static inline bool in_lexicon(const word_t *w)
{
    return w->flags & W_LEX;
}

static inline bool negated(const word_t *w)
{
    return w->flags & W_NEGATED;
}

/* The entry of the lowered forms of words ws[first..first + n) joined by
 * single spaces, when it has all of flag. */
static const sentiment__entry_t *joined_lookup(const sentiment_model_t *m, const word_t *ws,
                                               size_t first, size_t n, unsigned flag)
{
    char buf[64];
    size_t o = 0;
    for (size_t k = first; k < first + n; k++) {
        const word_t *w = &ws[k];
        if (o + w->lwlen + 1 > sizeof buf) return NULL; /* longer than any idiom */
        if (k > first) buf[o++] = ' ';
        memcpy(buf + o, w->lw, w->lwlen);
        o += w->lwlen;
    }
    const sentiment__entry_t *e = sentiment__lookup(m, buf, o);
    return e && (e->flags & flag) ? e : NULL;
}

/* joined_lookup() behind a cheap refusal: a word that no idiom has. */
static inline const sentiment__entry_t *joined(const sentiment_model_t *m, const word_t *ws,
                                               size_t first, size_t n, unsigned flag)
{
    for (size_t k = first; k < first + n; k++)
        if (!(ws[k].flags & W_IDIOM_PART)) return NULL;
    return joined_lookup(m, ws, first, n, flag);
}

static double scalar_inc_dec(const word_t *w, double valence, bool cap_diff)
{
    double scalar = 0.0;
    if (w->flags & W_BOOST) {
        scalar = sentiment__boost(w->e);
        if (valence < 0) scalar = -scalar;
        if ((w->flags & W_UPPER) && cap_diff) {
            if (valence > 0)
                scalar += C_INCR;
            else
                scalar -= C_INCR;
        }
    }
    return scalar;
}

static bool so_or_this(const word_t *w)
{
    int id = word_id(w);
    return id == SW__SO || id == SW__THIS;
}

static double negation_check(double valence, const word_t *ws, int start_i, size_t i)
{
    if (start_i == 0) {
        if (negated(&ws[i - 1])) valence = mul(valence, N_SCALAR);
    } else if (start_i == 1) {
        if (word_id(&ws[i - 2]) == SW__NEVER && so_or_this(&ws[i - 1]))
            valence = mul(valence, 1.25);
        else if (word_id(&ws[i - 2]) == SW__WITHOUT && word_id(&ws[i - 1]) == SW__DOUBT)
            ;
        else if (negated(&ws[i - 2]))
            valence = mul(valence, N_SCALAR);
    } else {
        if ((word_id(&ws[i - 3]) == SW__NEVER && so_or_this(&ws[i - 2])) || so_or_this(&ws[i - 1]))
            valence = mul(valence, 1.25);
        else if (word_id(&ws[i - 3]) == SW__WITHOUT &&
                 (word_id(&ws[i - 2]) == SW__DOUBT || word_id(&ws[i - 1]) == SW__DOUBT))
            ;
        else if (negated(&ws[i - 3]))
            valence = mul(valence, N_SCALAR);
    }
    return valence;
}

/* _special_idioms_check() for word i >= 3: each n-gram the reference joins
 * and looks up holds word i - 2, i - 1 or i, so without an idiom word there
 * nothing can match. */
static double special_idioms_check(const sentiment_model_t *m, double valence, const word_t *ws,
                                   size_t n, size_t i)
{
    const sentiment__entry_t *e;
    if (!((ws[i - 2].flags | ws[i - 1].flags | ws[i].flags) & W_IDIOM_PART)) return valence;

    /* onezero, twoonezero, twoone, threetwoone, threetwo: the first one wins */
    static const struct {
        uint8_t back, n;
    } seqs[] = {{1, 2}, {2, 3}, {2, 2}, {3, 3}, {3, 2}};
    for (size_t k = 0; k < 5; k++) {
        if ((e = joined(m, ws, i - seqs[k].back, seqs[k].n, SENTIMENT__SPECIAL)) != NULL) {
            valence = sentiment__special(e);
            break;
        }
    }
    if (n - 1 > i && (e = joined(m, ws, i, 2, SENTIMENT__SPECIAL)) != NULL)
        valence = sentiment__special(e);
    if (n - 1 > i + 1 && (e = joined(m, ws, i, 3, SENTIMENT__SPECIAL)) != NULL)
        valence = sentiment__special(e);
    /* booster/dampener bi-grams such as "sort of" or "kind of" */
    if ((e = joined(m, ws, i - 3, 3, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    if ((e = joined(m, ws, i - 3, 2, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    if ((e = joined(m, ws, i - 2, 2, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    return valence;
}

static double least_check(double valence, const word_t *ws, size_t i)
{
    if (i > 1 && !in_lexicon(&ws[i - 1]) && word_id(&ws[i - 1]) == SW__LEAST) {
        int w2 = word_id(&ws[i - 2]);
        if (w2 != SW__AT && w2 != SW__VERY) valence = mul(valence, N_SCALAR);
    } else if (i > 0 && !in_lexicon(&ws[i - 1]) && word_id(&ws[i - 1]) == SW__LEAST) {
        valence = mul(valence, N_SCALAR);
    }
    return valence;
}

/* sentiment_valence() of the reference for word i, which is in the lexicon. */
static double word_valence(const sentiment_model_t *m, const word_t *ws, size_t n, size_t i,
                           bool cap_diff)
{
    const word_t *item = &ws[i];
    double lex = item->e->valence;
    double valence = lex;

    if (word_id(item) == SW__NO && i != n - 1 && in_lexicon(&ws[i + 1])) valence = 0.0;
    if ((i > 0 && word_id(&ws[i - 1]) == SW__NO) || (i > 1 && word_id(&ws[i - 2]) == SW__NO) ||
        (i > 2 && word_id(&ws[i - 3]) == SW__NO &&
         (word_id(&ws[i - 1]) == SW__OR || word_id(&ws[i - 1]) == SW__NOR)))
        valence = mul(lex, N_SCALAR);

    if ((item->flags & W_UPPER) && cap_diff) {
        if (valence > 0)
            valence += C_INCR;
        else
            valence -= C_INCR;
    }

    for (int start_i = 0; start_i < 3; start_i++) {
        if (i > (size_t)start_i && !in_lexicon(&ws[i - (size_t)start_i - 1])) {
            double s = scalar_inc_dec(&ws[i - (size_t)start_i - 1], valence, cap_diff);
            if (start_i == 1 && s != 0) s = mul(s, 0.95);
            if (start_i == 2 && s != 0) s = mul(s, 0.9);
            valence = valence + s;
            valence = negation_check(valence, ws, start_i, i);
            if (start_i == 2) valence = special_idioms_check(m, valence, ws, n, i);
        }
    }
    return least_check(valence, ws, i);
}

/* ---- The "but" rule ---- */

/* The but-pass state: for each distinct non-zero value, a leftist min-heap of
 * the positions holding it, so that list.index() is a heap top. */
typedef struct {
    uint64_t key; /* bit pattern of the value; 0 (that is +0.0) marks empty */
    int32_t root;
} value_slot_t;

typedef struct {
    int32_t *left, *right, *rank;
    value_slot_t *slots;
    size_t mask;
} but_state_t;

static size_t but_slots(size_t n)
{
    size_t s = 16;
    while (s < 4 * n) s <<= 1;
    return s;
}

static size_t but_bytes(size_t n)
{
    return but_slots(n) * sizeof(value_slot_t) + 3 * n * sizeof(int32_t);
}

static int32_t heap_rank(const but_state_t *b, int32_t x)
{
    return x < 0 ? 0 : b->rank[x];
}

static int32_t heap_merge(but_state_t *b, int32_t x, int32_t y)
{
    if (x < 0) return y;
    if (y < 0) return x;
    if (y < x) {
        int32_t t = x;
        x = y;
        y = t;
    }
    b->right[x] = heap_merge(b, b->right[x], y);
    if (heap_rank(b, b->left[x]) < heap_rank(b, b->right[x])) {
        int32_t t = b->left[x];
        b->left[x] = b->right[x];
        b->right[x] = t;
    }
    b->rank[x] = heap_rank(b, b->right[x]) + 1;
    return x;
}

static value_slot_t *value_slot(but_state_t *b, double v)
{
    uint64_t key;
    memcpy(&key, &v, sizeof key);
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & b->mask;
    while (b->slots[i].key != 0 && b->slots[i].key != key) i = (i + 1) & b->mask;
    if (b->slots[i].key == 0) {
        b->slots[i].key = key;
        b->slots[i].root = -1;
    }
    return &b->slots[i];
}

static void heap_push(but_state_t *b, double v, int32_t x)
{
    value_slot_t *s = value_slot(b, v);
    b->left[x] = b->right[x] = -1;
    b->rank[x] = 1;
    s->root = heap_merge(b, s->root, x);
}

/* _but_check(): every sentiment before the first "but" halves and every one
 * after it gains half, but each update lands on the first position holding an
 * equal value (the reference finds it with list.index()). Zeros stay zero and
 * are skipped. bi is the first "but"; mem holds but_bytes(n). */
static void but_check(size_t bi, size_t n, double *sent, void *mem)
{
    but_state_t b;
    size_t nslots = but_slots(n);
    b.slots = mem;
    b.mask = nslots - 1;
    b.left = (int32_t *)(b.slots + nslots);
    b.right = b.left + n;
    b.rank = b.right + n;
    memset(b.slots, 0, nslots * sizeof *b.slots);
    for (size_t k = 0; k < n; k++)
        if (sent[k] != 0) heap_push(&b, sent[k], (int32_t)k);

    for (size_t k = 0; k < n; k++) {
        double v = sent[k]; /* positions >= k are still unmodified */
        if (v == 0) continue;
        value_slot_t *s = value_slot(&b, v);
        int32_t si = s->root;
        if ((size_t)si == bi) continue;
        s->root = heap_merge(&b, b.left[si], b.right[si]);
        double nv = mul(v, (size_t)si < bi ? 0.5 : 1.5);
        sent[si] = nv;
        heap_push(&b, nv, si);
    }
}

/* ---- Scores and Python's number formatting ---- */

/* The reference's score_valence(). Only the lexicon words (lex[0..nlex), in
 * order) can hold a sentiment other than zero, and adding a zero leaves a sum
 * as it is (no sum here is ever -0.0), so the sums run over them alone. */
static void score_valence(const double *sent, size_t n, const uint32_t *lex, size_t nlex,
                          unsigned excl, unsigned quest, sentiment_t *out)
{
    double compound = 0.0, pos = 0.0, neg = 0.0, neu = 0.0;
    if (n > 0) {
        double sum_s = 0.0;
        for (size_t j = 0; j < nlex; j++) sum_s += sent[lex[j]];
        double ep = mul((double)(excl > 4 ? 4 : excl), 0.292);
        double qm = 0.0;
        if (quest > 1) qm = quest <= 3 ? mul((double)quest, 0.18) : 0.96;
        double punct = ep + qm;
        if (sum_s > 0)
            sum_s += punct;
        else if (sum_s < 0)
            sum_s -= punct;

        compound = sum_s / sqrt(mul(sum_s, sum_s) + 15.0);
        if (compound < -1.0) compound = -1.0;
        if (compound > 1.0) compound = 1.0;

        double pos_sum = 0.0, neg_sum = 0.0;
        size_t neu_count = n - nlex;
        for (size_t j = 0; j < nlex; j++) { /* adding +0.0 changes neither sum */
            double v = sent[lex[j]];
            pos_sum += v > 0 ? v + 1 : 0.0;
            neg_sum += v < 0 ? v - 1 : 0.0;
            neu_count += v == 0;
        }
        if (pos_sum > fabs(neg_sum))
            pos_sum += punct;
        else if (pos_sum < fabs(neg_sum))
            neg_sum -= punct;

        double total = pos_sum + fabs(neg_sum) + (double)neu_count;
        pos = fabs(pos_sum / total);
        neg = fabs(neg_sum / total);
        neu = fabs((double)neu_count / total);
    }
    out->neg = sentiment_round(neg, 3);
    out->neu = sentiment_round(neu, 3);
    out->pos = sentiment_round(pos, 3);
    out->compound = sentiment_round(compound, 4);
}

double sentiment_round(double x, int ndigits)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    if (!isfinite(x) || x == 0) return x;
    if (ndigits >= 0 && ndigits <= 8) {
        double p = pow10[ndigits], ax = fabs(x), y = mul(ax, p);
        if (y < 1e6) {
            /* y is within 1.2e-10 of the exact ax * 10^ndigits, so a fraction
             * clearly off one half decides the rounding; n / p then is the
             * double nearest the decimal, as Python's strtod gives. */
            double f = (double)(int64_t)y, frac = y - f; /* floor(): 0 <= y < 1e6 */
            if (fabs(frac - 0.5) > 1e-6) { /* without branches: the halves are a coin toss */
                double r = (f + (double)(frac > 0.5)) / p;
                return copysign(r, x);
            }
        }
    }
    /* Near a tie: glibc's printf rounds the exact binary value half-even. */
    char buf[400];
    if (ndigits < 0 || ndigits > 300) return x;
    snprintf(buf, sizeof buf, "%.*f", ndigits, x);
    return strtod(buf, NULL);
}

size_t sentiment_repr(double x, char *buf, size_t cap)
{
    char tmp[40];
    if (isnan(x)) return (size_t)snprintf(buf, cap, "nan");
    if (isinf(x)) return (size_t)snprintf(buf, cap, x < 0 ? "-inf" : "inf");
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x) break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);

    /* tmp is [-]d[.ddd]e[+-]XX: collect the digits and the exponent */
    char digits[20];
    size_t nd = 0;
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg) p++;
    for (; *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;

    char out[48];
    size_t o = 0;
    if (neg) out[o++] = '-';
    int decpt = exp10 + 1;
    if (decpt <= -4 || decpt > 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+',
                              exp10 < 0 ? -exp10 : exp10);
    } else if (decpt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int k = 0; k < -decpt; k++) out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        for (int k = 0; k < decpt; k++) out[o++] = (size_t)k < nd ? digits[k] : '0';
        out[o++] = '.';
        if ((size_t)decpt < nd) {
            memcpy(out + o, digits + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        } else {
            out[o++] = '0';
        }
    }
    out[o] = '\0';
    if (cap) snprintf(buf, cap, "%s", out);
    return o;
}

size_t sentiment_format_json(const sentiment_t *s, char *buf, size_t cap)
{
    char a[48], b[48], c[48], d[48];
    sentiment_repr(s->neg, a, sizeof a);
    sentiment_repr(s->neu, b, sizeof b);
    sentiment_repr(s->pos, c, sizeof c);
    sentiment_repr(s->compound, d, sizeof d);
    int n = snprintf(buf, cap, "{\"neg\":%s,\"neu\":%s,\"pos\":%s,\"compound\":%s}", a, b, c, d);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- Entry point ---- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Whether p[0..len) is all ASCII, eight bytes at a time. Such a text is valid
 * UTF-8 and has no emoji, so measure() and replace_emoji() are skipped. */
static bool all_ascii(const unsigned char *p, size_t len)
{
    uint64_t acc = 0, x;
    size_t i = 0;
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    __m128i v = _mm_setzero_si128();
    for (; i + 16 <= len; i += 16)
        v = _mm_or_si128(v, _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
    if (_mm_movemask_epi8(v)) return false;
#endif
    for (; i + 8 <= len; i += 8) {
        memcpy(&x, p + i, 8);
        acc |= x;
    }
    for (; i < len; i++) acc |= p[i];
    return (acc & 0x8080808080808080ull) == 0;
}

/* sentiment_score(), and sentiment__score_general() with fast false. */
static int score(const sentiment_model_t *m, const char *text, size_t len, sentiment_t *out,
                 bool fast)
{
    _Alignas(16) unsigned char stack[STACK_SCRATCH];
    unsigned char *heap = NULL;
    size_t tlen;
    bool has_emoji, ascii = false;
    work_t w;

    memset(out, 0, sizeof *out);
    if (!text && len) return PARLEY_EINVAL;
    if (len == 0 || all_ascii((const unsigned char *)text, len)) {
        tlen = len;
        has_emoji = false;
        ascii = true;
    } else if (!measure(m, (const unsigned char *)text, len, &tlen, &has_emoji, &ascii)) {
        return PARLEY_EINVAL;
    }
    if (tlen > (SIZE_MAX >> 8)) abort(); /* cannot be laid out; a caller bug */
    ascii = ascii && fast;

    /* Scratch: [replaced text][lowered words][masks][words][sentiments][lexicon
     * word indices][but state] */
    size_t nmax = tlen / 2 + 1;
    size_t off_lower = has_emoji ? align8(tlen) : 0;
    size_t nblk = tlen / 64 + 1;                          /* split_ascii()'s masks */
    size_t off_masks = off_lower + align8(2 * tlen + 16); /* + 16: hash_padded(), SSE2 */
    size_t off_words = off_masks + 3 * nblk * sizeof(uint64_t);
    size_t off_sent = off_words + nmax * sizeof(word_t);
    size_t off_lex = off_sent + nmax * sizeof(double);
    size_t off_but = off_lex + align8(nmax * sizeof(uint32_t));
    unsigned char *mem = stack;
    if (off_but > sizeof stack) {
        heap = malloc(off_but + but_bytes(nmax));
        if (!heap) abort();
        mem = heap;
    }

    if (has_emoji) {
        replace_emoji(m, (const unsigned char *)text, len, (char *)mem);
        w.text = (char *)mem;
    } else {
        w.text = (char *)(uintptr_t)text; /* only read */
    }
    w.len = tlen;
    w.words = (word_t *)(void *)(mem + off_words);
    w.sent = (double *)(void *)(mem + off_sent);
    w.lex = (uint32_t *)(void *)(mem + off_lex);
    if (ascii)
        split_ascii(m, &w, (char *)mem + off_lower, (uint64_t *)(void *)(mem + off_masks));
    else
        split_words(m, &w, (char *)mem + off_lower);

    size_t n = w.nwords;
    if (w.nlex == 0) goto score; /* every valence zero: the rules and "but" change nothing */
    bool cap_diff = w.nupper > 0 && w.nupper < n;
    memset(w.sent, 0, n * sizeof *w.sent); /* a word outside the lexicon scores zero */
    for (size_t j = 0; j < w.nlex; j++) {
        size_t i = w.lex[j];
        const word_t *item = &w.words[i];
        if (item->flags & W_BOOST) continue;
        if (i < n - 1 && word_id(item) == SW__KIND && word_id(&w.words[i + 1]) == SW__OF) continue;
        w.sent[i] = word_valence(m, w.words, n, i, cap_diff);
    }

    size_t bi = w.first_but;
    if (bi < n) {
        size_t need = but_bytes(n);
        void *bmem = mem + off_but;
        unsigned char *extra = NULL;
        if (!heap && off_but + need > sizeof stack) {
            extra = malloc(need);
            if (!extra) abort();
            bmem = extra;
        }
        but_check(bi, n, w.sent, bmem);
        free(extra);
    }
score:
    score_valence(w.sent, n, w.lex, w.nlex, w.excl, w.quest, out);
    free(heap);
    return 0;
}

int sentiment_score(const sentiment_model_t *m, const char *text, size_t len, sentiment_t *out)
{
    return score(m, text, len, out, true);
}

int sentiment__score_general(const sentiment_model_t *m, const char *text, size_t len,
                             sentiment_t *out)
{
    return score(m, text, len, out, false);
}
