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
 * line without two tab-separated fields, a valence that is not a finite
 * decimal number, or an empty emoji file. Duplicated keys: the last one wins. */
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

/* ---- Internal: shared by sentiment.c and sentiment_lexicon.c, not API ---- */

enum {
    SENTIMENT__LEX = 1,        /* in the VADER lexicon: valence */
    SENTIMENT__BOOST = 2,      /* in the booster/dampener table: boost */
    SENTIMENT__SPECIAL = 4,    /* a special-case idiom: special */
    SENTIMENT__NEGATE = 8,     /* in the reference's NEGATE list */
    SENTIMENT__IDIOM_PART = 16 /* a word of a multi-word special case or booster */
};

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

typedef struct {
    double valence, boost, special;
    uint8_t flags;
    uint8_t word; /* sentiment__word_t */
} sentiment__entry_t;

/* FNV-1a over key bytes: the hash the model's table is keyed by, inline so
 * that the scorer can fold it into its lowering pass. */
#define SENTIMENT__HASH_INIT 2166136261u
static inline uint32_t sentiment__hash_step(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

/* The entry whose key is exactly key[0..len), or NULL; hash is the FNV-1a of
 * the key, sentiment__lookup() computes it. */
const sentiment__entry_t *sentiment__lookup_hashed(const sentiment_model_t *m, const char *key,
                                                   size_t len, uint32_t hash);
const sentiment__entry_t *sentiment__lookup(const sentiment_model_t *m, const char *key,
                                            size_t len);

/* The description replacing code point cp, or NULL (then *len is untouched). */
const char *sentiment__emoji(const sentiment_model_t *m, uint32_t cp, size_t *len);

/* Python's str.isspace() for one code point (Unicode 14, as CPython 3.11). */
int sentiment__is_space(uint32_t cp);

/* Longest emoji description in bytes, and the smallest code point with one. */
size_t sentiment__emoji_max_len(const sentiment_model_t *m);
uint32_t sentiment__emoji_min_cp(const sentiment_model_t *m);

#endif
