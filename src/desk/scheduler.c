/*
 * scheduler.c - one thread, one condition variable, no periodic sweep.
 *
 * Snoozes come from their database index; SLA milestones from a min-heap of
 * (next_at, clock id), loaded from sla_clocks at start and pushed by every
 * clock change (desk/sla.c). Heap entries are never removed early: one whose
 * clock moved on is found stale when it comes due and skipped. Weekly
 * digests have their own min-heap of (due, account id) and a plan (each
 * account's one current due time): an entry that is not the plan's is stale.
 */
#include "desk/scheduler.h"

#include "core/log.h"
#include "core/mem.h"
#include "desk/actions.h"
#include "desk/digest.h"
#include "desk/sla.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    sla_due_t *v; /* min-heap by (next_at, id) */
    size_t n, cap;
} heap_t;

typedef struct {
    int64_t account_id, due;
} plan_t;

struct scheduler {
    app_t *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked;
    heap_t sla;     /* SLA clocks: id = clock id */
    heap_t digests; /* weekly digests: id = account id */
    plan_t *plan;   /* the current due time per account (0 = none) */
    size_t n_plan, cap_plan;
};

#define SLA_BATCH 256 /* clocks fired per transaction */

static bool due_less(const sla_due_t *a, const sla_due_t *b)
{
    return a->next_at < b->next_at || (a->next_at == b->next_at && a->id < b->id);
}

static void heap_push(heap_t *h, int64_t next_at, int64_t id)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->n++;
    h->v[i] = (sla_due_t){.id = id, .next_at = next_at};
    while (i && due_less(&h->v[i], &h->v[(i - 1) / 2])) {
        sla_due_t t = h->v[i];
        h->v[i] = h->v[(i - 1) / 2];
        h->v[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static sla_due_t heap_pop(heap_t *h)
{
    sla_due_t top = h->v[0];
    h->v[0] = h->v[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && due_less(&h->v[l], &h->v[m])) m = l;
        if (r < h->n && due_less(&h->v[r], &h->v[m])) m = r;
        if (m == i) break;
        sla_due_t t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
    return top;
}

/* The plan's slot of an account (added at 0). Accounts are few: a scan. */
static plan_t *plan_of(scheduler_t *s, int64_t account_id)
{
    for (size_t i = 0; i < s->n_plan; i++)
        if (s->plan[i].account_id == account_id) return &s->plan[i];
    if (s->n_plan == s->cap_plan) {
        s->cap_plan = s->cap_plan ? s->cap_plan * 2 : 16;
        s->plan = xrealloc(s->plan, s->cap_plan * sizeof *s->plan);
    }
    s->plan[s->n_plan] = (plan_t){.account_id = account_id};
    return &s->plan[s->n_plan++];
}

/* Makes due the account's one due time (0 = none); under the lock. */
static void plan_set(scheduler_t *s, int64_t account_id, int64_t due)
{
    plan_of(s, account_id)->due = due;
    if (due > 0) heap_push(&s->digests, due, account_id);
}

void scheduler_digest_plan(scheduler_t *s, int64_t account_id, int64_t due)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    plan_set(s, account_id, due);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void load_digest(void *arg, int64_t due, int64_t account_id)
{
    plan_set(arg, account_id, due); /* before the thread starts: no lock needed */
}

void scheduler_sla_push(scheduler_t *s, int64_t next_at, int64_t clock_id)
{
    if (!s || next_at <= 0) return;
    pthread_mutex_lock(&s->lock);
    heap_push(&s->sla, next_at, clock_id);
    /* Wake the thread only when this is now the earliest thing to do. */
    if (s->sla.v[0].id == clock_id && s->sla.v[0].next_at == next_at) pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void load_one(void *arg, int64_t next_at, int64_t id)
{
    scheduler_t *s = arg;
    heap_push(&s->sla, next_at, id); /* before the thread starts: no lock needed */
}

static void *run(void *p)
{
    scheduler_t *s = p;
    int64_t snooze_next = 0;
    bool check_snoozes = true;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        if (s->poked || check_snoozes || (snooze_next && snooze_next <= app_now(s->app))) {
            s->poked = check_snoozes = false;
            pthread_mutex_unlock(&s->lock);
            if (desk_wake_due(s->app, &snooze_next) != 0)
                log_msg(LOG_ERROR, "scheduler.wake_failed", NULL);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        /* SLA milestones due now: fired in batches, outside the lock. */
        int64_t now = app_now(s->app), ids[SLA_BATCH];
        int n = 0;
        while (s->sla.n && s->sla.v[0].next_at <= now && n < SLA_BATCH)
            ids[n++] = heap_pop(&s->sla).id;
        if (n) {
            pthread_mutex_unlock(&s->lock);
            if (sla_fire_due(s->app, ids, n) != 0) log_msg(LOG_ERROR, "scheduler.sla_failed", NULL);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        /* A weekly digest due now: one account at a time, outside the lock. */
        if (s->digests.n && s->digests.v[0].next_at <= now) {
            sla_due_t d = heap_pop(&s->digests);
            if (plan_of(s, d.id)->due != d.next_at) continue; /* re-planned since */
            pthread_mutex_unlock(&s->lock);
            int64_t next_due = digest_fire(s->app, d.id, now);
            pthread_mutex_lock(&s->lock);
            /* a change of settings meanwhile re-planned it: that plan stands */
            if (plan_of(s, d.id)->due == d.next_at) plan_set(s, d.id, next_due);
            continue;
        }
        int64_t next = snooze_next;
        if (s->sla.n && (!next || s->sla.v[0].next_at < next)) next = s->sla.v[0].next_at;
        if (s->digests.n && (!next || s->digests.v[0].next_at < next))
            next = s->digests.v[0].next_at;
        if (next) {
            /* Sleep until the next snooze or SLA milestone (wall clock: the app clock's offset
             * applies). */
            int64_t wait_ms = next - app_now(s->app);
            if (wait_ms <= 0) continue;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = ts.tv_nsec + (wait_ms % 1000) * 1000000;
            ts.tv_sec += wait_ms / 1000 + ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        } else {
            pthread_cond_wait(&s->cond, &s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

scheduler_t *scheduler_start(app_t *app)
{
    scheduler_t *s = xcalloc(1, sizeof *s);
    s->app = app;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (sla_load_scheduled(app, load_one, s) != 0)
        log_msg(LOG_ERROR, "scheduler.sla_load_failed", NULL);
    if (digest_load_plan(app, load_digest, s) != 0)
        log_msg(LOG_ERROR, "scheduler.digest_load_failed", NULL);
    sla_register_app(app);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        sla_register_app(NULL);
        free(s->sla.v);
        free(s->digests.v);
        free(s->plan);
        free(s);
        return NULL;
    }
    return s;
}

void scheduler_poke(scheduler_t *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->poked = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void scheduler_stop(scheduler_t *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    sla_register_app(NULL);
    free(s->sla.v);
    free(s->digests.v);
    free(s->plan);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
