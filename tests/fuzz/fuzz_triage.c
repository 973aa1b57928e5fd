/*
 * fuzz_triage.c - libFuzzer target for triage: the rule-line parser (with a
 * compile of whatever it accepted) and the classifier on the same bytes.
 *
 * The first byte picks the mode: even bytes classify the rest with the
 * default rules, odd bytes parse the rest as rule lines layered on the
 * defaults and then classify a fixed post and the rest of the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/priority.h"
#include "text/triage.h"

static void check_result(const triage_result_t *r, size_t len)
{
    if (r->n_labels > TRIAGE_MAX_LABELS || r->n_evidence > TRIAGE_MAX_EVIDENCE) abort();
    for (size_t i = 0; i < r->n_labels; i++)
        if (!(r->labels[i].confidence > 0 && r->labels[i].confidence <= 1) || !r->labels[i].sub)
            abort();
    for (size_t i = 0; i < r->n_evidence; i++)
        if (r->evidence[i].end > len || r->evidence[i].start > r->evidence[i].end) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static triage_t *dflt;
    if (!dflt && triage_new(NULL, &dflt, NULL) != 0) abort();
    if (size == 0) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    triage_result_t r;
    if ((data[0] & 1) == 0) {
        if (triage_classify(dflt, text, len, &r) != 0) abort();
        check_result(&r, len);
        priority_input_t in = {.sentiment = -0.5,
                               .triage = &r,
                               .followers = (int64_t)len * 997,
                               .is_public = true,
                               .waiting_seconds = (int64_t)len * 61};
        priority_t p;
        if (priority_compute(&in, &p) != 0 || strlen(p.explain) >= PRIORITY_EXPLAIN_MAX) abort();
        return 0;
    }
    triage_config_t cfg;
    triage_error_t err;
    triage_config_init(&cfg);
    cfg.no_defaults = (data[0] & 2) != 0;
    (void)triage_config_parse_lines(&cfg, text, len, &err);
    triage_t *t = NULL;
    if (triage_new(&cfg, &t, &err) == 0) {
        static const char post[] = "@brand I want a refund, my lawyer says this is a scam?!";
        if (triage_classify(t, post, sizeof post - 1, &r) != 0) abort();
        check_result(&r, sizeof post - 1);
        if (triage_classify(t, text, len, &r) != 0) abort();
        check_result(&r, len);
        triage_free(t);
    }
    triage_config_free(&cfg);
    return 0;
}
