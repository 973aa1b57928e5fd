/*
 * pii.c - the sensitive-data detector and redactor (rules in pii.h).
 *
 * Owns one left-to-right pass over the text: at each byte that can begin a
 * finding, bounded matchers (none looks more than a few dozen bytes ahead, the
 * e-mail probe is gated by a memchr for '@') are tried in a fixed order and the
 * first hit wins; the pass resumes after the hit, so spans come out ordered and
 * disjoint and the scan is linear. Never allocates and never writes anything
 * but the caller's arrays; the only static data are constant tables.
 */
#include "text/pii.h"

#include <string.h>

typedef struct {
    pii_kind_t kind;
    size_t start, end;
} hit_t;

typedef struct {
    const uint8_t *s;
    size_t n;
    const pii_config_t *cfg;
    size_t next_at;       /* first '@' at or after the last e-mail probe, n if none */
    uint8_t kw_first[32]; /* bitset: bytes that can begin an account keyword */
} scanner_t;

/* ---- byte classes (ASCII only: every byte >= 0x80 is "other") ---- */

enum {
    C_DIGIT = 1,  /* 0-9 */
    C_ALPHA = 2,  /* A-Z a-z */
    C_WORD = 4,   /* digits, letters, '_' */
    C_LOCAL = 8,  /* e-mail local part: word bytes and . % + - ' */
    C_NUM = 16,   /* may begin a number: digits, '+', '(' */
    C_SPACE = 32, /* ASCII white space */
};

static const uint8_t byte_class[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  32, 32, 32, 32, 32, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  32, 0,  0,  0,  0,  8,  0,  8,  16, 0,  0,  24, 0,  8,  8,  0,
    29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 0,  0,  0,  0,  0,  0,  0,  14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 0,  0,  0,  0,  12,
    0,  14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
    14, 14, 14, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

static inline int is_digit(uint8_t c)
{
    return byte_class[c] & C_DIGIT;
}
static inline int is_alpha(uint8_t c)
{
    return byte_class[c] & C_ALPHA;
}
static inline int is_alnum(uint8_t c)
{
    return byte_class[c] & (C_DIGIT | C_ALPHA);
}
static inline int is_word(uint8_t c)
{
    return byte_class[c] & C_WORD;
}
static inline int is_space(uint8_t c)
{
    return byte_class[c] & C_SPACE;
}
static inline uint8_t to_lower(uint8_t c)
{
    return (uint8_t)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}
static inline uint8_t to_upper(uint8_t c)
{
    return (uint8_t)(c >= 'a' && c <= 'z' ? c & ~0x20 : c);
}
/* E-mail local-part bytes (the common, unquoted subset of RFC 5322). */
static inline int is_local(uint8_t c)
{
    return byte_class[c] & C_LOCAL;
}
/* Bounds-checked read: past the end of the text every byte reads as NUL. */
static inline uint8_t at(const scanner_t *sc, size_t i)
{
    return i < sc->n ? sc->s[i] : 0;
}

/* ---- number context ---- */

static int is_glue(uint8_t c)
{
    return c == '.' || c == ',' || c == ':' || c == '-' || c == '/' || c == ' ';
}

/* A number may begin at i only when it is not the tail of a longer token: the
 * byte before is no word byte, no separator glued to a digit ("1.234,50",
 * "10:30", "2024-03-15", the second half of "4532 0151 1283 0367"). */
static int number_may_start(const scanner_t *sc, size_t i)
{
    if (i == 0) return 1;
    uint8_t p = sc->s[i - 1];
    if (is_word(p) || i < 2) return !is_word(p);
    uint8_t pp = sc->s[i - 2];
    return !(is_glue(p) && is_digit(pp));
}

/* A number may end at i when the text does not go on with a word byte, an '@'
 * (a mailbox) or a separator glued to a digit (a decimal, a time, a range). */
static int number_may_end(const scanner_t *sc, size_t i)
{
    uint8_t c = at(sc, i);
    if (is_word(c) || c == '@') return 0;
    return !(is_glue(c) && c != ' ' && is_digit(at(sc, i + 1)));
}

/* A digit run after these is an identifier, an amount or part of a URL, not a
 * phone number: "#0612345678", "id=0612345678", "$5551234567", and so is one
 * glued to a word by a dash, dot or slash: "SN-0612345678". */
static int phone_may_start(const scanner_t *sc, size_t i)
{
    uint8_t p = i ? sc->s[i - 1] : 0, pp = i > 1 ? sc->s[i - 2] : 0;
    if (p && strchr("#/=@&$%\\+*~^|", p)) return 0;
    return !((p == '-' || p == '.') && is_alnum(pp));
}

/* ---- payment cards ---- */

static int luhn_ok(const uint8_t *d, size_t n)
{
    unsigned sum = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned v = d[n - 1 - k] - '0';
        if (k & 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    return sum % 10 == 0;
}

static int prefix(const uint8_t *d, size_t k)
{
    int v = 0;
    for (size_t i = 0; i < k; i++) v = v * 10 + (d[i] - '0');
    return v;
}

static int card_issuer_ok(const uint8_t *d, size_t n)
{
    int p1 = prefix(d, 1), p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4);
    if (p1 == 4) return n == 13 || n == 16 || n == 19;                /* Visa */
    if (p2 >= 51 && p2 <= 55) return n == 16;                         /* Mastercard */
    if (p4 >= 2221 && p4 <= 2720) return n == 16;                     /* Mastercard 2-series */
    if (p4 >= 2200 && p4 <= 2204) return n >= 16;                     /* Mir */
    if (p2 == 34 || p2 == 37) return n == 15;                         /* Amex */
    if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) /* Diners */
        return n >= 14;
    if (p4 >= 3528 && p4 <= 3589) return n >= 16; /* JCB */
    /* Maestro 50 and 56-69, which covers Discover 6011/644-649/65, UnionPay 62, RuPay 60 */
    return p2 == 50 || (p2 >= 56 && p2 <= 69);
}

