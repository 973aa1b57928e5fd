/*
 * sentiment_split.c - the sentiment scorer's split of a text into words.
 *
 * Owns the reference's pre-processing up to the rules: emoji to their
 * descriptions, the white-space split, punctuation stripping, lowering (and
 * Python's str.isupper() of each token), and the lookup of every word in the
 * model's table. Never applies a rule or scores: that is sentiment.c.
 *
 * An ASCII text (or one that becomes ASCII once its emoji are described,
 * which sentiment__replace_into() does in one pass) is lowered and turned
 * into bit masks 64 bytes at a time (sentiment__split_ascii()); carries
 * through sums of those masks mark every token's end, case and apostrophes
 * at once, and each token's start and stripping come from the 64 bits of the
 * masks before its end. Each word is hashed once (16 key bytes, no loop) and
 * its home slot prefetched; the lookups follow the split (resolve_words()),
 * when the misses of all the words have overlapped, and tell a hit from a
 * miss at the home slot without a branch. Other texts take the code point
 * path (sentiment__split_words()); the two agree to the bit, as the unit
 * tests and the fuzz target check.
 */
#include "text/sentiment_split.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
#include <emmintrin.h>
#endif

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
bool sentiment__measure(const sentiment_model_t *m, const unsigned char *p, size_t len,
                        size_t *out_len, bool *has_emoji, bool *ascii_after)
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
void sentiment__replace_emoji(const sentiment_model_t *m, const unsigned char *p, size_t len,
                              char *out)
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

/* measure() and replace_emoji() in one pass: the replaced text into out
 * (room for (len / 2) * (longest description + 1) + len % 2 + 16 bytes: a
 * code point that is no ASCII takes two bytes or more), its length into
 * *out_len. Returns false on invalid UTF-8. */
bool sentiment__replace_into(const sentiment_model_t *m, const unsigned char *p, size_t len,
                             char *out, size_t *out_len, bool *has_emoji, bool *ascii_after)
{
    uint32_t min_cp = sentiment__emoji_min_cp(m);
    size_t o = 0;
    bool prev_space = true, ascii = true, emoji = false;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) { /* a run of ASCII, copied 16 bytes at a time where it can */
            size_t o0 = o;
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
            while (i + 16 <= len) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
                unsigned high = (unsigned)_mm_movemask_epi8(x);
                _mm_storeu_si128((__m128i *)(void *)(out + o), x); /* out has 16 to spare */
                size_t k = high ? (size_t)__builtin_ctzll(high) : 16;
                i += k;
                o += k;
                if (high) break;
            }
#endif
            while (i < len && p[i] < 0x80) out[o++] = (char)p[i++];
            if (o > o0) prev_space = out[o - 1] == ' ';
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp), dlen;
        const char *d;
        bool dascii;
        if (n == 0) return false;
        if (cp >= min_cp && (d = sentiment__emoji(m, cp, &dlen, &dascii)) != NULL) {
            if (!prev_space) out[o++] = ' ';
            memcpy(out + o, d, dlen);
            o += dlen;
            emoji = true;
            ascii = ascii && dascii;
        } else {
            memcpy(out + o, p + i, n);
            o += n;
            ascii = false;
        }
        prev_space = false;
        i += n;
    }
    *out_len = o;
    *has_emoji = emoji;
    *ascii_after = ascii;
    return true;
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

/* Whether the key in slot i, which matched w0, w1 and len, goes on to
 * key[16..len) (len > 16; both readable 8 bytes past their ends). */
static bool long_key_is(const sentiment__view_t *v, uint32_t i, const char *key, size_t len)
{
    const unsigned char *q = (const unsigned char *)key, *k;
    k = (const unsigned char *)v->pool + v->key_off[i];
    for (size_t o = 16; o < len; o += 8) {
        uint64_t d = sentiment__load64le(q + o) ^ sentiment__load64le(k + o);
        if (d & sentiment__low_bytes(len - o < 8 ? len - o : 8)) return false;
    }
    return true;
}

