/*
 * config.c - the settings table and its three sources.
 */
#include "core/config.h"
#include "core/mem.h"
#include "core/str.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STR, T_INT, T_BOOL } ctype_t;

typedef struct {
    const char *name; /* flag --name, env PARLEY_NAME (upper, '-' -> '_'), file key */
    ctype_t type;
    size_t off;
    const char *def;
    int64_t min, max;
    bool secret;
    const char *help;
} setting_t;

#define S(f) offsetof(config_t, f)
static const setting_t settings[] = {
    {"db", T_STR, S(db), "var/parley.db", 0, 0, false, "SQLite database file"},
    {"listen", T_STR, S(listen), "127.0.0.1", 0, 0, false, "address to listen on"},
    {"port", T_INT, S(port), "8080", 0, 65535, false, "TCP port (0 picks a free one)"},
    {"threads", T_INT, S(threads), "0", 0, 256, false,
     "HTTP I/O threads, and as many for writes and long reads (0 = 8 per core)"},
    {"max-body", T_INT, S(max_body), "1048576", 1024, 1 << 30, false,
     "largest request body, bytes"},
    {"max-json-depth", T_INT, S(max_json_depth), "32", 2, 512, false, "deepest JSON nesting"},
    {"max-string", T_INT, S(max_string), "65536", 64, 1 << 26, false, "longest JSON string, bytes"},
    {"max-header", T_INT, S(max_header), "16384", 1024, 1 << 20, false,
     "largest request head, bytes"},
    {"max-connections", T_INT, S(max_connections), "1024", 4, 65536, false,
     "simultaneous connections"},
    {"rate-per-ip", T_INT, S(rate_per_ip), "0", 0, 1000000, false,
     "sustained requests/second per client address (0 = unlimited)"},
    {"rate-burst", T_INT, S(rate_burst), "200", 1, 1000000, false,
     "requests a client may burst above the rate"},
    {"session-idle", T_INT, S(session_idle), "1800", 1, 86400 * 30, false,
     "seconds of inactivity before a session ends (automatic logout)"},
    {"session-max", T_INT, S(session_max), "43200", 60, 86400 * 365, false,
     "absolute session lifetime, seconds"},
    {"login-free-attempts", T_INT, S(login_free_attempts), "5", 1, 1000, false,
     "failed logins allowed before exponential delays start"},
    {"stream-heartbeat", T_INT, S(stream_heartbeat), "15", 1, 3600, false,
     "seconds between heartbeats on live event streams"},
    {"log-level", T_STR, S(log_level), "info", 0, 0, false, "debug, info, warn or error"},
    {"public-url", T_STR, S(public_url), "http://127.0.0.1:8080", 0, 0, false,
     "URL users reach Parley at (https makes cookies Secure)"},
    {"secret-key", T_STR, S(secret_key), "", 0, 0, true,
     "key that encrypts stored channel credentials (hex, 64 chars)"},
    {"pwhash-light", T_BOOL, S(pwhash_light), "false", 0, 0, false,
     "cheapest password hashing (tests only, never in production)"},
    {"webhook-backoff-ms", T_INT, S(webhook_backoff_ms), "1000", 1, 3600000, false,
     "first outbound webhook retry wait, ms (then x4: 1 s, 4 s, 16 s, 64 s, 256 s, dead)"},
    {"clock-start", T_STR, S(clock_start), "", 0, 0, false,
     "start the server's clock at this RFC 3339 time, then run at wall speed (tests, demos)"},
    {"rollups", T_BOOL, S(rollups), "on", 0, 0, false,
     "maintain the report rollups with every event; --rollups=off is a bulk import: the "
     "reports are stale until `parley reports rebuild`"},
    {"delivery-concurrency", T_INT, S(delivery_concurrency), "32", 1, 1024, false,
     "replies in flight to the platforms at once"},
    {"delivery-timeout-ms", T_INT, S(delivery_timeout_ms), "20000", 100, 600000, false,
     "longest one platform call may take, ms (then it is retried)"},
    {"delivery-backoff-ms", T_INT, S(delivery_backoff_ms), "1000", 1, 3600000, false,
     "first reply delivery retry wait, ms (then x4, up to 6 attempts)"},
};
#undef S
#define N_SETTINGS (sizeof settings / sizeof settings[0])

static int apply(config_t *cfg, const setting_t *s, const char *val, const char *origin,
                 parley_err_t *err)
{
    void *field = (char *)cfg + s->off;
    switch (s->type) {
    case T_STR:
        free(*(char **)field);
        *(char **)field = xstrdup(val);
        return 0;
    case T_INT: {
        long long n;
        if (!str_to_i64(str_from(val), &n) || n < s->min || n > s->max)
            return parley_errf(err, PARLEY_EINVAL, s->name,
                               "%s: %s must be an integer between %lld and %lld, not \"%s\"",
                               origin, s->name, (long long)s->min, (long long)s->max, val);
        *(int64_t *)field = n;
        return 0;
    }
    case T_BOOL:
        if (!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "yes") || !strcmp(val, "on"))
            *(bool *)field = true;
        else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "no") ||
                 !strcmp(val, "off"))
            *(bool *)field = false;
        else
            return parley_errf(err, PARLEY_EINVAL, s->name, "%s: %s must be true or false", origin,
                               s->name);
        return 0;
    }
    return PARLEY_EINVAL;
}

