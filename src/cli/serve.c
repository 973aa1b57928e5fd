/*
 * serve.c - `parley serve`: open and migrate the store, run the HTTP server
 * until SIGINT or SIGTERM.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/analyze.h"
#include "desk/delivery.h"
#include "desk/mailer.h"
#include "desk/rollups.h"
#include "desk/scheduler.h"
#include "desk/webhooks.h"
#include "http/server.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: parley serve [options]\n\n"
            "Runs the Parley server: migrates the database, then answers HTTP.\n\n"
            "options:\n"
            "  %-26s show the effective settings (secrets masked) and exit\n"
            "  %-26s this help\n",
            "--print-config", "--help");
    config_help(out);
}

int cli_serve(int argc, char **argv)
{
    bool print = false;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(rest);
            return 0;
        }
        if (!strcmp(argv[i], "--print-config"))
            print = true;
        else
            rest[n++] = argv[i];
    }
    rest[n] = NULL;
    config_t cfg;
    config_defaults(&cfg);
    parley_err_t err = {0};
    int status = 1;
    store_t *store = NULL;
    server_t *srv = NULL;
    webhooks_t *hooks = NULL; /* outbound webhooks worker */
    mailer_t *mailer = NULL;  /* notices e-mailed by Parley (digests, SLA) */
    app_t app = {0};
    if (config_load(&cfg, n, rest, &err)) {
        fprintf(stderr, "parley serve: %s\n", err.msg);
        config_free(&cfg);
        free(rest);
        return 2;
    }
    free(rest);
    if (print) {
        config_print(&cfg, stdout);
        config_free(&cfg);
        return 0;
    }
    log_level_t level;
    if (log_level_parse(cfg.log_level, &level)) {
        fprintf(stderr, "parley serve: log-level must be debug, info, warn or error\n");
        config_free(&cfg);
        return 2;
    }
    log_set_level(level);
    crypto_password_light(cfg.pwhash_light);

    /* Signals are taken synchronously by this thread; every other thread
     * (the HTTP pool) inherits the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (store_open_sqlite(cfg.db, &store, &err)) {
        fprintf(stderr, "parley serve: %s\n", err.msg);
        goto done;
    }
    app = (app_t){.cfg = &cfg, .store = store};
    if (app_load_key(&app, &err)) {
        fprintf(stderr, "parley serve: %s\n", err.msg);
        goto done;
    }
    if (!(app.analyzer = analyzer_new(&err))) {
        fprintf(stderr, "parley serve: %s\n", err.msg);
        goto done;
    }
    if (cfg.clock_start && cfg.clock_start[0]) {
        int64_t start;
        if (clock_parse_iso(cfg.clock_start, &start)) {
            fprintf(stderr, "parley serve: clock-start must be an RFC 3339 time\n");
            goto done;
        }
        app.clock.offset_ms = start - clock_now_ms(NULL);
    }
    app.started_ms = app_now(&app);
    if (rollup_start(&app)) {
        fprintf(stderr, "parley serve: the report state could not be read\n");
        goto done;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    app.scheduler = scheduler_start(&app);
    app.delivery = delivery_start(&app);
    hooks = webhooks_start(&app);
    mailer = mailer_start(&app);
    if (server_start(&app, &srv, &err)) {
        fprintf(stderr, "parley serve: %s\n", err.msg);
        goto done;
    }
    log_line_t l;
    log_begin(&l, LOG_INFO, "server.listening", NULL);
    log_str(&l, "address", cfg.listen);
    log_int(&l, "port", srv->port);
    log_int(&l, "threads", srv->threads);
    log_str(&l, "db", cfg.db);
    log_str(&l, "version", PARLEY_VERSION);
    log_end(&l);

    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "server.stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    status = 0;
done:
    server_stop(srv);
    scheduler_stop(app.scheduler);
    delivery_stop(app.delivery);
    webhooks_stop(hooks);
    mailer_stop(mailer);
    curl_global_cleanup();
    analyzer_free(app.analyzer);
    store_close(store);
    config_free(&cfg);
    return status;
}
