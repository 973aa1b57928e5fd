/*
 * report_cube.c - the report rollups' layout: time levels, cuboids, the
 * histogram blob, and the buffer of facts written once per group commit.
 * See report_cube.h.
 */
#include "store/report_cube.h"

#include "core/mem.h"
#include "core/tzfile.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- time levels ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cube_start(int level, int64_t h)
{
    if (level == CUBE_HOUR) return h;
    int64_t day = floor_div(h, 24);
    if (level == CUBE_DAY) return day * 24;
    int64_t y;
    int m, d;
    tz_civil_from_days(day, &y, &m, &d);
    return tz_days_from_civil(y, m, 1) * 24;
}

int64_t cube_next(int level, int64_t start)
{
    if (level == CUBE_HOUR) return start + 1;
    if (level == CUBE_DAY) return start + 24;
    int64_t y;
    int m, d;
    tz_civil_from_days(floor_div(start, 24), &y, &m, &d);
    if (++m > 12) {
        m = 1;
        y++;
    }
    return tz_days_from_civil(y, m, 1) * 24;
}

/* ---- duration buckets ------------------------------------------------------ */

static int64_t bucket_floor[REPORT_BUCKETS]; /* ms */
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
    int64_t s = 1;
    bucket_floor[0] = 0;
    for (int k = 1; k < REPORT_BUCKETS; k++) {
        bucket_floor[k] = s * 1000;
        int64_t next = s * 115 / 100;
        s = next > s ? next : s + 1;
    }
}

int64_t report_bucket_floor(int bucket)
{
    pthread_once(&buckets_once, buckets_init);
    if (bucket < 0) bucket = 0;
    if (bucket >= REPORT_BUCKETS) bucket = REPORT_BUCKETS - 1;
    return bucket_floor[bucket];
}