/* Group layouts printed on cards: 4-4-4-4 with an optional tail of 1-4 (13-19
 * digits), Amex 4-6-5, Diners 4-6-4; or no grouping at all. */
static int card_shape_ok(const size_t *gl, int ng)
{
    if (ng == 1) return gl[0] >= 13 && gl[0] <= 19;
    if (gl[0] != 4) return 0;
    if (ng == 3 && gl[1] == 6 && (gl[2] == 5 || gl[2] == 4)) return 1;
    for (int g = 1; g < ng - 1; g++)
        if (gl[g] != 4) return 0;
    return gl[ng - 1] >= 1 && gl[ng - 1] <= 4;
}

static int match_card(const scanner_t *sc, size_t pos, hit_t *hit)
{
    size_t gs[8], gl[8], total = 0, i = pos;
    int ng = 0;
    uint8_t sep = 0;
    for (;;) {
        size_t st = i;
        while (is_digit(at(sc, i)) && i - st < 20) i++;
        if (i - st == 20) return 0;
        gs[ng] = st, gl[ng] = i - st, total += i - st, ng++;
        uint8_t c = at(sc, i);
        if (ng < 8 && (c == ' ' || c == '-') && (!sep || sep == c) && is_digit(at(sc, i + 1))) {
            sep = c, i++;
            continue;
        }
        break;
    }
    if (total < 13 || total > 24) return 0;
    /* The whole run, or the run without a short space-separated tail
     * ("4111 1111 1111 1111 12/25": an expiry date follows). */
    for (int keep = ng; keep >= 1 && keep >= ng - 1; keep--) {
        if (keep < ng && (sep != ' ' || gl[ng - 1] > 4)) break;
        size_t nd = 0;
        uint8_t d[19];
        for (int g = 0; g < keep; g++) nd += gl[g];
        if (nd < 13 || nd > 19 || !card_shape_ok(gl, keep)) continue;
        nd = 0;
        for (int g = 0; g < keep; g++) {
            memcpy(d + nd, sc->s + gs[g], gl[g]);
            nd += gl[g];
        }
        size_t end = gs[keep - 1] + gl[keep - 1];
        if (!card_issuer_ok(d, nd) || !luhn_ok(d, nd)) continue;
        if (keep == ng && !number_may_end(sc, end)) continue;
        *hit = (hit_t){PII_CARD, pos, end};
        return 1;
    }
    return 0;
}

/* ---- IBAN ---- */

/* Registered IBAN lengths (SWIFT IBAN registry, plus long-standing partner
 * countries). Codes not listed here are not reported. */
static const struct {
    char cc[3];
    uint8_t len;
} iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

static size_t iban_length(uint8_t a, uint8_t b)
{
    for (size_t k = 0; k < sizeof iban_lengths / sizeof iban_lengths[0]; k++)
        if (iban_lengths[k].cc[0] == a && iban_lengths[k].cc[1] == b) return iban_lengths[k].len;
    return 0;
}

