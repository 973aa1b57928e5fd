/*
 * fuzz_sentiment.c - libFuzzer target for sentiment_score().
 *
 * Loads the lexicons once from $PARLEY_DATA_DIR (default "data"), then scores
 * every input and checks the invariants: valid UTF-8 scores in range, the
 * JSON fits SENTIMENT_JSON_MAX, invalid UTF-8 gives PARLEY_EINVAL, and the
 * ASCII fast path gives the very bits of the code point path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/sentiment.h"

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

static sentiment_model_t *model(void)
{
    static sentiment_model_t *m;
    if (!m) {
        const char *dir = getenv("PARLEY_DATA_DIR");
        size_t ll = 0, el = 0;
        if (!dir) dir = "data";
        char *lex = slurp(dir, "vader_lexicon.txt", &ll),
             *emo = slurp(dir, "emoji_utf8_lexicon.txt", &el);
        if (!lex || !emo) {
            fprintf(stderr, "fuzz_sentiment: cannot read lexicons in %s\n", dir);
            abort();
        }
        m = sentiment_model_new(lex, ll, emo, el);
        free(lex);
        free(emo);
        if (!m) abort();
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sentiment_t s;
    char json[SENTIMENT_JSON_MAX];
    int rc = sentiment_score(model(), (const char *)data, size, &s);
    if (rc == PARLEY_EINVAL) {
        if (s.neg != 0 || s.neu != 0 || s.pos != 0 || s.compound != 0) abort();
        return 0;
    }
    if (rc != 0) abort();
    sentiment_t g;
    if (sentiment__score_general(model(), (const char *)data, size, &g) != 0 ||
        memcmp(&s, &g, sizeof s) != 0)
        abort();
    if (!(s.compound >= -1 && s.compound <= 1) || !(s.neg >= 0 && s.neg <= 1) ||
        !(s.neu >= 0 && s.neu <= 1) || !(s.pos >= 0 && s.pos <= 1))
        abort();
    if (sentiment_format_json(&s, json, sizeof json) >= sizeof json) abort();
    return 0;
}
