/*
 * sentiment_split.h - the sentiment scorer's words: a text split, stripped,
 * lowered and looked up (internal to sentiment.c and sentiment_split.c, not
 * API).
 *
 * Owns the word record and the per-text work area that the splitting fills
 * and the VADER rules in sentiment.c read. Never applies a rule.
 */
#ifndef PARLEY_TEXT_SENTIMENT_SPLIT_H
#define PARLEY_TEXT_SENTIMENT_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/sentiment.h"

/* sentiment__split_ascii() reads its bit masks a byte at a time,
 * little-endian; other machines score every text through the code point
 * path. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ASCII_PATH 1
#else
#define ASCII_PATH 0
#endif

/* Per-word facts the rules test, gathered once while splitting. */
enum {
    /* the entry's flags as they are, and its idiom bits above them */
    W_LEX = SENTIMENT__LEX,
    W_BOOST = SENTIMENT__BOOST,
    W_NEGATED = SENTIMENT__NEGATE, /* with "n't" in it too: the reference's negated() */
    W_IDIOM_PART = SENTIMENT__IDIOM_PART,
    W_RULE = SENTIMENT__RULE, /* with "n't" in it too */
    W_UPPER = 128,            /* Python's str.isupper() of the token */
    W_IDIOM_FIRST = SENTIMENT__IDIOM_FIRST << 8,
    W_IDIOM_NEXT = SENTIMENT__IDIOM_NEXT << 8,
    W_MAYBE_NT = 1024 /* while splitting: holds an apostrophe, so perhaps "n't" */
};

/* Words before the first that read as no word at all (flags 0): the rules
 * may then look three words back without testing the index first (and one
 * after the last, for one word ahead). */
#define WORD_SENTINELS 3

/* One white-space separated token of the reference, after its stripping. */
typedef struct {
    const sentiment__entry_t *e; /* entry of the lowered token, or an empty one */
    const char *lw;              /* the lowered token (Python's str.lower()) */
    uint64_t w0, w1;             /* its first 16 bytes, zero-filled (sentiment__key16()) */
    uint32_t lwlen;
    uint32_t slot;  /* its home slot in the model's table */
    uint16_t flags; /* W_* */
    uint8_t id;     /* sentiment__word_t */
} sentiment__tok_t;

/* What scoring one text works on: filled by the split, read by the rules. */
typedef struct {
    char *text; /* after emoji replacement; may alias the input */
    size_t len;
    unsigned excl, quest; /* counts of '!' and '?' in text */
    sentiment__tok_t *words;
    size_t nwords, nupper, nlex; /* words, of them upper case, of them in the lexicon */
    uint32_t *lex;               /* the indices of the nlex lexicon words, in order */
    size_t first_but;            /* index of the first "but", or nwords */
    sentiment__view_t view;      /* the model's word table */
    double *lexval;              /* the sentiment of each lexicon word, in order */
    double *sent;                /* for the "but" rule: the sentiment of every word */
} sentiment__work_t;

/* Validates text[0..len) and measures it after the reference's emoji
 * replacement; false on invalid UTF-8. *ascii_after: whether the replaced
 * text is all ASCII. */
bool sentiment__measure(const sentiment_model_t *m, const unsigned char *p, size_t len,
                        size_t *out_len, bool *has_emoji, bool *ascii_after);

/* Writes the text with every emoji replaced by its description into out
 * (sentiment__measure() bytes), as polarity_scores() builds text_no_emoji. */
void sentiment__replace_emoji(const sentiment_model_t *m, const unsigned char *p, size_t len,
                              char *out);

/* Both at once, into out with room for (len / 2) * (longest description +
 * 1) + len % 2 + 16 bytes. */
bool sentiment__replace_into(const sentiment_model_t *m, const unsigned char *p, size_t len,
                             char *out, size_t *out_len, bool *has_emoji, bool *ascii_after);

/* Splits w->text[0..w->len) as text.split() and _strip_punc_if_word() do,
 * lowers each token into lower, looks every word up and fills w (words,
 * counts, lexicon words, first "but"). sentiment__split_ascii() does it for
 * an all-ASCII text (lower: len + 16 bytes; scratch:
 * sentiment__split_ascii_bytes(len)) and returns false, having split
 * nothing, for any other; sentiment__split_words() takes any valid UTF-8
 * (lower: 2 * len + 16 bytes). */
bool sentiment__split_ascii(const sentiment_model_t *m, sentiment__work_t *w, char *lower,
                            void *scratch);
size_t sentiment__split_ascii_bytes(size_t len);
void sentiment__split_words(const sentiment_model_t *m, sentiment__work_t *w, char *lower);

#endif
