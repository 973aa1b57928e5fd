/*
 * voice.c - brand voice check of an agent's draft reply.
 *
 * Owns the built-in word lists (slang, acronyms, greetings, sign-offs, care
 * anti-phrases), the SMS segment arithmetic and the wording of findings.
 * Calls pii_scan for sensitive data and never looks at anything but the
 * draft and the config it is given.
 */
#include "text/voice.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "text/tokenize.h"

#define NORM_MAX        64
#define SIGNOFF_WINDOW  8
#define MAX_LIST_TOKENS VOICE_MAX_PHRASE_TOKENS

static const char *const rule_ids[VOICE_RULE_COUNT] = {
    "banned_phrase", "slang",   "shouting", "exclamation",
    "greeting",      "signoff", "length",   "pii_public",
};

static const char *const default_banned[] = {
    "calm down",      "as I said",       "as I already said",    "as previously stated",
    "not my problem", "not our problem", "you should have read", "per my last message",
    "deal with it",
};

static const char *const builtin_slang[] = {
    "lol", "lolz", "lmao", "lmfao", "rofl", "roflmao", "omg", "omfg", "jk",  "smh",
    "wtf", "wth",  "ffs",  "haha",  "hehe", "lulz",    "xd",  ":d",   ":-d", "xp",
};

static const char *const builtin_acronyms[] = {
    "FAQ",  "USA",  "UK",  "EU",  "ATM",  "PIN",  "SMS",   "URL",  "PDF",  "CEO",  "API",
    "ID",   "USB",  "GPS", "TV",  "DM",   "NHS",  "VAT",   "IBAN", "BIC",  "IMEI", "SIM",
    "ETA",  "CVV",  "ISP", "VPN", "HTML", "HTTP", "HTTPS", "GMT",  "BST",  "UTC",  "CET",
    "EST",  "PST",  "AM",  "PM",  "OK",   "LTD",  "PLC",   "LLC",  "ASAP", "PAC",  "STAC",
    "MMS",  "RSVP", "FYI", "NB",  "PS",   "TBC",  "TBA",   "QR",   "ISA",  "APR",  "AER",
    "GDPR", "CCTV", "NYC", "LAX", "JFK",  "LHR",  "EE",    "BT",   "SSE",  "EDF",  "DHL",
    "UPS",  "USPS", "TNT", "DPD", "MOT",  "PPI",  "HMRC",  "DVLA", "NFC",  "SSN",  "ISBN",
};

static const char *const default_greetings[] = {
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "thanks for reaching out",
    "thank you for reaching out",
    "thanks for getting in touch",
    "thank you for getting in touch",
    "thanks for contacting",
    "thank you for contacting",
    "thanks for your message",
    "thank you for your message",
};

static const char *const default_signoffs[] = {
    "thanks",       "thank you",  "best",      "best wishes",      "kind regards",
    "regards",      "cheers",     "take care", "have a great day", "have a nice day",
    "all the best", "speak soon", "^",
};

/* Laughing emoji: U+1F602, U+1F923, U+1F606, U+1F639 (UTF-8). */
static const char *const laughing_emoji[] = {
    "\xF0\x9F\x98\x82",
    "\xF0\x9F\xA4\xA3",
    "\xF0\x9F\x98\x86",
    "\xF0\x9F\x98\xB9",
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

const char *voice_rule_id(voice_rule_t rule)
{
    return (unsigned)rule < VOICE_RULE_COUNT ? rule_ids[rule] : "unknown";
}

voice_config_t voice_config_default(void)
{
    voice_config_t c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < VOICE_RULE_COUNT; i++) {
        c.enabled[i] = true;
        c.severity[i] = VOICE_WARNING;
    }
    c.severity[VOICE_BANNED_PHRASE] = VOICE_ERROR;
    c.severity[VOICE_LENGTH] = VOICE_ERROR;
    c.severity[VOICE_PII_PUBLIC] = VOICE_ERROR;
    c.banned_phrases = default_banned;
    c.n_banned_phrases = COUNT(default_banned);
    c.max_exclamations = 1;
    c.greetings = default_greetings;
    c.n_greetings = COUNT(default_greetings);
    c.signoffs = default_signoffs;
    c.n_signoffs = COUNT(default_signoffs);
    return c;
}

