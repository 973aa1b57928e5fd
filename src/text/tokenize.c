/*
 * tokenize.c - the general UTF-8 tokenizer and NFKC case folding.
 *
 * Owns the rules that cut a post into typed spans: URLs, e-mail addresses,
 * @mentions, #hashtags, emoticons, numbers (1,234.50), emoji clusters (ZWJ
 * sequences, skin tones, flags and keycaps as one token), words and
 * punctuation. Works on byte spans of the caller's text: allocates nothing
 * and never reads past the given length.
 */
#include "text/tokenize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* Decodes one code point at p[0..n), n >= 1; returns its length, or 0 when
 * the bytes there are not valid UTF-8. */
static size_t decode(const unsigned char *p, size_t n, int32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)(n > 4 ? 4 : n), cp);
    return k > 0 ? (size_t)k : 0;
}

typedef struct {
    const unsigned char *p;
    size_t len;
} text_t;

/* The code point at i, or -1 past the end or on an invalid byte; *n gets its
 * length (1 for an invalid byte). */
static inline int32_t at(const text_t *t, size_t i, size_t *n)
{
    int32_t cp = -1;
    *n = 1;
    if (i >= t->len) return -1;
    if (t->p[i] < 0x80) return t->p[i];
    size_t k = decode(t->p + i, t->len - i, &cp);
    if (k == 0) return -1;
    *n = k;
    return cp;
}

static inline bool is_space(int32_t cp)
{
    if (cp < 0) return false;
    if (cp <= 0x20) return true; /* white space and C0 controls both separate */
    if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) return true;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

static inline bool is_ascii_alnum(int32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* The few ASCII character sets the rules test, as bits of one table: a
 * lookup per byte instead of a strchr(). */
enum {
    CS_URL_START = 1, /* hHwW */
    CS_URL_TRAIL = 2, /* .,;:!?' : stripped from the end of a URL */
    CS_EMAIL = 4,     /* ._%+- : besides letters and digits, in a local part */
    CS_EMOTICON = 8   /* >:;<^-oO=( : may start an emoticon */
};

/* clang-format off */
static const uint8_t char_sets[128] = {
    ['h'] = CS_URL_START, ['H'] = CS_URL_START, ['w'] = CS_URL_START, ['W'] = CS_URL_START,
    ['.'] = CS_URL_TRAIL | CS_EMAIL, [','] = CS_URL_TRAIL, [';'] = CS_URL_TRAIL | CS_EMOTICON,
    [':'] = CS_URL_TRAIL | CS_EMOTICON, ['!'] = CS_URL_TRAIL, ['?'] = CS_URL_TRAIL,
    ['\''] = CS_URL_TRAIL, ['_'] = CS_EMAIL, ['%'] = CS_EMAIL, ['+'] = CS_EMAIL,
    ['-'] = CS_EMAIL | CS_EMOTICON, ['>'] = CS_EMOTICON, ['<'] = CS_EMOTICON,
    ['^'] = CS_EMOTICON, ['o'] = CS_EMOTICON, ['O'] = CS_EMOTICON, ['='] = CS_EMOTICON,
    ['('] = CS_EMOTICON};
/* clang-format on */

static inline bool in_set(unsigned char c, unsigned set)
{
    return c < 128 && (char_sets[c] & set);
}

static bool is_digit(int32_t cp)
{
    return cp >= '0' && cp <= '9';
}

/* Letters, digits, marks and the connector '_': what a word is made of. */
static inline bool is_word_char(int32_t cp)
{
    if (cp < 0x80) return is_ascii_alnum(cp) || cp == '_';
    if (cp < 0) return false;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC: return true;
    default: return false;
    }
}

static bool is_emoji_start(int32_t cp)
{
    if (cp < 0xa9) return false;
    if (cp >= 0x1f3fb && cp <= 0x1f3ff) return true; /* a lone skin tone */
    switch (utf8proc_get_property(cp)->boundclass) {
    case UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC:
    case UTF8PROC_BOUNDCLASS_E_ZWG:
    case UTF8PROC_BOUNDCLASS_E_BASE:
    case UTF8PROC_BOUNDCLASS_E_BASE_GAZ:
    case UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ:
    case UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR: return true;
    default: return false;
    }
}

/* End of the extended grapheme cluster that starts at i. */
static size_t cluster_end(const text_t *t, size_t i)
{
    size_t n;
    int32_t prev = at(t, i, &n);
    utf8proc_int32_t state = 0;
    i += n;
    for (;;) {
        int32_t cp = at(t, i, &n);
        if (cp < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) return i;
        prev = cp;
        i += n;
    }
}

