/*
 * test_sentiment.c - unit tests of the VADER port (src/text/sentiment*.c).
 *
 * Usage: test_sentiment CORPUS.tsv VADER_LEXICON EMOJI_LEXICON REGRESS.tsv
 * The corpus holds 3,000 texts with the reference implementation's four
 * numbers; every line must match exactly. Expected values of the targeted
 * cases were produced by the reference (vaderSentiment 3.3.x) itself.
 * REGRESS.tsv holds 1,300 synthetic texts (lexicon words in every case,
 * boosters, negations, idioms, "but", emoji, non-ASCII letters and spaces,
 * invalid UTF-8) with the scores of the straightforward port that preceded
 * the fast one (commit 5553b9e): the fast paths must not change a bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/sentiment.h"

static const char *corpus_path, *lexicon_path, *emoji_path, *regress_path;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) goto done;
    buf = malloc((size_t)n + 1);
    if (!buf) goto done;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[n] = '\0';
    *len = (size_t)n;
done:
    fclose(f);
    return buf;
}

static int setup_model(void **state)
{
    size_t ll, el;
    char *lex = slurp(lexicon_path, &ll), *emo = slurp(emoji_path, &el);
    sentiment_model_t *m = lex && emo ? sentiment_model_new(lex, ll, emo, el) : NULL;
    free(lex);
    free(emo);
    *state = m;
    return m ? 0 : -1;
}

static int teardown_model(void **state)
{
    sentiment_model_free(*state);
    return 0;
}

static void score_json(const sentiment_model_t *m, const char *text, size_t len, char *json)
{
    sentiment_t s;
    assert_int_equal(sentiment_score(m, text, len, &s), 0);
    sentiment_format_json(&s, json, SENTIMENT_JSON_MAX);
}

static void test_dev_corpus(void **state)
{
    const sentiment_model_t *m = *state;
    size_t len, lines = 0, bad = 0;
    char *corpus = slurp(corpus_path, &len);
    assert_non_null(corpus);
    for (char *line = corpus; line < corpus + len;) {
        char *nl = memchr(line, '\n', (size_t)(corpus + len - line));
        char *end = nl ? nl : corpus + len;
        char *f[5];
        size_t nf = 0;
        f[nf++] = line;
        for (char *p = line; p < end && nf < 5; p++)
            if (*p == '\t') {
                *p = '\0';
                f[nf++] = p + 1;
            }
        *end = '\0';
        assert_int_equal(nf, 5);
        char want[SENTIMENT_JSON_MAX], got[SENTIMENT_JSON_MAX];
        snprintf(want, sizeof want, "{\"neg\":%s,\"neu\":%s,\"pos\":%s,\"compound\":%s}", f[1],
                 f[2], f[3], f[4]);
        score_json(m, f[0], strlen(f[0]), got);
        sentiment_t fast, general; /* the ASCII path and the code point path agree */
        assert_int_equal(sentiment_score(m, f[0], strlen(f[0]), &fast), 0);
        assert_int_equal(sentiment__score_general(m, f[0], strlen(f[0]), &general), 0);
        assert_memory_equal(&fast, &general, sizeof fast);
        lines++;
        if (strcmp(want, got) != 0 && ++bad <= 10)
            printf("mismatch on line %zu: %s\n  want %s\n  got  %s\n", lines, f[0], want, got);
        line = end + 1;
    }
    printf("dev corpus: %zu/%zu lines match\n", lines - bad, lines);
    free(corpus);
    assert_int_equal(lines, 3000);
    assert_int_equal(bad, 0);
}

