/*
 * app.h - the server context: the one read-mostly global, built at start-up.
 *
 * Holds the settings, the store and the clock every desk function works
 * against. It is passed explicitly; nothing reaches for it through a global
 * variable.
 */
#ifndef PARLEY_DESK_APP_H
#define PARLEY_DESK_APP_H

#include "core/clock.h"
#include "core/config.h"
#include "store/store.h"

#include <stdint.h>

struct analyzer;

typedef struct {
    const config_t *cfg;
    store_t *store;
    struct analyzer *analyzer; /* desk/analyze.h: the loaded text models */
    parley_clock_t clock;
    int64_t started_ms;
    uint8_t key[32];             /* seals stored channel credentials (app_load_key) */
    struct scheduler *scheduler; /* desk/scheduler.h: snoozes and deadlines; may be NULL */
    struct delivery *delivery;   /* desk/delivery.h: the outbox worker; may be NULL */
} app_t;

/* Loads the credentials key: the secret-key setting (64 hex characters), else
 * the file secret.key beside the database, created (mode 0600) on first use. */
int app_load_key(app_t *app, parley_err_t *err);

/* Who is acting: recorded on every event. */
typedef struct {
    int64_t account_id;
    const char *kind; /* "user", "token", "system", "cli" */
    int64_t id;       /* user id, token id, or 0 */
    int64_t user_id;  /* the user behind a token, or the user */
    const char *role; /* "admin", "supervisor", "agent", "analyst"; NULL for system */
} actor_t;

static inline int64_t app_now(const app_t *app)
{
    return clock_now_ms(&app->clock);
}

#endif
