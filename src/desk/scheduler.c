/*
 * scheduler.c - one thread, one condition variable, no periodic sweep.
 */
#include "desk/scheduler.h"

#include "core/log.h"
#include "core/mem.h"
#include "desk/actions.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct scheduler {
    app_t *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked;
};

static void *run(void *p)
{
    scheduler_t *s = p;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        s->poked = false;
        pthread_mutex_unlock(&s->lock);
        int64_t next = 0;
        if (desk_wake_due(s->app, &next) != 0) log_msg(LOG_ERROR, "scheduler.wake_failed", NULL);
        pthread_mutex_lock(&s->lock);
        if (s->stop || s->poked) continue;
        if (next) {
            /* Sleep until the next snooze ends (wall clock: the app clock's offset applies). */
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
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
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
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
