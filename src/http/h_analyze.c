/*
 * h_analyze.c - POST /api/v1/analyze: everything Parley understands of a text,
 * for any text (an inbound post, or an agent's draft before sending).
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/analyze.h"

static void h_analyze(req_t *r)
{
    static const char *const allowed[] = {"text", "visibility", "followers", "verified", NULL};
    static const char *const vis[] = {"private", "public", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *text = json_get_string(&c, body, "text", true, 0, 65536);
    int v = json_get_enum(&c, body, "visibility", false, vis);
    int64_t followers = json_get_int(&c, body, "followers", false, -1, INT64_MAX, -1);
    bool verified = json_get_bool(&c, body, "verified", false);
    if (http_check_failed(r, &c)) return;
    size_t len = json_string_length(json_object_get(body, "text"));
    bool is_public = v == 1;
    analysis_ctx_t ctx = {.is_public = is_public, .followers = followers, .verified = verified};
    analysis_t *an = arena_alloc(&r->arena, sizeof *an);
    analyze_text(r->app->analyzer, text, len, &ctx, an);
    json_t *out = analysis_to_json(an, text);
    voice_finding_t *f = arena_alloc(&r->arena, sizeof *f * ANALYSIS_MAX_VOICE);
    bool blocks;
    size_t n = analyze_draft(text, len, is_public, f, ANALYSIS_MAX_VOICE, &blocks);
    json_object_set_new(out, "voice", voice_findings_to_json(f, n));
    json_object_set_new(out, "blocked", json_boolean(blocks));
    http_reply_json(r, 200, out);
}

static const route_t routes[] = {
    {"POST", "/api/v1/analyze", PERM_READ, h_analyze},
};
const route_table_t analyze_route_table = ROUTE_TABLE(routes);