/* Whether slot i holds the word: 1 or 0, from bitwise operations only. */
static inline unsigned slot_holds(const sentiment__view_t *v, uint32_t i,
                                  const sentiment__tok_t *wd)
{
    const sentiment__entry_t *c = &v->table[i];
    /* an empty slot is all zeros: its key_len 0 is no word's */
    unsigned ok = ((c->k0 ^ wd->w0) | (c->k1 ^ wd->w1) | (uint64_t)(c->key_len ^ wd->lwlen)) == 0;
    if (__builtin_expect(wd->lwlen > 16, 0)) ok = ok && long_key_is(v, i, wd->lw, wd->lwlen);
    return ok;
}

/* For a key of n bytes (16 for more), the bytes of its first two 64-bit
 * words that belong to it. */
#define KEEP(n) (((1ull << (4 * (n))) << (4 * (n))) - 1) /* n <= 8 */
static const uint64_t key_masks[17][2] = {
    {KEEP(0), 0},     {KEEP(1), 0},     {KEEP(2), 0},     {KEEP(3), 0},     {KEEP(4), 0},
    {KEEP(5), 0},     {KEEP(6), 0},     {KEEP(7), 0},     {KEEP(8), 0},     {~0ull, KEEP(1)},
    {~0ull, KEEP(2)}, {~0ull, KEEP(3)}, {~0ull, KEEP(4)}, {~0ull, KEEP(5)}, {~0ull, KEEP(6)},
    {~0ull, KEEP(7)}, {~0ull, ~0ull}};
#undef KEEP

/* Appends the word whose lowered form is lw[0..lwlen) (readable 16 bytes
 * past its end) and starts fetching its home slot: resolve_words() looks it
 * up once every word is split, so that the cache misses of all the words
 * overlap instead of queueing behind each other. */
__attribute__((always_inline)) static inline void set_word(sentiment__tok_t *wd,
                                                           const sentiment__view_t *v,
                                                           const char *lw, size_t lwlen, bool upper,
                                                           bool maybe_nt)
{
    const unsigned char *q = (const unsigned char *)lw;
    const uint64_t *keep = key_masks[lwlen < 16 ? lwlen : 16];
    uint64_t w0 = sentiment__load64le(q) & keep[0], w1 = sentiment__load64le(q + 8) & keep[1];
    uint32_t slot = sentiment__hash_words(w0, w1, lw, lwlen) & v->mask;
    __builtin_prefetch(&v->table[slot]);
    wd->lw = lw;
    wd->lwlen = (uint32_t)lwlen;
    wd->w0 = w0;
    wd->w1 = w1;
    wd->slot = slot;
    wd->flags = (uint16_t)((upper ? W_UPPER : 0) | (maybe_nt ? W_MAYBE_NT : 0));
}

static void add_word(sentiment__work_t *w, const char *lw, size_t lwlen, bool upper, bool maybe_nt)
{
    set_word(&w->words[w->nwords++], &w->view, lw, lwlen, upper, maybe_nt);
    w->nupper += upper;
}

/* What an absent word reads: no flags, SW__NONE. */
static const sentiment__entry_t no_entry;

/* The word's entry, or &no_entry. Whether a word is in the table is a coin
 * toss to the branch predictor, so its home slot decides without a branch:
 * it holds the word, or the word is absent unless the slot has
 * SENTIMENT__OVERFLOW (then the probe sequence goes on, rarely). */
static inline const sentiment__entry_t *probe(const sentiment__view_t *v,
                                              const sentiment__tok_t *wd)
{
    uint32_t i = wd->slot;
    unsigned ok = slot_holds(v, i, wd);
    if (__builtin_expect((~ok & (unsigned)(v->table[i].state >> 1) & 1) != 0, 0)) {
        /* missed a slot with SENTIMENT__OVERFLOW: the probe sequence goes on */
        for (i = (i + 1) & v->mask; v->table[i].state & SENTIMENT__USED; i = (i + 1) & v->mask)
            if (slot_holds(v, i, wd)) return &v->table[i];
        return &no_entry;
    }
    uintptr_t hit = (uintptr_t)&v->table[i], miss = (uintptr_t)&no_entry, sel = -(uintptr_t)ok;
    return (const sentiment__entry_t *)((hit & sel) | (miss & ~sel));
}

