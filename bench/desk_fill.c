/*
 * desk_fill.c - fills a Parley database for the desk benchmark (issue 3).
 *
 * usage: desk_fill OUT.db CORPUS.tsv TRIAGE.tsv | desk_fill --version
 *   BENCH_DESK_CONVERSATIONS (default 1000000), BENCH_DESK_MESSAGES (default
 *   5000000) set the size.
 *
 * The schema comes from the real migrations (store_open_sqlite), the account,
 * its admin, 50 agents and one `api` inbox from the desk's own functions
 * (account_bootstrap, user_create, inbox_create). Everything else is bulk
 * loaded with raw prepared statements in large transactions, synchronous=OFF
 * and no journal (the fill only; the file ends in WAL mode like any Parley
 * database):
 *
 * - time runs over the last 365 days; about 4096 conversations are active at
 *   once and each message goes to a random active one, so a conversation's
 *   messages are spread in time and interleaved with others, as in life;
 * - a new conversation's customer is new (65%) or returning (35%, with a few
 *   heavy customers that have dozens of conversations);
 * - a conversation started in the last 30 days is open 40%, pending 15%,
 *   snoozed 10%, resolved 35%; older ones are 96% resolved; priorities low
 *   20%, medium 55%, high 20%, critical 5%; open ones 85% assigned to one of
 *   50 agents; 20% are public;
 * - waiting_since is the first unanswered customer message (NULL when the
 *   agent spoke last) and sort_wait = waiting_since or 9007199254740991;
 * - customer bodies are texts of tests/data (VADER dev corpus, triage cases),
 *   30% with an order number; the analysis column holds the real analyzer's
 *   JSON for the text; agent bodies are reply templates, 10% are notes;
 * - messages_fts is built once at the end ('rebuild'; the store indexes
 *   messages itself, once per batch, so no trigger is in the way), contacts_fts row by row, and the
 *   counters ('all:<status>', 'unassigned:<status>', 'user:<id>:<status>')
 *   from the generated rows.
 *
 * - the report tables (report_rollups, report_conversations)
 *   hold what the rollups would have written live: each conversation's
 *   events (conversation.created, message.created per message,
 *   conversation.assigned, and at its end conversation.resolved / .pending /
 *   .snoozed) are built as the desk builds their payloads and handed to the
 *   real state machine, rollup_apply (desk/rollups.c), whose facts go to the
 *   store's own buffer (store/report_cube.h) and are upserted in bulk; the
 *   totals of every cuboid and level are checked against the generated rows
 *   at the end.
 *
 * Labels: `vip` on 1% of the conversations and `billing` on 10% (the
 * label-filtered report cases).
 *
 * Not generated: events for the bulk rows (the hash chain holds only the
 * setup's events), teams, notifications, SLA clocks.
 *
 * Prints the account, inbox and agent ids on stdout, progress on stderr.
 */
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "desk/analyze.h"
#include "desk/app.h"
#include "desk/inboxes.h"
#include "desk/rollups.h"
#include "desk/users.h"
#include "store/store.h"
#include "store/report_cube.h"
#include "store/store_reports.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILL_VERSION   "desk-fill-6"
#define BENCH_KEY_HEX  "6265e663a1c5d3f2b0aa0a2f64e3d0c9f3b9a2dd1c0e5e4f8a7b6c5d4e3f2a10"
#define BENCH_SECRET   "bench-hmac-secret-0123456789abcdef"
#define BENCH_PASSWORD "bench-password-1"
#define N_AGENTS       50
#define ACTIVE         4096
#define ANSWERED       9007199254740991LL
#define DAY_MS         (24LL * 3600 * 1000)

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static int64_t rnd_below(int64_t n)
{
    return n > 0 ? (int64_t)(rnd() % (uint64_t)n) : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "desk_fill: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

/* ---- texts --------------------------------------------------------------- */

typedef struct {
    char *body;
    char *analysis;  /* compact JSON */
    double compound; /* its sentiment.compound (customer texts) */
    bool has_compound;
} text_t;

static text_t *texts;
static int n_texts, cap_texts;

static void add_text(analyzer_t *an, const char *s, size_t len, bool customer)
{
    if (len == 0) return;
    if (n_texts == cap_texts) {
        cap_texts = cap_texts ? cap_texts * 2 : 4096;
        texts = realloc(texts, sizeof *texts * (size_t)cap_texts);
        if (!texts) die("memory", NULL);
    }
    text_t *t = &texts[n_texts++];
    t->body = strndup(s, len);
    if (customer) {
        analysis_t a;
        analysis_ctx_t ctx = {.followers = -1};
        analyze_text(an, t->body, len, &ctx, &a);
        json_t *j = analysis_to_json(&a, t->body);
        t->analysis = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_t *c = json_object_get(json_object_get(j, "sentiment"), "compound");
        t->has_compound = json_is_number(c);
        t->compound = json_number_value(c);
        json_decref(j);
    } else {
        t->analysis = strdup("{}");
        t->has_compound = false;
    }
}

/* The first column of a TSV file, '#' lines skipped. */
static void load_tsv(analyzer_t *an, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open", path);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        size_t n = strcspn(line, "\t\r\n");
        add_text(an, line, n, true);
    }
    fclose(f);
}