/* ISO 13616 check: move the first four characters to the end, read letters as
 * 10..35, and the number must leave remainder 1 modulo 97. */
static int iban_mod97_ok(const uint8_t *c, size_t n)
{
    unsigned r = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t ch = c[(k + 4) % n];
        if (is_digit(ch))
            r = (r * 10 + (unsigned)(ch - '0')) % 97;
        else
            r = (r * 100 + (unsigned)(to_upper(ch) - 'A' + 10)) % 97;
    }
    return r == 1;
}

static int match_iban(const scanner_t *sc, size_t pos, hit_t *hit)
{
    uint8_t a = at(sc, pos), b = at(sc, pos + 1);
    if (!is_alpha(b) || !is_digit(at(sc, pos + 2)) || !is_digit(at(sc, pos + 3))) return 0;
    if ((a >= 'a') != (b >= 'a')) return 0; /* "De89..." is a word, not a country code */
    size_t want = iban_length(to_upper(a), to_upper(b));
    if (!want) return 0;
    uint8_t buf[34];
    size_t k = 0, i = pos, gap = 0; /* gap: k at the last space taken */
    while (k < want) {
        uint8_t c = at(sc, i);
        int boundary = k % 4 == 0;
        if (c == ' ' && boundary && (gap || k == 4) && gap != k && is_alnum(at(sc, i + 1))) {
            gap = k, i++;
            continue;
        }
        if (!is_alnum(c) || (gap && boundary && gap != k)) break; /* printed groups are 4 */
        buf[k++] = c, i++;
    }
    if (k != want || !number_may_end(sc, i)) return 0;
    int check = (buf[2] - '0') * 10 + (buf[3] - '0');
    if (check < 2 || check > 98 || !iban_mod97_ok(buf, want)) return 0;
    *hit = (hit_t){PII_IBAN, pos, i};
    return 1;
}

/* ---- US social security numbers ---- */

static int match_ssn(const scanner_t *sc, size_t pos, hit_t *hit)
{
    static const char shape[] = "ddd-dd-dddd";
    uint8_t sep = at(sc, pos + 3);
    if (sep != '-' && sep != ' ') return 0;
    for (size_t k = 0; k < sizeof shape - 1; k++) {
        uint8_t c = at(sc, pos + k);
        if (shape[k] == 'd' ? !is_digit(c) : c != sep) return 0;
    }
    const uint8_t *d = sc->s + pos;
    int area = prefix(d, 3), group = prefix(d + 4, 2), serial = prefix(d + 7, 4);
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return 0;
    if (!number_may_end(sc, pos + 11)) return 0;
    *hit = (hit_t){PII_SSN, pos, pos + 11};
    return 1;
}

/* ---- phone numbers ---- */

#define PHONE_MAX_GROUPS 8

typedef struct {
    int ng, digits;
    size_t gs[PHONE_MAX_GROUPS]; /* group start (first digit) */
    uint8_t gl[PHONE_MAX_GROUPS];
    uint8_t paren[PHONE_MAX_GROUPS];
    uint8_t sep[PHONE_MAX_GROUPS]; /* byte before group g; 0 for none or a closing paren */
    size_t end;
} phone_run_t;

/* Reads digit groups separated by one of " -./", the first or any group after
 * a space optionally in parentheses. Fails on runs longer than 15 digits. */
static int phone_read(const scanner_t *sc, size_t i, phone_run_t *p)
{
    memset(p, 0, sizeof *p);
    uint8_t sep = 0;
    for (;;) {
        int paren = at(sc, i) == '(';
        i += (size_t)paren;
        size_t st = i;
        while (is_digit(at(sc, i)) && i - st < 16) i++;
        size_t gl = i - st;
        if (gl == 0 || p->ng == PHONE_MAX_GROUPS) return 0;
        if (paren && (at(sc, i) != ')' || gl > 5)) return 0;
        i += (size_t)paren;
        p->gs[p->ng] = st, p->gl[p->ng] = (uint8_t)gl, p->paren[p->ng] = (uint8_t)paren;
        p->sep[p->ng] = sep, p->ng++;
        p->digits += (int)gl;
        if (p->digits > 15) return 0;
        p->end = i;
        uint8_t c = at(sc, i), next = at(sc, i + 1);
        if (paren && is_digit(c)) {
            sep = 0;
        } else if ((c == ' ' || c == '-' || (!paren && (c == '.' || c == '/'))) && is_digit(next)) {
            sep = c, i++;
        } else if (c == ' ' && next == '(' && is_digit(at(sc, i + 2))) {
            sep = c, i++;
        } else {
            return 1;
        }
    }
}