static const struct {
    const char *name, *text, *json;
} cases[] = {
    {"plain", "The book was good.",
     "{\"neg\":0.0,\"neu\":0.508,\"pos\":0.492,\"compound\":0.4404}"},
    {"negation", "The book was not good.",
     "{\"neg\":0.376,\"neu\":0.624,\"pos\":0.0,\"compound\":-0.3412}"},
    {"negated negative", "Not bad at all",
     "{\"neg\":0.0,\"neu\":0.513,\"pos\":0.487,\"compound\":0.431}"},
    {"but", "The plot was good, but the characters are uncompelling and the dialog is not great.",
     "{\"neg\":0.327,\"neu\":0.579,\"pos\":0.094,\"compound\":-0.7042}"},
    {"only the first but counts", "good but good but bad",
     "{\"neg\":0.378,\"neu\":0.159,\"pos\":0.462,\"compound\":0.0129}"},
    {"list.index() quirk of the but rule", "great great but great great",
     "{\"neg\":0.0,\"neu\":0.057,\"pos\":0.943,\"compound\":0.9545}"},
    {"caps and exclamations", "VADER is VERY SMART, handsome, and FUNNY!!!",
     "{\"neg\":0.0,\"neu\":0.233,\"pos\":0.767,\"compound\":0.9342}"},
    {"all caps: no emphasis", "VADER IS SMART",
     "{\"neg\":0.0,\"neu\":0.426,\"pos\":0.574,\"compound\":0.4019}"},
    {"emoji", "Catch utf-8 emoji such as 💘 and 💋 and 😁",
     "{\"neg\":0.0,\"neu\":0.583,\"pos\":0.417,\"compound\":0.875}"},
    {"emoji glued to a word", "I love it😍",
     "{\"neg\":0.0,\"neu\":0.41,\"pos\":0.59,\"compound\":0.802}"},
    {"emoticons", "Make sure you :) or :D today!",
     "{\"neg\":0.0,\"neu\":0.294,\"pos\":0.706,\"compound\":0.8633}"},
    {"empty", "", "{\"neg\":0.0,\"neu\":0.0,\"pos\":0.0,\"compound\":0.0}"},
    {"white space only", "   \t ", "{\"neg\":0.0,\"neu\":0.0,\"pos\":0.0,\"compound\":0.0}"},
    {"question marks", "Why??? Really???",
     "{\"neg\":0.0,\"neu\":1.0,\"pos\":0.0,\"compound\":0.0}"},
    {"Kelvin sign lowers to k", "\u212aIND of good",
     "{\"neg\":0.0,\"neu\":0.408,\"pos\":0.592,\"compound\":0.4404}"},
    {"least", "At least it isn't a horrible book.",
     "{\"neg\":0.0,\"neu\":0.678,\"pos\":0.322,\"compound\":0.431}"},
    {"without a doubt", "Without a doubt, excellent idea.",
     "{\"neg\":0.0,\"neu\":0.341,\"pos\":0.659,\"compound\":0.7013}"},
    {"kinda and But", "Today only kinda sux! But I'll get by, lol",
     "{\"neg\":0.127,\"neu\":0.556,\"pos\":0.317,\"compound\":0.5249}"},
    {"special idioms", "kiss of death is the bomb",
     "{\"neg\":0.55,\"neu\":0.233,\"pos\":0.217,\"compound\":-0.6486}"},
    {"non-ASCII caps", "ÉTÉ GOOD great",
     "{\"neg\":0.0,\"neu\":0.115,\"pos\":0.885,\"compound\":0.8286}"},
    {"Other_Lowercase letters", "ⓖⓞⓞⓓ GOOD nice",
     "{\"neg\":0.0,\"neu\":0.135,\"pos\":0.865,\"compound\":0.7531}"},
    {"Unicode white space", "good\u00a0bad\u2028great\u3000!",
     "{\"neg\":0.297,\"neu\":0.085,\"pos\":0.618,\"compound\":0.5848}"},
};

