/*
 * config.h - the server's settings and where they come from.
 *
 * Precedence, strongest first: command-line flags, PARLEY_* environment
 * variables, the optional config file (`key = value` lines), built-in
 * defaults. One table describes every setting (name, type, default, help,
 * whether it is secret), so flags, environment, file, --help and
 * --print-config can never disagree.
 */
#ifndef PARLEY_CORE_CONFIG_H
#define PARLEY_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct {
    char *db;     /* SQLite file */
    char *listen; /* address to bind */
    int64_t port;
    int64_t threads;  /* HTTP I/O threads and work-pool threads; 0 = 8 per core */
    int64_t max_body; /* bytes */
    int64_t max_json_depth;
    int64_t max_string; /* bytes in one JSON string */
    int64_t max_header; /* bytes of request headers */
    int64_t max_connections;
    int64_t rate_per_ip; /* sustained requests per second per address; 0 = off */
    int64_t rate_burst;
    int64_t session_idle;        /* seconds */
    int64_t session_max;         /* seconds */
    int64_t login_free_attempts; /* failures before the delay starts */
    int64_t stream_heartbeat;    /* seconds between live-stream pings */
    char *log_level;
    char *public_url;           /* https://... makes cookies Secure */
    char *secret_key;           /* encrypts stored channel credentials */
    bool pwhash_light;          /* tests only: cheapest argon2id */
    int64_t webhook_backoff_ms; /* first outbound webhook retry wait; x4 each time */
    char *clock_start;          /* RFC 3339: the server's clock starts there (tests, demos) */
    bool rollups;               /* maintain report rollups with each event (off: bulk import) */

    int64_t delivery_concurrency; /* platform sends in flight at once */
    int64_t delivery_timeout_ms;  /* one platform call, connect to last byte */
    int64_t delivery_backoff_ms;  /* first delivery retry wait; x4 each time */
} config_t;

/* Fills cfg with defaults. */
void config_defaults(config_t *cfg);
void config_free(config_t *cfg);
/* Applies, in order of increasing strength, the file named by --config or
 * PARLEY_CONFIG, the environment, then the flags in argv. Unknown flags and bad
 * values are errors. argv[0] is not looked at. */
int config_load(config_t *cfg, int argc, char **argv, parley_err_t *err);
/* Writes every effective value as `name = value`, secrets masked. */
void config_print(const config_t *cfg, FILE *out);
/* Writes the flag help, one line per setting. */
void config_help(FILE *out);

#endif
