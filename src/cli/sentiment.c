/*
 * sentiment.c - `parley sentiment`: VADER scores for one text per line.
 */
#include "cli/cli.h"

#include "desk/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_sentiment(int argc, char **argv)
{
    if (argc > 1) {
        bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        fprintf(help ? stdout : stderr,
                "usage: parley sentiment < texts\n\n"
                "Reads one text per line on stdin and writes one JSON object per line:\n"
                "  {\"neg\":0.0,\"neu\":0.254,\"pos\":0.746,\"compound\":0.8316}\n"
                "exactly as VADER 3.3 scores it. A line that is not valid UTF-8 gives\n"
                "  {\"error\":\"invalid UTF-8\",\"line\":N}\n");
        return help ? 0 : 2;
    }
    parley_err_t err = {0};
    analyzer_t *a = analyzer_new(&err);
    if (!a) {
        fprintf(stderr, "parley sentiment: %s\n", err.msg);
        return 1;
    }
    const sentiment_model_t *m = analyzer_sentiment(a);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    char out[SENTIMENT_JSON_MAX];
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (len && line[len - 1] == '\r') len--;
        sentiment_t s;
        if (sentiment_score(m, line, len, &s) != 0) {
            printf("{\"error\":\"invalid UTF-8\",\"line\":%ld}\n", lineno);
            continue;
        }
        sentiment_format_json(&s, out, sizeof out);
        puts(out);
    }
    free(line);
    analyzer_free(a);
    return 0;
}