/* Undoes the escapes of sentiment_regress.tsv (\\ \t \n \r \xNN) in place;
 * returns the length. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\') {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'x') {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            s[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            s[o++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
        }
    }
    return o;
}

static void test_regress(void **state)
{
    const sentiment_model_t *m = *state;
    size_t len, lines = 0, bad = 0;
    char *data = slurp(regress_path, &len);
    assert_non_null(data);
    for (char *line = data; line < data + len;) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        char *end = nl ? nl : data + len;
        *end = '\0';
        char *tab = strrchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        const char *want = tab + 1;
        size_t tl = unescape(line);
        char got[SENTIMENT_JSON_MAX];
        sentiment_t sc;
        sentiment_t general;
        int rc = sentiment_score(m, line, tl, &sc);
        assert_int_equal(sentiment__score_general(m, line, tl, &general), rc);
        assert_memory_equal(&sc, &general, sizeof sc);
        if (rc == PARLEY_EINVAL)
            snprintf(got, sizeof got, "EINVAL");
        else
            sentiment_format_json(&sc, got, sizeof got);
        lines++;
        if (strcmp(want, got) != 0 && ++bad <= 10)
            printf("mismatch on line %zu\n  want %s\n  got  %s\n", lines, want, got);
        line = end + 1;
    }
    printf("regression set: %zu/%zu texts match\n", lines - bad, lines);
    free(data);
    assert_int_equal(lines, 1300);
    assert_int_equal(bad, 0);
}

/* Leading white space changes nothing, wherever it moves a token relative to
 * the 64-byte words of the ASCII split's bit masks. */
static void test_mask_boundaries(void **state)
{
    static const char *const texts[] = {
        "good",
        "GOOD day",
        "isn't good!!",
        "not BAD at all?? really",
        "kind of great but awful",
        "Sooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo good",
        "the shit",
        "\x1cgood\x07 bad"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        char want[SENTIMENT_JSON_MAX], got[SENTIMENT_JSON_MAX], buf[512];
        score_json(*state, texts[t], strlen(texts[t]), want);
        for (size_t pad = 0; pad < 140; pad++) {
            for (size_t k = 0; k < pad; k++) buf[k] = "  \t\n\x1c "[k % 6];
            size_t tl = strlen(texts[t]);
            memcpy(buf + pad, texts[t], tl);
            score_json(*state, buf, pad + tl, got);
            if (strcmp(want, got) != 0)
                fail_msg("\"%s\" after %zu spaces: want %s got %s", texts[t], pad, want, got);
        }
    }
}

/* Tokens of every length from 1 to 140 bytes (the ASCII split reads the
 * stripping and the case of a token shorter than 56 bytes from a window of
 * its masks, and walks a longer one byte by byte): a lexicon word inside
 * punctuation ("..good!!"), split at every point, at many offsets in a
 * 64-byte block. It scores only when stripped right, and the ASCII path
 * must give the very bits of the code point path. */
static void test_token_lengths(void **state)
{
    static const char *const words[] = {"good", "GOOD", "bad", "x", "n't"};
    static const char puncts[] = "!.?'#";
    char buf[512];
    for (size_t len = 1; len <= 140; len++) {
        for (size_t wi = 0; wi < sizeof words / sizeof words[0]; wi++) {
            size_t wl = strlen(words[wi]);
            for (size_t lead = 0; lead + wl <= len; lead += 1 + lead / 4) {
                size_t o = 0;
                memcpy(buf, "happy ", 6);
                o = 6;
                size_t pad = (len * 7 + lead * 13 + wi) % 64;
                for (size_t k = 0; k < pad; k++) buf[o++] = ' ';
                for (size_t k = 0; k < lead; k++) buf[o++] = puncts[(k + wi) % 5];
                memcpy(buf + o, words[wi], wl);
                o += wl;
                for (size_t k = lead + wl; k < len; k++) buf[o++] = puncts[(k + len) % 5];
                memcpy(buf + o, " sad", 4);
                o += 4;
                sentiment_t a, g;
                assert_int_equal(sentiment_score(*state, buf, o, &a), 0);
                assert_int_equal(sentiment__score_general(*state, buf, o, &g), 0);
                if (memcmp(&a, &g, sizeof a) != 0)
                    fail_msg("\"%.*s\": the paths disagree", (int)o, buf);
            }
        }
    }
}

