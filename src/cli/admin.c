/*
 * admin.c - operator commands that work on the database directly:
 * `parley init`, `parley user add|list|disable`, `parley token create`,
 * `parley audit verify`.
 */
#include "cli/cli.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/credentials.h"
#include "desk/users.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cli_read_password_stdin(void)
{
    if (isatty(STDIN_FILENO)) return NULL;
    char line[512];
    if (!fgets(line, sizeof line, stdin)) return NULL;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    return n ? xstrdup(line) : NULL;
}

static int open_app(const char *db, app_t *app, config_t *cfg)
{
    parley_err_t err = {0};
    config_defaults(cfg);
    crypto_password_light(getenv("PARLEY_PWHASH_LIGHT") != NULL);
    log_set_level(LOG_WARN);
    if (store_open_sqlite(db, &app->store, &err)) {
        fprintf(stderr, "parley: %s\n", err.msg);
        config_free(cfg);
        return 1;
    }
    app->cfg = cfg;
    app->clock = (parley_clock_t){0};
    return 0;
}

static void close_app(app_t *app, config_t *cfg)
{
    store_close(app->store);
    config_free(cfg);
}

/* ---- init ---------------------------------------------------------------- */

static void init_usage(FILE *out)
{
    fprintf(out, "usage: parley init --db FILE --account NAME --admin EMAIL [options]\n\n"
                 "Creates the database (if needed), an account and its first admin.\n"
                 "The admin's password is read from stdin when stdin is not a terminal;\n"
                 "otherwise one is generated and printed once.\n\n"
                 "options:\n"
                 "  --db FILE              database file (created and migrated)\n"
                 "  --account NAME         the account (brand) name\n"
                 "  --admin EMAIL          the first admin's e-mail address\n"
                 "  --password-file FILE   also keep a generated password in FILE (mode 0600)\n"
                 "                         until the admin changes it\n"
                 "  --if-empty             do nothing (exit 0) when the database has users\n"
                 "  --help                 this help\n");
}

static int write_password_file(const char *path, const char *email, const char *pw)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    fchmod(fd, 0600);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    fprintf(f, "%s\n%s\n", email, pw);
    return fclose(f);
}

int cli_init(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"account", required_argument, 0, 'a'},
                                         {"admin", required_argument, 0, 'e'},
                                         {"password-file", required_argument, 0, 'p'},
                                         {"if-empty", no_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *account = NULL, *admin = NULL, *pwfile = NULL;
    bool if_empty = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'a': account = optarg; break;
        case 'e': admin = optarg; break;
        case 'p': pwfile = optarg; break;
        case 'i': if_empty = true; break;
        case 'h': init_usage(stdout); return 0;
        default: init_usage(stderr); return 2;
        }
    }
    if (!db || !account || !admin || optind < argc) {
        init_usage(stderr);
        return 2;
    }
    app_t app = {0};
    config_t cfg;
    if (open_app(db, &app, &cfg)) return 1;
    int status = 1;
    int64_t users = 0;
    app.store->ops->user_count(app.store->ops->reader(app.store), &users);
    if (if_empty && users > 0) {
        status = 0;
        goto done;
    }
    char *pw = cli_read_password_stdin();
    char generated[40] = "";
    int64_t account_id;
    parley_err_t err = {0};
    if (account_bootstrap(&app, account, admin, pw, generated, &account_id, &err)) {
        fprintf(stderr, "parley init: %s\n", err.msg);
        free(pw);
        goto done;
    }
    printf("Created account \"%s\" (id %lld) in %s\n", account, (long long)account_id, db);
    printf("Admin:    %s\n", admin);
    if (generated[0]) {
        printf("Password: %s\n", generated);
        printf("(shown once; change it after signing in)\n");
        if (pwfile) {
            if (write_password_file(pwfile, admin, generated))
                fprintf(stderr, "parley init: cannot write %s: %s\n", pwfile, strerror(errno));
            else
                printf("(also kept in %s, mode 0600, until the admin changes it)\n", pwfile);
        }
    }
    free(pw);
    status = 0;
