/*
 * sentiment.h - an exact port of VADER 3.3.x sentiment scoring.
 *
 * Owns the sentiment model (the VADER lexicon, the emoji descriptions and the
 * fixed word lists of the reference) and the scoring of one text with it. The
 * four numbers equal those of the reference Python implementation bit for bit
 * after its rounding. Pure functions: no I/O, no global state; a built model is
 * read-only and may be shared by any number of threads.
 */
#ifndef PARLEY_TEXT_SENTIMENT_H
#define PARLEY_TEXT_SENTIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PARLEY_EINVAL
#define PARLEY_EINVAL (-22)
#endif

/* Longest JSON that sentiment_format_json() writes, NUL included. */
#define SENTIMENT_JSON_MAX 160

typedef struct {
    double neg, neu, pos, compound; /* already rounded as the reference does */
} sentiment_t;

typedef struct sentiment_model sentiment_model_t;

/* Builds the model from the lexicon texts (contents of vader_lexicon.txt and
 * emoji_utf8_lexicon.txt). Returns NULL on malformed input: invalid UTF-8, a
 * line without two tab-separated fields, a key longer than 65,535 bytes, a
 * valence that is not a finite decimal number, or an empty emoji file.
 * Duplicated keys: the last one wins. */
sentiment_model_t *sentiment_model_new(const char *lexicon, size_t lexicon_len, const char *emoji,
                                       size_t emoji_len);

void sentiment_model_free(sentiment_model_t *m);

/* Scores text[0..len). Returns 0, or PARLEY_EINVAL when text is not valid
 * UTF-8 (out zeroed). Thread-safe on a shared model. Allocates nothing for
 * short texts; a long one costs at most one heap allocation (and PARLEY_EINVAL
 * never hides an allocation failure: that aborts). */
int sentiment_score(const sentiment_model_t *m, const char *text, size_t len, sentiment_t *out);

/* Formats like {"neg":0.0,"neu":0.254,"pos":0.746,"compound":0.8316} (each
 * number as Python's repr() prints the float) into buf, NUL-terminated and
 * truncated to cap; returns the untruncated length. */
size_t sentiment_format_json(const sentiment_t *s, char *buf, size_t cap);

/* Rounds x to ndigits decimals exactly as Python's round(x, ndigits) does for
 * a float: round-half-even on the exact binary value, sign kept on zero. */
double sentiment_round(double x, int ndigits);

/* Writes Python's repr() of x (shortest round-trip form, e.g. "0.254",
 * "1.0", "-0.0", "1e-05") into buf (cap >= 32); returns its length. */
size_t sentiment_repr(double x, char *buf, size_t cap);

/* ---- Internal: shared by the sentiment_*.c files, not API ---- */

/* sentiment_score() through the code point path alone, never the ASCII one:
 * what the fuzz target compares the fast path against. */
int sentiment__score_general(const sentiment_model_t *m, const char *text, size_t len,
                             sentiment_t *out);

enum {
    SENTIMENT__LEX = 1,         /* in the VADER lexicon: valence */
    SENTIMENT__BOOST = 2,       /* in the booster/dampener table: sentiment__boost() */
    SENTIMENT__SPECIAL = 4,     /* a special-case idiom: sentiment__special() */
    SENTIMENT__NEGATE = 8,      /* in the reference's NEGATE list */
    SENTIMENT__IDIOM_PART = 16, /* a word of a multi-word special case or booster */
    SENTIMENT__DAMPEN = 32,     /* with SENTIMENT__BOOST: a dampener (B_DECR, not B_INCR) */
    SENTIMENT__RULE = 64        /* a rule reads it in the three words before a lexicon word
                                   (or in it): NEGATE, BOOST, or one of the named words
                                   no, never, so, this, without, least, kind */
};

/* Bits of sentiment__entry_t.idiom: where the word stands in a multi-word
 * special case or booster ("kind of", "kiss of death"). Only a word with
 * IDIOM_FIRST followed by one with IDIOM_NEXT can begin one. */
enum { SENTIMENT__IDIOM_FIRST = 1, SENTIMENT__IDIOM_NEXT = 2 };

#define SENTIMENT__B_INCR 0.293
#define SENTIMENT__B_DECR -0.293

/* Words the rules compare against by name. */
typedef enum {
    SW__NONE,
    SW__NO,
    SW__OR,
    SW__NOR,
    SW__LEAST,
    SW__AT,
    SW__VERY,
    SW__BUT,
    SW__KIND,
    SW__OF,
    SW__NEVER,
    SW__SO,
    SW__THIS,
    SW__WITHOUT,
    SW__DOUBT
} sentiment__word_t;

/* Bits of sentiment__entry_t.state. */
enum {
    SENTIMENT__USED = 1,    /* the slot holds a key */
    SENTIMENT__OVERFLOW = 2 /* a key whose home is this slot lies further along the probe
                               sequence: only then may a lookup that misses here go on */
};