/* Separator kinds used between groups, skipping group `from` and before. */
static unsigned phone_sep_kinds(const phone_run_t *p, int from, int *count)
{
    unsigned kinds = 0;
    for (int g = from + 1; g < p->ng; g++) {
        const char *k = p->sep[g] ? strchr(" -./", p->sep[g]) : NULL;
        if (k) kinds |= 1u << (k - " -./");
    }
    *count = (kinds & 1) + (kinds >> 1 & 1) + (kinds >> 2 & 1) + (kinds >> 3 & 1);
    return kinds;
}

/* Is d[0..n) an ITU country calling code? One digit: 1 and 7; two digits
 * where the zone assigns them; three digits in the zones split further. */
static int country_code_ok(const uint8_t *d, size_t n)
{
    static const char two[] = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 "
                              "55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98";
    static const char three[] = "21 22 23 24 25 26 29 35 37 38 42 50 59 67 68 69 80 85 87 88 96 "
                                "97 99";
    if (n == 1) return d[0] == '1' || d[0] == '7';
    if (n != 2 && n != 3) return 0;
    const char *zones = n == 2 ? two : three;
    for (const char *z = zones; *z; z += z[2] ? 3 : 2)
        if (z[0] == d[0] && z[1] == d[1]) return 1;
    return 0;
}

static int phone_nanp_ok(const scanner_t *sc, const phone_run_t *p)
{
    int k = p->ng == 4 && p->gl[0] == 1 && sc->s[p->gs[0]] == '1';
    if (p->ng - k != 3 || p->gl[k] != 3 || p->gl[k + 1] != 3 || p->gl[k + 2] != 4) return 0;
    if (sc->s[p->gs[k]] < '2' || p->paren[k + 1] || p->paren[k + 2] || (k && p->paren[0])) return 0;
    int n;
    return !(phone_sep_kinds(p, 0, &n) & 8); /* no slashes */
}

/* National numbers with trunk prefix 0 (UK, FR, DE, NL, IT landlines...). */
static int phone_national_ok(const scanner_t *sc, const phone_run_t *p)
{
    const uint8_t *d = sc->s + p->gs[0];
    if (p->ng == 1) {
        size_t n = p->gl[0];
        if (n == 10 && (d[1] == '6' || d[1] == '7')) return 1;                    /* FR/NL mobile */
        if (n == 11 && d[1] == '7') return 1;                                     /* UK mobile */
        return (n == 11 || n == 12) && d[1] == '1' && d[2] >= '5' && d[2] <= '7'; /* DE */
    }
    if (p->digits < 9 || p->digits > 12 || p->gl[0] < 2 || p->gl[0] > 5) return 0;
    for (int g = 1; g < p->ng; g++)
        if (p->paren[g] || p->gl[g] > 8) return 0;
    int n;
    phone_sep_kinds(p, p->paren[0] ? 1 : 0, &n);
    return n <= 1;
}

static int phone_shape_ok(const scanner_t *sc, int plus, const phone_run_t *p)
{
    const uint8_t *d = sc->s + p->gs[0];
    int n;
    if (plus) {
        unsigned kinds = phone_sep_kinds(p, 0, &n);
        if (p->ng > 1 && p->gl[0] <= 3 && !p->paren[0] && !country_code_ok(d, p->gl[0])) return 0;
        return p->digits >= 8 && !(kinds & 8) && n <= 2 && (p->ng > 1 || p->digits >= 10);
    }
    if (phone_nanp_ok(sc, p)) return 1;
    if (d[0] != '0' || p->gl[0] < 2) return 0;
    if (d[1] == '0') { /* 00 + country code, written like "+" */
        unsigned kinds = phone_sep_kinds(p, 0, &n);
        if (p->ng < 2 || p->digits < 11 || n != 1 || (kinds & 8) || p->paren[0]) return 0;
        if (p->gl[0] > 2) return country_code_ok(d + 2, p->gl[0] - 2u);
        return country_code_ok(sc->s + p->gs[1], p->gl[1]);
    }
    return phone_national_ok(sc, p);
}

