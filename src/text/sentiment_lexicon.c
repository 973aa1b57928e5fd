/*
 * sentiment_lexicon.c - the VADER model: lexicon parsing and lookup tables.
 *
 * Owns the read-only model built from vader_lexicon.txt and
 * emoji_utf8_lexicon.txt plus the reference's fixed word lists (boosters,
 * negations, special-case idioms), held in two open-addressing hash tables
 * built once: words (32-byte entries inline, so that a lookup touches one
 * cache line) and emoji code points. Never scores text: that is sentiment.c and sentiment_split.c.
 */
#include "text/sentiment.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

typedef struct {
    uint32_t cp, off, len; /* code point + 1; 0 marks an empty slot */
    bool ascii;            /* the description is all ASCII */
} emoji_slot_t;

struct sentiment_model {
    sentiment__entry_t *table; /* open addressing, linear probing */
    uint32_t *key_off;         /* per slot: where its key's bytes are in the pool */
    size_t nentries, cap;      /* keys held, and at most */
    uint32_t mask;             /* table size - 1 */
    char *pool;                /* key bytes and emoji descriptions */
    size_t pool_len, pool_cap;
    emoji_slot_t *emoji;
    uint32_t emoji_mask, emoji_min;
    size_t emoji_max;
};

/* The reference's fixed tables (vaderSentiment.py, 3.3.x). */
static const char *const negate_words[] = {
    "aint",   "arent",    "cannot",  "cant",     "couldnt",  "darent",   "didnt",   "doesnt",
    "ain't",  "aren't",   "can't",   "couldn't", "daren't",  "didn't",   "doesn't", "dont",
    "hadnt",  "hasnt",    "havent",  "isnt",     "mightnt",  "mustnt",   "neither", "don't",
    "hadn't", "hasn't",   "haven't", "isn't",    "mightn't", "mustn't",  "neednt",  "needn't",
    "never",  "none",     "nope",    "nor",      "not",      "nothing",  "nowhere", "oughtnt",
    "shant",  "shouldnt", "uhuh",    "wasnt",    "werent",   "oughtn't", "shan't",  "shouldn't",
    "uh-uh",  "wasn't",   "weren't", "without",  "wont",     "wouldnt",  "won't",   "wouldn't",
    "rarely", "seldom",   "despite"};

static const char *const booster_incr[] = {
    "absolutely",    "amazingly",    "awfully",       "completely", "considerable", "considerably",
    "decidedly",     "deeply",       "effing",        "enormous",   "enormously",   "entirely",
    "especially",    "exceptional",  "exceptionally", "extreme",    "extremely",    "fabulously",
    "flipping",      "flippin",      "frackin",       "fracking",   "fricking",     "frickin",
    "frigging",      "friggin",      "fully",         "fuckin",     "fucking",      "fuggin",
    "fugging",       "greatly",      "hella",         "highly",     "hugely",       "incredible",
    "incredibly",    "intensely",    "major",         "majorly",    "more",         "most",
    "particularly",  "purely",       "quite",         "really",     "remarkably",   "so",
    "substantially", "thoroughly",   "total",         "totally",    "tremendous",   "tremendously",
    "uber",          "unbelievably", "unusually",     "utter",      "utterly",      "very"};

static const char *const booster_decr[] = {
    "almost",     "barely",       "hardly",  "just enough", "kind of",  "kinda",
    "kindof",     "kind-of",      "less",    "little",      "marginal", "marginally",
    "occasional", "occasionally", "partly",  "scarce",      "scarcely", "slight",
    "slightly",   "somewhat",     "sort of", "sorta",       "sortof",   "sort-of"};

static const struct {
    const char *key;
    double value;
} special_cases[] = {{"the shit", 3},         {"the bomb", 3},   {"bad ass", 1.5},
                     {"badass", 1.5},         {"bus stop", 0.0}, {"yeah right", -2},
                     {"kiss of death", -1.5}, {"to die for", 3}, {"beating heart", 3.1},
                     {"broken heart", -2.9}};

static const struct {
    const char *key;
    sentiment__word_t word;
} named_words[] = {{"no", SW__NO},           {"or", SW__OR},      {"nor", SW__NOR},
                   {"least", SW__LEAST},     {"at", SW__AT},      {"very", SW__VERY},
                   {"but", SW__BUT},         {"kind", SW__KIND},  {"of", SW__OF},
                   {"never", SW__NEVER},     {"so", SW__SO},      {"this", SW__THIS},
                   {"without", SW__WITHOUT}, {"doubt", SW__DOUBT}};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Whether slot i holds key[0..len) (w0, w1: its sentiment__key16()): the
 * inline 16 bytes decide a short key; the pool is read only past them. */
