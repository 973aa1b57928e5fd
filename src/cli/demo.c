/*
 * demo.c - `parley demo`: a working desk for a newcomer.
 *
 * Owns the demo account's furniture: one inbox of every channel type with
 * generated secrets (their send APIs pointed at a harmless local address or at
 * `parley simulate --fake-platform`), a few agents, teams, labels and canned
 * responses, and the inboxes file (mode 0600) `parley simulate` reads to sign
 * its traffic. Idempotent: what exists (by name or e-mail) is kept, and only
 * the addresses in an existing inbox's settings are brought up to date.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/catalog.h"
#include "desk/inboxes.h"
#include "desk/users.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *channel, *name;
} demo_inbox_t;

static const demo_inbox_t demo_inboxes[] = {
    {"messenger", "Demo Facebook page"}, {"instagram", "Demo Instagram"},
    {"whatsapp", "Demo WhatsApp"},       {"twilio_sms", "Demo SMS"},
    {"telegram", "Demo Telegram bot"},   {"x", "Demo X account"},
    {"api", "Demo CRM (api)"},           {"email", "Demo e-mail"},
    {"web", "Demo website chat"},
};
#define N_DEMO_INBOXES (sizeof demo_inboxes / sizeof demo_inboxes[0])

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: parley demo --db FILE --out FILE [--account ID] [--url URL] [--fake-url URL]\n\n"
        "Fills an account with a demo: an inbox of every channel type (messenger,\n"
        "instagram, whatsapp, twilio_sms, telegram, x, api, email, web) with generated\n"
        "secrets, agents, teams, labels and canned responses; keeps what exists. Writes\n"
        "the inboxes with their secrets to the --out file (mode 0600) for\n"
        "`parley simulate --inboxes FILE`.\n\n"
        "options:\n"
        "  --db FILE        the database (`parley init` first)\n"
        "  --out FILE       the inboxes file to write\n"
        "  --account ID     the account (default 1, the first `parley init` creates)\n"
        "  --url URL        where the server is reached (default http://127.0.0.1:8080):\n"
        "                   the SMS webhook URL and the website chat's allowed origin\n"
        "  --fake-url URL   where replies go (every inbox's api_base_url; default\n"
        "                   http://127.0.0.1:9, where deliveries fail): the address of\n"
        "                   `parley simulate --fake-platform PORT` makes them \"sent\"\n"
        "  --help           this help\n");
}

static char *token(const char *prefix, size_t n)
{
    char raw[128];
    crypto_random_token(n, raw, sizeof raw);
    size_t len = strlen(prefix) + strlen(raw) + 1;
    char *out = xmalloc(len);
    snprintf(out, len, "%s%s", prefix, raw);
    return out;
}

/* The settings of a new inbox of channel ch, with fresh secrets. */
static json_t *new_settings(const char *ch)
{
    json_t *s = json_object();
    char *a = NULL, *b = NULL;
    if (!strcmp(ch, "messenger") || !strcmp(ch, "instagram") || !strcmp(ch, "whatsapp")) {
        json_object_set_new(s, "app_secret", json_string(a = token("", 24)));
        json_object_set_new(s, "verify_token", json_string(b = token("vt-", 12)));
        free(a), free(b);
        b = NULL;
        a = token("", 32);
        if (!strcmp(ch, "messenger")) {
            json_object_set_new(s, "page_id", json_string("104857600000001"));
            json_object_set_new(s, "page_access_token", json_string(a));
        } else if (!strcmp(ch, "instagram")) {
            json_object_set_new(s, "ig_id", json_string("17841400000000001"));
            json_object_set_new(s, "access_token", json_string(a));
        } else {
            json_object_set_new(s, "phone_number_id", json_string("106540352242922"));
            json_object_set_new(s, "access_token", json_string(a));
        }
    } else if (!strcmp(ch, "twilio_sms")) {
        json_object_set_new(s, "account_sid", json_string("AC0000000000000000000000000000demo"));
        json_object_set_new(s, "auth_token", json_string(a = token("", 24)));
        json_object_set_new(s, "from", json_string("+14155550199"));
        json_object_set_new(s, "webhook_url", json_string("http://127.0.0.1/")); /* set below */
    } else if (!strcmp(ch, "telegram")) {
        json_object_set_new(s, "bot_token", json_string(a = token("7000000001:", 24)));
        json_object_set_new(s, "secret_token", json_string(b = token("", 24)));
    } else if (!strcmp(ch, "x")) {
        json_object_set_new(s, "user_id", json_string("4337869213"));
        json_object_set_new(s, "consumer_secret", json_string(a = token("", 32)));
        json_object_set_new(s, "access_token", json_string(b = token("", 32)));
    } else if (!strcmp(ch, "api")) {
        json_object_set_new(s, "hmac_secret", json_string(a = token("", 24)));
    } else if (!strcmp(ch, "email")) {
        json_object_set_new(s, "address", json_string("care@demo.parley.local"));
        json_object_set_new(s, "smtp_url", json_string("smtp://127.0.0.1:2525"));
        json_object_set_new(s, "from_name", json_string("Demo customer care"));
    } else if (!strcmp(ch, "web")) {
        json_object_set_new(s, "widget_token", json_string(a = token("wt-", 18)));
        json_object_set_new(s, "identity_secret", json_string(b = token("", 24)));
        json_object_set_new(s, "greeting", json_string("Hi! How can we help today?"));
        json_object_set_new(s, "color", json_string("#1f6feb"));
    }
    free(a);
    free(b);
    return s;
}