static const setting_t *find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strlen(settings[i].name) == len && !strncmp(settings[i].name, name, len))
            return &settings[i];
    return NULL;
}

void config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_SETTINGS; i++) apply(cfg, &settings[i], settings[i].def, "", NULL);
}

void config_free(config_t *cfg)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].type == T_STR) {
            char **f = (char **)((char *)cfg + settings[i].off);
            free(*f);
            *f = NULL;
        }
}

static int load_file(config_t *cfg, const char *path, parley_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return parley_errf(err, PARLEY_EINVAL, "config", "cannot read config file %s", path);
    char line[4096];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        str_t l = str_trim(str_from(line)), key;
        if (l.len == 0 || l.ptr[0] == '#') continue;
        if (!str_split_at(&l, '=', &key)) {
            rc = parley_errf(err, PARLEY_EINVAL, "config", "%s:%d: expected key = value", path,
                             lineno);
            break;
        }
        key = str_trim(key);
        l = str_trim(l);
        const setting_t *s = find(key.ptr, key.len);
        if (!s) {
            rc = parley_errf(err, PARLEY_EINVAL, "config", "%s:%d: unknown setting \"%.*s\"", path,
                             lineno, (int)key.len, key.ptr);
            break;
        }
        char val[4096], origin[512];
        snprintf(val, sizeof val, "%.*s", (int)l.len, l.ptr);
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        rc = apply(cfg, s, val, origin, err);
    }
    fclose(f);
    return rc;
}

int config_load(config_t *cfg, int argc, char **argv, parley_err_t *err)
{
    /* The config file: --config wins over PARLEY_CONFIG. */
    const char *file = getenv("PARLEY_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) file = argv[i + 1];
        if (!strncmp(argv[i], "--config=", 9)) file = argv[i] + 9;
    }
    int rc;
    if (file && *file && (rc = load_file(cfg, file, err))) return rc;

    for (size_t i = 0; i < N_SETTINGS; i++) {
        char env[64] = "PARLEY_";
        size_t o = 7;
        for (const char *p = settings[i].name; *p && o < sizeof env - 1; p++)
            env[o++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        env[o] = '\0';
        const char *v = getenv(env);
        if (v && (rc = apply(cfg, &settings[i], v, env, err))) return rc;
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return parley_errf(err, PARLEY_EINVAL, a, "unexpected argument \"%s\"", a);
        a += 2;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen == 6 && !strncmp(a, "config", 6)) {
            if (!eq) i++;
            continue;
        }
        const setting_t *s = find(a, nlen);
        if (!s)
            return parley_errf(err, PARLEY_EINVAL, a, "unknown option --%.*s (see --help)",
                               (int)nlen, a);
        const char *val;
        if (eq)
            val = eq + 1;
        else if (s->type == T_BOOL)
            val = "true";
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return parley_errf(err, PARLEY_EINVAL, a, "--%s needs a value", s->name);
        char origin[80];
        snprintf(origin, sizeof origin, "--%s", s->name);
        if ((rc = apply(cfg, s, val, origin, err))) return rc;
    }
    return 0;
}

void config_print(const config_t *cfg, FILE *out)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_t *s = &settings[i];
        const void *f = (const char *)cfg + s->off;
        switch (s->type) {
        case T_STR: {
            const char *v = *(char *const *)f;
            if (s->secret && v && *v)
                fprintf(out, "%s = ********\n", s->name);
            else
                fprintf(out, "%s = %s\n", s->name, v ? v : "");
            break;
        }
        case T_INT: fprintf(out, "%s = %lld\n", s->name, (long long)*(const int64_t *)f); break;
        case T_BOOL: fprintf(out, "%s = %s\n", s->name, *(const bool *)f ? "true" : "false"); break;
        }
    }
}

void config_help(FILE *out)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", settings[i].name,
                 settings[i].type == T_BOOL ? "" : " V");
        fprintf(out, "  %-26s %s (default %s)\n", flag, settings[i].help,
                settings[i].secret ? "unset" : settings[i].def);
    }
    fprintf(out, "  %-26s read settings from FILE (key = value lines)\n", "--config FILE");
    fprintf(out, "Every option can also be set as PARLEY_<NAME> in the environment\n"
                 "(e.g. PARLEY_PORT=9000); flags win over the environment, which wins\n"
                 "over the config file.\n");
}