int report_bucket(int64_t ms)
{
    pthread_once(&buckets_once, buckets_init);
    int lo = 0, hi = REPORT_BUCKETS - 1;
    while (lo < hi) { /* the last bucket whose floor is <= ms */
        int mid = (lo + hi + 1) / 2;
        if (bucket_floor[mid] <= ms)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- the histogram blob --------------------------------------------------- */

/* An entry's code: metric x REPORT_BUCKETS + bucket. */
#define CODES (HM_COUNT * REPORT_BUCKETS)

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads one varint at *pos; false when the blob ends inside it or it is too long. */
static bool get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

typedef struct {
    uint32_t code;
    int64_t n, sum;
} hentry_t;

/* Signed counts (the label rows' deltas) in zigzag: 0, -1, 1, -2 -> 0, 1, 2, 3. */
static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* The next entry of a blob (sig: counts in zigzag); 0 at its end, -1 when malformed. */
static int next_entry(const uint8_t *p, size_t len, size_t *pos, hentry_t *e, bool sig)
{
    if (*pos >= len) return 0;
    uint64_t code, n, sum;
    if (!get_varint(p, len, pos, &code) || !get_varint(p, len, pos, &n) ||
        !get_varint(p, len, pos, &sum) || code >= CODES)
        return -1;
    if (sig) {
        *e = (hentry_t){.code = (uint32_t)code, .n = unzigzag(n), .sum = unzigzag(sum)};
        return 1;
    }
    if (n > INT64_MAX || sum > INT64_MAX) return -1;
    *e = (hentry_t){.code = (uint32_t)code, .n = (int64_t)n, .sum = (int64_t)sum};
    return 1;
}

static size_t put_entry(uint8_t *p, const hentry_t *e, bool sig)
{
    size_t n = put_varint(p, e->code);
    n += put_varint(p + n, sig ? zigzag(e->n) : (uint64_t)e->n);
    return n + put_varint(p + n, sig ? zigzag(e->sum) : (uint64_t)e->sum);
}

#define ENTRY_MAX 30 /* three varints of at most 10 bytes */

int report_cube_hist_walk(const void *blob, size_t len, bool sig,
                          void (*fn)(void *ctx, int metric, int bucket, int64_t n, int64_t sum_ms),
                          void *ctx)
{
    size_t pos = 0;
    hentry_t e;
    int r;
    while ((r = next_entry(blob, len, &pos, &e, sig)) > 0)
        fn(ctx, (int)(e.code / REPORT_BUCKETS), (int)(e.code % REPORT_BUCKETS), e.n, e.sum);
    return r;
}

/* One varint at p; NULL when it runs past end or over 10 bytes. */
static inline const uint8_t *varint_at(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

/* The same without the end check: at least ENTRY_MAX bytes are left. */
static inline const uint8_t *varint_fast(const uint8_t *p, uint64_t *v)
{
    uint64_t x = *p++;
    if (x < 0x80) {
        *v = x;
        return p;
    }
    x &= 0x7f;
    for (int shift = 7; shift < 64; shift += 7) {
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

int report_cube_hist_add(const void *blob, size_t len, bool sig,
                         int64_t hn[HM_COUNT][REPORT_BUCKETS], int64_t hs[HM_COUNT][REPORT_BUCKETS])
{
    /* the reports' hot loop: a year by agent decodes ~2M entries */
    const uint8_t *p = blob, *end = p + len;
    while (p < end) {
        uint64_t v[3];
        if (end - p >= ENTRY_MAX) {
            if (!(p = varint_fast(p, &v[0])) || !(p = varint_fast(p, &v[1])) ||
                !(p = varint_fast(p, &v[2])))
                return -1;
        } else if (!(p = varint_at(p, end, &v[0])) || !(p = varint_at(p, end, &v[1])) ||
                   !(p = varint_at(p, end, &v[2]))) {
            return -1;
        }
        if (v[0] >= CODES) return -1;
        if (sig) {
            v[1] = (uint64_t)unzigzag(v[1]);
            v[2] = (uint64_t)unzigzag(v[2]);
        } else if (v[1] > INT64_MAX || v[2] > INT64_MAX) {
            return -1;
        }
        /* unsigned: a corrupt blob wraps instead of overflowing */
        int64_t *n = &hn[v[0] / REPORT_BUCKETS][v[0] % REPORT_BUCKETS];
        int64_t *sum = &hs[v[0] / REPORT_BUCKETS][v[0] % REPORT_BUCKETS];
        *n = (int64_t)((uint64_t)*n + v[1]);
        *sum = (int64_t)((uint64_t)*sum + v[2]);
    }
    return 0;
}

/* parley_hist_merge (user data NULL) and parley_hist_merge_signed (the label
 * rows' blobs: entries that cancel out are dropped, an empty result is NULL). */
static void hist_merge_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    bool sig = sqlite3_user_data(cx) != NULL;
    const uint8_t *a = sqlite3_value_blob(argv[0]), *b = sqlite3_value_blob(argv[1]);
    size_t la = (size_t)sqlite3_value_bytes(argv[0]), lb = (size_t)sqlite3_value_bytes(argv[1]);
    if (!la || !lb) { /* one side empty (or NULL): the other as it is */
        sqlite3_value *v = la ? argv[0] : argv[1];
        if (sqlite3_value_type(v) == SQLITE_NULL)
            sqlite3_result_null(cx);
        else
            sqlite3_result_blob(cx, sqlite3_value_blob(v), sqlite3_value_bytes(v),
                                SQLITE_TRANSIENT);
        return;
    }
    uint8_t *out = malloc(la + lb);
    if (!out) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    size_t pa = 0, pb = 0, o = 0;
    hentry_t ea, eb;
    int ra = next_entry(a, la, &pa, &ea, sig), rb = next_entry(b, lb, &pb, &eb, sig);
    while (ra > 0 || rb > 0) {
        if (ra > 0 && (rb <= 0 || ea.code < eb.code)) {
            o += put_entry(out + o, &ea, sig);
            ra = next_entry(a, la, &pa, &ea, sig);
        } else if (rb > 0 && (ra <= 0 || eb.code < ea.code)) {
            o += put_entry(out + o, &eb, sig);
            rb = next_entry(b, lb, &pb, &eb, sig);
        } else { /* the same code: one entry (never longer than the two it replaces) */
            hentry_t s = {.code = ea.code};
            if (__builtin_add_overflow(ea.n, eb.n, &s.n) ||
                __builtin_add_overflow(ea.sum, eb.sum, &s.sum)) {
                free(out);
                sqlite3_result_error(cx, "parley_hist_merge: histogram overflow", -1);
                return;
            }
            if (s.n || s.sum) o += put_entry(out + o, &s, sig);
            ra = next_entry(a, la, &pa, &ea, sig);
            rb = next_entry(b, lb, &pb, &eb, sig);
        }
    }
    if (ra < 0 || rb < 0) {
        free(out);
        sqlite3_result_error(cx, "parley_hist_merge: malformed histogram", -1);
        return;
    }
    if (!o) {
        free(out);
        sqlite3_result_null(cx);
        return;
    }
    sqlite3_result_blob(cx, out, (int)o, free);
}

typedef struct {
    int metric;
    int64_t n;
} count_ctx_t;

static void count_one(void *ctx, int metric, int bucket, int64_t n, int64_t sum_ms)
{
    (void)bucket;
    (void)sum_ms;
    count_ctx_t *c = ctx;
    if (metric == c->metric) c->n += n;
}

static void hist_n_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    count_ctx_t c = {.metric = sqlite3_value_int(argv[1])};
    if (report_cube_hist_walk(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
                              false, count_one, &c) < 0) {
        sqlite3_result_error(cx, "parley_hist_n: malformed histogram", -1);
        return;
    }
    sqlite3_result_int64(cx, c.n);
}

int report_cube_register(sqlite3 *db)
{
    int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    static int sig = 1;
    int rc =
        sqlite3_create_function(db, "parley_hist_merge", 2, f, NULL, hist_merge_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "parley_hist_merge_signed", 2, f, &sig, hist_merge_fn,
                                     NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "parley_hist_n", 2, f, NULL, hist_n_fn, NULL, NULL);
    return rc;
}

/* ---- the buffer of facts ---------------------------------------------------- */

typedef struct {
    rollup_key_t k; /* k.channel points into channel */
    char channel[32];
    int metric; /* -1: counters v; else a histogram entry */
    int bucket;
    int64_t n, sum;
    int64_t v[RC_COUNT];
} fact_t;

/* One row of the table while a flush sums into it. */
typedef struct {
    int64_t account_id, label_id, start, inbox_id, agent_id, team_id;
    int cuboid, level, priority;
    char channel[32];
    int64_t v[RC_COUNT];
} node_t;

typedef struct {
    uint32_t node, code; /* node + 1; 0 = empty */
    int64_t n, sum;
} hslot_t;

struct report_cube {
    fact_t *facts;
    size_t n, cap;
    unsigned flushes;
    /* flush scratch, kept between flushes */
    node_t *nodes;
    size_t n_nodes, nodes_cap;
    uint32_t *index; /* node + 1 by hash; 0 = empty */
    size_t index_cap;
    hslot_t *hist;
    size_t n_hist, hist_cap;
    uint8_t *blob;
};

report_cube_t *report_cube_new(void)
{
    report_cube_t *b = xcalloc(1, sizeof *b);
    b->blob = xmalloc((size_t)CODES * ENTRY_MAX);
    return b;
}

void report_cube_free(report_cube_t *b)
{
    if (!b) return;
    free(b->facts);
    free(b->nodes);
    free(b->index);
    free(b->hist);
    free(b->blob);
    free(b);
}

size_t report_cube_len(const report_cube_t *b)
{
    return b->n;
}

bool report_cube_has_labels(const report_cube_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->facts[i].k.label_id) return true;
    return false;
}

unsigned report_cube_flushes(const report_cube_t *b)
{
    return b->flushes;
}

void report_cube_truncate(report_cube_t *b, size_t len)
{
    if (len < b->n) b->n = len;
}

static fact_t *push(report_cube_t *b, const rollup_key_t *k)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->facts = xrealloc(b->facts, sizeof *b->facts * b->cap);
    }
    fact_t *f = &b->facts[b->n++];
    f->k = *k;
    snprintf(f->channel, sizeof f->channel, "%s", k->channel ? k->channel : "");
    f->k.channel = NULL;
    return f;
}