/* One key of the model and a slot of its open-addressing table at once: 32
 * bytes, so that looking a word up touches one cache line, which the scorer
 * prefetches. The key's first 16 bytes are inline (k0, k1: little-endian,
 * zero-filled), so a key of up to 16 bytes is compared with two 64-bit
 * compares and without touching the pool; a longer key's bytes past 16 are
 * in the pool (sentiment__view_t.key_off). A lookup that misses its home
 * slot ends there unless the slot has SENTIMENT__OVERFLOW, which, at a
 * quarter full, few have: that is what makes a miss branch-free. */
typedef struct {
    _Alignas(32) uint64_t k0; /* (the alignment binds k0 alone: 32 bytes in all) */
    uint64_t k1;
    double valence;
    uint16_t key_len;
    uint8_t flags;
    uint8_t word;    /* sentiment__word_t */
    uint8_t special; /* with SENTIMENT__SPECIAL: index of its value */
    uint8_t state;   /* SENTIMENT__USED | SENTIMENT__OVERFLOW */
    uint8_t idiom;   /* SENTIMENT__IDIOM_FIRST | SENTIMENT__IDIOM_NEXT */
} sentiment__entry_t;

_Static_assert(sizeof(sentiment__entry_t) == 32, "a table entry is half a cache line");

static inline double sentiment__boost(const sentiment__entry_t *e)
{
    return (e->flags & SENTIMENT__DAMPEN) ? SENTIMENT__B_DECR : SENTIMENT__B_INCR;
}

/* The value of a special-case idiom (an entry with SENTIMENT__SPECIAL). */
double sentiment__special(const sentiment__entry_t *e);

/* Little-endian load of eight bytes (one move on x86-64). */
static inline uint64_t sentiment__load64le(const unsigned char *s)
{
    return (uint64_t)s[0] | (uint64_t)s[1] << 8 | (uint64_t)s[2] << 16 | (uint64_t)s[3] << 24 |
           (uint64_t)s[4] << 32 | (uint64_t)s[5] << 40 | (uint64_t)s[6] << 48 |
           (uint64_t)s[7] << 56;
}

/* The low n bytes of a 64-bit word set, n <= 8 (no shift by 64). */
static inline uint64_t sentiment__low_bytes(size_t n)
{
    return ((1ull << (4 * n)) << (4 * n)) - 1;
}

/* The key's first 16 bytes as two little-endian words, zero-filled: what an
 * entry holds in k0 and k1. */
static inline void sentiment__key16(const char *key, size_t len, uint64_t *w0, uint64_t *w1)
{
    unsigned char b[16] = {0};
    for (size_t k = 0; k < len && k < 16; k++) b[k] = (unsigned char)key[k];
    *w0 = sentiment__load64le(b);
    *w1 = sentiment__load64le(b + 8);
}

/* The hash the model's table is keyed by, from the key's first 16 bytes
 * (sentiment__key16()) and, for a longer key, its bytes past 16 folded in
 * eight at a time. A key of up to 16 bytes costs two independent multiplies
 * and no branch: the scorer hashes each word right after lowering it. */
static inline uint32_t sentiment__hash_words(uint64_t w0, uint64_t w1, const char *key, size_t len)
{
    uint64_t h = (w0 ^ (uint64_t)len) * 0xff51afd7ed558ccdull, t = w1;
    for (size_t i = 16; i < len; i += 8) {
        unsigned char b[8] = {0};
        for (size_t k = 0; k < 8 && i + k < len; k++) b[k] = (unsigned char)key[i + k];
        t = (t ^ sentiment__load64le(b)) * 0xff51afd7ed558ccdull;
        t ^= t >> 31;
    }
    h ^= (h >> 29) ^ (t * 0x9e3779b97f4a7c15ull);
    h *= 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h >> 32);
}

static inline uint32_t sentiment__hash(const char *key, size_t len)
{
    uint64_t w0, w1;
    sentiment__key16(key, len, &w0, &w1);
    return sentiment__hash_words(w0, w1, key, len);
}

/* The entry whose key is exactly key[0..len), or NULL. */
const sentiment__entry_t *sentiment__lookup(const sentiment_model_t *m, const char *key,
                                            size_t len);

/* The word table as the scorer probes it, inline: sentiment_split.c prefetches a
 * word's home slot while it splits the text and compares keys there
 * (sentiment__lookup() is the reference for both). */
typedef struct {
    const sentiment__entry_t *table; /* open addressing, linear probing */
    const uint32_t *key_off;         /* per slot: where its key's bytes are in the pool */
    const char *pool;                /* key bytes, readable 8 bytes past the last */
    uint32_t mask;                   /* table size - 1 */
} sentiment__view_t;

sentiment__view_t sentiment__view(const sentiment_model_t *m);

/* The description replacing code point cp, or NULL (then *len and *ascii are
 * untouched); *ascii (ascii may be NULL) tells whether it is all ASCII. */
const char *sentiment__emoji(const sentiment_model_t *m, uint32_t cp, size_t *len, bool *ascii);

/* Python's str.isspace() for one code point (Unicode 14, as CPython 3.11). */
int sentiment__is_space(uint32_t cp);

/* Longest emoji description in bytes, and the smallest code point with one. */
size_t sentiment__emoji_max_len(const sentiment_model_t *m);
uint32_t sentiment__emoji_min_cp(const sentiment_model_t *m);

#endif