static const char *const replies[] = {
    "Thanks for reaching out! I'm sorry about the trouble with your order. I've sent a "
    "replacement and you'll get a tracking number by email within 24 hours.",
    "Hi there, thanks for your patience. I've checked your account and the refund was issued "
    "today; it can take 3-5 business days to show on your statement.",
    "Sorry to hear that. Could you send us a direct message with your order number so we can "
    "look into it right away?",
    "I completely understand your frustration. I've escalated this to our delivery team and "
    "will update you as soon as I hear back.",
    "Good news: your package left our warehouse this morning and should arrive tomorrow.",
    "Thanks for letting us know! The app issue is fixed in the latest update; please update "
    "and restart the app.",
    "We're glad you enjoyed it! Thanks for the kind words, we'll pass them on to the team.",
    "I've reset your password; you should have a reset link in your inbox now. Let me know if "
    "it doesn't arrive.",
    "Your subscription has been cancelled and you won't be charged again. Anything else I can "
    "help with?",
    "I'm sorry for the wait. Our store in your area opens at 9am and has the item in stock.",
    "Customer is asking about a billing discrepancy; checked invoice history, waiting for "
    "finance to confirm the credit.",
    "Note: customer was double charged, refund approved by supervisor, follow up Friday.",
    "Apologies for the delay in getting back to you. The replacement part is on backorder; we "
    "expect it next week and will ship it the same day.",
    "Thanks! I've updated the delivery address on your order. The courier will use the new "
    "address from now on.",
    "Could you tell me which browser you're using? That will help us reproduce the checkout "
    "error you saw.",
    "We've applied a voucher to your account as an apology for the inconvenience.",
};

/* ---- generation ----------------------------------------------------------- */

static const char *const first_names[] = {
    "Alice",  "Bruno", "Chen",   "Dana",    "Elif",   "Farah",  "Gabriel", "Hana",  "Ivan",
    "Jasmin", "Kofi",  "Lena",   "Mateo",   "Nadia",  "Oscar",  "Priya",   "Quinn", "Rosa",
    "Sami",   "Tariq", "Ursula", "Valerie", "Wei",    "Ximena", "Yusuf",   "Zoe",   "Amara",
    "Bjorn",  "Carla", "Diego",  "Emma",    "Felix",  "Greta",  "Hugo",    "Ines",  "Jonas",
    "Keiko",  "Liam",  "Maya",   "Noah",    "Olivia", "Pablo",  "Rania",   "Sofia", "Tomas"};
static const char *const last_names[] = {
    "Smith",  "Garcia", "Nguyen",   "Okafor", "Kowalski", "Rossi",    "Müller",    "Haddad",
    "Tanaka", "Silva",  "Johansen", "Dubois", "Novak",    "Andersen", "Fernandez", "Kim",
    "Patel",  "Cohen",  "Ivanova",  "Brown",  "Larsen",   "Moreau",   "Yilmaz",    "Mensah",
    "Lopez",  "Singh",  "Walker",   "Costa",  "Ahmed",    "Schmidt"};
#define N_FIRST ((int)(sizeof first_names / sizeof *first_names))
#define N_LAST  ((int)(sizeof last_names / sizeof *last_names))

enum { ST_OPEN, ST_PENDING, ST_SNOOZED, ST_RESOLVED };
static const char *const status_names[] = {"open", "pending", "snoozed", "resolved"};

typedef struct {
    int64_t contact_id;
    int64_t assignee;
    int64_t opened_at, first_reply_at, waiting_since, last_at;
    int32_t subject;    /* text index of the first message */
    uint16_t remaining; /* messages still to emit */
    uint16_t emitted;
    uint8_t status, priority;
    bool is_public, last_in;
} conv_t;

static sqlite3 *db;

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sqlite3_errmsg(db), sql);
    return st;
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) die(msg, sql);
}

static void step(sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE) die("insert", sqlite3_errmsg(db));
    sqlite3_reset(st);
}

static int64_t env_int(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoll(v) : dflt;
}

/* ---- report tables: the live rollup code over an in-memory back end --------- */

/* The facts the rollups add, buffered as the store buffers them
 * (store/report_cube.h) and written every CUBE_FILL_FLUSH facts: one upsert
 * per distinct row of the cube instead of one per event. */
#define CUBE_FILL_FLUSH (1 << 18)
static report_cube_t *cube;
static rconv_t **rstate; /* by conversation id, while the conversation is active */
static const char *report_channel = "api";
static sqlite3_stmt *ins_cube, *ins_rconv;
static int64_t fill_account, fill_inbox;

static void cube_flush(void)
{
    if (report_cube_flush(cube, ins_cube, NULL) != SQLITE_OK)
        die("report rollups", sqlite3_errmsg(db));
}

static int mem_rollup_add(store_conn_t *c, const rollup_key_t *k, const int64_t v[RC_COUNT])
{
    (void)c;
    report_cube_add(cube, k, v);
    if (report_cube_len(cube) >= CUBE_FILL_FLUSH) cube_flush();
    return 0;
}

static int mem_hist_add(store_conn_t *c, const rollup_key_t *k, int metric, int bucket, int64_t ms)
{
    (void)c;
    report_cube_hist(cube, k, metric, bucket, 1, ms);
    if (report_cube_len(cube) >= CUBE_FILL_FLUSH) cube_flush();
    return 0;
}