static bool ascii_prefix_ci(const text_t *t, size_t i, const char *s)
{
    size_t k = strlen(s);
    if (t->len - i < k) return false;
    for (size_t j = 0; j < k; j++) {
        unsigned char c = t->p[i + j];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)s[j]) return false;
    }
    return true;
}

/* A URL starting at i: its end, or 0. Runs to white space or a character that
 * never appears bare in a URL, less trailing sentence punctuation. */
static size_t match_url(const text_t *t, size_t i)
{
    size_t j;
    if (!in_set(t->p[i], CS_URL_START)) return 0;
    if (ascii_prefix_ci(t, i, "https://"))
        j = i + 8;
    else if (ascii_prefix_ci(t, i, "http://"))
        j = i + 7;
    else if (ascii_prefix_ci(t, i, "www."))
        j = i + 4;
    else
        return 0;
    size_t host = j, open = 0, close = 0;
    while (j < t->len) {
        size_t n;
        int32_t cp = at(t, j, &n);
        if (cp < 0 || is_space(cp) || cp == '<' || cp == '>' || cp == '"') break;
        open += cp == '(';
        close += cp == ')';
        j += n;
    }
    for (;;) {
        unsigned char c = t->p[j - 1];
        if (j > host && (in_set(c, CS_URL_TRAIL) || (c == ')' && close > open))) {
            close -= c == ')';
            j--;
        } else {
            break;
        }
    }
    return j > host && is_word_char(t->p[host]) ? j : 0;
}

/* An e-mail address starting at i: its end, or 0. */
static size_t match_email(const text_t *t, size_t i)
{
    size_t j = i;
    while (j < t->len && (is_ascii_alnum(t->p[j]) || in_set(t->p[j], CS_EMAIL))) j++;
    if (j == i || j >= t->len || t->p[j] != '@') return 0;
    size_t dom = ++j, last_dot;
    while (j < t->len && (is_ascii_alnum(t->p[j]) || t->p[j] == '-' || t->p[j] == '.')) {
        if (t->p[j] == '.' && (t->p[j - 1] == '.' || j == dom)) break;
        j++;
    }
    while (j > dom && (t->p[j - 1] == '.' || t->p[j - 1] == '-')) j--;
    last_dot = 0;
    for (size_t k = dom + 1; k + 1 < j; k++)
        if (t->p[k] == '.') last_dot = k;
    return last_dot ? j : 0;
}

/* Emoticons, longest first where one is the prefix of another. */
static const char *const emoticons[] = {
    ">:(", ":'(", ":')", ":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ":-|", ":-*", ";-)", "</3",
    "^_^", "-_-", "o_O", "O_o", ":)",  ":(",  ":D",  ":P",  ":p",  ":O",  ":o",  ":/",  ":|",
    ":*",  ":]",  ":[",  ";)",  ";D",  "=)",  "=(",  "=D",  "(:",  "<3",  "^^",  ":S",  ":$"};

static size_t match_emoticon(const text_t *t, size_t i)
{
    if (!in_set(t->p[i], CS_EMOTICON)) return 0;
    for (size_t k = 0; k < sizeof emoticons / sizeof emoticons[0]; k++) {
        if (emoticons[k][0] != (char)t->p[i]) continue;
        size_t n = strlen(emoticons[k]);
        if (t->len - i < n || memcmp(t->p + i, emoticons[k], n) != 0) continue;
        /* ":Do" or "<30" is no emoticon */
        size_t m;
        if (is_ascii_alnum((unsigned char)emoticons[k][n - 1]) && is_word_char(at(t, i + n, &m)))
            continue;
        return i + n;
    }
    return 0;
}

/* Digits with thousands separators and a decimal part: 7, 1,234.50, 3.14. */
static size_t match_number(const text_t *t, size_t i)
{
    size_t j = i;
    if (j < t->len && (t->p[j] == '+' || t->p[j] == '-')) j++;
    if (j >= t->len || !is_digit(t->p[j])) return 0;
    while (j < t->len && is_digit(t->p[j])) j++;
    while (j + 1 < t->len && (t->p[j] == ',' || t->p[j] == '.') && is_digit(t->p[j + 1])) {
        j++;
        while (j < t->len && is_digit(t->p[j])) j++;
    }
    return j;
}

/* Word characters, joined across an inner apostrophe (don't, it's) or
 * hyphen (check-in). */
static size_t match_word(const text_t *t, size_t i)
{
    size_t j = i, n;
    while (j < t->len) {
        int32_t cp = at(t, j, &n);
        if (is_word_char(cp)) {
            j += n;
            continue;
        }
        if ((cp == '\'' || cp == 0x2019 || cp == '-') && j > i) {
            size_t m;
            if (is_word_char(at(t, j + n, &m))) {
                j += n;
                continue;
            }
        }
        break;
    }
    return j;
}