void report_cube_add(report_cube_t *b, const rollup_key_t *k, const int64_t v[RC_COUNT])
{
    fact_t *f = push(b, k);
    f->metric = -1;
    memcpy(f->v, v, sizeof f->v);
}

void report_cube_hist(report_cube_t *b, const rollup_key_t *k, int metric, int bucket, int64_t n,
                      int64_t sum_ms)
{
    if (metric < 0 || metric >= HM_COUNT || bucket < 0 || bucket >= REPORT_BUCKETS || n <= 0)
        return;
    fact_t *f = push(b, k);
    f->metric = metric;
    f->bucket = bucket;
    f->n = n;
    f->sum = sum_ms > 0 ? sum_ms : 0;
}

/* One sample of ms (sign -1: taken out) on a label fact. */
static void conv_sample(report_cube_t *b, const rollup_key_t *k, int metric, int64_t ms, int sign)
{
    fact_t *f = push(b, k);
    f->metric = metric;
    f->bucket = report_bucket(ms);
    f->n = sign;
    f->sum = sign * (ms > 0 ? ms : 0);
}

void report_cube_conv(report_cube_t *b, int64_t label_id, const rconv_t *r, int sign)
{
    rollup_key_t k = {.account_id = r->account_id,
                      .label_id = label_id,
                      .hour = r->c_hour,
                      .inbox_id = r->inbox_id,
                      .channel = r->channel,
                      .agent_id = r->assignee_id,
                      .team_id = r->team_id,
                      .priority = r->priority};
    int64_t v[RC_COUNT] = {0};
    v[RC_received] = 1;
    v[RC_reopened] = r->reopens;
    v[RC_msgs_in] = r->msgs_in;
    v[RC_replies_out] = r->replies_out;
    v[RC_responded] = r->responded;
    v[RC_resolved] = r->resolutions ? 1 : 0;
    v[RC_backlog_delta] = strcmp(r->status, "resolved") ? 1 : 0;
    if (r->frt_ms >= 0) {
        v[RC_frt_n] = 1;
        v[RC_frt_ms] = r->frt_ms;
        v[RC_frt_bh_ms] = r->frt_bh_ms;
    }
    v[RC_rt_n] = r->rt_n;
    v[RC_rt_ms] = r->rt_ms;
    v[RC_rt_bh_ms] = r->rt_bh_ms;
    if (r->res_ms >= 0) {
        v[RC_res_n] = 1;
        v[RC_res_ms] = r->res_ms;
        v[RC_res_bh_ms] = r->res_bh_ms;
    }
    for (int i = 0; i < RC_COUNT; i++) v[i] *= sign;
    report_cube_add(b, &k, v);
    if (r->frt_ms >= 0) {
        conv_sample(b, &k, HM_FRT, r->frt_ms, sign);
        conv_sample(b, &k, HM_FRT_BH, r->frt_bh_ms, sign);
    }
    if (r->rt_n > 0) { /* the conversation's mean response time */
        conv_sample(b, &k, HM_RT, r->rt_ms / r->rt_n, sign);
        conv_sample(b, &k, HM_RT_BH, r->rt_bh_ms / r->rt_n, sign);
    }
    if (r->res_ms >= 0) {
        conv_sample(b, &k, HM_RES, r->res_ms, sign);
        conv_sample(b, &k, HM_RES_BH, r->res_bh_ms, sign);
    }
}

