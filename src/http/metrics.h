/*
 * metrics.h - request counters and latency histograms for GET /metrics.
 *
 * Lock-free: each request adds to atomic counters for its route and status;
 * the Prometheus text is rendered on demand.
 */
#ifndef PARLEY_HTTP_METRICS_H
#define PARLEY_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

typedef struct metrics metrics_t;

metrics_t *metrics_new(size_t n_routes);
void metrics_free(metrics_t *m);
/* route = index in http_routes, or -1 for requests no route matched. */
void metrics_observe(metrics_t *m, int route, int status, int64_t ns);
/* Counts a named event ("webhook_rejected", ...), for counters beyond requests. */
void metrics_count(metrics_t *m, const char *name);
void metrics_render(metrics_t *m, buf_t *out);

#endif