static int match_phone(const scanner_t *sc, size_t pos, hit_t *hit)
{
    int plus = sc->s[pos] == '+';
    uint8_t first = at(sc, pos + (size_t)plus);
    if (plus && (first < '1' || first > '9')) return 0;
    phone_run_t p;
    if (!phone_read(sc, pos + (size_t)plus, &p) || !phone_shape_ok(sc, plus, &p)) return 0;
    if (!number_may_end(sc, p.end)) return 0;
    *hit = (hit_t){PII_PHONE, pos, p.end};
    return 1;
}

/* ---- e-mail ---- */

/* Called where a run of local-part bytes begins; the run must end at an '@'. */
static int match_email(scanner_t *sc, size_t pos, hit_t *hit)
{
    const uint8_t *s = sc->s;
    if (sc->next_at < pos) {
        const uint8_t *a = memchr(s + pos, '@', sc->n - pos);
        sc->next_at = a ? (size_t)(a - s) : sc->n;
    }
    size_t mark = sc->next_at;
    if (mark >= sc->n || mark - pos > 80) return 0;
    size_t i = pos;
    while (i < mark && is_local(s[i])) i++;
    if (i != mark) return 0;
    size_t ls = pos;
    while (ls < mark && !is_alnum(s[ls])) ls++;
    if (ls == mark || mark - ls > 64 || s[mark - 1] == '.') return 0;

    size_t j = mark + 1, last = j;
    int labels = 0;
    for (;;) {
        size_t st = j;
        if (!is_alnum(at(sc, j))) break;
        while ((is_alnum(at(sc, j)) || at(sc, j) == '-') && j - st < 64) j++;
        if (s[j - 1] == '-' || j - st > 63 || j - mark > 254) return 0;
        labels++, last = st;
        if (at(sc, j) == '.' && is_alnum(at(sc, j + 1))) {
            j++;
            continue;
        }
        break;
    }
    if (labels < 2 || j - last < 2) return 0;
    for (size_t k = last; k < j; k++)
        if (!is_alpha(s[k])) return 0;
    if (is_word(at(sc, j)) || at(sc, j) == '@') return 0;
    *hit = (hit_t){PII_EMAIL, ls, j};
    return 1;
}

/* ---- account numbers after a configured keyword ---- */

/* Words allowed between the keyword and the identifier. */
static const char *const account_fillers[] = {
    "number", "numbers", "num", "no", "nr", "nbr", "id", "is", "was", "ref", "reference", "code",
};

static size_t keyword_match(const scanner_t *sc, size_t i, const char *kw)
{
    for (const char *k = kw; *k; k++) {
        if (*k == ' ') {
            size_t st = i;
            while (is_space(at(sc, i)) && i - st < 8) i++;
            if (i == st) return 0;
            while (k[1] == ' ') k++;
        } else if (to_lower(at(sc, i)) != to_lower((uint8_t)*k)) {
            return 0;
        } else {
            i++;
        }
    }
    return is_word(at(sc, i)) ? 0 : i;
}

static int is_filler(const uint8_t *w, size_t n)
{
    for (size_t f = 0; f < sizeof account_fillers / sizeof account_fillers[0]; f++) {
        const char *x = account_fillers[f];
        size_t k = 0;
        while (k < n && x[k] && to_lower(w[k]) == (uint8_t)x[k]) k++;
        if (k == n && !x[k]) return 1;
    }
    return 0;
}

/* Skips separators and filler words after a keyword; returns where the value
 * starts, or 0 when no value follows within a short distance. */
static size_t account_value_start(const scanner_t *sc, size_t j)
{
    size_t limit = j + 48;
    while (j < limit) {
        uint8_t c = at(sc, j);
        if (is_space(c) || (c && strchr(":#=.-", c))) {
            j++;
            continue;
        }
        if (!is_alpha(c)) break;
        size_t w = j;
        while (is_alpha(at(sc, w))) w++;
        if (is_word(at(sc, w)) || !is_filler(sc->s + j, w - j)) break;
        j = w;
    }
    return j < limit && is_alnum(at(sc, j)) ? j : 0;
}

/* yyyy-mm-dd or dd-mm-yyyy: an order date, not an order number. */
static int looks_like_date(const uint8_t *v, size_t n)
{
    static const char *const shapes[] = {"dddd-dd-dd", "dd-dd-dddd"};
    for (size_t s = 0; s < 2; s++) {
        size_t k = 0;
        while (k < n && shapes[s][k] && (shapes[s][k] == 'd' ? is_digit(v[k]) : v[k] == '-')) k++;
        if (k == n && !shapes[s][k]) return 1;
    }
    return 0;
}

