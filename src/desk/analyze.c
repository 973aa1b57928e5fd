/*
 * analyze.c - the models behind /api/v1/analyze and desk_ingest.
 */
#include "desk/analyze.h"

#include "core/blob.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

extern const parley_blob_t parley_data[];

struct analyzer {
    sentiment_model_t *sentiment;
    triage_t *triage;
};

analyzer_t *analyzer_new(parley_err_t *err)
{
    const parley_blob_t *lex = blob_find(parley_data, "vader_lexicon.txt");
    const parley_blob_t *emo = blob_find(parley_data, "emoji_utf8_lexicon.txt");
    analyzer_t *a = xcalloc(1, sizeof *a);
    a->sentiment =
        lex && emo ? sentiment_model_new(lex->data, lex->len, emo->data, emo->len) : NULL;
    triage_config_t cfg;
    triage_config_init(&cfg);
    triage_error_t terr = {0};
    int rc = triage_new(&cfg, &a->triage, &terr);
    triage_config_free(&cfg);
    if (!a->sentiment || rc) {
        parley_errf(err, PARLEY_EIO, "", "the text models could not be loaded: %s",
                    !a->sentiment ? "VADER lexicon" : terr.msg);
        analyzer_free(a);
        return NULL;
    }
    return a;
}

void analyzer_free(analyzer_t *a)
{
    if (!a) return;
    sentiment_model_free(a->sentiment);
    triage_free(a->triage);
    free(a);
}

const sentiment_model_t *analyzer_sentiment(const analyzer_t *a)
{
    return a->sentiment;
}

void analyze_text(const analyzer_t *a, const char *text, size_t len, const analysis_ctx_t *ctx,
                  analysis_t *out)
{
    memset(out, 0, sizeof *out);
    out->valid_utf8 = sentiment_score(a->sentiment, text, len, &out->sentiment) == 0;
    out->n_pii = pii_scan(NULL, text, len, out->pii, ANALYSIS_MAX_PII);
    if (out->n_pii > ANALYSIS_MAX_PII) out->n_pii = ANALYSIS_MAX_PII;
    triage_classify(a->triage, text, len, &out->triage);
    priority_input_t in = {
        .sentiment = out->sentiment.compound,
        .triage = &out->triage,
        .followers = ctx ? ctx->followers : -1,
        .verified = ctx && ctx->verified,
        .is_public = ctx && ctx->is_public,
        .prior_conversations = ctx ? ctx->prior_conversations : 0,
        .prior_negative = ctx ? ctx->prior_negative : 0,
        .waiting_seconds = ctx ? ctx->waiting_seconds : 0,
    };
    priority_compute(&in, &out->priority);
}

json_t *analysis_to_json(const analysis_t *an, const char *text)
{
    json_t *pii = json_array();
    for (size_t i = 0; i < an->n_pii; i++)
        json_array_append_new(
            pii, json_pack("{s:s, s:I, s:I}", "kind", pii_kind_name(an->pii[i].kind), "start",
                           (json_int_t)an->pii[i].start, "end", (json_int_t)an->pii[i].end));
    json_t *labels = json_array();
    for (size_t i = 0; i < an->triage.n_labels; i++) {
        const triage_hit_t *h = &an->triage.labels[i];
        json_t *l = json_pack("{s:s, s:f}", "label", triage_label_name(h->label), "confidence",
                              h->confidence);
        if (h->sub && *h->sub) json_object_set_new(l, "topic", json_string(h->sub));
        json_array_append_new(labels, l);
    }
    json_t *evidence = json_array();
    for (size_t i = 0; i < an->triage.n_evidence; i++) {
        const triage_evidence_t *e = &an->triage.evidence[i];
        json_array_append_new(evidence, json_pack("{s:s, s:s, s:I, s:I}", "label",
                                                  triage_label_name(e->label), "phrase",
                                                  e->phrase ? e->phrase : "", "start",
                                                  (json_int_t)e->start, "end", (json_int_t)e->end));
    }
    (void)text;
    return json_pack("{s:{s:f, s:f, s:f, s:f}, s:b, s:o, s:{s:o, s:o}, s:{s:s, s:i, s:s}}",
                     "sentiment", "neg", an->sentiment.neg, "neu", an->sentiment.neu, "pos",
                     an->sentiment.pos, "compound", an->sentiment.compound, "valid_utf8",
                     an->valid_utf8, "pii", pii, "triage", "labels", labels, "evidence", evidence,
                     "priority", "level", priority_level_name(an->priority.level), "score",
                     an->priority.score, "explanation", an->priority.explain);
}

size_t analyze_draft(const char *text, size_t len, bool is_public, voice_finding_t *out, size_t cap,
                     bool *blocks)
{
    voice_config_t cfg = voice_config_default();
    size_t n = 0;
    voice_check(&cfg, text, len, is_public, out, cap, &n);
    if (n > cap) n = cap;
    *blocks = voice_blocks(out, n);
    return n;
}

json_t *voice_findings_to_json(const voice_finding_t *f, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:s}", "rule", f[i].rule_id,
                                             "severity",
                                             f[i].severity == VOICE_ERROR ? "error" : "warning",
                                             "start", (json_int_t)f[i].start, "end",
                                             (json_int_t)f[i].end, "message", f[i].message));
    return arr;
}
