/*
 * ingest_ceiling.c - the ceiling for durable ingest: a bare C loop inserting
 * the rows one ingested message from a new customer writes, straight into
 * SQLite, in transactions of the size the server's group commit produced.
 *
 * usage: ingest_ceiling OUT.db N BATCH [CORPUS.tsv]
 *
 * The database is created with the real schema (store_open_sqlite runs the
 * migrations), then reopened raw with the server's settings: WAL,
 * synchronous=FULL, foreign keys on. Per message, as desk_ingest does for a
 * customer seen for the first time: a contact, its identity, its contacts_fts
 * row, the contact.created event, the conversation, two counter upserts
 * ('all:open', 'unassigned:open'), the conversation.created event, the message
 * and its messages_fts row, and the message.created event. Events are
 * hash-chained with the same function the store uses (store_event_hash); their
 * payloads have the shape and size of the server's. Bodies and their analysis
 * JSON come from the corpus (analysed before the clock starts). BATCH messages
 * per transaction; one COMMIT (one fsync of the WAL) per batch.
 */
#include "core/crypto.h"
#include "core/log.h"
#include "desk/analyze.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sqlite3 *db;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "ingest_ceiling: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(db), sql);
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

static sqlite3_stmt *ins_event;
static char prev_hash[65];
static int64_t event_id;