done:
    close_app(&app, &cfg);
    return status;
}

/* ---- user ---------------------------------------------------------------- */

static void user_usage(FILE *out)
{
    fprintf(
        out,
        "usage: parley user add --db FILE --account ID --email EMAIL --role ROLE [--name NAME]\n"
        "       parley user list --db FILE --account ID\n"
        "       parley user disable --db FILE --email EMAIL\n\n"
        "Manages users directly in the database. ROLE is admin, supervisor, agent or\n"
        "analyst. `add` reads the password from stdin when stdin is not a terminal,\n"
        "otherwise it generates one and prints it once.\n");
}

int cli_user(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        user_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"account", required_argument, 0, 'a'},
                                         {"email", required_argument, 0, 'e'},
                                         {"role", required_argument, 0, 'r'},
                                         {"name", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *email = NULL, *role = NULL, *name = NULL;
    long long account = 0;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'a':
            if (!str_to_i64(str_from(optarg), &account) || account <= 0) {
                fprintf(stderr, "parley user: --account must be a positive id\n");
                return 2;
            }
            break;
        case 'e': email = optarg; break;
        case 'r': role = optarg; break;
        case 'n': name = optarg; break;
        case 'h': user_usage(stdout); return 0;
        default: user_usage(stderr); return 2;
        }
    }
    bool add = !strcmp(sub, "add"), list = !strcmp(sub, "list"), dis = !strcmp(sub, "disable");
    if (!db || (!add && !list && !dis) || ((add || list) && !account) || ((add || dis) && !email) ||
        (add && !role)) {
        user_usage(stderr);
        return 2;
    }
    app_t app = {0};
    config_t cfg;
    if (open_app(db, &app, &cfg)) return 1;
    int status = 1;
    parley_err_t err = {0};
    arena_t a;
    arena_init(&a, 0);
    const store_ops_t *ops = app.store->ops;
    store_conn_t *rc = ops->reader(app.store);
    if (add) {
        account_row_t acc;
        if (ops->account_get(rc, account, &a, &acc)) {
            fprintf(stderr, "parley user add: no account with id %lld\n", account);
            goto done;
        }
        char *pw = cli_read_password_stdin();
        char generated[40] = "";
        actor_t by = {.account_id = account, .kind = "cli"};
        user_new_t in = {.email = email,
                         .name = name,
                         .role = role,
                         .password = pw,
                         .must_change_password = pw == NULL};
        int64_t id;
        int r = user_create(&app, &by, account, &in, generated, &id, &err);
        free(pw);
        if (r) {
            fprintf(stderr, "parley user add: %s\n", err.msg);
            goto done;
        }
        printf("Created user %lld: %s (%s)\n", (long long)id, email, role);
        if (generated[0]) printf("Password: %s\n(shown once)\n", generated);
    } else if (list) {
        page_t p = {.account_id = account, .after_id = 0, .limit = 100};
        printf("%-6s %-32s %-11s %-9s %s\n", "ID", "EMAIL", "ROLE", "STATUS", "NAME");
        for (;;) {
            user_row_t *rows;
            int n;
            if (ops->user_list(rc, &p, &a, &rows, &n)) goto done;
            for (int i = 0; i < n; i++)
                printf("%-6lld %-32s %-11s %-9s %s\n", (long long)rows[i].id, rows[i].email,
                       rows[i].role, rows[i].status, rows[i].name);
            if (n < p.limit) break;
            p.after_id = rows[n - 1].id;
        }
    } else {
        user_row_t u;
        if (ops->user_get_by_email(rc, email, &a, &u)) {
            fprintf(stderr, "parley user disable: no user with e-mail %s\n", email);
            goto done;
        }
        actor_t by = {.account_id = u.account_id, .kind = "cli"};
        json_t *patch = json_pack("{s:s}", "status", "disabled");
        int r = user_update(&app, &by, u.id, patch, &err);
        json_decref(patch);
        if (r) {
            fprintf(stderr, "parley user disable: %s\n", err.msg);
            goto done;
        }
        printf("Disabled %s; their sessions have ended\n", email);
    }
    status = 0;
