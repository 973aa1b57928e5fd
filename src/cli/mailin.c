/*
 * mailin.c - `parley mail-in`: one e-mail on stdin into an e-mail inbox.
 *
 * The way an MTA delivers to a program (Postfix pipe(8), Exim's pipe
 * transport, a .forward "|command"): the raw message on stdin, the answer in
 * the exit status, following sysexits(3) so the MTA bounces what can never
 * succeed and queues what may succeed later. Parsing is the e-mail adapter's
 * (channels/email.c); storing is desk_ingest's, as for every channel.
 */
#include "cli/cli.h"

#include "channels/channel.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/rollups.h"
#include "desk/analyze.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAILIN_MAX (25u << 20) /* 25 MiB, as large as common MTAs accept */

/* sysexits(3) */
#define EX_OK_       0
#define EX_USAGE_    64
#define EX_DATAERR_  65
#define EX_NOUSER_   67
#define EX_TEMPFAIL_ 75

static void usage(FILE *out)
{
    fprintf(out, "usage: parley mail-in --db FILE --inbox ID < message.eml\n\n"
                 "Reads one e-mail (RFC 5322, as an MTA pipes it) on stdin and stores it in the\n"
                 "e-mail inbox ID: threaded by References/In-Reply-To, text extracted (HTML\n"
                 "converted), SPF/DKIM/DMARC results recorded. A message already stored (same\n"
                 "Message-ID) is reported as a duplicate and changes nothing. Automatic mail\n"
                 "(auto-replies, bounces, our own replies) is accepted and ignored.\n\n"
                 "options:\n"
                 "  --db FILE     the database (as for parley serve; the server may be running)\n"
                 "  --inbox ID    the e-mail inbox that receives the message\n"
                 "  --help        this help\n\n"
                 "The key that seals inbox settings is read as parley serve reads it (the\n"
                 "secret-key setting from PARLEY_SECRET_KEY or PARLEY_CONFIG, else secret.key\n"
                 "beside the database).\n\n"
                 "exit status (sysexits, for the MTA):\n"
                 "  0   stored, a duplicate, or ignored\n"
                 "  1   the message is larger than 25 MiB (refused)\n"
                 "  64  usage error\n"
                 "  65  the message is malformed (no valid From address, not a message)\n"
                 "  67  no e-mail inbox with this id\n"
                 "  75  temporary failure (database busy or unavailable): the MTA retries\n");
}

/* Reads all of stdin into *out (malloc); 1 when it is larger than max. */
static int read_stdin(size_t max, char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *p = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) break;
            cap *= 2;
            p = xrealloc(p, cap);
        }
        size_t got = fread(p + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(p);
        return -1;
    }
    *out = p;
    *len = n;
    return n > max ? 1 : 0;
}

int cli_mailin(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"inbox", required_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL;
    long long inbox_id = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'i':
            if (!str_to_i64(str_from(optarg), &inbox_id) || inbox_id <= 0) {
                fprintf(stderr, "parley mail-in: --inbox must be a positive id\n");
                return EX_USAGE_;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EX_USAGE_;
        }
    }
    if (!db || !inbox_id || optind < argc) {
        usage(stderr);
        return EX_USAGE_;
    }
    if (access(db, R_OK | W_OK) != 0) {
        fprintf(stderr, "parley mail-in: cannot open %s: %s\n", db, strerror(errno));
        return EX_TEMPFAIL_;
    }
    char *raw = NULL;
    size_t len = 0;
    int r = read_stdin(MAILIN_MAX, &raw, &len);
    if (r < 0) {
        fprintf(stderr, "parley mail-in: cannot read the message: %s\n", strerror(errno));
        return EX_TEMPFAIL_;
    }
    if (r > 0) {
        fprintf(stderr, "parley mail-in: the message is larger than 25 MiB; refused\n");
        free(raw);
        return 1;
    }

    config_t cfg;
    config_defaults(&cfg);
    parley_err_t err = {0};
    char *load_argv[] = {"mail-in", NULL};
    app_t app = {0};
    store_t *store = NULL;
    json_t *settings = NULL;
    arena_t a;
    arena_init(&a, 0);
    int status = EX_TEMPFAIL_;
    log_set_level(LOG_WARN);
    /* the environment and config file, for secret-key; --db wins */
    if (config_load(&cfg, 1, load_argv, &err)) {
        fprintf(stderr, "parley mail-in: %s\n", err.msg);
        goto done;
    }
    free(cfg.db);
    cfg.db = xstrdup(db);
    if (store_open_sqlite(cfg.db, &store, &err)) {
        fprintf(stderr, "parley mail-in: %s\n", err.msg);
        goto done;
    }
    app = (app_t){.cfg = &cfg, .store = store};
    if (app_load_key(&app, &err)) {
        fprintf(stderr, "parley mail-in: %s\n", err.msg);
        goto done;
    }
    if (!cfg.rollups && rollup_start(&app)) { /* rollups = off: the reports go stale */
        fprintf(stderr, "parley mail-in: the report state could not be written\n");
        goto done;
    }
    inbox_row_t in;
    const store_desk_ops_t *ops = store->ops->desk;
    if (ops->inbox_get_any(store->ops->reader(store), inbox_id, &a, &in) || in.deleted_at ||
        strcmp(in.channel, "email") != 0) {
        fprintf(stderr, "parley mail-in: no e-mail inbox with id %lld\n", inbox_id);
        status = EX_NOUSER_;
        goto done;
    }
    if (!(settings = inbox_settings(&app, &in))) {
        fprintf(stderr, "parley mail-in: the settings of inbox %lld cannot be read (wrong key?)\n",
                inbox_id);
        goto done;
    }
    const channel_ops_t *ch = channel_find("email");
    ch_request_t req = {.method = "MAIL", .url = "", .body = {raw, len}};
    ch_batch_t *batch = arena_calloc(&a, sizeof *batch);
    if (ch->parse(settings, &req, &a, batch, &err) || batch->n != 1) {
        fprintf(stderr, "parley mail-in: malformed message: %s\n",
                err.msg[0] ? err.msg : "nothing to store");
        status = EX_DATAERR_;
        goto done;
    }
    const ch_item_t *it = &batch->items[0];
    if (it->kind != CH_ITEM_MESSAGE) {
        printf("ignored message %s (automatic mail or our own)\n", it->external_id);
        status = EX_OK_;
        goto done;
    }
    if (!(app.analyzer = analyzer_new(&err))) {
        fprintf(stderr, "parley mail-in: %s\n", err.msg);
        goto done;
    }
    ingest_result_t res;
    if (desk_ingest(&app, &in, it, &res, &err)) {
        fprintf(stderr, "parley mail-in: %s; the MTA should retry\n", err.msg);
        goto done;
    }
    printf("%s message %lld in conversation %lld\n", res.duplicate ? "duplicate" : "stored",
           (long long)res.message_id, (long long)res.conversation_id);
    status = EX_OK_;
done:
    json_decref(settings);
    analyzer_free(app.analyzer);
    store_close(store);
    arena_free(&a);
    config_free(&cfg);
    free(raw);
    return status;
}
