/*
 * worker.c - the outbound workers' shared thread loop (see worker.h).
 */
#include "desk/worker.h"

#include "core/log.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct worker {
    app_t *app;
    CURL *curl;
    worker_turn_fn turn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked;
};

static void wait_until(worker_t *w, int64_t wait_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + (wait_ms % 1000) * 1000000;
    ts.tv_sec += wait_ms / 1000 + ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

static void *run(void *p)
{
    worker_t *w = p;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        w->poked = false;
        pthread_mutex_unlock(&w->lock);
        int64_t next = 0;
        bool more = w->turn(w->ctx, &next);
        pthread_mutex_lock(&w->lock);
        if (w->stop || w->poked || more) continue; /* a poke during the turn is not lost */
        if (next) {
            int64_t wait_ms = next - app_now(w->app);
            if (wait_ms > 0) wait_until(w, wait_ms);
        } else {
            pthread_cond_wait(&w->cond, &w->lock);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

worker_t *worker_start(app_t *app, const char *event, worker_turn_fn turn, void *ctx)
{
    worker_t *w = xcalloc(1, sizeof *w);
    w->app = app;
    w->turn = turn;
    w->ctx = ctx;
    w->curl = curl_easy_init();
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (!w->curl || pthread_create(&w->thread, NULL, run, w) != 0) {
        if (w->curl) curl_easy_cleanup(w->curl);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        log_msg(LOG_ERROR, event, "the worker thread could not start");
        return NULL;
    }
    return w;
}

void worker_poke(worker_t *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->poked = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

bool worker_stopping(worker_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

CURL *worker_curl(worker_t *w)
{
    return w->curl;
}

void worker_stop(worker_t *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    curl_easy_cleanup(w->curl);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