static int match_account(const scanner_t *sc, size_t pos, hit_t *hit)
{
    for (size_t k = 0; k < sc->cfg->n_account_keywords; k++) {
        const char *kw = sc->cfg->account_keywords[k];
        if (!kw || !is_alnum((uint8_t)kw[0])) continue;
        size_t e = keyword_match(sc, pos, kw);
        size_t v = e ? account_value_start(sc, e) : 0;
        if (!v) continue;
        if (match_card(sc, v, hit) || match_iban(sc, v, hit) || match_ssn(sc, v, hit)) return 1;
        if (phone_may_start(sc, v) && match_phone(sc, v, hit)) return 1;
        size_t i = v, digits = 0;
        while (i - v <= 34 &&
               (is_alnum(at(sc, i)) || (at(sc, i) == '-' && is_alnum(at(sc, i + 1)))))
            digits += is_digit(sc->s[i++]);
        if (i - v < 5 || i - v > 34 || digits < 5 || !number_may_end(sc, i)) continue;
        if (looks_like_date(sc->s + v, i - v)) continue;
        *hit = (hit_t){PII_ACCOUNT, v, i};
        return 1;
    }
    return 0;
}

/* ---- the pass ---- */

static int match_at(scanner_t *sc, size_t pos, hit_t *hit)
{
    uint8_t c = sc->s[pos], prev = pos ? sc->s[pos - 1] : 0;
    if (is_local(c) && !is_local(prev) && match_email(sc, pos, hit)) return 1;
    if (is_word(prev)) return 0;
    if (is_alpha(c)) {
        if ((sc->kw_first[c >> 3] >> (c & 7) & 1) && match_account(sc, pos, hit)) return 1;
        return match_iban(sc, pos, hit);
    }
    if (is_digit(c)) {
        if (!number_may_start(sc, pos)) return 0;
        if (match_card(sc, pos, hit) || match_ssn(sc, pos, hit)) return 1;
        return phone_may_start(sc, pos) && match_phone(sc, pos, hit);
    }
    if (c == '+' || c == '(')
        return number_may_start(sc, pos) && phone_may_start(sc, pos) && match_phone(sc, pos, hit);
    return 0;
}

size_t pii_scan(const pii_config_t *cfg, const char *text, size_t len, pii_span_t *out, size_t cap)
{
    static const pii_config_t no_keywords = {NULL, 0};
    scanner_t sc = {(const uint8_t *)text, text ? len : 0, cfg ? cfg : &no_keywords, 0, {0}};
    if (sc.n > UINT32_MAX) sc.n = UINT32_MAX;
    if (!sc.cfg->account_keywords) sc.cfg = &no_keywords;
    for (size_t k = 0; k < sc.cfg->n_account_keywords; k++) {
        const char *kw = sc.cfg->account_keywords[k];
        if (!kw) continue;
        uint8_t lo = to_lower((uint8_t)kw[0]), up = to_upper((uint8_t)kw[0]);
        sc.kw_first[lo >> 3] |= (uint8_t)(1u << (lo & 7));
        sc.kw_first[up >> 3] |= (uint8_t)(1u << (up & 7));
    }
    const uint8_t *a = sc.n ? memchr(sc.s, '@', sc.n) : NULL;
    sc.next_at = a ? (size_t)(a - sc.s) : sc.n;

    size_t found = 0, pos = 0;
    unsigned prev = 0; /* class of the byte before pos */
    while (pos < sc.n) {
        hit_t hit;
        if (pos > sc.next_at) {
            a = memchr(sc.s + pos, '@', sc.n - pos);
            sc.next_at = a ? (size_t)(a - sc.s) : sc.n;
        }
        /* Fast path: bytes inside words, spaces and punctuation begin nothing;
         * a letter at a word start matters only for a keyword, an IBAN ("DE89")
         * or an e-mail address ending in an '@' shortly after. */
        uint8_t c = sc.s[pos];
        unsigned cls = byte_class[c];
        int cand;
        if (prev & C_WORD)
            cand = 0;
        else if (cls & C_ALPHA)
            cand = (sc.kw_first[c >> 3] >> (c & 7) & 1) || is_digit(at(&sc, pos + 2)) ||
                   sc.next_at - pos <= 80;
        else
            cand =
                (cls & C_NUM) || ((cls & C_LOCAL) && !(prev & C_LOCAL) && sc.next_at - pos <= 80);
        if (!cand || !match_at(&sc, pos, &hit)) {
            prev = cls, pos++;
            continue;
        }
        if (found < cap)
            out[found] = (pii_span_t){hit.kind, (uint32_t)hit.start, (uint32_t)hit.end};
        found++;
        pos = hit.end;
        prev = byte_class[sc.s[pos - 1]];
    }
    return found;
}