/* ---- tokens ---- */

typedef struct {
    uint32_t start, end;
    tok_kind_t kind;
    uint64_t h;
} vtok_t;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Case-folded form of s[0..n) in buf (NORM_MAX bytes), typographic
 * apostrophes written as '. */
static size_t fold(const char *s, size_t n, tok_kind_t kind, char *buf)
{
    size_t o = 0;
    if (kind == TOK_URL) return memcpy(buf, "<url>", 5), 5;
    if (kind == TOK_EMAIL) return memcpy(buf, "<email>", 7), 7;
    bool ascii = true;
    for (size_t i = 0; i < n; i++) ascii &= !((unsigned char)s[i] & 0x80);
    char tmp[NORM_MAX];
    if (ascii) {
        for (size_t i = 0; i < n && o < NORM_MAX; i++)
            buf[o++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        return o;
    }
    size_t fl = tok_fold(s, n, tmp, sizeof tmp);
    if (fl == (size_t)-1) {
        fl = n < sizeof tmp ? n : sizeof tmp;
        memcpy(tmp, s, fl);
    } else if (fl >= sizeof tmp) {
        fl = strlen(tmp); /* truncated at a code point */
    }
    for (size_t i = 0; i < fl;) {
        if (i + 2 < fl && (unsigned char)tmp[i] == 0xE2 && (unsigned char)tmp[i + 1] == 0x80 &&
            ((unsigned char)tmp[i + 2] == 0x98 || (unsigned char)tmp[i + 2] == 0x99)) {
            buf[o++] = '\'';
            i += 3;
        } else {
            buf[o++] = tmp[i++];
        }
    }
    return o;
}

/* Tokenises text into a fresh array (NULL on no memory; *n = 0 for none). */
static vtok_t *tokens(const char *text, size_t len, size_t *n)
{
    *n = 0;
    size_t total = tok_split(text, len, NULL, 0);
    if (total == 0) return calloc(1, sizeof(vtok_t));
    tok_t *raw = malloc(total * sizeof *raw);
    vtok_t *v = malloc(total * sizeof *v);
    if (!raw || !v) {
        free(raw);
        free(v);
        return NULL;
    }
    size_t got = tok_split(text, len, raw, total);
    if (got > total) got = total;
    for (size_t i = 0; i < got; i++) {
        char buf[NORM_MAX];
        size_t bl = fold(text + raw[i].start, raw[i].len, raw[i].kind, buf);
        v[i].start = raw[i].start;
        v[i].end = raw[i].start + raw[i].len;
        v[i].kind = raw[i].kind;
        v[i].h = hash_bytes(buf, bl);
    }
    free(raw);
    *n = got;
    return v;
}

/* Hashes of the tokens of phrase p; returns their number (0 when it has none
 * or more than MAX_LIST_TOKENS). */
static size_t phrase_hashes(const char *p, uint64_t *h)
{
    tok_t t[MAX_LIST_TOKENS + 1];
    size_t plen = strlen(p);
    size_t n = tok_split(p, plen, t, MAX_LIST_TOKENS + 1);
    if (n == 0 || n > MAX_LIST_TOKENS) return 0;
    for (size_t i = 0; i < n; i++) {
        char buf[NORM_MAX];
        h[i] = hash_bytes(buf, fold(p + t[i].start, t[i].len, t[i].kind, buf));
    }
    return n;
}

static bool match_at(const vtok_t *v, size_t n, size_t i, const uint64_t *h, size_t m)
{
    if (m == 0 || m > n - i) return false;
    for (size_t j = 0; j < m; j++)
        if (v[i + j].h != h[j]) return false;
    return true;
}

/* ---- findings ---- */

typedef struct {
    const voice_config_t *cfg;
    voice_finding_t *out;
    size_t cap, n;
} sink_t;

static void add(sink_t *s, voice_rule_t rule, size_t start, size_t end, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(sink_t *s, voice_rule_t rule, size_t start, size_t end, const char *fmt, ...)
{
    if (s->n < s->cap) {
        voice_finding_t *f = &s->out[s->n];
        va_list ap;
        f->rule = rule;
        f->rule_id = rule_ids[rule];
        f->severity = s->cfg->severity[rule];
        f->start = (uint32_t)start;
        f->end = (uint32_t)end;
        va_start(ap, fmt);
        vsnprintf(f->message, sizeof f->message, fmt, ap);
        va_end(ap);
    }
    s->n++;
}

/* Quotes text[start..end) for a message, shortened to fit. */
static int quote_len(size_t start, size_t end)
{
    size_t n = end - start;
    return (int)(n > 60 ? 60 : n);
}

static void check_banned(sink_t *s, const char *text, const vtok_t *v, size_t n)
{
    const voice_config_t *c = s->cfg;
    for (size_t p = 0; p < c->n_banned_phrases; p++) {
        uint64_t h[MAX_LIST_TOKENS];
        if (!c->banned_phrases[p]) continue;
        size_t m = phrase_hashes(c->banned_phrases[p], h);
        for (size_t i = 0; m && i < n; i++) {
            if (!match_at(v, n, i, h, m)) continue;
            size_t st = v[i].start, en = v[i + m - 1].end;
            add(s, VOICE_BANNED_PHRASE, st, en,
                "Banned phrase \"%.*s\": the brand does not say this, rephrase it",
                quote_len(st, en), text + st);
            i += m - 1;
        }
    }
}

static bool laughing(const char *s, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        for (size_t k = 0; k < COUNT(laughing_emoji); k++)
            if (memcmp(s + i, laughing_emoji[k], 4) == 0) return true;
    return false;
}

/* ha-ha-ha, hehe, lolol, lmaooo: repeated laughter the word list cannot hold. */
static bool laughter_word(const char *w, size_t n)
{
    if (n >= 4 && (w[0] == 'h') && (w[1] == 'a' || w[1] == 'e')) {
        size_t i = 0;
        while (i + 1 < n && w[i] == 'h' && (w[i + 1] == 'a' || w[i + 1] == 'e')) i += 2;
        if (i == n || (i + 1 == n && w[i] == 'h')) return true;
    }
    if (n >= 3 && w[0] == 'l' && w[1] == 'o') { /* lool, lolol */
        size_t i = 1;
        while (i < n && (w[i] == 'o' || w[i] == 'l')) i++;
        if (i == n && w[n - 1] == 'l') return true;
    }
    if (n >= 4 && memcmp(w, "lma", 3) == 0) {
        size_t i = 3;
        while (i < n && (w[i] == 'o' || w[i] == 'a')) i++;
        if (i == n && w[n - 1] == 'o') return true;
    }
    return false;
}

static void check_slang(sink_t *s, const char *text, const vtok_t *v, size_t n)
{
    const voice_config_t *c = s->cfg;
    uint64_t builtin[COUNT(builtin_slang)];
    for (size_t k = 0; k < COUNT(builtin_slang); k++)
        builtin[k] = hash_bytes(builtin_slang[k], strlen(builtin_slang[k]));
    for (size_t i = 0; i < n; i++) {
        const char *w = text + v[i].start;
        size_t wl = v[i].end - v[i].start;
        bool hit = false;
        if (v[i].kind == TOK_EMOJI || v[i].kind == TOK_PUNCT) {
            hit = laughing(w, wl);
        } else if (v[i].kind == TOK_WORD || v[i].kind == TOK_EMOTICON || v[i].kind == TOK_HASHTAG) {
            char buf[NORM_MAX];
            size_t bl = fold(w, wl, v[i].kind, buf);
            for (size_t k = 0; !hit && k < COUNT(builtin); k++) hit = builtin[k] == v[i].h;
            for (size_t k = 0; !hit && k < c->n_extra_slang; k++) {
                uint64_t h[MAX_LIST_TOKENS];
                hit =
                    c->extra_slang[k] && phrase_hashes(c->extra_slang[k], h) == 1 && h[0] == v[i].h;
            }
            if (!hit && v[i].kind == TOK_HASHTAG && bl > 1) {
                for (size_t k = 0; !hit && k < COUNT(builtin_slang); k++)
                    hit = strlen(builtin_slang[k]) == bl - 1 &&
                          memcmp(builtin_slang[k], buf + 1, bl - 1) == 0;
            }
            if (!hit) hit = laughter_word(buf, bl);
        }
        if (hit)
            add(s, VOICE_SLANG, v[i].start, v[i].end,
                "Internet slang or joke marker \"%.*s\": keep replies in the brand's tone",
                quote_len(v[i].start, v[i].end), w);
    }
}

/* "OMG" is flagged as slang already, not again as shouting. */
static bool is_slang_word(uint64_t h)
{
    for (size_t k = 0; k < COUNT(builtin_slang); k++)
        if (hash_bytes(builtin_slang[k], strlen(builtin_slang[k])) == h) return true;
    return false;
}

static bool is_acronym(const voice_config_t *c, const char *w, size_t n)
{
    for (size_t k = 0; k < COUNT(builtin_acronyms); k++)
        if (strlen(builtin_acronyms[k]) == n && memcmp(builtin_acronyms[k], w, n) == 0) return true;
    for (size_t k = 0; k < c->n_acronyms; k++) {
        const char *a = c->acronyms[k];
        if (!a || strlen(a) != n) continue;
        size_t j = 0;
        while (j < n && (a[j] == w[j] || ((a[j] | 0x20) == (w[j] | 0x20) && (w[j] | 0x20) >= 'a' &&
                                          (w[j] | 0x20) <= 'z')))
            j++;
        if (j == n) return true;
    }
    return false;
}

/* A word of three or more letters, all of them capitals, no digits. */
static bool shouted(const char *w, size_t n)
{
    size_t upper = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(n - i), &cp);
        if (r <= 0) return false;
        i += (size_t)r;
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat == UTF8PROC_CATEGORY_LU)
            upper++;
        else if (cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT ||
                 cat == UTF8PROC_CATEGORY_ND)
            return false;
    }
    return upper >= 3;
}