/* Looks every word up (its home slot was prefetched by set_word()) and
 * gathers what the rules ask of it. */
static void resolve_words(sentiment__work_t *w)
{
    sentiment__tok_t *ws = w->words;
    size_t n = w->nwords, nlex = 0, first_but = 0;
    bool any_but = false;
    const sentiment__view_t v = w->view;
    uint32_t *lex = w->lex;
    for (size_t i = 0; i < n; i++) {
        sentiment__tok_t *wd = &ws[i];
        const sentiment__entry_t *e = probe(&v, wd);
        unsigned ef = e->flags;
        unsigned flags = (wd->flags & W_UPPER) | ef | ((unsigned)e->idiom << 8);
        wd->e = e;
        wd->id = e->word;
        any_but |= e->word == SW__BUT;
        if (__builtin_expect((wd->flags & W_MAYBE_NT) != 0, 0) && has_nt(wd->lw, wd->lwlen))
            flags |= W_NEGATED | W_RULE;
        wd->flags = (uint16_t)flags;
        lex[nlex] = (uint32_t)i;
        nlex += (flags & W_LEX) != 0;
    }
    w->nlex = nlex;
    if (__builtin_expect(any_but, 0))
        while (ws[first_but].id != SW__BUT) first_but++;
    else
        first_but = n;
    w->first_but = first_but;
}

/* The token starting at p[start] that holds non-ASCII code points: scanned,
 * stripped and lowered code point by code point. Returns its end. */
static size_t split_general(sentiment__work_t *w, size_t start, char **lower)
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

/* ---- The ASCII path: bit masks, 64 bytes of text to a 64-bit word ---- */

/* The masks of one 64-byte block of the text: bit k stands for byte k. */
typedef struct {
    uint64_t space; /* Python's str.isspace(); past the end of the text too */
    uint64_t upper; /* A-Z */
    uint64_t lower; /* a-z */
    uint64_t punct; /* string.punctuation */
    uint64_t apos;  /* ' */
} block_t;

#if !defined(__SSE2__) || defined(SENTIMENT_NO_SSE2)
/* Population count of a 64-bit word without the POPCNT instruction (not in
 * the x86-64 baseline): the fallback counts '!' and '?' from their masks. */
static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * ONES) >> 56);
}

static inline uint64_t compress_highs(uint64_t m) /* bit 7 of byte k -> bit k */
{
    return ((m & HIGHS) * 0x0002040810204081ull) >> 56;
}
#endif

/* Counts of '!' and '?' as 16-byte chunks go by: per byte lane with SSE2,
 * summed once per block. */
typedef struct {
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    __m128i excl, quest;
#else
    unsigned excl, quest;
#endif
} bangs_t;

/* The masks of 16 bytes of text (in the low 16 bits of each field), their
 * lowered form stored to lower[0..16), their '!' and '?' counted into bangs;
 * returns the bytes that are not ASCII (bit k for byte k). */
__attribute__((always_inline)) static inline unsigned masks16(const unsigned char *p, char *lower,
                                                              block_t *m, bangs_t *bangs)
{
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* signed compares: a byte >= 0x80 is below everything here, so it lands in
     * no class, and the caller gives up on the text anyway */
    __m128i xs = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x08)),
                                            _mm_cmplt_epi8(x, _mm_set1_epi8(0x0e))),
                              _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1b)),
                                            _mm_cmplt_epi8(x, _mm_set1_epi8(0x21))));
    __m128i xu = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
    __m128i xl = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
    __m128i xd = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
    __m128i graph = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)),
                                  _mm_cmplt_epi8(x, _mm_set1_epi8(0x7f)));
    __m128i xp = _mm_andnot_si128(_mm_or_si128(_mm_or_si128(xu, xl), xd), graph);
    _mm_storeu_si128((__m128i *)(void *)lower,
                     _mm_or_si128(x, _mm_and_si128(xu, _mm_set1_epi8(0x20))));
    m->space = (unsigned)_mm_movemask_epi8(xs);
    m->upper = (unsigned)_mm_movemask_epi8(xu);
    m->lower = (unsigned)_mm_movemask_epi8(xl);
    m->punct = (unsigned)_mm_movemask_epi8(xp);
    m->apos = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
    /* a match is -1 in its lane: subtracting counts it */
    bangs->excl = _mm_sub_epi8(bangs->excl, _mm_cmpeq_epi8(x, _mm_set1_epi8('!')));
    bangs->quest = _mm_sub_epi8(bangs->quest, _mm_cmpeq_epi8(x, _mm_set1_epi8('?')));
    return (unsigned)_mm_movemask_epi8(x);