/* A keycap sequence starting at i (1️⃣, #️⃣): its end, or 0. */
static size_t match_keycap(const text_t *t, size_t i)
{
    size_t j = i + 1;
    if (!(is_digit(t->p[i]) || t->p[i] == '#' || t->p[i] == '*')) return 0;
    if (j >= t->len || t->p[j] < 0x80) return 0;
    if (ascii_prefix_ci(t, j, "\xef\xb8\x8f")) j += 3;        /* U+FE0F */
    return ascii_prefix_ci(t, j, "\xe2\x83\xa3") ? j + 3 : 0; /* U+20E3 */
}

static bool emit(tok_t *out, size_t cap, size_t *count, size_t start, size_t end, tok_kind_t kind)
{
    if (*count < cap) {
        out[*count].start = (uint32_t)start;
        out[*count].len = (uint32_t)(end - start);
        out[*count].kind = kind;
    }
    (*count)++;
    return true;
}

size_t tok_split(const char *text, size_t len, tok_t *out, size_t cap)
{
    text_t t = {(const unsigned char *)text, len > UINT32_MAX ? UINT32_MAX : len};
    size_t count = 0, i = 0;
    bool after_space = true;
    if (!text) return 0;
    /* the next '@' at or after i: no e-mail address can start where none
     * follows, which spares most words the scan of match_email() */
    const unsigned char *next_at = memchr(t.p, '@', t.len);

    while (i < t.len) {
        size_t n, end;
        int32_t cp = at(&t, i, &n);
        if (cp < 0 || is_space(cp)) { /* invalid bytes are skipped like space */
            i += n;
            after_space = true;
            continue;
        }
        tok_kind_t kind;
        if (cp < 0x80 && (end = match_keycap(&t, i)) != 0) {
            kind = TOK_EMOJI;
        } else if ((end = match_url(&t, i)) != 0) {
            kind = TOK_URL;
        } else if (next_at && is_ascii_alnum(cp) &&
                   (next_at >= t.p + i || (next_at = memchr(t.p + i, '@', t.len - i)) != NULL) &&
                   (end = match_email(&t, i)) != 0) {
            kind = TOK_EMAIL;
        } else if ((cp == '@' || cp == '#') && is_word_char(at(&t, i + 1, &n))) {
            end = match_word(&t, i + 1);
            kind = cp == '@' ? TOK_MENTION : TOK_HASHTAG;
        } else if ((end = match_emoticon(&t, i)) != 0) {
            kind = TOK_EMOTICON;
        } else if ((is_digit(cp) || ((cp == '+' || cp == '-') && after_space)) &&
                   (end = match_number(&t, i)) != 0 && !is_word_char(at(&t, end, &n))) {
            kind = TOK_NUMBER;
        } else if (is_word_char(cp)) {
            end = match_word(&t, i);
            kind = TOK_WORD;
            if (end - i == 2 && (t.p[i] == 'X' || t.p[i] == 'x') && t.p[i + 1] == 'D')
                kind = TOK_EMOTICON;
        } else if (is_emoji_start(cp)) {
            end = cluster_end(&t, i);
            kind = TOK_EMOJI;
        } else {
            /* punctuation and symbols: a run of one ASCII mark ("!!!", "...")
             * or one code point */
            end = i + n;
            if (cp < 0x80)
                while (end < t.len && t.p[end] == (unsigned char)cp) end++;
            kind = TOK_PUNCT;
        }
        emit(out, cap, &count, i, end, kind);
        i = end;
        after_space = false;
    }
    return count;
}

size_t tok_fold(const char *s, size_t len, char *buf, size_t cap)
{
    const utf8proc_option_t opts =
        UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
    utf8proc_int32_t stack[256], *cps = stack;
    utf8proc_ssize_t n;
    size_t folded = (size_t)-1;

    if (cap) buf[0] = '\0';
    if (!s) return len ? (size_t)-1 : 0;
    if (len > (size_t)PTRDIFF_MAX / 8) return (size_t)-1;
    n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cps, 256, opts);
    if (n > 256) {
        cps = malloc((size_t)n * sizeof *cps);
        if (!cps) abort();
        n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cps, n, opts);
    }
    if (n < 0) goto done;
    n = utf8proc_reencode(cps, n, opts);
    if (n < 0) goto done;
    folded = (size_t)n;
    if (cap) {
        /* truncate at a code point boundary */
        const unsigned char *u = (const unsigned char *)cps;
        size_t k = folded < cap - 1 ? folded : cap - 1;
        while (k > 0 && k < folded && (u[k] & 0xc0) == 0x80) k--;
        memcpy(buf, u, k);
        buf[k] = '\0';
    }
done:
    if (cps != stack) free(cps);
    return folded;
}