static void check_shouting(sink_t *s, const char *text, const vtok_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].kind != TOK_WORD) continue;
        const char *w = text + v[i].start;
        size_t wl = v[i].end - v[i].start;
        if (!shouted(w, wl) || is_acronym(s->cfg, w, wl) || is_slang_word(v[i].h)) continue;
        add(s, VOICE_SHOUTING, v[i].start, v[i].end,
            "\"%.*s\" in capitals reads as shouting: write it in lower case",
            quote_len(v[i].start, v[i].end), w);
    }
}

static void check_exclamation(sink_t *s, const char *text, size_t len)
{
    int max = s->cfg->max_exclamations;
    if (max < 0) return;
    size_t total = 0, first_over = 0;
    bool over_in_run = false;
    for (size_t i = 0; i < len;) {
        if (text[i] != '!') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] == '!') j++;
        for (size_t k = i; k < j; k++)
            if (++total == (size_t)max + 1) {
                first_over = k;
                over_in_run = j - i > 1;
            }
        if (j - i > 1)
            add(s, VOICE_EXCLAMATION, i, j, "%zu exclamation marks in a row: one is plenty", j - i);
        i = j;
    }
    if (total > (size_t)max && !over_in_run)
        add(s, VOICE_EXCLAMATION, first_over, first_over + 1,
            "%zu exclamation marks in this reply: the brand allows %d", total, max);
}

