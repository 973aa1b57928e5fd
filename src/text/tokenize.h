/*
 * tokenize.h - the general UTF-8 tokenizer of the text layer.
 *
 * Owns the splitting of a post into typed byte spans (words, @mentions,
 * #hashtags, URLs, e-mail addresses, numbers, emoji, emoticons, punctuation)
 * and the NFKC case folding used to compare words. Pure functions: no I/O, no
 * global state, no allocation visible to the caller.
 */
#ifndef PARLEY_TEXT_TOKENIZE_H
#define PARLEY_TEXT_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TOK_WORD,
    TOK_MENTION,
    TOK_HASHTAG,
    TOK_URL,
    TOK_EMAIL,
    TOK_NUMBER,
    TOK_EMOJI,
    TOK_EMOTICON,
    TOK_PUNCT
} tok_kind_t;

typedef struct {
    uint32_t start, len; /* byte span in the input */
    tok_kind_t kind;
} tok_t;

/* Splits text[0..len) into tokens, writes at most cap of them to out, returns
 * how many exist (may exceed cap). Never reads past len; invalid UTF-8 bytes
 * are skipped. */
size_t tok_split(const char *text, size_t len, tok_t *out, size_t cap);

/* Writes the NFKC case-folded form of s[0..len) into buf (NUL-terminated,
 * truncated to cap); returns the folded length, or (size_t)-1 on invalid
 * UTF-8. Uses utf8proc. */
size_t tok_fold(const char *s, size_t len, char *buf, size_t cap);

#endif