/* Emoji are replaced in one pass when the result is sure to fit a stack
 * buffer, else measured first: white space before a text that moves it from
 * the one to the other changes nothing. */
static void test_emoji_long_and_short(void **state)
{
    static const char *const texts[] = {
        "LOVE the new colours, ordered two already \xf0\x9f\x98\x8d\xf0\x9f\x98\x8d",
        "\xf0\x9f\x98\x8dstart and end\xf0\x9f\x98\x8d", "caf\xc3\xa9 \xc2\xa9 ok",
        "sad\xf0\x9f\x98\xa2\xf0\x9f\x98\xa2 but fine \xe2\x9d\xa4\xef\xb8\x8f"};
    char want[SENTIMENT_JSON_MAX], got[SENTIMENT_JSON_MAX], buf[1024];
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t tl = strlen(texts[t]);
        score_json(*state, texts[t], tl, want);
        for (size_t pad = 100; pad <= 600; pad += 100) {
            memset(buf, ' ', pad);
            memcpy(buf + pad, texts[t], tl);
            score_json(*state, buf, pad + tl, got);
            if (strcmp(want, got) != 0)
                fail_msg("\"%s\" after %zu spaces: want %s got %s", texts[t], pad, want, got);
        }
    }
}

/* Two keys whose hashes collide: each must still find its own entry (the
 * second one's home slot is the first one's, which then has
 * SENTIMENT__OVERFLOW), and a miss must not take either. */
static void test_hash_collision(void **state)
{
    (void)state;
    assert_int_equal(sentiment__hash("hishyvc", 7), sentiment__hash("tgdydeg", 7));
    const char *lex = "hishyvc\t2.0\ntgdydeg\t-2.0\n";
    const char *emoji = "\xf0\x9f\x98\x8d\tsmiling face with heart-eyes\n";
    sentiment_model_t *m = sentiment_model_new(lex, strlen(lex), emoji, strlen(emoji));
    assert_non_null(m);
    sentiment_t a, b, c;
    assert_int_equal(sentiment_score(m, "hishyvc", 7, &a), 0);
    assert_int_equal(sentiment_score(m, "tgdydeg", 7, &b), 0);
    assert_int_equal(sentiment_score(m, "hishyvd", 7, &c), 0);
    assert_true(a.compound > 0);
    assert_true(b.compound < 0);
    assert_true(c.compound == 0);
    sentiment_model_free(m);
}

/* Keys longer than the 16 bytes an entry holds inline: the rest is compared
 * in the pool, so a word that differs only past byte 16 (or only in length)
 * is no hit. */