static bool any_phrase_at(const vtok_t *v, size_t n, size_t i, const char *const *list,
                          size_t count)
{
    for (size_t k = 0; k < count; k++) {
        uint64_t h[MAX_LIST_TOKENS];
        if (list[k] && match_at(v, n, i, h, phrase_hashes(list[k], h))) return true;
    }
    return false;
}

static void check_greeting(sink_t *s, const vtok_t *v, size_t n)
{
    const voice_config_t *c = s->cfg;
    size_t i = 0;
    while (i < n && (v[i].kind == TOK_MENTION)) i++; /* "@ana Hi Ana, ..." */
    if (i < n && any_phrase_at(v, n, i, c->greetings, c->n_greetings)) return;
    add(s, VOICE_GREETING, 0, i < n ? v[i].end : 0,
        "No greeting: open the reply with one the brand uses, like \"%s\"",
        c->n_greetings && c->greetings[0] ? c->greetings[0] : "Hi");
}

static void check_signoff(sink_t *s, const vtok_t *v, size_t n)
{
    const voice_config_t *c = s->cfg;
    size_t from = n > SIGNOFF_WINDOW ? n - SIGNOFF_WINDOW : 0;
    for (size_t i = from; i < n; i++)
        if (any_phrase_at(v, n, i, c->signoffs, c->n_signoffs)) return;
    add(s, VOICE_SIGNOFF, n ? v[from].start : 0, n ? v[n - 1].end : 0,
        "No sign-off: close the reply with one the brand uses, like \"%s\"",
        c->n_signoffs && c->signoffs[0] ? c->signoffs[0] : "Thanks");
}

