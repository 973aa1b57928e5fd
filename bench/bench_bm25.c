/*
 * bench_bm25.c - suggestion throughput: BM25 queries per second.
 *
 * Indexes the first 500 texts (before the first tab) of a TSV such as
 * dev_corpus.tsv (argv[1]) as documents, then runs the remaining texts as
 * queries, repeated to at least 200,000 queries, top 5 each, and prints
 *   bm25: N queries/s over D docs
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/bm25.h"

int main(int argc, char **argv)
{
    if (argc < 2) return fprintf(stderr, "usage: %s corpus.tsv\n", argv[0]), 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) return perror(argv[1]), 1;
    static char lines[4000][1024];
    size_t n = 0;
    while (n < 4000 && fgets(lines[n], sizeof lines[n], f)) {
        char *tab = strchr(lines[n], '\t');
        if (tab) *tab = '\0';
        n++;
    }
    fclose(f);
    size_t docs = n < 500 ? n / 2 : 500;
    bm25_index_t *ix = bm25_index_new();
    for (size_t i = 0; i < docs; i++) bm25_add(ix, (int64_t)i, lines[i], strlen(lines[i]));
    bm25_finish(ix);
    bm25_result_t r[5];
    size_t queries = 0, hits = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    while (queries < 200000)
        for (size_t i = docs; i < n; i++, queries++)
            hits += (size_t)bm25_search(ix, lines[i], strlen(lines[i]), 5, r);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("bm25: %.0f queries/s over %zu docs\n", queries / s, docs);
    fprintf(stderr, "%zu queries, %zu results\n", queries, hits);
    bm25_index_free(ix);
    return 0;
}