/* The addresses of inbox id (channel ch) that follow --url and --fake-url. */
static json_t *addresses(const char *ch, int64_t id, const char *url, const char *fake)
{
    json_t *s = json_object();
    if (!strcmp(ch, "email")) return s;
    if (!strcmp(ch, "web")) {
        json_object_set_new(s, "allowed_origins", json_pack("[s]", url));
        return s;
    }
    if (!strcmp(ch, "api")) {
        json_object_set_new(s, "outbound_url", json_sprintf("%s/api-outbound", fake));
        return s;
    }
    json_object_set_new(s, "api_base_url", json_string(fake));
    if (!strcmp(ch, "twilio_sms"))
        json_object_set_new(s, "webhook_url", json_sprintf("%s/webhooks/%lld", url, (long long)id));
    return s;
}

/* Writes the inboxes file through a temporary file, mode 0600 from the start. */
static int write_out(const char *path, json_t *list)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    fchmod(fd, 0600);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    int rc = json_dumpf(list, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc) unlink(tmp);
    return rc;
}

/* An origin ("scheme://host[:port]") from a URL: the path dropped. */
static char *origin_of(const char *url)
{
    char *o = xstrdup(url);
    char *p = strstr(o, "://");
    if (p && (p = strchr(p + 3, '/'))) *p = '\0';
    return o;
}

typedef struct {
    int inboxes, created, agents, teams, labels, canned;
} tally_t;

static int ensure_inboxes(app_t *app, const actor_t *by, const char *url, const char *fake,
                          json_t *out, tally_t *t)
{
    const store_desk_ops_t *ops = app->store->ops->desk;
    arena_t a;
    arena_init(&a, 0);
    inbox_row_t *rows = NULL;
    int n = 0;
    page_t page = {.account_id = by->account_id, .limit = 1000};
    if (ops->inbox_list(app->store->ops->reader(app->store), &page, &a, &rows, &n)) {
        fprintf(stderr, "parley demo: the inboxes cannot be read\n");
        arena_free(&a);
        return 1;
    }
    int status = 0;
    for (size_t k = 0; k < N_DEMO_INBOXES && !status; k++) {
        const demo_inbox_t *d = &demo_inboxes[k];
        parley_err_t err = {0};
        int64_t id = 0;
        json_t *settings = NULL;
        for (int i = 0; i < n; i++)
            if (!rows[i].deleted_at && !strcmp(rows[i].name, d->name) &&
                !strcmp(rows[i].channel, d->channel)) {
                id = rows[i].id;
                if (!(settings = inbox_settings(app, &rows[i]))) {
                    fprintf(stderr,
                            "parley demo: the settings of inbox %lld cannot be read "
                            "(another secret key?)\n",
                            (long long)id);
                    status = 1;
                }
                break;
            }
        if (status) break;
        if (!id) {
            settings = new_settings(d->channel);
            json_t *first = addresses(d->channel, 0, url, fake); /* the id is known below */
            json_object_update(settings, first);
            json_decref(first);
            json_t *body = json_pack("{s:s, s:s, s:O}", "name", d->name, "channel", d->channel,
                                     "settings", settings);
            if (inbox_create(app, by, body, &id, &err)) {
                fprintf(stderr, "parley demo: the %s inbox: %s %s\n", d->channel, err.field,
                        err.msg);
                status = 1;
            }
            json_decref(body);
            t->created++;
        }
        /* bring the addresses up to date (the SMS webhook URL names the inbox id) */
        json_t *want = addresses(d->channel, id, url, fake), *patch = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(want, key, v)
        {
            if (!json_equal(json_object_get(settings, key), v)) json_object_set(patch, key, v);
        }
        if (!status && json_object_size(patch)) {
            json_t *body = json_pack("{s:O}", "settings", patch);
            if (inbox_update(app, by, id, body, &err)) {
                fprintf(stderr, "parley demo: the %s inbox: %s %s\n", d->channel, err.field,
                        err.msg);
                status = 1;
            }
            json_decref(body);
            json_object_update(settings, patch);
        }
        json_decref(want);
        json_decref(patch);
        if (!status) {
            json_array_append_new(out,
                                  json_pack("{s:I, s:s, s:s, s:O}", "id", (json_int_t)id, "name",
                                            d->name, "channel", d->channel, "settings", settings));
            t->inboxes++;
        }
        json_decref(settings);
    }
    arena_free(&a);
    return status;
}