size_t voice_count_chars(const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        i += r > 0 ? (size_t)r : 1;
        n++;
    }
    return n;
}

/* Byte offset where code point number `k` (0-based) starts. */
static size_t offset_of_char(const char *text, size_t len, size_t k)
{
    size_t i = 0;
    while (i < len && k > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        i += r > 0 ? (size_t)r : 1;
        k--;
    }
    return i;
}

static void check_length(sink_t *s, const char *text, size_t len)
{
    const voice_config_t *c = s->cfg;
    if (c->max_chars) {
        size_t chars = voice_count_chars(text, len);
        if (chars > c->max_chars)
            add(s, VOICE_LENGTH, offset_of_char(text, len, c->max_chars), len,
                "Too long for this channel: %zu characters, the limit is %zu", chars, c->max_chars);
    }
    if (c->max_sms_segments) {
        voice_sms_encoding_t enc;
        size_t segs = voice_sms_measure(text, len, &enc, NULL);
        if (segs > c->max_sms_segments)
            add(s, VOICE_LENGTH, 0, len, "Too long for SMS: %zu segments (%s), the limit is %u",
                segs, enc == VOICE_SMS_GSM7 ? "GSM-7" : "UCS-2, from a non-GSM character",
                c->max_sms_segments);
    }
}

static const char *pii_words(pii_kind_t k)
{
    switch (k) {
    case PII_CARD: return "Card number";
    case PII_IBAN: return "IBAN";
    case PII_EMAIL: return "E-mail address";
    case PII_PHONE: return "Phone number";
    case PII_SSN: return "National ID number";
    case PII_ACCOUNT: return "Account number";
    }
    return "Personal data";
}

static bool allowed_contact(const voice_config_t *c, const char *s, size_t n)
{
    for (size_t k = 0; k < c->n_allowed_contacts; k++) {
        const char *a = c->allowed_contacts[k];
        if (!a || strlen(a) != n) continue;
        size_t j = 0;
        while (j < n && ((a[j] | 0x20) == (s[j] | 0x20) || a[j] == s[j])) j++;
        if (j == n) return true;
    }
    return false;
}

static int check_pii(sink_t *s, const char *text, size_t len)
{
    pii_span_t small[16];
    pii_span_t *spans = small;
    size_t n = pii_scan(s->cfg->pii, text, len, small, COUNT(small));
    if (n > COUNT(small)) {
        spans = malloc(n * sizeof *spans);
        if (!spans) return PARLEY_ENOMEM;
        size_t again = pii_scan(s->cfg->pii, text, len, spans, n);
        n = again < n ? again : n;
    }
    for (size_t i = 0; i < n; i++) {
        size_t st = spans[i].start, en = spans[i].end;
        if (en > len || st >= en) continue;
        if (allowed_contact(s->cfg, text + st, en - st)) continue;
        add(s, VOICE_PII_PUBLIC, st, en, "%s in a public reply: move to a private channel",
            pii_words(spans[i].kind));
    }
    if (spans != small) free(spans);
    return 0;
}

