/*
 * bench_text.c - throughput of the text layer on one core.
 *
 * Usage: bench_text CORPUS.tsv VADER_LEXICON EMOJI_LEXICON
 * Takes the text column of the corpus, repeats it to at least 1,000,000
 * texts, and times (a) a ceiling pass that only reads and tokenizes them with
 * the real tokenizer, tok_split(), and (b) sentiment_score() on the same
 * texts. Prints posts/s by the wall clock (the figure the goal of issue 4 is
 * checked against: PASS/FAIL at 1,000,000 posts/s) and, because the
 * benchmark machine is shared, also per CPU second of the thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/sentiment.h"
#include "text/tokenize.h"

#define MIN_TEXTS    1000000
#define GOAL_POSTS_S 1000000 /* issue 4: short posts per second on one core */

typedef struct {
    const char *p;
    size_t len;
} text_t;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            buf = realloc(buf, cap + 1);
            if (!buf) abort();
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what the figures would be on an idle core, shown
 * beside the wall-clock ones because the benchmark machine is shared. */
static double cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s CORPUS.tsv VADER_LEXICON EMOJI_LEXICON\n", argv[0]);
        return 2;
    }
    size_t cl, ll, el;
    char *corpus = slurp(argv[1], &cl), *lex = slurp(argv[2], &ll), *emo = slurp(argv[3], &el);
    if (!corpus || !lex || !emo) {
        fprintf(stderr, "bench_text: cannot read input files\n");
        return 1;
    }
    sentiment_model_t *m = sentiment_model_new(lex, ll, emo, el);
    if (!m) {
        fprintf(stderr, "bench_text: malformed lexicon\n");
        return 1;
    }

    /* the text column of every line */
    size_t nlines = 0, cap = 4096;
    text_t *lines = malloc(cap * sizeof *lines);
    for (char *p = corpus; p < corpus + cl;) {
        char *nl = memchr(p, '\n', (size_t)(corpus + cl - p));
        char *end = nl ? nl : corpus + cl;
        char *tab = memchr(p, '\t', (size_t)(end - p));
        if (nlines == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[nlines].p = p;
        lines[nlines].len = (size_t)((tab ? tab : end) - p);
        nlines++;
        p = end + 1;
    }
    if (nlines == 0) return 1;
    size_t reps = (MIN_TEXTS + nlines - 1) / nlines, total = reps * nlines, bytes = 0;
    for (size_t i = 0; i < nlines; i++) bytes += lines[i].len;

    /* (a) ceiling: read and tokenize */
    tok_t toks[512];
    size_t ntok = 0;
    double t0 = now(), c0 = cpu_now();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < nlines; i++) ntok += tok_split(lines[i].p, lines[i].len, toks, 512);
    double t_tok = now() - t0, c_tok = cpu_now() - c0;

    /* (b) sentiment */
    double check = 0;
    sentiment_t s;
    t0 = now();
    c0 = cpu_now();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < nlines; i++) {
            if (sentiment_score(m, lines[i].p, lines[i].len, &s) != 0) return 1;
            check += s.compound;
        }
    double t_sent = now() - t0, c_sent = cpu_now() - c0;

    double tok_rate = (double)total / t_tok, sent_rate = (double)total / t_sent;
    printf("texts: %zu (%zu distinct, %.1f bytes mean), tokens %zu, checksum %.4f\n", total, nlines,
           (double)bytes / (double)nlines, ntok / reps, check / (double)reps);
    printf("sentiment: %.0f posts/s (ceiling tokenize %.0f posts/s, ratio %.2f)\n", sent_rate,
           tok_rate, sent_rate / tok_rate);
    printf("  per CPU second of this thread: sentiment %.0f posts/s, ceiling %.0f posts/s\n",
           (double)total / c_sent, (double)total / c_tok);
    printf("sentiment >= %d posts/s on one core: %s\n", GOAL_POSTS_S,
           sent_rate >= GOAL_POSTS_S ? "PASS" : "FAIL");
    sentiment_model_free(m);
    free(lines);
    free(corpus);
    free(lex);
    free(emo);
    return 0;
}
