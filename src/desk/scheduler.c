/*
 * scheduler.c - one thread, one condition variable, no periodic sweep.
 *
 * Snoozes come from their database index; SLA milestones from a min-heap of
 * (next_at, clock id), loaded from sla_clocks at start and pushed by every
 * clock change (desk/sla.c). Heap entries are never removed early: one whose
 * clock moved on is found stale when it comes due and skipped.
 */
#include "desk/scheduler.h"

#include "core/log.h"
#include "core/mem.h"
#include "desk/actions.h"
#include "desk/sla.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct scheduler {
    app_t *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked;
    sla_due_t *heap; /* min-heap by (next_at, id) */
    size_t n, cap;
};

#define SLA_BATCH 256 /* clocks fired per transaction */

static bool due_less(const sla_due_t *a, const sla_due_t *b)
{
    return a->next_at < b->next_at || (a->next_at == b->next_at && a->id < b->id);
}

static void heap_push(scheduler_t *s, int64_t next_at, int64_t id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->heap = xrealloc(s->heap, s->cap * sizeof *s->heap);
    }
    size_t i = s->n++;
    s->heap[i] = (sla_due_t){.id = id, .next_at = next_at};
    while (i && due_less(&s->heap[i], &s->heap[(i - 1) / 2])) {
        sla_due_t t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static sla_due_t heap_pop(scheduler_t *s)
{
    sla_due_t top = s->heap[0];
    s->heap[0] = s->heap[--s->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && due_less(&s->heap[l], &s->heap[m])) m = l;
        if (r < s->n && due_less(&s->heap[r], &s->heap[m])) m = r;
        if (m == i) break;
        sla_due_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

void scheduler_sla_push(scheduler_t *s, int64_t next_at, int64_t clock_id)
{
    if (!s || next_at <= 0) return;
    pthread_mutex_lock(&s->lock);
    heap_push(s, next_at, clock_id);
    /* Wake the thread only when this is now the earliest thing to do. */
    if (s->heap[0].id == clock_id && s->heap[0].next_at == next_at) pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void load_one(void *arg, int64_t next_at, int64_t id)
{
    heap_push(arg, next_at, id); /* before the thread starts: no lock needed */
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
        while (s->n && s->heap[0].next_at <= now && n < SLA_BATCH) ids[n++] = heap_pop(s).id;
        if (n) {
            pthread_mutex_unlock(&s->lock);
            if (sla_fire_due(s->app, ids, n) != 0) log_msg(LOG_ERROR, "scheduler.sla_failed", NULL);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        int64_t next = snooze_next;
        if (s->n && (!next || s->heap[0].next_at < next)) next = s->heap[0].next_at;
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
    sla_register_app(app);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        sla_register_app(NULL);
        free(s->heap);
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
    free(s->heap);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