#else
    unsigned high = 0;
    *m = (block_t){0};
    for (size_t h = 0; h < 16; h += 8) {
        uint64_t x = sentiment__load64le(p + h);
        uint64_t xu = bytes_in(x, 'A', 'Z'), xl = bytes_in(x, 'a', 'z');
        uint64_t xp = bytes_in(x, 0x21, 0x7e) & ~(xu | xl | bytes_in(x, '0', '9'));
        x &= ~HIGHS;                         /* the caller gives up on a text with high bytes */
        store64le(lower + h, x | (xu >> 2)); /* lowered: 0x80 >> 2 == 0x20 */
        m->space |= compress_highs(bytes_in(x, 0x09, 0x0d) | bytes_in(x, 0x1c, 0x20)) << h;
        m->upper |= compress_highs(xu) << h;
        m->lower |= compress_highs(xl) << h;
        m->punct |= compress_highs(xp) << h;
        m->apos |= compress_highs(bytes_in(x, '\'', '\'')) << h;
        bangs->excl += popcount64(bytes_in(x, '!', '!'));
        bangs->quest += popcount64(bytes_in(x, '?', '?'));
        high |= (unsigned)compress_highs(sentiment__load64le(p + h)) << h;
    }
    return high;
#endif
}

/* masks16() for the 16 bytes at p[i], i < len; past len, NULs (in no
 * class). The last 16 bytes of a longer text are loaded whole and moved into
 * place through a store and a reload, not shifted mask by mask. */
__attribute__((always_inline)) static inline unsigned
chunk(const unsigned char *p, size_t len, size_t i, char *lower, block_t *m, bangs_t *bangs)
{
    if (len - i >= 16) return masks16(p + i, lower + i, m, bangs);
    _Alignas(16) unsigned char tmp[32];
    memset(tmp + 16, 0, 16);
    if (len >= 16) {
        memcpy(tmp + (len - i), p + len - 16, 16); /* p[i] lands at tmp[16] */
    } else {
        for (size_t k = 0; k < len; k++) tmp[16 + k] = p[k];
    }
    return masks16(tmp + 16, lower + i, m, bangs);
}

/* The masks of the 64-byte block blk of the text p[0..len) (the bytes past
 * its end count as white space), its lowered form stored to lower; adds
 * its '!' and '?' to w's counts. Returns the bytes that are not ASCII. The
 * four chunks are written out so that each lands by a constant shift. */
static unsigned block_masks(sentiment__work_t *w, const unsigned char *p, size_t len, size_t blk,
                            char *lower, block_t *out)
{
    block_t b = {0}, c;
    bangs_t bangs;
    unsigned high = 0;
    size_t i = blk * 64;
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    bangs.excl = bangs.quest = _mm_setzero_si128();
#else
    bangs.excl = bangs.quest = 0;
#endif
#define CHUNK(j)                                                                                   \
    do {                                                                                           \
        high |= chunk(p, len, i + 16 * (j), lower, &c, &bangs);                                    \
        b.space |= (uint64_t)c.space << (16 * (j));                                                \
        b.upper |= (uint64_t)c.upper << (16 * (j));                                                \
        b.lower |= (uint64_t)c.lower << (16 * (j));                                                \
        b.punct |= (uint64_t)c.punct << (16 * (j));                                                \
        b.apos |= (uint64_t)c.apos << (16 * (j));                                                  \
    } while (0)
    if (i < len) {
        CHUNK(0);
        if (i + 16 < len) {
            CHUNK(1);
            if (i + 32 < len) {
                CHUNK(2);
                if (i + 48 < len) CHUNK(3);
            }
        }
    }
#undef CHUNK
    size_t rest = len - i;                   /* > 0 but in the last block */
    if (rest < 64) b.space |= ~0ull << rest; /* past the end: white space, as a sentinel */
#if defined(__SSE2__) && !defined(SENTIMENT_NO_SSE2)
    __m128i z = _mm_setzero_si128(), e = _mm_sad_epu8(bangs.excl, z),
            q = _mm_sad_epu8(bangs.quest, z);
    w->excl += (unsigned)(_mm_cvtsi128_si32(e) + _mm_cvtsi128_si32(_mm_srli_si128(e, 8)));
    w->quest += (unsigned)(_mm_cvtsi128_si32(q) + _mm_cvtsi128_si32(_mm_srli_si128(q, 8)));
#else
    w->excl += bangs.excl;
    w->quest += bangs.quest;
#endif
    *out = b;
    return high;
}