done:
    arena_free(&a);
    close_app(&app, &cfg);
    return status;
}

/* ---- token ---------------------------------------------------------------- */

static void token_usage(FILE *out)
{
    fprintf(out, "usage: parley token create --db FILE --email EMAIL --name NAME\n\n"
                 "Issues an API token acting as the user EMAIL (with their role) and prints\n"
                 "it once. Use it as `Authorization: Bearer <token>`.\n");
}

int cli_token(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        token_usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"email", required_argument, 0, 'e'},
                                         {"name", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *email = NULL, *name = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'e': email = optarg; break;
        case 'n': name = optarg; break;
        case 'h': token_usage(stdout); return 0;
        default: token_usage(stderr); return 2;
        }
    }
    if (!db || !email || !name || !*name || strlen(name) > 100) {
        token_usage(stderr);
        return 2;
    }
    app_t app = {0};
    config_t cfg;
    if (open_app(db, &app, &cfg)) return 1;
    int status = 1;
    arena_t a;
    arena_init(&a, 0);
    user_row_t u;
    if (app.store->ops->user_get_by_email(app.store->ops->reader(app.store), email, &a, &u) ||
        strcmp(u.status, "active")) {
        fprintf(stderr, "parley token create: no active user with e-mail %s\n", email);
        goto done;
    }
    actor_t by = {.account_id = u.account_id, .kind = "cli"};
    char token[64];
    int64_t id;
    if (token_issue(&app, &by, u.id, name, token, &id)) {
        fprintf(stderr, "parley token create: the token could not be stored\n");
        goto done;
    }
    printf("%s\n", token);
    status = 0;
done:
    arena_free(&a);
    close_app(&app, &cfg);
    return status;
}

/* ---- audit ---------------------------------------------------------------- */

typedef struct {
    char prev[65];
    int64_t prev_id;
    int64_t count;
    int64_t bad_id;
    const char *why;
} verify_ctx_t;

static int verify_one(const event_row_t *e, void *p)
{
    verify_ctx_t *v = p;
    if (e->id != v->prev_id + 1) {
        v->bad_id = e->id;
        v->why = "the events before it are missing (rows deleted)";
        return 1;
    }
    if (strcmp(e->prev_hash, v->prev) != 0) {
        v->bad_id = e->id;
        v->why = "its prev_hash does not match the previous event's hash";
        return 1;
    }
    char h[65];
    store_event_hash(e, h);
    if (strcmp(h, e->hash) != 0) {
        v->bad_id = e->id;
        v->why = "its content does not match its hash (altered)";
        return 1;
    }
    memcpy(v->prev, e->hash, sizeof v->prev);
    v->prev_id = e->id;
    v->count++;
    return 0;
}

int cli_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *db = NULL;
    int c;
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: parley audit verify --db FILE\n\n"
                "Walks the hash-chained event log and names the first tampered event.\n"
                "Exit status 0 when the chain is intact, 1 when it is not.\n");
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'h': printf("usage: parley audit verify --db FILE\n"); return 0;
        default: return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "usage: parley audit verify --db FILE\n");
        return 2;
    }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "parley audit: cannot read %s: %s\n", db, strerror(errno));
        return 1;
    }
    app_t app = {0};
    config_t cfg;
    if (open_app(db, &app, &cfg)) return 1;
    verify_ctx_t v = {.prev = "0000000000000000000000000000000000000000000000000000000000000000"};
    int rc = app.store->ops->event_walk(app.store->ops->reader(app.store), verify_one, &v);
    int status;
    if (rc > 0) {
        printf("TAMPERED: event %lld: %s (%lld events before it are intact)\n", (long long)v.bad_id,
               v.why, (long long)v.count);
        status = 1;
    } else if (rc < 0) {
        fprintf(stderr, "parley audit: the event log could not be read\n");
        status = 1;
    } else {
        printf("ok: %lld events, chain intact\n", (long long)v.count);
        status = 0;
    }
    close_app(&app, &cfg);
    return status;
}