static int mem_conv_get(store_conn_t *c, int64_t id, rconv_t *out)
{
    (void)c;
    if (!rstate[id]) return PARLEY_ENOENT;
    *out = *rstate[id];
    return 0;
}

static int mem_conv_put(store_conn_t *c, const rconv_t *before, const rconv_t *in)
{
    (void)c;
    (void)before; /* labels are attached after the fill, then summed (label_rebuild) */
    if (!rstate[in->conversation_id]) rstate[in->conversation_id] = malloc(sizeof **rstate);
    if (!rstate[in->conversation_id]) die("memory", NULL);
    *rstate[in->conversation_id] = *in;
    /* no app in the context: the fill's one inbox gives the channel */
    snprintf(rstate[in->conversation_id]->channel, sizeof in->channel, "%s", report_channel);
    return 0;
}

static const struct store_reports_ops report_mem_ops = {
    .rollup_add = mem_rollup_add,
    .hist_add = mem_hist_add,
    .conv_get = mem_conv_get,
    .conv_put = mem_conv_put,
};
/* No app: calendars are NULL (the bench inbox has no business hours, so
 * business time is calendar time) and the channel comes from mem_conv_put. */
static const rollup_ctx_t report_ctx = {.ops = &report_mem_ops};

static int label_rebuild_tx(store_conn_t *c, void *p)
{
    const struct store_reports_ops *ops = p;
    return ops->label_rebuild(c);
}

static const char *const prio_names[] = {"low", "medium", "high", "critical"};

/* One conversation.* event, its payload shaped as conv_to_json's fields the
 * rollups read. */
static void report_conv_event(int64_t id, const char *type, const char *status, int64_t assignee,
                              int priority, int64_t opened_at, int64_t at)
{
    char opened[32];
    clock_format_iso(opened_at, opened);
    json_t *p =
        json_pack("{s:{s:I, s:I, s:s, s:s, s:o, s:n, s:s}}", "conversation", "id", (json_int_t)id,
                  "inbox_id", (json_int_t)fill_inbox, "status", status, "priority",
                  prio_names[priority & 3], "assignee_id",
                  assignee ? json_integer(assignee) : json_null(), "team_id", "opened_at", opened);
    if (rollup_apply(&report_ctx, fill_account, type, at, p)) die("rollup_apply", type);
    json_decref(p);
}

/* One message.created event (message_to_json's fields the rollups read). */
static void report_msg_event(int64_t conv, bool in, const char *kind, int64_t author,
                             const text_t *tx, int64_t at)
{
    json_t *an = in && tx->has_compound
                     ? json_pack("{s:{s:f}}", "sentiment", "compound", tx->compound)
                     : json_object();
    json_t *p =
        json_pack("{s:{s:I, s:s, s:s, s:{s:s, s:I}, s:o}}", "message", "conversation_id",
                  (json_int_t)conv, "direction", in ? "in" : "out", "kind", kind, "author", "kind",
                  in ? "contact" : "user", "id", (json_int_t)author, "analysis", an);
    if (rollup_apply(&report_ctx, fill_account, "message.created", at, p))
        die("rollup_apply", "message.created");
    json_decref(p);
}

/* The conversation's report_conversations row, then its state is let go. */
static void report_conv_done(int64_t id)
{
    rconv_t *r = rstate[id];
    if (!r) return;
    int64_t v[] = {r->conversation_id, r->account_id,    r->inbox_id,     0,
                   r->team_id,         r->assignee_id,   r->priority,     0,
                   r->created_at,      r->c_hour,        r->c_team,       r->c_priority,
                   r->cycle_opened_at, r->cycle_replied, r->cycle_bot,    r->cycle_msgs,
                   r->run_start,       r->handoff_at,    r->responded,    r->first_reply_at,
                   r->resolved_at,     r->msgs_in,       r->replies_out,  r->reopens,
                   r->resolutions,     r->frt_ms,        r->frt_bh_ms,    r->res_ms,
                   r->res_bh_ms,       r->rt_n,          r->rt_ms,        r->rt_bh_ms,
                   r->sent_first_sum,  r->sent_first_n,  r->sent_last[0], r->sent_last[1],
                   r->sent_last[2],    r->sent_n};
    for (int i = 0; i < (int)(sizeof v / sizeof *v); i++)
        sqlite3_bind_int64(ins_rconv, i + 1, v[i]);
    sqlite3_bind_text(ins_rconv, 4, r->channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins_rconv, 8, r->status, -1, SQLITE_STATIC);
    step(ins_rconv);
    free(r);
    rstate[id] = NULL;
}

static void report_prepare(void)
{
    cube = report_cube_new();
    if (report_cube_register(db) != SQLITE_OK) die("report functions", sqlite3_errmsg(db));
    ins_cube = prep(report_cube_upsert_sql);
    ins_rconv =
        prep("INSERT INTO report_conversations(conversation_id, account_id, inbox_id, channel,"
             " team_id, assignee_id, priority, status, created_at, c_hour, c_team, c_priority,"
             " cycle_opened_at, cycle_replied, cycle_bot, cycle_msgs, run_start, handoff_at,"
             " responded, first_reply_at, resolved_at, msgs_in, replies_out, reopens, resolutions,"
             " frt_ms, frt_bh_ms, res_ms, res_bh_ms, rt_n, rt_ms, rt_bh_ms, sent_first_sum,"
             " sent_first_n, sent_last0, sent_last1, sent_last2, sent_n) VALUES (?, ?, ?, ?, ?, ?,"
             " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
             " ?, ?, ?, ?)");
}

