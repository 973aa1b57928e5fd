/*
 * worker.h - the loop the outbound workers share (outbound webhooks, mail):
 * one thread with its own libcurl easy handle that runs turns of due work, and
 * between turns sleeps until poked (new work committed), until its next due
 * time, or until stopped. Never a polling period.
 */
#ifndef PARLEY_DESK_WORKER_H
#define PARLEY_DESK_WORKER_H

#include "desk/app.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct worker worker_t;

/* One turn of due work, on the worker's thread. Returns true when more is due
 * at once (a full batch); sets *next_due to the earliest later due time in
 * app-clock ms, 0 when nothing waits. */
typedef bool (*worker_turn_fn)(void *ctx, int64_t *next_due);

/* Starts the thread; NULL (logged under `event`) when it cannot. */
worker_t *worker_start(app_t *app, const char *event, worker_turn_fn turn, void *ctx);
/* Wakes the worker for a turn now (any thread; NULL is ignored). */
void worker_poke(worker_t *w);
/* True once worker_stop began: a turn checks it between items. */
bool worker_stopping(worker_t *w);
/* The worker's own easy handle, for its thread only. */
CURL *worker_curl(worker_t *w);
/* Ends the current turn's wait, joins the thread and frees the worker. */
void worker_stop(worker_t *w);

#endif