/* a + b + *carry, with the carry out of bit 63 left in *carry: sums over
 * the blocks of a text propagate like one long integer. */
static inline uint64_t add_carry(uint64_t a, uint64_t b, unsigned *carry)
{
    uint64_t r, r2;
    unsigned c1 = __builtin_add_overflow(a, b, &r);
    unsigned c2 = __builtin_add_overflow(r, (uint64_t)*carry, &r2);
    *carry = c1 | c2;
    return r2;
}

/* For each token (tokens: the non-space bytes; starts: their first bytes),
 * the first byte at or after its start that is not in x, or its end (the
 * space after it) when it has none: the carry of starts + (tokens & x)
 * runs through the bytes in x and stops there. */
static inline uint64_t first_not(uint64_t tokens, uint64_t starts, uint64_t x, unsigned *carry)
{
    uint64_t run = tokens & x;
    return add_carry(run, starts, carry) & ~run;
}

/* The carries of the sums of first_not() from one block to the next, and
 * whether the byte before the block was white space. */
typedef struct {
    unsigned upper, lower, apos;
    uint64_t space;
} carries_t;

/* The 64 bits of the mask m (one word per block, little-endian, at least
 * eight bytes readable before m) that start at byte at of it, at >= -8. */
static inline uint64_t bits64(const uint64_t *m, size_t at)
{
    uint64_t x;
    memcpy(&x, (const unsigned char *)m + (ptrdiff_t)at, sizeof x);
    return x; /* little-endian (ASCII_PATH) */
}

/* _strip_punc_if_word() and str.isupper() for a token of 64 bytes or more,
 * byte by byte (a long URL, say). */
static void long_token(const unsigned char *p, size_t start, size_t end, size_t *a, size_t *b,
                       bool *upper, bool *apos)
{
    size_t x = start, y = end;
    bool up = false, lo = false, q = false;
    while (x < y && (ascii_class[p[x]] & B_PUNCT)) x++;
    while (y > x && (ascii_class[p[y - 1]] & B_PUNCT)) y--;
    if (y < x + 3) x = start, y = end; /* two characters or fewer once stripped */
    for (size_t k = start; k < end; k++) {
        up |= (ascii_class[p[k]] & B_UPPER) != 0;
        lo |= (ascii_class[p[k]] & B_LOWER) != 0;
        q |= p[k] == '\'';
    }
    *a = x;
    *b = y;
    *upper = up && !lo;
    *apos = q;
}

/* split_words() for a text that is all ASCII. Each 64-byte block is turned
 * into bit masks 16 bytes at a time (and lowered whole on the way); carries
 * through sums of masks then find, for every token at once, where it
 * starts, where it ends, where it starts once stripped of leading
 * punctuation, and whether it is upper case or holds an apostrophe, as bits
 * that are written out as positions. Per token there only remain its
 * trailing punctuation (the leading ones of the 64 bits of punctuation
 * before its end) and its hash. Returns false (nothing split) when the
 * text is not all ASCII. lower has room for len + 16 bytes, scratch for
 * split_ascii_bytes(len). */