/* 0 when created or already there; prints other failures. */
static int kept(int rc, const char *what, const parley_err_t *err, int *count)
{
    if (rc == 0 || rc == PARLEY_EEXIST) {
        (*count)++;
        return 0;
    }
    fprintf(stderr, "parley demo: %s: %s\n", what, err->msg);
    return 1;
}

static int ensure_catalog(app_t *app, const actor_t *by, tally_t *t)
{
    static const struct {
        const char *email, *name, *role;
    } people[] = {
        {"maya@demo.parley.local", "Maya Lopez", "agent"},
        {"sam@demo.parley.local", "Sam Carter", "agent"},
        {"ines@demo.parley.local", "Ines Duarte", "agent"},
        {"lee@demo.parley.local", "Lee Wong", "supervisor"},
        {"ana@demo.parley.local", "Ana Berg", "analyst"},
    };
    static const struct {
        const char *name, *color;
    } labels[] = {
        {"billing", "#d97706"}, {"delivery", "#2563eb"}, {"refund", "#dc2626"},
        {"vip", "#7c3aed"},     {"bug", "#059669"},      {"praise", "#db2777"},
    };
    static const struct {
        const char *title, *code, *body;
    } canned[] = {
        {"Greeting", "hi",
         "Hi {{contact.first_name}}, thanks for reaching out! I'm {{agent.name}} and I'll "
         "help you with this."},
        {"Move to DM", "dm",
         "Sorry about this, {{contact.first_name}}. Please send us a private message with your "
         "order number, and never post card details in public."},
        {"Refund timing", "refund",
         "Refunds reach your account within 5 to 7 working days after we confirm them."},
        {"Apology", "sorry",
         "I'm really sorry for the trouble, {{contact.first_name}}. Let me look into it now."},
        {"Closing", "bye", "Glad we could help! Anything else, just write here."},
    };
    int64_t ids[8] = {0};
    int n_ids = 0;
    parley_err_t err = {0};
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        user_new_t u = {.email = people[i].email, .name = people[i].name, .role = people[i].role};
        char generated[40];
        int64_t id = 0;
        int rc = user_create(app, by, by->account_id, &u, generated, &id, &err);
        if (kept(rc, people[i].email, &err, &t->agents)) return 1;
        if (rc == 0 && strcmp(people[i].role, "analyst") != 0) ids[n_ids++] = id;
    }
    static const char *const teams[] = {"Social care", "Billing"};
    for (size_t i = 0; i < 2; i++) {
        int64_t id = 0;
        int rc = team_create(app, by, teams[i], &id, &err);
        if (kept(rc, teams[i], &err, &t->teams)) return 1;
        /* members only for a new team, from the agents created with it */
        size_t from = i == 0 ? 0 : 2, n = i == 0 ? 2 : 2;
        if (rc == 0 && n_ids >= (int)(from + n) &&
            team_set_members(app, by, id, ids + from, n, &err))
            fprintf(stderr, "parley demo: %s members: %s\n", teams[i], err.msg);
    }
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        label_fields_t l = {labels[i].name, labels[i].color};
        int64_t id;
        if (kept(label_create(app, by, &l, &id, &err), labels[i].name, &err, &t->labels)) return 1;
    }
    for (size_t i = 0; i < sizeof canned / sizeof canned[0]; i++) {
        canned_fields_t c = {canned[i].title, canned[i].code, canned[i].body};
        int64_t id;
        if (kept(canned_response_create(app, by, &c, &id, &err), canned[i].code, &err, &t->canned))
            return 1;
    }
    return 0;
}