static void test_long_keys(void **state)
{
    (void)state;
    const char *lex = "supercalifragilistic\t2.0\nabcdefghijklmnop\t-1.5\n"
                      "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij\t3.0\n";
    const char *emoji = "\xf0\x9f\x98\x8d\tsmiling face with heart-eyes\n";
    sentiment_model_t *m = sentiment_model_new(lex, strlen(lex), emoji, strlen(emoji));
    assert_non_null(m);
    static const struct {
        const char *text;
        int sign;
    } long_cases[] = {{"supercalifragilistic", 1},
                      {"SUPERCALIFRAGILISTIC!", 1},
                      {"supercalifragilistix", 0},
                      {"supercalifragilisti", 0},
                      {"supercalifragilistics", 0},
                      {"abcdefghijklmnop", -1},
                      {"abcdefghijklmnopq", 0},
                      {"abcdefghijklmno", 0},
                      {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghij", 1},
                      {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghiJ.", 1},
                      {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghik", 0}};
    for (size_t i = 0; i < sizeof long_cases / sizeof long_cases[0]; i++) {
        sentiment_t s, g;
        assert_int_equal(sentiment_score(m, long_cases[i].text, strlen(long_cases[i].text), &s), 0);
        assert_int_equal(
            sentiment__score_general(m, long_cases[i].text, strlen(long_cases[i].text), &g), 0);
        int sign = (s.compound > 0) - (s.compound < 0);
        if (sign != long_cases[i].sign || memcmp(&s, &g, sizeof s) != 0)
            fail_msg("\"%s\": compound %g (general path %g), want sign %d", long_cases[i].text,
                     s.compound, g.compound, long_cases[i].sign);
    }
    sentiment_model_free(m);
}

static void test_reference_cases(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[SENTIMENT_JSON_MAX];
        score_json(*state, cases[i].text, strlen(cases[i].text), got);
        if (strcmp(got, cases[i].json) != 0)
            fail_msg("%s: \"%s\"\n  want %s\n  got  %s", cases[i].name, cases[i].text,
                     cases[i].json, got);
    }
}

static void test_invalid_utf8(void **state)
{
    static const char *const bad[] = {"good \xff",    "\xc3",     "caf\xc3\x28",
                                      "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
                                      "ok \xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sentiment_t s = {1, 1, 1, 1};
        assert_int_equal(sentiment_score(*state, bad[i], strlen(bad[i]), &s), PARLEY_EINVAL);
        assert_true(s.neg == 0 && s.neu == 0 && s.pos == 0 && s.compound == 0);
    }
}

static void test_embedded_nul_and_length(void **state)
{
    char a[SENTIMENT_JSON_MAX], b[SENTIMENT_JSON_MAX];
    /* only text[0..len) counts: the tail after len is never read */
    score_json(*state, "good bad", 4, a);
    score_json(*state, "good", 4, b);
    assert_string_equal(a, b);
    score_json(*state, "good\0bad", 8, a); /* NUL is an ordinary character */
    assert_string_equal(a, "{\"neg\":0.0,\"neu\":1.0,\"pos\":0.0,\"compound\":0.0}");
    score_json(*state, NULL, 0, a);
    assert_string_equal(a, "{\"neg\":0.0,\"neu\":0.0,\"pos\":0.0,\"compound\":0.0}");
}

/* A text far past the stack scratch takes the heap path and must agree with
 * the sum of its parts' behaviour: here, one repeated sentence. */
static void test_long_text(void **state)
{
    const char *unit = "great but awful 😍 NOT good!! ";
    size_t ul = strlen(unit), reps = 2000;
    char *big = malloc(ul * reps);
    assert_non_null(big);
    for (size_t i = 0; i < reps; i++) memcpy(big + i * ul, unit, ul);
    sentiment_t s;
    assert_int_equal(sentiment_score(*state, big, ul * reps, &s), 0);
    assert_true(s.compound >= -1.0 && s.compound <= 1.0);
    free(big);
}

static void test_round_like_python(void **state)
{
    (void)state;
    char buf[48];
    static const struct {
        double x;
        int nd;
        const char *repr;
    } r[] = {{0.125, 2, "0.12"},
             {0.375, 2, "0.38"},
             {2.675, 2, "2.67"},
             {-0.00001, 4, "-0.0"},
             {0.00005, 4, "0.0001"},
             {-0.00005, 4, "-0.0001"},
             {0.49999999999999994, 0, "0.0"},
             {0.5, 0, "0.0"},
             {1.5, 0, "2.0"},
             {0.8316499, 4, "0.8316"},
             {0.25450000000000001, 3, "0.255"},
             {0.0, 3, "0.0"},
             {-0.0, 4, "-0.0"},
             {1.0, 3, "1.0"}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        sentiment_repr(sentiment_round(r[i].x, r[i].nd), buf, sizeof buf);
        if (strcmp(buf, r[i].repr) != 0)
            fail_msg("round(%.17g, %d): want %s got %s", r[i].x, r[i].nd, r[i].repr, buf);
    }
    sentiment_repr(1e-05, buf, sizeof buf);
    assert_string_equal(buf, "1e-05");
    sentiment_repr(0.0001, buf, sizeof buf);
    assert_string_equal(buf, "0.0001");
    sentiment_repr(1e16, buf, sizeof buf);
    assert_string_equal(buf, "1e+16");
    sentiment_repr(123.456, buf, sizeof buf);
    assert_string_equal(buf, "123.456");
}

static void test_format_json_truncates(void **state)
{
    (void)state;
    sentiment_t s = {0.0, 0.254, 0.746, 0.8316};
    char buf[10];
    size_t n = sentiment_format_json(&s, buf, sizeof buf);
    assert_int_equal(n, strlen("{\"neg\":0.0,\"neu\":0.254,\"pos\":0.746,\"compound\":0.8316}"));
    assert_int_equal(strlen(buf), sizeof buf - 1);
}

static void test_model_parsing(void **state)
{
    (void)state;
    const char *emoji = "\xf0\x9f\x98\x8d\tsmiling face with heart-eyes\n";
    /* duplicated keys: the last one wins, as in the reference's dict */
    const char *lex = "good\t1.9\t0.5\t[1]\ngood\t-3.0\t0.5\t[1]\n\nmeh\t-0.5\t0\t[]\n";
    sentiment_model_t *m = sentiment_model_new(lex, strlen(lex), emoji, strlen(emoji));
    assert_non_null(m);
    sentiment_t s;
    assert_int_equal(sentiment_score(m, "good", 4, &s), 0);
    assert_true(s.compound < 0);
    sentiment_model_free(m);

    static const char *const bad_lex[] = {"good 1.9\n", "good\tabc\n", "good\tnan\n",
                                          "good\t0x10\n", "good\t1.9\n\xff\t1\n"};
    for (size_t i = 0; i < sizeof bad_lex / sizeof bad_lex[0]; i++)
        assert_null(sentiment_model_new(bad_lex[i], strlen(bad_lex[i]), emoji, strlen(emoji)));
    size_t big = 70000; /* a key past 65,535 bytes */
    char *huge = malloc(big + 8);
    assert_non_null(huge);
    memset(huge, 'a', big);
    memcpy(huge + big, "\t1.0\n", 5);
    assert_null(sentiment_model_new(huge, big + 5, emoji, strlen(emoji)));
    free(huge);
    assert_null(sentiment_model_new(lex, strlen(lex), "", 0));             /* no emoji line */
    assert_null(sentiment_model_new(lex, strlen(lex), "a\tb\n\nc\td", 9)); /* empty line */
    m = sentiment_model_new("", 0, emoji, strlen(emoji)); /* an empty lexicon is valid */
    assert_non_null(m);
    sentiment_model_free(m);

    /* a description that is not ASCII: the replaced text must not take the
     * ASCII-only split */
    const char *emoji2 = "\xf0\x9f\x98\x8d\tCAF\xc3\x89 au lait\n";
    const char *lex2 = "caf\xc3\xa9\t2.0\n";
    m = sentiment_model_new(lex2, strlen(lex2), emoji2, strlen(emoji2));
    assert_non_null(m);
    assert_int_equal(sentiment_score(m, "\xf0\x9f\x98\x8d", 4, &s), 0);
    assert_true(s.compound > 0);
    sentiment_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s CORPUS.tsv VADER_LEXICON EMOJI_LEXICON REGRESS.tsv\n", argv[0]);
        return 2;
    }
    corpus_path = argv[1];
    lexicon_path = argv[2];
    emoji_path = argv[3];
    regress_path = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dev_corpus),
        cmocka_unit_test(test_reference_cases),
        cmocka_unit_test(test_regress),
        cmocka_unit_test(test_mask_boundaries),
        cmocka_unit_test(test_token_lengths),
        cmocka_unit_test(test_emoji_long_and_short),
        cmocka_unit_test(test_hash_collision),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_embedded_nul_and_length),
        cmocka_unit_test(test_long_text),
        cmocka_unit_test(test_round_like_python),
        cmocka_unit_test(test_format_json_truncates),
        cmocka_unit_test(test_model_parsing),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
