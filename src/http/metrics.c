/*
 * metrics.c - counters and histograms rendered as Prometheus text.
 */
#include "http/metrics.h"
#include "http/router.h"

#include "core/mem.h"
#include "store/stats.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[] = {200, 201, 202, 204, 301, 304, 400, 401, 403, 404,
                               405, 409, 413, 415, 422, 429, 431, 500, 503};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */
static const double buckets_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof buckets_s / sizeof buckets_s[0])
#define N_NAMED   16

typedef struct {
    _Atomic uint64_t count[N_STATUS];
    _Atomic uint64_t bucket[N_BUCKETS];
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t total;
} route_stats_t;

struct metrics {
    size_t n_routes;
    route_stats_t *routes; /* n_routes + 1 (unmatched) */
    const char *named[N_NAMED];
    _Atomic uint64_t named_count[N_NAMED];
    _Atomic int n_named;
};

metrics_t *metrics_new(size_t n_routes)
{
    metrics_t *m = xcalloc(1, sizeof *m);
    m->n_routes = n_routes;
    m->routes = xcalloc(n_routes + 1, sizeof *m->routes);
    return m;
}

void metrics_free(metrics_t *m)
{
    if (!m) return;
    free(m->routes);
    free(m);
}

void metrics_observe(metrics_t *m, int route, int status, int64_t ns)
{
    route_stats_t *r = &m->routes[route < 0 ? m->n_routes : (size_t)route];
    size_t si = N_STATUS - 1;
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status) si = i;
    atomic_fetch_add_explicit(&r->count[si], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->total, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->sum_ns, (uint64_t)(ns > 0 ? ns : 0), memory_order_relaxed);
    double s = (double)ns / 1e9;
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (s <= buckets_s[i]) {
            atomic_fetch_add_explicit(&r->bucket[i], 1, memory_order_relaxed);
            break;
        }
}

void metrics_count(metrics_t *m, const char *name)
{
    int n = atomic_load(&m->n_named);
    for (int i = 0; i < n; i++)
        if (strcmp(m->named[i], name) == 0) {
            atomic_fetch_add_explicit(&m->named_count[i], 1, memory_order_relaxed);
            return;
        }
    /* Names are static strings registered on first use; racing registrations may
     * create a duplicate line, which Prometheus sums. */
    int i = atomic_fetch_add(&m->n_named, 1);
    if (i >= N_NAMED) {
        atomic_store(&m->n_named, N_NAMED);
        return;
    }
    m->named[i] = name;
    atomic_fetch_add_explicit(&m->named_count[i], 1, memory_order_relaxed);
}

void metrics_render(metrics_t *m, buf_t *out)
{
    buf_puts(out, "# HELP parley_build_info Build information.\n# TYPE parley_build_info gauge\n");
    buf_printf(out, "parley_build_info{version=\"%s\"} 1\n", PARLEY_VERSION);
    buf_puts(out, "# HELP parley_http_requests_total Requests by route and status.\n"
                  "# TYPE parley_http_requests_total counter\n");
    for (size_t r = 0; r <= m->n_routes; r++) {
        const char *route = r < m->n_routes ? http_routes[r].pattern : "unmatched";
        const char *method = r < m->n_routes ? http_routes[r].method : "";
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t c = atomic_load_explicit(&m->routes[r].count[s], memory_order_relaxed);
            if (!c) continue;
            if (s < N_STATUS - 1)
                buf_printf(out,
                           "parley_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} "
                           "%llu\n",
                           method, route, statuses[s], (unsigned long long)c);
            else
                buf_printf(out,
                           "parley_http_requests_total{method=\"%s\",route=\"%s\",status=\"other\"}"
                           " %llu\n",
                           method, route, (unsigned long long)c);
        }
    }
    buf_puts(out, "# HELP parley_http_request_duration_seconds Request latency.\n"
                  "# TYPE parley_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= m->n_routes; r++) {
        uint64_t total = atomic_load_explicit(&m->routes[r].total, memory_order_relaxed);
        if (!total) continue;
        const char *route = r < m->n_routes ? http_routes[r].pattern : "unmatched";
        const char *method = r < m->n_routes ? http_routes[r].method : "";
        uint64_t cum = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cum += atomic_load_explicit(&m->routes[r].bucket[b], memory_order_relaxed);
            buf_printf(out,
                       "parley_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                       "le=\"%g\"} %llu\n",
                       method, route, buckets_s[b], (unsigned long long)cum);
        }
        buf_printf(out,
                   "parley_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                   "le=\"+Inf\"} %llu\n",
                   method, route, (unsigned long long)total);
        buf_printf(out,
                   "parley_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
                   method, route,
                   (double)atomic_load_explicit(&m->routes[r].sum_ns, memory_order_relaxed) / 1e9);
        buf_printf(out,
                   "parley_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} "
                   "%llu\n",
                   method, route, (unsigned long long)total);
    }
    store_stats_t st;
    store_stats_get(&st);
    buf_printf(out,
               "# HELP parley_store_writes_total Write transactions.\n"
               "# TYPE parley_store_writes_total counter\nparley_store_writes_total %llu\n"
               "# HELP parley_store_write_seconds_total Time spent in write transactions.\n"
               "# TYPE parley_store_write_seconds_total counter\n"
               "parley_store_write_seconds_total %.6f\n"
               "# HELP parley_store_batches_total Group commits (transactions holding one or"
               " more writes).\n"
               "# TYPE parley_store_batches_total counter\nparley_store_batches_total %llu\n"
               "# HELP parley_store_batch_seconds_total Time the writer spent running group"
               " commits (its busy time: near 1 s per second, writes queue).\n"
               "# TYPE parley_store_batch_seconds_total counter\n"
               "parley_store_batch_seconds_total %.6f\n",
               (unsigned long long)st.writes, (double)st.write_ns / 1e9,
               (unsigned long long)st.batches, (double)st.batch_ns / 1e9);
    int n = atomic_load(&m->n_named);
    if (n > N_NAMED) n = N_NAMED;
    for (int i = 0; i < n; i++)
        buf_printf(out, "# TYPE parley_%s_total counter\nparley_%s_total %llu\n", m->named[i],
                   m->named[i], (unsigned long long)atomic_load(&m->named_count[i]));
}
