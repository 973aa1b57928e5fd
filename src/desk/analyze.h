/*
 * analyze.h - what Parley understands of a text: sentiment, sensitive data,
 * triage labels, priority, and (for an agent's draft) brand-voice findings.
 *
 * Owns the loaded models (the VADER lexicons embedded in the binary, the
 * compiled default triage rules) and composes the pure src/text functions.
 * Read-only after start-up: one analyzer serves every thread.
 */
#ifndef PARLEY_DESK_ANALYZE_H
#define PARLEY_DESK_ANALYZE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "text/pii.h"
#include "text/priority.h"
#include "text/sentiment.h"
#include "text/triage.h"
#include "text/voice.h"

#define ANALYSIS_MAX_PII   32
#define ANALYSIS_MAX_VOICE 32

typedef struct analyzer analyzer_t;

/* What is known about the text's author and place, for priority. */
typedef struct {
    bool is_public;
    int64_t followers; /* -1 unknown */
    bool verified;
    int32_t prior_conversations, prior_negative;
    int64_t waiting_seconds;
} analysis_ctx_t;

typedef struct {
    bool valid_utf8;
    sentiment_t sentiment;
    pii_span_t pii[ANALYSIS_MAX_PII];
    size_t n_pii;
    triage_result_t triage;
    priority_t priority;
} analysis_t;

analyzer_t *analyzer_new(parley_err_t *err);
void analyzer_free(analyzer_t *a);
const sentiment_model_t *analyzer_sentiment(const analyzer_t *a);

/* Analyses text[0..len); never fails on content (invalid UTF-8 gives neutral
 * sentiment and valid_utf8 = false). */
void analyze_text(const analyzer_t *a, const char *text, size_t len, const analysis_ctx_t *ctx,
                  analysis_t *out);
/* {"sentiment":{...},"pii":[{"kind","start","end"}],"triage":{...},"priority":{...}} */
json_t *analysis_to_json(const analysis_t *an, const char *text);

/* Checks an agent's draft with the default voice rules; returns the number of
 * findings written to out (at most cap) and whether any blocks the send. */
size_t analyze_draft(const char *text, size_t len, bool is_public, voice_finding_t *out, size_t cap,
                     bool *blocks);
json_t *voice_findings_to_json(const voice_finding_t *f, size_t n);

#endif