static inline bool key_is(const sentiment_model_t *m, uint32_t i, const char *key, size_t len,
                          uint64_t w0, uint64_t w1)
{
    const sentiment__entry_t *e = &m->table[i];
    if (!(e->state & SENTIMENT__USED) || e->key_len != len || e->k0 != w0 || e->k1 != w1)
        return false;
    return len <= 16 || memcmp(m->pool + m->key_off[i] + 16, key + 16, len - 16) == 0;
}

int sentiment__is_space(uint32_t cp)
{
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
    if (cp < 0x85) return 0;
    switch (cp) {
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000: return 1;
    default: return cp >= 0x2000 && cp <= 0x200a;
    }
}

const sentiment__entry_t *sentiment__lookup(const sentiment_model_t *m, const char *key, size_t len)
{
    uint64_t w0, w1;
    sentiment__key16(key, len, &w0, &w1);
    uint32_t i = sentiment__hash_words(w0, w1, key, len) & m->mask;
    if (key_is(m, i, key, len, w0, w1)) return &m->table[i];
    if (!(m->table[i].state & SENTIMENT__OVERFLOW)) return NULL;
    for (i = (i + 1) & m->mask; m->table[i].state & SENTIMENT__USED; i = (i + 1) & m->mask)
        if (key_is(m, i, key, len, w0, w1)) return &m->table[i];
    return NULL;
}

sentiment__view_t sentiment__view(const sentiment_model_t *m)
{
    return (sentiment__view_t){m->table, m->key_off, m->pool, m->mask};
}

double sentiment__special(const sentiment__entry_t *e)
{
    assert(e->flags & SENTIMENT__SPECIAL);
    return special_cases[e->special].value;
}

const char *sentiment__emoji(const sentiment_model_t *m, uint32_t cp, size_t *len, bool *ascii)
{
    for (uint32_t i = (cp * 2654435761u) & m->emoji_mask;; i = (i + 1) & m->emoji_mask) {
        const emoji_slot_t *s = &m->emoji[i];
        if (s->cp == 0) return NULL;
        if (s->cp == cp + 1) {
            *len = s->len;
            if (ascii) *ascii = s->ascii;
            return m->pool + s->off;
        }
    }
}

size_t sentiment__emoji_max_len(const sentiment_model_t *m)
{
    return m->emoji_max;
}

uint32_t sentiment__emoji_min_cp(const sentiment_model_t *m)
{
    return m->emoji_min;
}

static uint32_t pool_add(sentiment_model_t *m, const char *s, size_t len)
{
    uint32_t off = (uint32_t)m->pool_len;
    if (m->pool_len + len > m->pool_cap) abort(); /* sized up front; a bug if hit */
    memcpy(m->pool + m->pool_len, s, len);
    m->pool_len += len;
    return off;
}

/* The entry for key, created empty when absent. */
static sentiment__entry_t *entry_get(sentiment_model_t *m, const char *key, size_t len)
{
    uint64_t w0, w1;
    sentiment__key16(key, len, &w0, &w1);
    uint32_t home = sentiment__hash_words(w0, w1, key, len) & m->mask, i = home;
    assert(len <= UINT16_MAX);
    for (; m->table[i].state & SENTIMENT__USED; i = (i + 1) & m->mask)
        if (key_is(m, i, key, len, w0, w1)) return &m->table[i];
    if (m->nentries == m->cap) abort(); /* sized up front; a bug if hit */
    m->nentries++;
    if (i != home) m->table[home].state |= SENTIMENT__OVERFLOW;
    sentiment__entry_t *e = &m->table[i];
    e->state |= SENTIMENT__USED; /* an empty slot may already have OVERFLOW */
    e->k0 = w0;
    e->k1 = w1;
    e->key_len = (uint16_t)len;
    m->key_off[i] = pool_add(m, key, len);
    return e;
}

/* Python's str.strip() with no argument on a valid UTF-8 span. */
static void py_strip(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t a = 0, b = *len;
    while (a < b) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + a, (utf8proc_ssize_t)(b - a), &cp);
        if (n <= 0 || !sentiment__is_space((uint32_t)cp)) break;
        a += (size_t)n;
    }
    while (b > a) {
        size_t c = b - 1;
        while (c > a && (p[c] & 0xc0) == 0x80) c--;
        utf8proc_int32_t cp;
        utf8proc_iterate(p + c, (utf8proc_ssize_t)(b - c), &cp);
        if (!sentiment__is_space((uint32_t)cp)) break;
        b = c;
    }
    *s += a;
    *len = b - a;
}

