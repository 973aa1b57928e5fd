/*
 * h_system.c - liveness, readiness, metrics and the OpenAPI document.
 */
#include "http/handlers.h"

#include "desk/delivery.h"
#include "http/server.h"

#include "core/blob.h"
#include "store/store_reports.h"

extern const parley_blob_t parley_docs[];

void h_healthz(req_t *r)
{
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void h_readyz(req_t *r)
{
    int version = 0;
    store_t *st = r->app->store;
    if (st->ops->ping(st) != 0 || st->ops->schema_version(st, &version) != 0) {
        http_problem(r, 503, "not-ready", "Not ready", "the store is unreachable", NULL);
        return;
    }
    /* the report rollups lag the events after a run with rollups = off */
    int64_t stale = 0;
    char since[32];
    if (st->ops->reports && st->ops->reports->stale_get(st->ops->reader(st), &stale)) stale = 0;
    if (stale) clock_format_iso(stale, since);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:i, s:s, s:s?}", "status", "ready", "store",
                              st->ops->name, "schema_version", version, "reports",
                              stale ? "stale" : "current", "reports_stale_since",
                              stale ? since : NULL));
}

void h_metrics(req_t *r)
{
    buf_t b;
    buf_init(&b, 0);
    metrics_render(r->srv->metrics, &b);
    delivery_render_metrics(r->app->delivery, &b);
    http_reply_raw(r, 200, "text/plain; version=0.0.4", buf_cstr(&b), b.len);
    buf_free(&b);
}

void h_openapi(req_t *r)
{
    const parley_blob_t *doc = blob_find(parley_docs, "openapi.json");
    http_reply_raw(r, 200, "application/json", doc->data, doc->len);
}