const char *pii_kind_name(pii_kind_t k)
{
    switch (k) {
    case PII_CARD: return "card";
    case PII_IBAN: return "iban";
    case PII_EMAIL: return "email";
    case PII_PHONE: return "phone";
    case PII_SSN: return "ssn";
    case PII_ACCOUNT: return "account";
    }
    return "unknown";
}

/* ---- redaction ---- */

#define MASK "\xe2\x80\xa2" /* U+2022 BULLET */

typedef struct {
    char *buf;
    size_t cap, len; /* len counts every byte asked for, written or not */
} writer_t;

static void put(writer_t *w, const void *p, size_t n)
{
    if (n == 0) return;
    if (w->cap && w->len < w->cap - 1) {
        size_t room = w->cap - 1 - w->len;
        memcpy(w->buf + w->len, p, n < room ? n : room);
    }
    w->len += n;
}

static void puts_(writer_t *w, const char *z)
{
    put(w, z, strlen(z));
}

/* Appends the last `keep` bytes of text[start..end) that satisfy `want`. */
static void put_tail(writer_t *w, const uint8_t *t, size_t start, size_t end, size_t keep,
                     int (*want)(uint8_t))
{
    uint8_t tail[4];
    size_t n = 0;
    for (size_t i = end; i > start && n < keep; i--)
        if (want(t[i - 1])) tail[keep - 1 - n++] = t[i - 1];
    put(w, tail + (keep - n), n);
}

static int want_digit(uint8_t c)
{
    return is_digit(c);
}
static int want_alnum(uint8_t c)
{
    return is_alnum(c);
}

static void put_mask(writer_t *w, const uint8_t *t, size_t start, size_t end, pii_kind_t kind)
{
    switch (kind) {
    case PII_CARD:
    case PII_PHONE:
        puts_(w, MASK MASK MASK MASK " ");
        put_tail(w, t, start, end, 4, want_digit);
        return;
    case PII_SSN:
        puts_(w, MASK MASK MASK "-" MASK MASK "-");
        put_tail(w, t, start, end, 4, want_digit);
        return;
    case PII_IBAN:
        put(w, t + start, end - start < 2 ? end - start : 2);
        puts_(w, MASK MASK " " MASK MASK MASK MASK " ");
        put_tail(w, t, start, end, 4, want_alnum);
        return;
    case PII_EMAIL: {
        const uint8_t *mark = memchr(t + start, '@', end - start);
        put(w, t + start, 1);
        puts_(w, MASK MASK MASK);
        if (mark) put(w, mark, (size_t)(t + end - mark));
        return;
    }
    case PII_ACCOUNT: {
        size_t alnum = 0;
        for (size_t i = start; i < end; i++) alnum += (size_t)is_alnum(t[i]);
        puts_(w, MASK MASK MASK MASK);
        put_tail(w, t, start, end, alnum < 8 ? 2 : 4, want_alnum);
        return;
    }
    }
    puts_(w, MASK MASK MASK MASK); /* a kind this version does not know: hide it all */
}

size_t pii_redact(const char *text, size_t len, const pii_span_t *spans, size_t n, char *buf,
                  size_t cap)
{
    const uint8_t *t = (const uint8_t *)text;
    writer_t w = {buf, buf ? cap : 0, 0};
    size_t done = 0;
    if (!t) len = 0;
    for (size_t k = 0; spans && k < n; k++) {
        size_t start = spans[k].start, end = spans[k].end;
        if (end > len) end = len;
        if (start < done) start = done;
        if (start >= end) continue;
        put(&w, t + done, start - done);
        put_mask(&w, t, start, end, spans[k].kind);
        done = end;
    }
    if (t) put(&w, t + done, len - done);
    if (w.cap) w.buf[w.len < w.cap ? w.len : w.cap - 1] = '\0';
    return w.len;
}