static int finding_cmp(const void *a, const void *b)
{
    const voice_finding_t *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

int voice_check(const voice_config_t *cfg, const char *text, size_t len, bool is_public,
                voice_finding_t *out, size_t cap, size_t *n_found)
{
    if (!cfg || !n_found || (!text && len) || (!out && cap)) return PARLEY_EINVAL;
    *n_found = 0;
    if (!text) text = "";
    if (len > UINT32_MAX) len = UINT32_MAX;
    sink_t s = {cfg, out, cap, 0};
    size_t n;
    int rc = 0;
    vtok_t *v = tokens(text, len, &n);
    if (!v) return PARLEY_ENOMEM;
    const bool *on = cfg->enabled;
    if (on[VOICE_BANNED_PHRASE]) check_banned(&s, text, v, n);
    if (on[VOICE_SLANG]) check_slang(&s, text, v, n);
    if (on[VOICE_SHOUTING]) check_shouting(&s, text, v, n);
    if (on[VOICE_EXCLAMATION]) check_exclamation(&s, text, len);
    if (on[VOICE_GREETING] && cfg->require_greeting) check_greeting(&s, v, n);
    if (on[VOICE_SIGNOFF] && cfg->require_signoff) check_signoff(&s, v, n);
    if (on[VOICE_LENGTH]) check_length(&s, text, len);
    if (on[VOICE_PII_PUBLIC] && is_public) rc = check_pii(&s, text, len);
    free(v);
    if (rc) return rc;
    if (out && s.n) qsort(out, s.n < cap ? s.n : cap, sizeof *out, finding_cmp);
    *n_found = s.n;
    return 0;
}

bool voice_blocks(const voice_finding_t *findings, size_t n)
{
    for (size_t i = 0; findings && i < n; i++)
        if (findings[i].severity == VOICE_ERROR) return true;
    return false;
}

/* ---- SMS ---- */

/* Septets of code point cp in GSM 03.38: 1 basic, 2 extension, 0 not there. */
static int gsm_septets(int32_t cp)
{
    static const int32_t basic_high[] = {
        0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
        0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
        0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
        0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
    };
    if (cp == '\n' || cp == '\r') return 1;
    if (cp == '\f') return 2;
    if (cp >= 0x20 && cp < 0x7F) {
        if (cp == '`') return 0;
        if (strchr("^{}\\[]~|", (int)cp)) return 2;
        return 1;
    }
    if (cp == 0x20AC) return 2; /* euro sign */
    for (size_t i = 0; i < COUNT(basic_high); i++)
        if (basic_high[i] == cp) return 1;
    return 0;
}

/* Segments of text in one encoding; *units gets the septets or UTF-16 units. */
static size_t segments_for(const char *text, size_t len, bool gsm, size_t *units)
{
    const size_t single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    size_t total = 0, segs = 1, used = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < len;) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            size_t w;
            if (r <= 0) {
                w = 1;
                i++;
            } else {
                w = gsm ? (size_t)gsm_septets(cp) : (cp > 0xFFFF ? 2 : 1);
                i += (size_t)r;
            }
            if (pass == 0) {
                total += w;
            } else {
                if (used + w > multi) {
                    segs++;
                    used = 0;
                }
                used += w;
            }
        }
        if (pass == 0 && total <= single) break;
    }
    if (units) *units = total;
    return total == 0 ? 0 : total <= single ? 1 : segs;
}

size_t voice_sms_measure(const char *text, size_t len, voice_sms_encoding_t *enc, size_t *units)
{
    bool gsm = true;
    if (!text) len = 0;
    for (size_t i = 0; i < len && gsm;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        if (r <= 0 || gsm_septets(cp) == 0) gsm = false;
        i += r > 0 ? (size_t)r : 1;
    }
    if (enc) *enc = gsm ? VOICE_SMS_GSM7 : VOICE_SMS_UCS2;
    return segments_for(text, len, gsm, units);
}

size_t voice_sms_segments(const char *text, size_t len)
{
    return voice_sms_measure(text, len, NULL, NULL);
}
