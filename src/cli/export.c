/*
 * export.c - `parley export` (a report as CSV, straight from the database
 * file) and `parley reports verify|rebuild` (the rollups against the event
 * log).
 */
#include "cli/cli.h"

#include "core/crypto.h"
#include "core/log.h"
#include "desk/reports.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_db(const char *db, app_t *app, config_t *cfg)
{
    parley_err_t err = {0};
    config_defaults(cfg);
    log_set_level(LOG_WARN);
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "parley: cannot read %s: %s\n", db, strerror(errno));
        config_free(cfg);
        return 1;
    }
    if (store_open_sqlite(db, &app->store, &err)) {
        fprintf(stderr, "parley: %s\n", err.msg);
        config_free(cfg);
        return 1;
    }
    app->cfg = cfg;
    return 0;
}

/* ---- export -------------------------------------------------------------- */

static void export_usage(FILE *out)
{
    fprintf(out, "usage: parley export --db FILE --report NAME [options]\n\n"
                 "Writes a report as CSV (RFC 4180, CRLF, UTF-8, ISO 8601 times).\n"
                 "NAME: summary, timeseries, agents, inboxes, teams or conversations.\n\n"
                 "options:\n"
                 "  --account ID        the account (default 1)\n"
                 "  --since TIME        RFC 3339 (default: 7 days before --until)\n"
                 "  --until TIME        RFC 3339 (default: now)\n"
                 "  --by hour|day|week  timeseries step (default day)\n"
                 "  --business-hours    times in business hours\n"
                 "  --bom               start with a UTF-8 byte order mark (for Excel)\n"
                 "  --out FILE          write there instead of stdout\n"
                 "A progress bar is drawn on stderr when it is a terminal.\n");
}

typedef struct {
    const char *since, *until, *business;
} export_args_t;

static const char *export_get(void *ctx, const char *k)
{
    export_args_t *a = ctx;
    if (!strcmp(k, "since")) return a->since;
    if (!strcmp(k, "until")) return a->until;
    if (!strcmp(k, "business_hours")) return a->business;
    return NULL;
}

static void progress_bar(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    if (total <= 0) total = 1;
    int width = 40, filled = (int)(done * width / total);
    if (filled > width) filled = width;
    fprintf(stderr, "\r[%.*s%*s] %lld/%lld", filled,
            "========================================", width - filled, "", (long long)done,
            (long long)total);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
}

int cli_export(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"report", required_argument, 0, 'r'},
                                         {"account", required_argument, 0, 'a'},
                                         {"since", required_argument, 0, 's'},
                                         {"until", required_argument, 0, 'u'},
                                         {"by", required_argument, 0, 'y'},
                                         {"business-hours", no_argument, 0, 'B'},
                                         {"bom", no_argument, 0, 'b'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *report = NULL, *out_path = NULL, *by = NULL;
    long long account = 1;
    bool bom = false;
    export_args_t args = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': report = optarg; break;
        case 'a': account = atoll(optarg); break;
        case 's': args.since = optarg; break;
        case 'u': args.until = optarg; break;
        case 'y': by = optarg; break;
        case 'B': args.business = "true"; break;
        case 'b': bom = true; break;
        case 'o': out_path = optarg; break;
        case 'h': export_usage(stdout); return 0;
        default: export_usage(stderr); return 2;
        }
    }
    if (!db || !report || account <= 0) {
        export_usage(stderr);
        return 2;
    }
    app_t app = {0};
    config_t cfg;
    if (open_db(db, &app, &cfg)) return 1;
    int status = 1;
    report_query_t q;
    json_check_t chk = {0};
    report_query_parse(&app, account, export_get, &args, app_now(&app), &q, &chk);
    buf_t b;
    buf_init(&b, 0);
    if (!json_check_ok(&chk)) {
        json_t *e = json_array_get(chk.errors, 0);
        fprintf(stderr, "parley export: %s: %s\n",
                json_string_value(json_object_get(e, "pointer")) + 1,
                json_string_value(json_object_get(e, "detail")));
        json_check_free(&chk);
        status = 2;
        goto done;
    }
    parley_err_t err = {0};
    bool tty = isatty(STDERR_FILENO);
    if (report_csv(&app, &q, report, by, bom, &b, tty ? progress_bar : NULL, NULL, &err)) {
        fprintf(stderr, "parley export: %s\n", err.msg);
        status = err.code == PARLEY_EINVAL || err.code == PARLEY_ENOENT ? 2 : 1;
        goto done;
    }
    FILE *f = out_path ? fopen(out_path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "parley export: cannot write %s: %s\n", out_path, strerror(errno));
        goto done;
    }
    size_t w = b.len ? fwrite(b.ptr, 1, b.len, f) : 0;
    if (out_path ? fclose(f) != 0 : fflush(f) != 0) w = 0;
    if (w != b.len) {
        fprintf(stderr, "parley export: write failed\n");
        goto done;
    }
    status = 0;
done:
    buf_free(&b);
    store_close(app.store);
    config_free(&cfg);
    return status;
}

/* ---- reports verify / rebuild ----------------------------------------------- */

int cli_reports(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *usage = "usage: parley reports verify|rebuild --db FILE\n\n"
                        "verify   recomputes every rollup from the event log (in a scratch\n"
                        "         database) and compares it with the stored rollups, to the\n"
                        "         millisecond, and each label's rows with the sum of its\n"
                        "         conversations; prints the first differences; exit 1 on any\n"
                        "rebuild  recomputes the stored rollups from the event log (for a\n"
                        "         database with events older than the reports)\n";
    if (argc < 2 || (strcmp(argv[1], "verify") && strcmp(argv[1], "rebuild"))) {
        bool help = argc >= 2 && !strcmp(argv[1], "--help");
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *db = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!db) {
        fputs(usage, stderr);
        return 2;
    }
    app_t app = {0};
    config_t cfg;
    if (open_db(db, &app, &cfg)) return 1;
    int status = 1;
    if (!strcmp(argv[1], "rebuild")) {
        if (reports_rebuild(&app))
            fprintf(stderr, "parley reports: the rebuild failed\n");
        else {
            printf("rollups rebuilt from the event log\n");
            status = 0;
        }
    } else {
        int64_t ndiff = 0;
        if (reports_verify(&app, stdout, 20, &ndiff))
            fprintf(stderr, "parley reports: the verification could not run\n");
        else if (ndiff)
            printf("MISMATCH: the rollups differ from the event log\n");
        else {
            printf("OK: the rollups equal a recomputation from the event log\n");
            status = 0;
        }
    }
    store_close(app.store);
    config_free(&cfg);
    return status;
}
