/*
 * bench_triage.c - throughput of triage against its tokenizer ceiling.
 *
 * Reads the text column (before the first tab) of a TSV such as
 * dev_corpus.tsv (path in argv[1]), repeats the texts to at least 1,000,000
 * posts, times one pass of tok_split alone (the ceiling: triage cannot be
 * faster than tokenizing) and one pass of triage_classify, and prints
 *   triage: N posts/s (ceiling tokenize M posts/s, ratio R)
 * Build with -O2 and no sanitizers for meaningful numbers.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/tokenize.h"
#include "text/triage.h"

#define MIN_POSTS 1000000

typedef struct {
    const char *p;
    size_t len;
} view_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s dev_corpus.tsv\n", argv[0]);
        return 2;
    }
    size_t len;
    char *data = slurp(argv[1], &len);
    if (!data) {
        perror(argv[1]);
        return 1;
    }
    size_t n = 0, cap = 4096;
    view_t *texts = malloc(cap * sizeof *texts);
    for (size_t i = 0; i < len && texts;) {
        size_t e = i;
        while (e < len && data[e] != '\n') e++;
        size_t t = i;
        while (t < e && data[t] != '\t') t++;
        if (t > i) {
            if (n == cap) texts = realloc(texts, (cap *= 2) * sizeof *texts);
            if (texts) texts[n++] = (view_t){data + i, t - i};
        }
        i = e + 1;
    }
    if (!texts || n == 0) {
        fprintf(stderr, "no texts in %s\n", argv[1]);
        return 1;
    }
    size_t reps = (MIN_POSTS + n - 1) / n, total = reps * n;
    triage_t *tr = NULL;
    if (triage_new(NULL, &tr, NULL) != 0) return 1;

    tok_t toks[512];
    size_t sink = 0;
    double t0 = now();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++) sink += tok_split(texts[i].p, texts[i].len, toks, 512);
    double t_tok = now() - t0;

    triage_result_t res;
    size_t labels = 0;
    t0 = now();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++) {
            triage_classify(tr, texts[i].p, texts[i].len, &res);
            labels += res.n_labels;
        }
    double t_tri = now() - t0;

    double tok_rate = total / t_tok, tri_rate = total / t_tri;
    printf("triage: %.0f posts/s (ceiling tokenize %.0f posts/s, ratio %.2f)\n", tri_rate, tok_rate,
           tri_rate / tok_rate);
    fprintf(stderr, "%zu distinct texts x %zu = %zu posts; %zu tokens, %zu labels\n", n, reps,
            total, sink, labels);
    triage_free(tr);
    free(texts);
    free(data);
    return 0;
}