static bool valid_utf8(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) return false;
        i += (size_t)n;
    }
    return true;
}

/* Python's float() for the plain decimal forms the lexicon uses; rejects
 * inf, nan, hex and underscore forms. */
static bool parse_valence(const char *s, size_t len, double *out)
{
    char buf[128];
    py_strip(&s, &len);
    if (len == 0 || len >= sizeof buf) return false;
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (digits == 0) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e) return false;
    }
    if (i != len) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

/* Calls line_fn on every line of text the way the reference iterates:
 * text.rstrip('\n').split('\n'), each line then strip()ped and split on tabs
 * into its first two fields. Empty raw lines are passed as NULL fields when
 * skip_empty is false (the caller then fails, as the reference raises). */
typedef bool (*line_fn)(sentiment_model_t *m, const char *f0, size_t l0, const char *f1, size_t l1);

static bool each_line(sentiment_model_t *m, const char *text, size_t len, bool skip_empty,
                      line_fn fn)
{
    while (len > 0 && text[len - 1] == '\n') len--;
    size_t pos = 0;
    for (;;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t ll = end - pos;
        if (!(ll == 0 && skip_empty)) {
            py_strip(&line, &ll);
            const char *tab = memchr(line, '\t', ll);
            if (!tab) return false;
            const char *f1 = tab + 1;
            size_t l1 = ll - (size_t)(f1 - line);
            const char *tab2 = memchr(f1, '\t', l1);
            if (tab2) l1 = (size_t)(tab2 - f1);
            if (!fn(m, line, (size_t)(tab - line), f1, l1)) return false;
        }
        if (!nl) return true;
        pos = end + 1;
    }
}

static bool add_lexicon_line(sentiment_model_t *m, const char *f0, size_t l0, const char *f1,
                             size_t l1)
{
    double v;
    if (l0 > UINT16_MAX || !parse_valence(f1, l1, &v)) return false;
    sentiment__entry_t *e = entry_get(m, f0, l0);
    e->flags |= SENTIMENT__LEX;
    e->valence = v;
    return true;
}

static bool add_emoji_line(sentiment_model_t *m, const char *f0, size_t l0, const char *f1,
                           size_t l1)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n =
        l0 ? utf8proc_iterate((const utf8proc_uint8_t *)f0, (utf8proc_ssize_t)l0, &cp) : 0;
    if (n <= 0 || (size_t)n != l0) return true; /* not one code point: never matches a char */
    uint32_t key = (uint32_t)cp + 1;
    uint32_t i = ((uint32_t)cp * 2654435761u) & m->emoji_mask;
    while (m->emoji[i].cp != 0 && m->emoji[i].cp != key) i = (i + 1) & m->emoji_mask;
    m->emoji[i].cp = key;
    m->emoji[i].off = pool_add(m, f1, l1);
    m->emoji[i].len = (uint32_t)l1;
    if (l1 > m->emoji_max) m->emoji_max = l1;
    m->emoji[i].ascii = true;
    for (size_t k = 0; k < l1; k++)
        if ((unsigned char)f1[k] >= 0x80) m->emoji[i].ascii = false;
    if ((uint32_t)cp < m->emoji_min) m->emoji_min = (uint32_t)cp;
    return true;
}

static uint32_t pow2_at_least(size_t n)
{
    uint32_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 1;
    for (const char *p = s; (p = memchr(p, '\n', len - (size_t)(p - s))) != NULL; p++) n++;
    return n;
}

