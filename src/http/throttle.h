/*
 * throttle.h - per-client limits kept in memory: login failures and request rate.
 *
 * Login throttling counts failures per address and per e-mail; after the
 * free attempts each further try must wait twice as long as the last (capped
 * at 15 minutes). The request rate is a token bucket per client address.
 * Tables are fixed-size and evict the stalest entry, so a flood of addresses
 * costs memory once, not forever.
 */
#ifndef PARLEY_HTTP_THROTTLE_H
#define PARLEY_HTTP_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct throttle throttle_t;

throttle_t *throttle_new(void);
void throttle_free(throttle_t *t);

/* Milliseconds the caller must still wait before another login attempt for
 * key (0 = may try now), given free attempts. */
int64_t throttle_login_wait(throttle_t *t, const char *key, int free_attempts, int64_t now_ms);
void throttle_login_failed(throttle_t *t, const char *key, int64_t now_ms);
void throttle_login_succeeded(throttle_t *t, const char *key);

/* Token bucket: true when a request from key may proceed at rate/s with burst. */
bool throttle_rate_allow(throttle_t *t, const char *key, int64_t rate, int64_t burst,
                         int64_t now_ms);

#endif
