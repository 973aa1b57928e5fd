/*
 * mailer.c - the notice queue and its SMTP worker (see mailer.h).
 *
 * The worker is woken by the commit hook only after a transaction that
 * queued mail (an atomic flag), and at the next retry time; it never sweeps
 * on a period. Its state is rows: a restart resends nothing already sent.
 */
#include "desk/mailer.h"
#include "desk/worker.h"

#include "channels/email.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/inboxes.h"
#include "store/store_digest.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct mailer {
    app_t *app;
    worker_t *w; /* desk/worker.c: the thread, its wake-ups, its curl handle */
};

/* Set by mailer_queue, read by the commit hook: only commits that queued mail wake the worker. */
static atomic_bool queued_since_poke;

#define SEND_BATCH 16

/* ---- queuing ----------------------------------------------------------------------- */

static const store_digest_ops_t *dops(const app_t *app)
{
    return app->store->ops->digest;
}

int mailer_inbox(dtx_t *t, int64_t account_id, int64_t *inbox_id)
{
    const store_digest_ops_t *ops = dops(t->app);
    if (!ops) return PARLEY_ENOENT;
    account_settings_row_t s;
    int rc = ops->settings_get(t->c, account_id, t->arena, &s);
    if (rc) return rc;
    inbox_row_t in;
    if (s.mail_inbox_id &&
        !dtx_ops(t)->inbox_get(t->c, account_id, s.mail_inbox_id, t->arena, &in) &&
        !strcmp(in.channel, "email") && !in.deleted_at) {
        *inbox_id = in.id;
        return 0;
    }
    page_t p = {.account_id = account_id, .after_id = 0, .limit = 100};
    for (;;) {
        inbox_row_t *rows;
        int n;
        if ((rc = dtx_ops(t)->inbox_list(t->c, &p, t->arena, &rows, &n))) return rc;
        for (int i = 0; i < n; i++)
            if (!strcmp(rows[i].channel, "email") && !rows[i].deleted_at) {
                *inbox_id = rows[i].id;
                return 0;
            }
        if (n < p.limit) return PARLEY_ENOENT;
        p.after_id = rows[n - 1].id;
    }
}

int mailer_queue(dtx_t *t, int64_t account_id, const char *kind, const char *dedupe, const char *to,
                 const char *subject, const char *text, const char *html, bool *queued)
{
    *queued = false;
    int64_t inbox_id;
    int rc = mailer_inbox(t, account_id, &inbox_id);
    if (rc) return rc;
    inbox_row_t in;
    if ((rc = dtx_ops(t)->inbox_get(t->c, account_id, inbox_id, t->arena, &in))) return rc;
    json_t *settings = inbox_settings(t->app, &in);
    if (!settings) return PARLEY_ENOENT;
    const char *from = json_string_value(json_object_get(settings, "address"));
    const char *name = json_string_value(json_object_get(settings, "from_name"));
    const char *wire;
    parley_err_t err = {0};
    rc = email_notice_format(from ? from : "", name ? name : "Parley", to, subject, text, html,
                             t->arena, &wire, &err);
    json_decref(settings);
    if (rc) return rc;
    mail_row_t m = {.account_id = account_id,
                    .inbox_id = inbox_id,
                    .dedupe = dedupe,
                    .kind = kind,
                    .rcpt = to,
                    .subject = subject,
                    .message = wire,
                    .next_attempt_at = t->now,
                    .created_at = t->now};
    int64_t id;
    if ((rc = dops(t->app)->mail_create(t->c, &m, &id))) return rc;
    *queued = id != 0;
    if (id) atomic_store(&queued_since_poke, true);
    return 0;
}

/* ---- sending ----------------------------------------------------------------------- */

typedef struct {
    const char *p;
    size_t left;
} upload_t;