static void add_fixed_words(sentiment_model_t *m)
{
    for (size_t i = 0; i < COUNT(negate_words); i++)
        entry_get(m, negate_words[i], strlen(negate_words[i]))->flags |= SENTIMENT__NEGATE;
    for (size_t i = 0; i < COUNT(booster_incr) + COUNT(booster_decr); i++) {
        bool incr = i < COUNT(booster_incr);
        const char *w = incr ? booster_incr[i] : booster_decr[i - COUNT(booster_incr)];
        sentiment__entry_t *e = entry_get(m, w, strlen(w));
        e->flags |= SENTIMENT__BOOST;
        if (!incr) e->flags |= SENTIMENT__DAMPEN;
    }
    for (size_t i = 0; i < COUNT(special_cases); i++) {
        sentiment__entry_t *e = entry_get(m, special_cases[i].key, strlen(special_cases[i].key));
        e->flags |= SENTIMENT__SPECIAL;
        e->special = (uint8_t)i;
    }
    /* every word of a multi-word key, so that joins of other words are
     * refused without building them */
    for (size_t i = 0; i < COUNT(booster_decr) + COUNT(special_cases); i++) {
        const char *k =
            i < COUNT(booster_decr) ? booster_decr[i] : special_cases[i - COUNT(booster_decr)].key;
        if (!strchr(k, ' ')) continue;
        for (const char *w = k; *w;) {
            size_t n = strcspn(w, " ");
            sentiment__entry_t *e = entry_get(m, w, n);
            e->flags |= SENTIMENT__IDIOM_PART;
            if (w == k) e->idiom |= SENTIMENT__IDIOM_FIRST;
            if (w > k && w[-1] == ' ' && strchr(k, ' ') == w - 1) e->idiom |= SENTIMENT__IDIOM_NEXT;
            w += n + (w[n] == ' ');
        }
    }
    for (size_t i = 0; i < COUNT(named_words); i++)
        entry_get(m, named_words[i].key, strlen(named_words[i].key))->word =
            (uint8_t)named_words[i].word;
    for (size_t i = 0; i <= m->mask; i++) {
        sentiment__entry_t *e = &m->table[i];
        switch (e->word) {
        case SW__NO:
        case SW__NEVER:
        case SW__SO:
        case SW__THIS:
        case SW__WITHOUT:
        case SW__LEAST:
        case SW__KIND: e->flags |= SENTIMENT__RULE; break;
        default: break; /* or, nor, at, very, of, doubt: read only beside one of those */
        }
        if (e->flags & (SENTIMENT__NEGATE | SENTIMENT__BOOST)) e->flags |= SENTIMENT__RULE;
    }
}

static size_t fixed_words_bytes(void)
{
    size_t n = 0;
    for (size_t i = 0; i < COUNT(negate_words); i++) n += strlen(negate_words[i]);
    for (size_t i = 0; i < COUNT(booster_incr); i++) n += strlen(booster_incr[i]);
    for (size_t i = 0; i < COUNT(booster_decr); i++) n += strlen(booster_decr[i]);
    for (size_t i = 0; i < COUNT(special_cases); i++) n += strlen(special_cases[i].key);
    n *= 2; /* the words of multi-word keys again */
    for (size_t i = 0; i < COUNT(named_words); i++) n += strlen(named_words[i].key);
    return n;
}

sentiment_model_t *sentiment_model_new(const char *lexicon, size_t lexicon_len, const char *emoji,
                                       size_t emoji_len)
{
    sentiment_model_t *m = NULL;
    if (!lexicon || !emoji || lexicon_len >= UINT32_MAX / 2 || emoji_len >= UINT32_MAX / 2)
        return NULL;
    if (!valid_utf8(lexicon, lexicon_len) || !valid_utf8(emoji, emoji_len)) return NULL;

    m = calloc(1, sizeof *m);
    if (!m) goto fail;
    m->cap = count_lines(lexicon, lexicon_len) + COUNT(negate_words) + COUNT(booster_incr) +
             4 * COUNT(booster_decr) + 4 * COUNT(special_cases) + COUNT(named_words);
    uint32_t nslots = pow2_at_least(m->cap * 4); /* at most a quarter full: short probes */
    uint32_t nemoji = pow2_at_least(count_lines(emoji, emoji_len) * 2);
    m->mask = nslots - 1;
    m->emoji_mask = nemoji - 1;
    m->emoji_min = UINT32_MAX;
    m->pool_cap = lexicon_len + emoji_len + fixed_words_bytes();
    m->table = aligned_alloc(_Alignof(sentiment__entry_t), nslots * sizeof *m->table);
    m->key_off = calloc(nslots, sizeof *m->key_off);
    m->emoji = calloc(nemoji, sizeof *m->emoji);
    m->pool = calloc(1, m->pool_cap + 8); /* + 8: the scorer reads keys 8 bytes at a time */
    if (!m->table || !m->key_off || !m->emoji || !m->pool) goto fail;
    memset(m->table, 0, nslots * sizeof *m->table);

    /* Fixed words first so the lexicon's own entries land in the same slots. */
    add_fixed_words(m);
    if (!each_line(m, lexicon, lexicon_len, true, add_lexicon_line)) goto fail;
    if (!each_line(m, emoji, emoji_len, false, add_emoji_line)) goto fail;
    return m;
fail:
    sentiment_model_free(m);
    return NULL;
}

void sentiment_model_free(sentiment_model_t *m)
{
    if (!m) return;
    free(m->table);
    free(m->key_off);
    free(m->emoji);
    free(m->pool);
    free(m);
}