int cli_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"account", required_argument, 0, 'a'},
                                         {"url", required_argument, 0, 'u'},
                                         {"fake-url", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *out = NULL, *url = "http://127.0.0.1:8080",
               *fake = "http://127.0.0.1:9";
    long long account = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'o': out = optarg; break;
        case 'a':
            if (!str_to_i64(str_from(optarg), &account) || account <= 0) {
                fprintf(stderr, "parley demo: --account must be a positive id\n");
                return 2;
            }
            break;
        case 'u': url = optarg; break;
        case 'f': fake = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!db || !out || optind < argc) {
        usage(stderr);
        return 2;
    }
    if ((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) ||
        (strncmp(fake, "http://", 7) && strncmp(fake, "https://", 8))) {
        fprintf(stderr, "parley demo: --url and --fake-url must be http(s) URLs\n");
        return 2;
    }
    if (access(db, R_OK | W_OK) != 0) {
        fprintf(stderr, "parley demo: cannot open %s: %s (run `parley init` first)\n", db,
                strerror(errno));
        return 1;
    }
    config_t cfg;
    config_defaults(&cfg);
    parley_err_t err = {0};
    char *load_argv[] = {"demo", NULL};
    app_t app = {0};
    store_t *store = NULL;
    json_t *list = json_array();
    char *origin = origin_of(url), *fake_base = xstrdup(fake);
    size_t fl = strlen(fake_base);
    while (fl && fake_base[fl - 1] == '/') fake_base[--fl] = '\0';
    int status = 1;
    log_set_level(LOG_WARN);
    crypto_password_light(getenv("PARLEY_PWHASH_LIGHT") != NULL);
    /* the environment and config file, for secret-key; --db wins */
    if (config_load(&cfg, 1, load_argv, &err)) {
        fprintf(stderr, "parley demo: %s\n", err.msg);
        goto done;
    }
    free(cfg.db);
    cfg.db = xstrdup(db);
    if (store_open_sqlite(cfg.db, &store, &err)) {
        fprintf(stderr, "parley demo: %s\n", err.msg);
        goto done;
    }
    app = (app_t){.cfg = &cfg, .store = store};
    if (app_load_key(&app, &err)) {
        fprintf(stderr, "parley demo: %s\n", err.msg);
        goto done;
    }
    arena_t a;
    arena_init(&a, 0);
    account_row_t acc;
    int rc = store->ops->account_get(store->ops->reader(store), account, &a, &acc);
    char account_name[128] = "";
    if (!rc) snprintf(account_name, sizeof account_name, "%s", acc.name);
    arena_free(&a);
    if (rc) {
        fprintf(stderr, "parley demo: no account %lld in %s (run `parley init` first)\n", account,
                db);
        goto done;
    }
    actor_t by = {.account_id = account, .kind = "cli", .role = "admin"};
    tally_t t = {0};
    if (ensure_inboxes(&app, &by, origin, fake_base, list, &t) || ensure_catalog(&app, &by, &t))
        goto done;
    if (write_out(out, list)) {
        fprintf(stderr, "parley demo: cannot write %s: %s\n", out, strerror(errno));
        goto done;
    }
    printf("Demo account \"%s\" (id %lld): %d inboxes of every channel (%d new), %d agents, "
           "%d teams, %d labels, %d canned responses\n",
           account_name, account, t.inboxes, t.created, t.agents, t.teams, t.labels, t.canned);
    printf("Inboxes and their secrets in %s (mode 0600), for parley simulate --inboxes\n", out);
    status = 0;
done:
    json_decref(list);
    free(origin);
    free(fake_base);
    store_close(store);
    config_free(&cfg);
    return status;
}