static size_t on_read(char *out, size_t size, size_t n, void *ud)
{
    upload_t *u = ud;
    size_t k = size * n < u->left ? size * n : u->left;
    memcpy(out, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

/* The From address of the message (the envelope sender). */
static const char *from_of(const json_t *settings)
{
    const char *v = json_string_value(json_object_get(settings, "address"));
    return v ? v : "";
}

/* One SMTP transaction; *code the server's last reply code (0 = none). */
static int smtp_send(mailer_t *k, const json_t *settings, const mail_row_t *m, long *code,
                     char *errbuf)
{
    const char *url = json_string_value(json_object_get(settings, "smtp_url"));
    if (!url) {
        snprintf(errbuf, CURL_ERROR_SIZE, "the sending inbox has no smtp_url");
        *code = 0;
        return PARLEY_EINVAL;
    }
    CURL *c = worker_curl(k->w);
    curl_easy_reset(c);
    char from[600], to[600];
    snprintf(from, sizeof from, "<%s>", from_of(settings));
    snprintf(to, sizeof to, "<%s>", m->rcpt);
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    upload_t up = {.p = m->message, .left = strlen(m->message)};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    const char *user = json_string_value(json_object_get(settings, "smtp_username"));
    const char *pass = json_string_value(json_object_get(settings, "smtp_password"));
    if (user) curl_easy_setopt(c, CURLOPT_USERNAME, user);
    if (pass) curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    /* as for replies: with a login, never without TLS */
    if (!strncmp(url, "smtp://", 7))
        curl_easy_setopt(c, CURLOPT_USE_SSL, user ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    *code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    if (cc != CURLE_OK) {
        if (!errbuf[0]) snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
        return PARLEY_EIO;
    }
    return 0;
}

typedef struct {
    mail_row_t m;
} record_ctx_t;

static int record_tx(dtx_t *t, void *p)
{
    record_ctx_t *x = p;
    return dops(t->app)->mail_update(t->c, &x->m);
}

static void attempt(mailer_t *k, mail_row_t m)
{
    app_t *app = k->app;
    store_conn_t *c = app->store->ops->reader(app->store);
    arena_t a;
    arena_init(&a, 0);
    char errbuf[CURL_ERROR_SIZE] = "";
    long code = 0;
    int rc = PARLEY_ENOENT;
    inbox_row_t in;
    json_t *settings = NULL;
    if (!app->store->ops->desk->inbox_get(c, m.account_id, m.inbox_id, &a, &in) &&
        (settings = inbox_settings(app, &in)))
        rc = smtp_send(k, settings, &m, &code, errbuf);
    else
        snprintf(errbuf, sizeof errbuf, "the sending e-mail inbox is gone");
    json_decref(settings);
    m.attempts++;
    m.last_error = rc ? errbuf : NULL;
    if (!rc) {
        m.status = "sent";
        m.sent_at = app_now(app);
        m.next_attempt_at = 0;
    } else if ((code >= 500 && code < 600) || rc == PARLEY_ENOENT || rc == PARLEY_EINVAL ||
               m.attempts >= MAILER_MAX_ATTEMPTS) {
        m.status = "dead"; /* refused for good, or out of attempts */
        m.next_attempt_at = 0;
    } else {
        int64_t wait = 1000;
        for (int64_t i = 1; i < m.attempts; i++) wait *= 4;
        m.next_attempt_at = app_now(app) + wait;
    }
    log_msg(rc ? LOG_WARN : LOG_INFO, rc ? "mail.failed" : "mail.sent", m.dedupe);
    actor_t sys = {.account_id = m.account_id, .kind = "system"};
    record_ctx_t x = {.m = m};
    if (desk_write(app, &sys, record_tx, &x))
        log_msg(LOG_ERROR, "mail.record_failed", "a mail's outcome could not be recorded");
    arena_free(&a);
}

/* One turn: the due mail, SEND_BATCH at most (worker.h). */
static bool turn(void *p, int64_t *next_due)
{
    mailer_t *k = p;
    app_t *app = k->app;
    const store_digest_ops_t *ops = dops(app);
    store_conn_t *c = app->store->ops->reader(app->store);
    arena_t a;
    arena_init(&a, 0);
    mail_row_t *due;
    int n = 0;
    if (ops->mail_due(c, app_now(app), SEND_BATCH, &a, &due, &n)) n = 0;
    for (int i = 0; i < n && !worker_stopping(k->w); i++) attempt(k, due[i]);
    arena_free(&a);
    ops->mail_next_due(c, next_due);
    return n == SEND_BATCH;
}

/* The store's commit hook, on the committing thread: a flag test, rarely a signal. */
static void on_commit(void *arg)
{
    if (atomic_exchange(&queued_since_poke, false)) mailer_poke(arg);
}

mailer_t *mailer_start(app_t *app)
{
    if (!dops(app)) return NULL;
    mailer_t *k = xcalloc(1, sizeof *k);
    k->app = app;
    if (!(k->w = worker_start(app, "mail.worker", turn, k))) {
        free(k);
        return NULL;
    }
    if (store_add_commit_hook(app->store, on_commit, k))
        log_msg(LOG_ERROR, "mail.worker", "no commit hook slot: mail waits for its retry time");
    return k;
}

void mailer_poke(mailer_t *k)
{
    if (k) worker_poke(k->w);
}

void mailer_stop(mailer_t *k)
{
    if (!k) return;
    store_remove_commit_hook(k->app->store, k);
    worker_stop(k->w);
    free(k);
}