static void event(int64_t at, const char *type, const char *subject_kind, int64_t subject_id,
                  const char *payload)
{
    event_row_t e = {.id = ++event_id,
                     .account_id = 1,
                     .at = at,
                     .actor_kind = "system",
                     .actor_id = 0,
                     .type = type,
                     .subject_kind = subject_kind,
                     .subject_id = subject_id,
                     .payload = payload,
                     .prev_hash = prev_hash};
    char hash[65];
    store_event_hash(&e, hash);
    sqlite3_bind_int64(ins_event, 1, e.id);
    sqlite3_bind_int64(ins_event, 2, 1);
    sqlite3_bind_int64(ins_event, 3, at);
    sqlite3_bind_text(ins_event, 4, "system", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins_event, 5, 0);
    sqlite3_bind_text(ins_event, 6, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins_event, 7, subject_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins_event, 8, subject_id);
    sqlite3_bind_text(ins_event, 9, payload, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins_event, 10, prev_hash, 64, SQLITE_STATIC);
    sqlite3_bind_text(ins_event, 11, hash, 64, SQLITE_STATIC);
    step(ins_event);
    memcpy(prev_hash, hash, 65);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ingest_ceiling OUT.db N BATCH [CORPUS.tsv]\n");
        return 2;
    }
    const char *path = argv[1];
    long n = atol(argv[2]), batch = atol(argv[3]);
    if (n <= 0 || batch <= 0 || crypto_init()) return 2;
    log_set_level(LOG_WARN);

    /* texts and their analysis, before the clock */
    parley_err_t err = {0};
    analyzer_t *an = analyzer_new(&err);
    if (!an) die("analyzer_new", err.msg);
    char **bodies = NULL, **analyses = NULL;
    int n_texts = 0;
    FILE *f = argc > 4 ? fopen(argv[4], "r") : NULL;
    char line[8192];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\t\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        bodies = realloc(bodies, sizeof *bodies * (size_t)(n_texts + 1));
        analyses = realloc(analyses, sizeof *analyses * (size_t)(n_texts + 1));
        analysis_t a;
        analysis_ctx_t ctx = {.followers = -1};
        analyze_text(an, line, strlen(line), &ctx, &a);
        json_t *j = analysis_to_json(&a, line);
        analyses[n_texts] = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        bodies[n_texts++] = strdup(line);
    }
    if (f) fclose(f);
    if (!n_texts) {
        bodies = malloc(sizeof *bodies);
        analyses = malloc(sizeof *analyses);
        bodies[0] = strdup("My order never arrived, where is it?");
        analyses[0] = strdup("{}");
        n_texts = 1;
    }
    analyzer_free(an);

    /* the real schema, then the server's connection settings */
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    store_t *st;
    if (store_open_sqlite(path, &st, &err)) die("store_open_sqlite", err.msg);
    store_close(st);
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open", path);
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
         " PRAGMA temp_store=MEMORY");
    exec("INSERT INTO accounts(id, name, created_at) VALUES (1, 'Ceiling', 0);"
         " INSERT INTO inboxes(id, account_id, name, channel, settings, created_at, updated_at)"
         " VALUES (1, 1, 'Ceiling API', 'api', x'00', 0, 0)");
    memset(prev_hash, '0', 64);
    prev_hash[64] = '\0';

    sqlite3_stmt *ins_contact = prep("INSERT INTO contacts(account_id, name, email, phone, notes,"
                                     " attributes, created_at, updated_at)"
                                     " VALUES (1, ?1, NULL, NULL, '', '{}', ?2, ?2)");
    sqlite3_stmt *ins_identity =
        prep("INSERT INTO contact_identities(account_id, contact_id, channel, external_id, handle,"
             " followers, verified, created_at) VALUES (1, ?1, 'api', ?2, ?3, -1, 0, ?4)");
    sqlite3_stmt *ins_cfts = prep("INSERT INTO contacts_fts(rowid, name, email, phone, handles)"
                                  " VALUES (?1, ?2, '', '', ?3)");
    sqlite3_stmt *ins_conv =
        prep("INSERT INTO conversations(account_id, inbox_id, contact_id, status, priority,"
             " visibility, external_thread_id, subject, opened_at, waiting_since, last_message_at,"
             " sort_wait, created_at, updated_at)"
             " VALUES (1, 1, ?1, 'open', 1, 'private', ?2, ?3, ?4, ?4, ?4, ?4, ?4, ?4)");
    sqlite3_stmt *ins_counter =
        prep("INSERT INTO counters(account_id, key, value) VALUES (1, ?1, 1)"
             " ON CONFLICT(account_id, key) DO UPDATE SET value = value + excluded.value");
    sqlite3_stmt *ins_msg = prep(
        "INSERT INTO messages(account_id, conversation_id, inbox_id, direction, kind, visibility,"
        " author_kind, author_id, body, external_id, attachments, mentions, analysis,"
        " delivery_status, created_at) VALUES (1, ?1, 1, 'in', 'message', 'private', 'contact',"
        " ?2, ?3, ?4, '[]', '[]', ?5, NULL, ?6)");
    sqlite3_stmt *ins_mfts = prep("INSERT INTO messages_fts(rowid, body) VALUES (?1, ?2)");
    ins_event = prep("INSERT INTO events(id, account_id, at, actor_kind, actor_id, type,"
                     " subject_kind, subject_id, payload, prev_hash, hash)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");

    static char payload[32768];
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (i % batch == 0) exec("BEGIN IMMEDIATE");
        int64_t now = (int64_t)time(NULL) * 1000;
        const char *body = bodies[i % n_texts], *analysis = analyses[i % n_texts];
        char name[64], ext[64], handle[64], handles[160], msg_ext[64];
        snprintf(name, sizeof name, "Load Customer %ld", i);
        snprintf(ext, sizeof ext, "lc-ceiling-%ld", i);
        snprintf(handle, sizeof handle, "@load%ld", i);
        snprintf(handles, sizeof handles, "%s %s", handle, ext);
        snprintf(msg_ext, sizeof msg_ext, "load-ceiling-%ld", i);

        sqlite3_bind_text(ins_contact, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_contact, 2, now);
        step(ins_contact);
        int64_t contact = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(ins_identity, 1, contact);
        sqlite3_bind_text(ins_identity, 2, ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_identity, 3, handle, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_identity, 4, now);
        step(ins_identity);
        sqlite3_bind_int64(ins_cfts, 1, contact);
        sqlite3_bind_text(ins_cfts, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_cfts, 3, handles, -1, SQLITE_STATIC);
        step(ins_cfts);
        snprintf(payload, sizeof payload,
                 "{\"channel\":\"api\",\"external_id\":\"%s\",\"name\":\"%s\"}", ext, name);
        event(now, "contact.created", "contact", contact, payload);

        sqlite3_bind_int64(ins_conv, 1, contact);
        sqlite3_bind_text(ins_conv, 2, ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_conv, 3, body, (int)(strlen(body) > 120 ? 120 : strlen(body)),
                          SQLITE_STATIC);
        sqlite3_bind_int64(ins_conv, 4, now);
        step(ins_conv);
        int64_t conv = sqlite3_last_insert_rowid(db);
        sqlite3_bind_text(ins_counter, 1, "all:open", -1, SQLITE_STATIC);
        step(ins_counter);
        sqlite3_bind_text(ins_counter, 1, "unassigned:open", -1, SQLITE_STATIC);
        step(ins_counter);
        snprintf(payload, sizeof payload,
                 "{\"conversation\":{\"assignee_id\":null,\"contact_id\":%lld,\"created_at\":"
                 "\"2026-11-26T12:00:00.000Z\",\"external_thread_id\":\"%s\",\"first_reply_at\":"
                 "null,\"id\":%lld,\"inbox_id\":1,\"last_message_at\":\"2026-11-26T12:00:00.000Z\","
                 "\"opened_at\":\"2026-11-26T12:00:00.000Z\",\"priority\":\"medium\","
                 "\"resolved_at\":null,\"snoozed_until\":null,\"status\":\"open\",\"subject\":"
                 "\"%.120s\",\"team_id\":null,\"updated_at\":\"2026-11-26T12:00:00.000Z\","
                 "\"version\":1,\"visibility\":\"private\",\"waiting_since\":"
                 "\"2026-11-26T12:00:00.000Z\"},\"priority_explanation\":\"medium: default\"}",
                 (long long)contact, ext, (long long)conv, body);
        event(now, "conversation.created", "conversation", conv, payload);

        sqlite3_bind_int64(ins_msg, 1, conv);
        sqlite3_bind_int64(ins_msg, 2, contact);
        sqlite3_bind_text(ins_msg, 3, body, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_msg, 4, msg_ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_msg, 5, analysis, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_msg, 6, now);
        step(ins_msg);
        int64_t msg = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(ins_mfts, 1, msg);
        sqlite3_bind_text(ins_mfts, 2, body, -1, SQLITE_STATIC);
        step(ins_mfts);
        snprintf(payload, sizeof payload,
                 "{\"inbox_id\":1,\"message\":{\"analysis\":%s,\"attachments\":[],\"author_id\":"
                 "%lld,\"author_kind\":\"contact\",\"body\":\"%s\",\"conversation_id\":%lld,"
                 "\"created_at\":\"2026-11-26T12:00:00.000Z\",\"delivery_status\":null,"
                 "\"direction\":\"in\",\"external_id\":\"%s\",\"id\":%lld,\"kind\":\"message\","
                 "\"mentions\":[],\"visibility\":\"private\"}}",
                 analysis, (long long)contact, body, (long long)conv, msg_ext, (long long)msg);
        event(now, "message.created", "message", msg, payload);
        if (i % batch == batch - 1 || i == n - 1) exec("COMMIT");
    }
    double secs = now_s() - t0;
    long commits = (n + batch - 1) / batch;
    printf("ceiling: %ld messages (11 rows each: contact, identity, contact index, conversation, "
           "2 counters, message + FTS, 3 events) in %ld transactions of %ld: %.2f s, %.0f "
           "messages/s, %.0f rows/s\n",
           n, commits, batch, secs, (double)n / secs, 11.0 * (double)n / secs);
    sqlite3_finalize(ins_contact);
    sqlite3_finalize(ins_identity);
    sqlite3_finalize(ins_cfts);
    sqlite3_finalize(ins_conv);
    sqlite3_finalize(ins_counter);
    sqlite3_finalize(ins_msg);
    sqlite3_finalize(ins_mfts);
    sqlite3_finalize(ins_event);
    sqlite3_close(db);
    for (int i = 0; i < n_texts; i++) {
        free(bodies[i]);
        free(analyses[i]);
    }
    free(bodies);
    free(analyses);
    return 0;
}