static int64_t sql_int(const char *sql)
{
    sqlite3_stmt *st = prep(sql);
    if (sqlite3_step(st) != SQLITE_ROW) die("query", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The report tables against the generated rows: counts that must agree, in
 * every cuboid at every level (report_cube.h); one pass over the table. */
static void report_check(void)
{
    static const struct {
        const char *what, *rows;
    } checks[] = {
        {"conversations", "SELECT count(*) FROM conversations"},
        {"resolved", "SELECT count(*) FROM conversations WHERE status = 'resolved'"},
        {"backlog", "SELECT count(*) FROM conversations WHERE status <> 'resolved'"},
        {"customer messages", "SELECT count(*) FROM messages WHERE direction = 'in'"},
        {"replies", "SELECT count(*) FROM messages WHERE kind = 'reply'"},
        {"notes", "SELECT count(*) FROM messages WHERE kind = 'note'"},
        {"first responses", "SELECT count(*) FROM conversations WHERE first_reply_at IS NOT NULL"},
        {"frt samples", "SELECT count(*) FROM conversations WHERE first_reply_at IS NOT NULL"},
    };
    enum { N_CHECKS = sizeof checks / sizeof *checks };
    int64_t want[N_CHECKS];
    for (int i = 0; i < N_CHECKS; i++) want[i] = sql_int(checks[i].rows);
    /* the table is in (account, cuboid, level) order: grouped as it is read */
    sqlite3_stmt *st =
        prep("SELECT cuboid, level, sum(received), sum(resolved), sum(backlog_delta),"
             " sum(msgs_in), sum(replies_out), sum(notes), sum(frt_n), sum(parley_hist_n(hist, 0))"
             " FROM report_rollups WHERE account_id = ?1 GROUP BY cuboid, level");
    sqlite3_bind_int64(st, 1, fill_account);
    int groups = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        groups++;
        for (int i = 0; i < N_CHECKS; i++) {
            int64_t got = sqlite3_column_int64(st, 2 + i);
            if (got == want[i]) continue;
            char msg[200];
            snprintf(msg, sizeof msg,
                     "%s: %lld in the report tables (cuboid %d, level %d), %lld in the rows",
                     checks[i].what, (long long)got, sqlite3_column_int(st, 0),
                     sqlite3_column_int(st, 1), (long long)want[i]);
            die("report check", msg);
        }
    }
    sqlite3_finalize(st);
    if (want[0] && groups != CUBE_NCUBOIDS * CUBE_LEVELS) /* (an empty fill has no rows) */
        die("report check", "a cuboid or level is missing");
    int64_t n = sql_int("SELECT count(*) FROM report_conversations"),
            conv = sql_int("SELECT count(*) FROM conversations");
    if (n != conv) die("report check", "report_conversations: not one row per conversation");
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM report_rollups WHERE account_id = %lld AND cuboid = %d AND"
             " level = %d",
             (long long)fill_account, CUBE_FULL, CUBE_HOUR);
    fprintf(
        stderr,
        "desk_fill: report tables: %lld rollup rows (%lld hourly cross product); totals agree in "
        "every cuboid and level\n",
        (long long)sql_int("SELECT count(*) FROM report_rollups"), (long long)sql_int(sql));
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        puts(FILL_VERSION);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr,
                "usage: desk_fill OUT.db CORPUS.tsv TRIAGE.tsv\n"
                "  env BENCH_DESK_CONVERSATIONS (1000000), BENCH_DESK_MESSAGES (5000000)\n");
        return 2;
    }
    const char *path = argv[1];
    int64_t n_conv = env_int("BENCH_DESK_CONVERSATIONS", 1000000);
    int64_t n_msg = env_int("BENCH_DESK_MESSAGES", 5000000);
    if (n_conv < 0 || n_msg < n_conv || (n_conv && n_msg / n_conv > 60))
        die("sizes", "need 0 <= conversations <= messages <= 60 x conversations");
    if (n_conv == 0) n_msg = 0;
    double t_start = now_s();

    /* ---- the real schema, account, users and inbox ---- */
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    if (crypto_init()) die("crypto_init", NULL);
    crypto_password_light(true);
    log_set_level(LOG_WARN);
    config_t cfg;
    config_defaults(&cfg);
    app_t app = {.cfg = &cfg};
    if (crypto_key_from_hex(BENCH_KEY_HEX, app.key)) die("key", NULL);
    parley_err_t err = {0};
    if (store_open_sqlite(path, &app.store, &err)) die("store_open_sqlite", err.msg);
    char gen[40];
    int64_t account;
    if (account_bootstrap(&app, "Bench", "admin@bench.test", BENCH_PASSWORD, gen, &account, &err))
        die("account_bootstrap", err.msg);
    actor_t by = {.account_id = account, .kind = "cli"};
    int64_t agents[N_AGENTS];
    for (int i = 0; i < N_AGENTS; i++) {
        char email[64], name[64];
        snprintf(email, sizeof email, "agent%02d@bench.test", i + 1);
        snprintf(name, sizeof name, "Agent %02d", i + 1);
        user_new_t u = {.email = email, .name = name, .role = "agent", .password = BENCH_PASSWORD};
        if (user_create(&app, &by, account, &u, gen, &agents[i], &err)) die("user_create", err.msg);
    }
    json_t *ib = json_pack("{s:s, s:s, s:{s:s}, s:s}", "name", "Bench API", "channel", "api",
                           "settings", "hmac_secret", BENCH_SECRET, "policy", "round_robin");
    int64_t inbox;
    if (inbox_create(&app, &by, ib, &inbox, &err)) die("inbox_create", err.msg);
    json_decref(ib);
    store_close(app.store);
    config_free(&cfg);
    printf("version=%s\naccount_id=%lld\ninbox_id=%lld\nhmac_secret=%s\nsecret_key=%s\n"
           "agents=agent01@bench.test..agent%02d@bench.test\npassword=%s\n",
           FILL_VERSION, (long long)account, (long long)inbox, BENCH_SECRET, BENCH_KEY_HEX,
           N_AGENTS, BENCH_PASSWORD);
    fflush(stdout);

    /* ---- texts ---- */
    analyzer_t *an = analyzer_new(&err);
    if (!an) die("analyzer_new", err.msg);
    load_tsv(an, argv[2]);
    load_tsv(an, argv[3]);
    int n_customer = n_texts;
    for (size_t i = 0; i < sizeof replies / sizeof *replies; i++)
        add_text(an, replies[i], strlen(replies[i]), false);
    int n_reply = n_texts - n_customer;
    analyzer_free(an);
    fprintf(stderr,
            "desk_fill: %d customer texts, %d reply texts; %lld conversations, %lld "
            "messages\n",
            n_customer, n_reply, (long long)n_conv, (long long)n_msg);

    /* ---- bulk load ---- */
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open", path);
    exec("PRAGMA journal_mode=DELETE; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
         " PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-1048576; PRAGMA temp_store=MEMORY;"
         " PRAGMA foreign_keys=OFF");
    exec("DROP TRIGGER IF EXISTS messages_fts_insert"); /* before migration 008 */
    sqlite3_stmt *ins_contact =
        prep("INSERT INTO contacts(id, account_id, name, email, phone, created_at, updated_at,"
             " last_agent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)");
    sqlite3_stmt *ins_identity =
        prep("INSERT INTO contact_identities(account_id, contact_id, channel, external_id, handle,"
             " followers, created_at) VALUES (?1, ?2, 'api', ?3, ?4, ?5, ?6)");
    sqlite3_stmt *ins_contact_fts =
        prep("INSERT INTO contacts_fts(rowid, name, email, phone, handles)"
             " VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, ''), ?5)");
    sqlite3_stmt *upd_contact = prep("UPDATE contacts SET last_agent_id = ?2 WHERE id = ?1");
    sqlite3_stmt *ins_conv = prep(
        "INSERT INTO conversations(id, account_id, inbox_id, contact_id, status, snoozed_until,"
        " priority, assignee_id, visibility, external_thread_id, subject, opened_at,"
        " first_reply_at, waiting_since, resolved_at, last_message_at, sort_wait, version,"
        " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, ?18, ?12, ?19)");
    sqlite3_stmt *ins_msg =
        prep("INSERT INTO messages(id, account_id, conversation_id, inbox_id, direction, kind,"
             " visibility, author_kind, author_id, body, external_id, analysis, delivery_status,"
             " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");

    fill_account = account;
    fill_inbox = inbox;
    rstate = calloc((size_t)n_conv + 1, sizeof *rstate);
    if (!rstate) die("memory", NULL);
    report_prepare();
    int64_t t_end = (int64_t)time(NULL) * 1000;
    int64_t t_begin = t_end - 365 * DAY_MS, recent = t_end - 30 * DAY_MS;
    conv_t *convs = calloc((size_t)n_conv + 1, sizeof *convs);
    if (!convs) die("memory", NULL);
    /* message counts per conversation: uniform 1..2avg-1, then exact total */
    int64_t avg = n_conv ? n_msg / n_conv : 0, total = 0;
    for (int64_t i = 1; i <= n_conv; i++) {
        convs[i].remaining = (uint16_t)(1 + rnd_below(2 * avg - 1));
        total += convs[i].remaining;
    }
    while (total < n_msg) {
        conv_t *cv = &convs[1 + rnd_below(n_conv)];
        if (cv->remaining < 120) cv->remaining++, total++;
    }
    while (total > n_msg) {
        conv_t *cv = &convs[1 + rnd_below(n_conv)];
        if (cv->remaining > 1) cv->remaining--, total--;
    }
    /* counters: [status][0 = unassigned, 1..N_AGENTS] */
    int64_t counts[4][N_AGENTS + 1];
    memset(counts, 0, sizeof counts);

    int64_t active[ACTIVE];
    int n_active = 0;
    int64_t next_conv = 1, n_contacts = 0, n_ids = 0;
    char buf[512], buf2[256], buf3[256];
    double t0 = now_s(), t_last = t0;
    int64_t batch = 0;
    exec("BEGIN");

    for (int64_t mi = 1; mi <= n_msg; mi++) {
        int64_t now = t_begin + (int64_t)((double)(t_end - t_begin) * (double)mi / (double)n_msg);
        while (n_active < ACTIVE && next_conv <= n_conv) {
            /* a new conversation starts */
            conv_t *cv = &convs[next_conv];
            int64_t r = rnd_below(100);
            if (n_contacts < 1000 || r < 65) {
                int64_t id = ++n_contacts;
                const char *fn = first_names[rnd_below(N_FIRST)],
                           *ln = last_names[rnd_below(N_LAST)];
                snprintf(buf, sizeof buf, "%s %s", fn, ln);
                bool has_email = rnd_below(100) < 40, has_phone = rnd_below(100) < 25;
                snprintf(buf2, sizeof buf2, "%c%s.%lld@example.com", fn[0] | 0x20, ln,
                         (long long)id);
                snprintf(buf3, sizeof buf3, "+1555%07lld", (long long)(id % 10000000));
                sqlite3_bind_int64(ins_contact, 1, id);
                sqlite3_bind_int64(ins_contact, 2, account);
                sqlite3_bind_text(ins_contact, 3, buf, -1, SQLITE_STATIC);
                if (has_email)
                    sqlite3_bind_text(ins_contact, 4, buf2, -1, SQLITE_STATIC);
                else
                    sqlite3_bind_null(ins_contact, 4);
                if (has_phone)
                    sqlite3_bind_text(ins_contact, 5, buf3, -1, SQLITE_STATIC);
                else
                    sqlite3_bind_null(ins_contact, 5);
                sqlite3_bind_int64(ins_contact, 6, now);
                sqlite3_bind_null(ins_contact, 7);
                step(ins_contact);
                char ext[32], handle[96], handles[160];
                snprintf(ext, sizeof ext, "cust-%lld", (long long)id);
                snprintf(handle, sizeof handle, "@%s_%s%lld", fn, ln, (long long)(id % 1000));
                snprintf(handles, sizeof handles, "%s %s", handle, ext);
                sqlite3_bind_int64(ins_identity, 1, account);
                sqlite3_bind_int64(ins_identity, 2, id);
                sqlite3_bind_text(ins_identity, 3, ext, -1, SQLITE_STATIC);
                sqlite3_bind_text(ins_identity, 4, handle, -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins_identity, 5, rnd_below(100) < 30 ? rnd_below(50000) : -1);
                sqlite3_bind_int64(ins_identity, 6, now);
                step(ins_identity);
                n_ids++;
                sqlite3_bind_int64(ins_contact_fts, 1, id);
                sqlite3_bind_text(ins_contact_fts, 2, buf, -1, SQLITE_STATIC);
                if (has_email)
                    sqlite3_bind_text(ins_contact_fts, 3, buf2, -1, SQLITE_STATIC);
                else
                    sqlite3_bind_null(ins_contact_fts, 3);
                if (has_phone)
                    sqlite3_bind_text(ins_contact_fts, 4, buf3, -1, SQLITE_STATIC);
                else
                    sqlite3_bind_null(ins_contact_fts, 4);
                sqlite3_bind_text(ins_contact_fts, 5, handles, -1, SQLITE_STATIC);
                step(ins_contact_fts);
                cv->contact_id = id;
            } else if (r < 67) {
                cv->contact_id = 1 + rnd_below(1000); /* heavy customers */
            } else {
                cv->contact_id = 1 + rnd_below(n_contacts);
            }
            int64_t p = rnd_below(100);
            if (now < recent)
                cv->status = p < 96   ? ST_RESOLVED
                             : p < 98 ? ST_OPEN
                             : p < 99 ? ST_PENDING
                                      : ST_SNOOZED;
            else
                cv->status = p < 40   ? ST_OPEN
                             : p < 55 ? ST_PENDING
                             : p < 65 ? ST_SNOOZED
                                      : ST_RESOLVED;
            p = rnd_below(100);
            cv->priority = p < 20 ? 0 : p < 75 ? 1 : p < 95 ? 2 : 3;
            cv->assignee =
                cv->status == ST_OPEN && rnd_below(100) < 15 ? 0 : 1 + rnd_below(N_AGENTS);
            cv->is_public = rnd_below(100) < 20;
            cv->last_in = cv->status == ST_OPEN ? rnd_below(100) < 75
                                                : cv->status == ST_SNOOZED && rnd_below(2);
            cv->opened_at = now;
            active[n_active++] = next_conv++;
        }
        if (n_active == 0) break;
        int slot = (int)rnd_below(n_active);
        int64_t cid = active[slot];
        conv_t *cv = &convs[cid];
        bool last = cv->remaining == 1;
        bool in;
        if (cv->emitted == 0)
            in = true;
        else if (last)
            in = cv->last_in;
        else
            in = rnd_below(100) < 50;
        /* an agent's message before the assignee existed is the assignee's anyway */
        int64_t agent = cv->assignee ? agents[cv->assignee - 1] : agents[rnd_below(N_AGENTS)];
        bool note = !in && !last && rnd_below(100) < 10;
        const text_t *tx =
            in ? &texts[rnd_below(n_customer)] : &texts[n_customer + rnd_below(n_reply)];
        if (cv->emitted == 0) cv->subject = (int32_t)(tx - texts);
        const char *body = tx->body;
        if (in && rnd_below(100) < 30) {
            snprintf(buf, sizeof buf, "%s (order #%07lld)", tx->body,
                     (long long)rnd_below(10000000));
            body = buf;
        }
        char ext[32];
        snprintf(ext, sizeof ext, "fill-%lld", (long long)mi);
        sqlite3_bind_int64(ins_msg, 1, mi);
        sqlite3_bind_int64(ins_msg, 2, account);
        sqlite3_bind_int64(ins_msg, 3, cid);
        sqlite3_bind_int64(ins_msg, 4, inbox);
        sqlite3_bind_text(ins_msg, 5, in ? "in" : "out", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_msg, 6, in ? "message" : note ? "note" : "reply", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_msg, 7,
                          note            ? "internal"
                          : cv->is_public ? "public"
                                          : "private",
                          -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_msg, 8, in ? "contact" : "user", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_msg, 9, in ? cv->contact_id : agent);
        sqlite3_bind_text(ins_msg, 10, body, -1, SQLITE_STATIC);
        if (in)
            sqlite3_bind_text(ins_msg, 11, ext, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins_msg, 11);
        sqlite3_bind_text(ins_msg, 12, tx->analysis, -1, SQLITE_STATIC);
        if (in || note)
            sqlite3_bind_null(ins_msg, 13);
        else
            sqlite3_bind_text(ins_msg, 13, "delivered", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_msg, 14, now);
        step(ins_msg);
        int64_t assignee_id = cv->assignee ? agents[cv->assignee - 1] : 0;
        if (cv->emitted == 0)
            report_conv_event(cid, "conversation.created", "open", 0, cv->priority, now, now);
        report_msg_event(cid, in,
                         in     ? "message"
                         : note ? "note"
                                : "reply",
                         in ? cv->contact_id : agent, tx, now);
        if (cv->emitted == 0 && assignee_id)
            report_conv_event(cid, "conversation.assigned", "open", assignee_id, cv->priority,
                              cv->opened_at, now);
        if (in) {
            if (!cv->waiting_since) cv->waiting_since = now;
        } else if (!note) {
            if (!cv->first_reply_at) cv->first_reply_at = now;
            cv->waiting_since = 0;
        }
        cv->last_at = now;
        cv->emitted++;
        if (--cv->remaining == 0) {
            /* the conversation's final row */
            active[slot] = active[--n_active];
            int64_t ws = cv->status == ST_RESOLVED ? 0 : cv->waiting_since;
            sqlite3_bind_int64(ins_conv, 1, cid);
            sqlite3_bind_int64(ins_conv, 2, account);
            sqlite3_bind_int64(ins_conv, 3, inbox);
            sqlite3_bind_int64(ins_conv, 4, cv->contact_id);
            sqlite3_bind_text(ins_conv, 5, status_names[cv->status], -1, SQLITE_STATIC);
            if (cv->status == ST_SNOOZED)
                sqlite3_bind_int64(ins_conv, 6, t_end + 3600000 * (1 + rnd_below(72)));
            else
                sqlite3_bind_null(ins_conv, 6);
            sqlite3_bind_int64(ins_conv, 7, cv->priority);
            if (cv->assignee)
                sqlite3_bind_int64(ins_conv, 8, agents[cv->assignee - 1]);
            else
                sqlite3_bind_null(ins_conv, 8);
            sqlite3_bind_text(ins_conv, 9, cv->is_public ? "public" : "private", -1, SQLITE_STATIC);
            char thread[32];
            if (cv->is_public)
                snprintf(thread, sizeof thread, "post-%lld", (long long)cid);
            else
                snprintf(thread, sizeof thread, "cust-%lld", (long long)cv->contact_id);
            sqlite3_bind_text(ins_conv, 10, thread, -1, SQLITE_STATIC);
            const char *subj = texts[cv->subject].body;
            size_t sl = strlen(subj);
            if (sl > 120) { /* cut at a character boundary, as ingest does */
                sl = 120;
                while (sl && ((unsigned char)subj[sl] & 0xC0) == 0x80) sl--;
            }
            sqlite3_bind_text(ins_conv, 11, subj, (int)sl, SQLITE_STATIC);
            sqlite3_bind_int64(ins_conv, 12, cv->opened_at);
            if (cv->first_reply_at)
                sqlite3_bind_int64(ins_conv, 13, cv->first_reply_at);
            else
                sqlite3_bind_null(ins_conv, 13);
            if (ws)
                sqlite3_bind_int64(ins_conv, 14, ws);
            else
                sqlite3_bind_null(ins_conv, 14);
            if (cv->status == ST_RESOLVED)
                sqlite3_bind_int64(ins_conv, 15, cv->last_at + 60000);
            else
                sqlite3_bind_null(ins_conv, 15);
            sqlite3_bind_int64(ins_conv, 16, cv->last_at);
            sqlite3_bind_int64(ins_conv, 17, ws ? ws : ANSWERED);
            sqlite3_bind_int64(ins_conv, 18, 1 + cv->emitted);
            sqlite3_bind_int64(ins_conv, 19, cv->last_at);
            step(ins_conv);
            counts[cv->status][cv->assignee]++;
            if (cv->status != ST_OPEN) {
                static const char *const ends[] = {NULL, "conversation.pending",
                                                   "conversation.snoozed", "conversation.resolved"};
                report_conv_event(cid, ends[cv->status], status_names[cv->status], assignee_id,
                                  cv->priority, cv->opened_at,
                                  cv->status == ST_RESOLVED ? cv->last_at + 60000 : cv->last_at);
            }
            report_conv_done(cid);
            if (cv->assignee) {
                sqlite3_bind_int64(upd_contact, 1, cv->contact_id);
                sqlite3_bind_int64(upd_contact, 2, agents[cv->assignee - 1]);
                step(upd_contact);
            }
        }
        if (++batch == 250000) {
            exec("COMMIT; BEGIN");
            batch = 0;
            double t = now_s();
            if (t - t_last > 2) {
                fprintf(stderr, "desk_fill: %lld/%lld messages, %lld conversations, %.0f msg/s\n",
                        (long long)mi, (long long)n_msg, (long long)(next_conv - 1),
                        (double)mi / (t - t0));
                t_last = t;
            }
        }
    }
    /* counters, from the rows written */
    sqlite3_stmt *ins_counter =
        prep("INSERT INTO counters(account_id, key, value) VALUES (?1, ?2, ?3)"
             " ON CONFLICT(account_id, key) DO UPDATE SET value = value + excluded.value");
    for (int s = 0; s < 4; s++)
        for (int a = 0; a <= N_AGENTS; a++) {
            char key[64];
            if (!counts[s][a]) continue;
            for (int k = 0; k < 2; k++) {
                if (k == 0)
                    snprintf(key, sizeof key, "all:%s", status_names[s]);
                else if (a)
                    snprintf(key, sizeof key, "user:%lld:%s", (long long)agents[a - 1],
                             status_names[s]);
                else
                    snprintf(key, sizeof key, "unassigned:%s", status_names[s]);
                sqlite3_bind_int64(ins_counter, 1, account);
                sqlite3_bind_text(ins_counter, 2, key, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(ins_counter, 3, counts[s][a]);
                step(ins_counter);
            }
        }
    cube_flush();
    /* the label-filtered report cases: 1% and 10% of the conversations */
    char label_sql[640];
    snprintf(label_sql, sizeof label_sql,
             "INSERT INTO labels(account_id, name, color, created_at) VALUES"
             " (%lld, 'vip', '#aa3355', 0), (%lld, 'billing', '#3355aa', 0);"
             "INSERT INTO conversation_labels(conversation_id, label_id, account_id)"
             " SELECT id, (SELECT id FROM labels WHERE account_id = %lld AND name = 'vip'), %lld"
             " FROM conversations WHERE account_id = %lld AND id %% 100 = 7;"
             "INSERT INTO conversation_labels(conversation_id, label_id, account_id)"
             " SELECT id, (SELECT id FROM labels WHERE account_id = %lld AND name = 'billing'),"
             " %lld FROM conversations WHERE account_id = %lld AND id %% 10 = 3;",
             (long long)account, (long long)account, (long long)account, (long long)account,
             (long long)account, (long long)account, (long long)account, (long long)account);
    exec(label_sql);
    exec("COMMIT");
    report_check();
    double t1 = now_s();
    fprintf(stderr,
            "desk_fill: rows in %.1f s: %lld messages (%.0f/s), %lld conversations, %lld contacts, "
            "%lld identities\n",
            t1 - t0, (long long)n_msg, (double)n_msg / (t1 - t0), (long long)n_conv,
            (long long)n_contacts, (long long)n_ids);
    exec("INSERT INTO messages_fts(messages_fts) VALUES('rebuild')");
    double t2 = now_s();
    fprintf(stderr, "desk_fill: messages_fts rebuilt in %.1f s (%.0f rows/s)\n", t2 - t1,
            (double)n_msg / (t2 - t1));
    sqlite3_finalize(ins_contact);
    sqlite3_finalize(ins_identity);
    sqlite3_finalize(ins_contact_fts);
    sqlite3_finalize(upd_contact);
    sqlite3_finalize(ins_conv);
    sqlite3_finalize(ins_msg);
    sqlite3_finalize(ins_counter);
    sqlite3_finalize(ins_cube);
    sqlite3_finalize(ins_rconv);
    report_cube_free(cube);
    free(rstate);
    exec("PRAGMA locking_mode=NORMAL; PRAGMA journal_mode=WAL");
    sqlite3_close(db);
    /* the labels' report rows, summed by the store as migration 014 does */
    double t3 = now_s();
    if (store_open_sqlite(path, &app.store, &err)) die("store_open_sqlite", err.msg);
    if (app.store->ops->write(app.store, label_rebuild_tx, (void *)app.store->ops->reports))
        die("label rollups", NULL);
    store_close(app.store);
    fprintf(stderr, "desk_fill: label rollups in %.1f s\n", now_s() - t3);
    for (int i = 0; i < n_texts; i++) {
        free(texts[i].body);
        free(texts[i].analysis);
    }
    free(texts);
    free(convs);
    fprintf(stderr, "desk_fill: done in %.1f s\n", now_s() - t_start);
    return 0;
}