bool sentiment__split_ascii(const sentiment_model_t *m, sentiment__work_t *w, char *lower,
                            void *scratch)
{
    const unsigned char *p = (const unsigned char *)w->text;
    size_t len = w->len, nblk = len / 64 + 1, stride = nblk + 1, t = 0, nupper = 0;
    /* per block, after one word of padding for the bytes before the text:
     * white space, punctuation, and at each token's end whether it is upper
     * case or holds an apostrophe */
    uint64_t *space = (uint64_t *)scratch + 1, *punct = space + stride, *up = punct + stride,
             *ap = up + stride;
    carries_t c = {0, 0, 0, 1};
    sentiment__view_t v = sentiment__view(m);
    sentiment__tok_t *ws = w->words;
    space[-1] = ~0ull;
    punct[-1] = up[-1] = ap[-1] = 0;
    w->excl = w->quest = 0;
    for (size_t blk = 0; blk < nblk; blk++) {
        block_t b;
        if (block_masks(w, p, len, blk, lower, &b)) return false;
        uint64_t tok = ~b.space, before = (b.space << 1) | c.space;
        uint64_t bs = tok & before, be = b.space & ~before;
        c.space = b.space >> 63;
        /* the ends of the tokens without an upper (lower) case letter or an
         * apostrophe: first_not() ran through them */
        uint64_t no_up = first_not(tok, bs, ~b.upper, &c.upper) & be;
        uint64_t no_lo = first_not(tok, bs, ~b.lower, &c.lower) & be;
        uint64_t no_ap = first_not(tok, bs, ~b.apos, &c.apos) & be;
        space[blk] = b.space;
        punct[blk] = b.punct;
        up[blk] = be & ~no_up & no_lo;
        ap[blk] = be & ~no_ap;
        /* the tokens that end in this block: everything up to their ends is known */
        for (uint64_t x = be; x; x &= x - 1, t++) {
            size_t end = blk * 64 + (size_t)__builtin_ctzll(x), a, bb;
            /* bits [end - 63, end] of each mask, end on top, by one unaligned
             * load at the byte of bit end and a shift of under 8: the lowest
             * 7 - end % 8 bits come in as zeros, which leaves at least 57 */
            size_t at = (end >> 3) - 7, shift = 7 - (end & 7);
            uint64_t sp = bits64(space, at) << shift << 1, pu = bits64(punct, at) << shift << 1;
            bool upper = (bits64(up, at) << shift) >> 63, apos = (bits64(ap, at) << shift) >> 63;
            /* sp, pu: bits [end - 64, end), of which the top 56 at least are right */
            if (__builtin_expect((sp >> 8) != 0, 1)) { /* the space before the token is in them */
                size_t tl = (size_t)__builtin_clzll(sp), start = end - tl;
                size_t x0 = start + (size_t)__builtin_ctzll(~(pu >> (64 - tl))); /* leading */
                size_t y = end - (size_t)__builtin_clzll(~pu | 1);               /* trailing */
                /* two characters or fewer once stripped (none: y < x0): the whole token */
                size_t whole = -(size_t)(y < x0 + 3); /* all ones or 0 */
                a = (x0 & ~whole) | (start & whole);
                bb = (y & ~whole) | (end & whole);
            } else { /* 56 bytes or more */
                size_t start = end;
                while (start > 0 && !(ascii_class[p[start - 1]] & B_SPACE)) start--;
                long_token(p, start, end, &a, &bb, &upper, &apos);
            }
            set_word(&ws[t], &v, lower + a, bb - a, upper, apos);
            nupper += upper;
        }
    }
    w->nwords = t;
    w->nupper = nupper;
    w->view = v;
    resolve_words(w);
    return true;
}

/* Scratch bytes sentiment__split_ascii() needs for a text of len bytes. */
size_t sentiment__split_ascii_bytes(size_t len)
{
    return (4 * (len / 64 + 2)) * sizeof(uint64_t);
}

/* text.split(), each token through _strip_punc_if_word(), then lowered and
 * looked up once; counts '!' and '?' on the way. An ASCII token takes one
 * pass with a class table that lowers as it goes; a token with other code
 * points (valid UTF-8 here) goes to split_general(). lower has room for
 * 2 * w->len + 8 bytes. */
void sentiment__split_words(const sentiment_model_t *m, sentiment__work_t *w, char *lower)
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