bool report_cube_conv_same(const rconv_t *a, const rconv_t *b)
{
    return a->account_id == b->account_id && a->c_hour == b->c_hour && a->inbox_id == b->inbox_id &&
           a->assignee_id == b->assignee_id && a->team_id == b->team_id &&
           a->priority == b->priority && !strcmp(a->channel, b->channel) &&
           a->reopens == b->reopens && a->msgs_in == b->msgs_in &&
           a->replies_out == b->replies_out && a->responded == b->responded &&
           !a->resolutions == !b->resolutions &&
           !strcmp(a->status, "resolved") == !strcmp(b->status, "resolved") &&
           a->frt_ms == b->frt_ms && a->frt_bh_ms == b->frt_bh_ms && a->rt_n == b->rt_n &&
           a->rt_ms == b->rt_ms && a->rt_bh_ms == b->rt_bh_ms && a->res_ms == b->res_ms &&
           a->res_bh_ms == b->res_bh_ms;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t node_hash(const node_t *n)
{
    uint64_t h = 1469598103934665603ULL;
    h = mix(h, (uint64_t)n->account_id);
    h = mix(h, (uint64_t)n->label_id);
    h = mix(h, (uint64_t)n->start * 64 + (uint64_t)n->cuboid * 4 + (uint64_t)n->level);
    h = mix(h, (uint64_t)n->inbox_id);
    h = mix(h, (uint64_t)n->agent_id);
    h = mix(h, (uint64_t)n->team_id * 8 + (uint64_t)(n->priority + 1));
    for (const char *p = n->channel; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h ^ (h >> 31);
}

static bool node_eq(const node_t *a, const node_t *b)
{
    return a->account_id == b->account_id && a->label_id == b->label_id && a->start == b->start &&
           a->cuboid == b->cuboid && a->level == b->level && a->inbox_id == b->inbox_id &&
           a->agent_id == b->agent_id && a->team_id == b->team_id && a->priority == b->priority &&
           strcmp(a->channel, b->channel) == 0;
}

static void index_grow(report_cube_t *b)
{
    size_t cap = b->index_cap ? b->index_cap * 2 : 1024;
    uint32_t *idx = xcalloc(cap, sizeof *idx);
    for (size_t i = 0; i < b->n_nodes; i++) {
        size_t s = node_hash(&b->nodes[i]) & (cap - 1);
        while (idx[s]) s = (s + 1) & (cap - 1);
        idx[s] = (uint32_t)i + 1;
    }
    free(b->index);
    b->index = idx;
    b->index_cap = cap;
}

/* The node of key (created zeroed), by index. */
static uint32_t node_of(report_cube_t *b, const node_t *key)
{
    if ((b->n_nodes + 1) * 2 > b->index_cap) index_grow(b);
    size_t s = node_hash(key) & (b->index_cap - 1);
    while (b->index[s]) {
        uint32_t i = b->index[s] - 1;
        if (node_eq(&b->nodes[i], key)) return i;
        s = (s + 1) & (b->index_cap - 1);
    }
    if (b->n_nodes == b->nodes_cap) {
        b->nodes_cap = b->nodes_cap ? b->nodes_cap * 2 : 256;
        b->nodes = xrealloc(b->nodes, sizeof *b->nodes * b->nodes_cap);
    }
    uint32_t i = (uint32_t)b->n_nodes++;
    b->nodes[i] = *key;
    memset(b->nodes[i].v, 0, sizeof b->nodes[i].v);
    b->index[s] = i + 1;
    return i;
}

static void hist_grow(report_cube_t *b)
{
    size_t cap = b->hist_cap ? b->hist_cap * 2 : 1024;
    hslot_t *h = xcalloc(cap, sizeof *h);
    for (size_t i = 0; i < b->hist_cap; i++) {
        hslot_t *o = &b->hist[i];
        if (!o->node) continue;
        size_t s = ((uint64_t)o->node * 0x9E3779B97F4A7C15ULL ^ o->code * 0xC2B2AE3D27D4EB4FULL) &
                   (cap - 1);
        while (h[s].node) s = (s + 1) & (cap - 1);
        h[s] = *o;
    }
    free(b->hist);
    b->hist = h;
    b->hist_cap = cap;
}

static void hist_at(report_cube_t *b, uint32_t node, uint32_t code, int64_t n, int64_t sum)
{
    if ((b->n_hist + 1) * 2 > b->hist_cap) hist_grow(b);
    uint32_t key = node + 1;
    size_t s =
        ((uint64_t)key * 0x9E3779B97F4A7C15ULL ^ code * 0xC2B2AE3D27D4EB4FULL) & (b->hist_cap - 1);
    while (b->hist[s].node && !(b->hist[s].node == key && b->hist[s].code == code))
        s = (s + 1) & (b->hist_cap - 1);
    if (!b->hist[s].node) {
        b->hist[s] = (hslot_t){.node = key, .code = code};
        b->n_hist++;
    }
    b->hist[s].n += n;
    b->hist[s].sum += sum;
}

const int cube_cuboids[CUBE_NCUBOIDS] = {
    0,
    CUBE_INBOX,
    CUBE_CHANNEL,
    CUBE_AGENT,
    CUBE_TEAM,
    CUBE_PRIORITY,
    CUBE_INBOX | CUBE_CHANNEL,
    CUBE_INBOX | CUBE_AGENT,
    CUBE_INBOX | CUBE_TEAM,
    CUBE_INBOX | CUBE_PRIORITY,
    CUBE_CHANNEL | CUBE_AGENT,
    CUBE_CHANNEL | CUBE_TEAM,
    CUBE_CHANNEL | CUBE_PRIORITY,
    CUBE_AGENT | CUBE_TEAM,
    CUBE_AGENT | CUBE_PRIORITY,
    CUBE_TEAM | CUBE_PRIORITY,
    CUBE_FULL,
};

const int cube_label_cuboids[CUBE_NLABEL_CUBOIDS] = {
    0, CUBE_INBOX, CUBE_CHANNEL, CUBE_AGENT, CUBE_TEAM, CUBE_PRIORITY, CUBE_FULL,
};

/* Every row (cuboid x level) fact f lands on, summed into the nodes; only
 * its own (the cross product's hour) unless all. A label's fact always goes
 * to all its rows (report_label_rollups has no recent table). */
static void spread(report_cube_t *b, const fact_t *f, bool all)
{
    const int *cuboids = cube_cuboids;
    int ncuboids = CUBE_NCUBOIDS;
    if (f->k.label_id) {
        cuboids = cube_label_cuboids;
        ncuboids = CUBE_NLABEL_CUBOIDS;
        all = true;
    }
    for (int c = all ? 0 : ncuboids - 1; c < ncuboids; c++) {
        int cb = cuboids[c];
        node_t key = {.account_id = f->k.account_id,
                      .label_id = f->k.label_id,
                      .cuboid = cb,
                      .inbox_id = cb & CUBE_INBOX ? f->k.inbox_id : CUBE_ALL,
                      .agent_id = cb & CUBE_AGENT ? f->k.agent_id : CUBE_ALL,
                      .team_id = cb & CUBE_TEAM ? f->k.team_id : CUBE_ALL,
                      .priority = cb & CUBE_PRIORITY ? f->k.priority : CUBE_ALL};
        snprintf(key.channel, sizeof key.channel, "%s",
                 cb & CUBE_CHANNEL ? f->channel : CUBE_ALL_CHANNEL);
        for (int l = 0; l < (all ? CUBE_LEVELS : 1); l++) {
            key.level = l;
            key.start = cube_start(l, f->k.hour);
            uint32_t i = node_of(b, &key);
            if (f->metric < 0) {
                node_t *n = &b->nodes[i];
                for (int k = 0; k < RC_COUNT; k++) n->v[k] += f->v[k];
            } else {
                hist_at(b, i, (uint32_t)(f->metric * REPORT_BUCKETS + f->bucket), f->n, f->sum);
            }
        }
    }
}

static int cmp_hslot(const void *x, const void *y)
{
    const hslot_t *a = x, *b = y;
    if (a->node != b->node) return a->node < b->node ? -1 : 1;
    return a->code < b->code ? -1 : a->code > b->code;
}

#define CUBE_COL_(c) ", " #c
#define CUBE_QM_(c)  ", ?"
#define CUBE_ADD_(c) ", " #c " = " #c " + excluded." #c

const char report_cube_upsert_sql[] =
    "INSERT INTO report_rollups(account_id, cuboid, level, start, inbox_id, channel, agent_id,"
    " team_id, priority" REPORT_COLUMNS(
        CUBE_COL_) ", hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                   "?" REPORT_COLUMNS(CUBE_QM_) ", ?) ON CONFLICT(account_id, "
                                                "cuboid, level, start, inbox_id,"
                                                " channel, agent_id, team_id, "
                                                "priority) DO UPDATE SET hist = "
                                                "parley_hist_merge(hist,"
                                                " excluded.hist)" REPORT_COLUMNS(CUBE_ADD_);

/* ?2 and ?3 (cuboid, level) are bound but not used: the same binding serves */
/* clang-format off */
const char report_recent_upsert_sql[] =
    "INSERT INTO report_recent(account_id, start, inbox_id, channel, agent_id, team_id,"
    " priority" REPORT_COLUMNS(CUBE_COL_) ", hist) VALUES (?1, ?4, ?5, ?6, ?7, ?8, "
    "?9" REPORT_COLUMNS(CUBE_QM_) ", ?) ON CONFLICT(account_id, start, inbox_id, channel,"
    " agent_id, team_id, priority) DO UPDATE SET writes = writes + 1, hist ="
    " parley_hist_merge(hist, excluded.hist)" REPORT_COLUMNS(CUBE_ADD_) " RETURNING writes";

/* A label's rows: the cube's binding, then the label id last. */
#define LABEL_UPSERT(table)                                                                        \
    "INSERT INTO " table "(account_id, cuboid, level, start, inbox_id, channel, agent_id,"         \
    " team_id, priority" REPORT_COLUMNS(CUBE_COL_) ", hist, label_id) VALUES (?, ?, ?, ?, ?, ?,"   \
    " ?, ?, ?" REPORT_COLUMNS(CUBE_QM_) ", ?, ?) ON CONFLICT(account_id, label_id, cuboid, level," \
    " start, inbox_id, channel, agent_id, team_id, priority) DO UPDATE SET hist ="                 \
    " parley_hist_merge_signed(hist, excluded.hist)" REPORT_COLUMNS(CUBE_ADD_)
const char report_label_upsert_sql[] = LABEL_UPSERT("report_label_rollups");
const char report_label_expect_upsert_sql[] = LABEL_UPSERT("temp.report_label_expect");
/* clang-format on */

static int flush(report_cube_t *b, sqlite3_stmt *upsert, sqlite3_stmt *label_upsert, bool all,
                 int64_t *inserted)
{
    if (!b->n) return SQLITE_OK;
    b->n_nodes = 0;
    if (b->index) memset(b->index, 0, sizeof *b->index * b->index_cap);
    if (b->hist) memset(b->hist, 0, sizeof *b->hist * b->hist_cap);
    b->n_hist = 0;
    for (size_t i = 0; i < b->n; i++) spread(b, &b->facts[i], all);
    b->n = 0;
    b->flushes++;
    /* the histogram entries by node, then code: each node's blob in order */
    size_t nh = 0;
    for (size_t i = 0; i < b->hist_cap; i++)
        if (b->hist[i].node) b->hist[nh++] = b->hist[i];
    if (nh > 1) qsort(b->hist, nh, sizeof *b->hist, cmp_hslot);
    size_t h = 0;
    int rc = SQLITE_OK;
    for (uint32_t i = 0; i < b->n_nodes && rc == SQLITE_OK; i++) {
        const node_t *n = &b->nodes[i];
        bool label = n->label_id != 0;
        size_t len = 0;
        for (; h < nh && b->hist[h].node == i + 1; h++) {
            hentry_t e = {.code = b->hist[h].code, .n = b->hist[h].n, .sum = b->hist[h].sum};
            if (e.n || e.sum) len += put_entry(b->blob + len, &e, label);
        }
        if (label && !len) { /* a label's deltas that cancel out: nothing to write */
            bool zero = true;
            for (int k = 0; k < RC_COUNT && zero; k++) zero = n->v[k] == 0;
            if (zero) continue;
        }
        sqlite3_stmt *st = label ? label_upsert : upsert;
        if (!st) {
            rc = SQLITE_MISUSE;
            break;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, n->account_id);
        sqlite3_bind_int(st, 2, n->cuboid);
        sqlite3_bind_int(st, 3, n->level);
        sqlite3_bind_int64(st, 4, n->start);
        sqlite3_bind_int64(st, 5, n->inbox_id);
        sqlite3_bind_text(st, 6, n->channel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 7, n->agent_id);
        sqlite3_bind_int64(st, 8, n->team_id);
        sqlite3_bind_int(st, 9, n->priority);
        for (int k = 0; k < RC_COUNT; k++) sqlite3_bind_int64(st, 10 + k, n->v[k]);
        if (len)
            sqlite3_bind_blob(st, 10 + RC_COUNT, b->blob, (int)len, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 10 + RC_COUNT);
        if (label) sqlite3_bind_int64(st, 11 + RC_COUNT, n->label_id);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) { /* the recent table's RETURNING: 1 = a new row */
            if (inserted && sqlite3_column_int64(st, 0) == 1) (*inserted)++;
            s = sqlite3_step(st);
        }
        rc = s == SQLITE_DONE ? SQLITE_OK : s;
    }
    if (upsert) sqlite3_reset(upsert);
    if (label_upsert) sqlite3_reset(label_upsert);
    b->n_hist = 0;
    if (b->hist) memset(b->hist, 0, sizeof *b->hist * b->hist_cap);
    return rc;
}

int report_cube_flush(report_cube_t *b, sqlite3_stmt *upsert, sqlite3_stmt *label_upsert)
{
    return flush(b, upsert, label_upsert, true, NULL);
}

int report_cube_flush_recent(report_cube_t *b, sqlite3_stmt *upsert, sqlite3_stmt *label_upsert,
                             int64_t *inserted)
{
    return flush(b, upsert, label_upsert, false, inserted);
}
