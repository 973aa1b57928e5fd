/*
 * throttle.c - fixed-size, striped-lock tables of recent client behaviour.
 */
#include "http/throttle.h"

#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS       8192
#define STRIPES     64
#define PROBE       8
#define MAX_WAIT_MS (15 * 60 * 1000)

typedef struct {
    uint64_t h; /* 0 = empty */
    int64_t last_ms;
    int64_t count;
    double tokens;
} slot_t;

typedef struct {
    slot_t *slots;
    pthread_mutex_t locks[STRIPES];
} table_t;

struct throttle {
    table_t login, rate;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static void table_init(table_t *t)
{
    t->slots = xcalloc(SLOTS, sizeof *t->slots);
    for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&t->locks[i], NULL);
}

static void table_free(table_t *t)
{
    for (int i = 0; i < STRIPES; i++) pthread_mutex_destroy(&t->locks[i]);
    free(t->slots);
}

/* Finds or claims the slot for h within its probe window (same stripe),
 * evicting the stalest when all are taken. Caller holds the stripe lock. */
static slot_t *lookup(table_t *t, uint64_t h, bool create)
{
    size_t base = (size_t)(h % (SLOTS / PROBE)) * PROBE;
    slot_t *victim = NULL;
    for (int i = 0; i < PROBE; i++) {
        slot_t *s = &t->slots[base + (size_t)i];
        if (s->h == h) return s;
        if (!victim || s->h == 0 || (victim->h != 0 && s->last_ms < victim->last_ms)) victim = s;
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof *victim);
    victim->h = h;
    return victim;
}

static pthread_mutex_t *lock_for(table_t *t, uint64_t h)
{
    size_t base = (size_t)(h % (SLOTS / PROBE));
    return &t->locks[base % STRIPES];
}

throttle_t *throttle_new(void)
{
    throttle_t *t = xcalloc(1, sizeof *t);
    table_init(&t->login);
    table_init(&t->rate);
    return t;
}

void throttle_free(throttle_t *t)
{
    if (!t) return;
    table_free(&t->login);
    table_free(&t->rate);
    free(t);
}

int64_t throttle_login_wait(throttle_t *t, const char *key, int free_attempts, int64_t now_ms)
{
    uint64_t h = hash_key(key);
    pthread_mutex_t *m = lock_for(&t->login, h);
    pthread_mutex_lock(m);
    slot_t *s = lookup(&t->login, h, false);
    int64_t wait = 0;
    if (s && s->count >= free_attempts) {
        int64_t over = s->count - free_attempts;
        int64_t delay = over >= 20 ? MAX_WAIT_MS : 1000LL << over;
        if (delay > MAX_WAIT_MS) delay = MAX_WAIT_MS;
        int64_t until = s->last_ms + delay;
        if (until > now_ms) wait = until - now_ms;
    }
    pthread_mutex_unlock(m);
    return wait;
}

void throttle_login_failed(throttle_t *t, const char *key, int64_t now_ms)
{
    uint64_t h = hash_key(key);
    pthread_mutex_t *m = lock_for(&t->login, h);
    pthread_mutex_lock(m);
    slot_t *s = lookup(&t->login, h, true);
    s->count++;
    s->last_ms = now_ms;
    pthread_mutex_unlock(m);
}

void throttle_login_succeeded(throttle_t *t, const char *key)
{
    uint64_t h = hash_key(key);
    pthread_mutex_t *m = lock_for(&t->login, h);
    pthread_mutex_lock(m);
    slot_t *s = lookup(&t->login, h, false);
    if (s) memset(s, 0, sizeof *s);
    pthread_mutex_unlock(m);
}

bool throttle_rate_allow(throttle_t *t, const char *key, int64_t rate, int64_t burst,
                         int64_t now_ms)
{
    if (rate <= 0) return true;
    uint64_t h = hash_key(key);
    pthread_mutex_t *m = lock_for(&t->rate, h);
    pthread_mutex_lock(m);
    slot_t *s = lookup(&t->rate, h, false);
    if (!s) {
        s = lookup(&t->rate, h, true);
        s->tokens = (double)burst;
        s->last_ms = now_ms;
    }
    double refill = (double)(now_ms - s->last_ms) * (double)rate / 1000.0;
    if (refill > 0) {
        s->tokens += refill;
        if (s->tokens > (double)burst) s->tokens = (double)burst;
        s->last_ms = now_ms;
    }
    bool ok = s->tokens >= 1.0;
    if (ok) s->tokens -= 1.0;
    pthread_mutex_unlock(m);
    return ok;
}
