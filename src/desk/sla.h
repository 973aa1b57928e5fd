/*
 * sla.h - service-level clocks for conversations.
 *
 * Owns the SLA policies (targets per priority and kind, internal and
 * published, in business hours or around the clock, escalation rules) and the
 * clocks of every conversation: started by a customer message, paused while
 * the conversation is pending on the customer, met by a human reply (or, for
 * resolution, by the resolve), stopped by a resolve, started again by a
 * reopen. Every change is written in the transaction of the conversation
 * change that caused it. Never sends anything itself: a warning or breach
 * becomes an event (sla.warning, sla.breached) and escalation rules act in
 * the same transaction; the scheduler only decides when to look.
 */
#ifndef PARLEY_DESK_SLA_H
#define PARLEY_DESK_SLA_H

#include "core/bhours.h"
#include "desk/desk.h"
#include "store/store_sla.h"

enum { SLA_FIRST_RESPONSE, SLA_NEXT_RESPONSE, SLA_RESOLUTION, SLA_KINDS };

#define SLA_NAME_MAX        100
#define SLA_TARGET_MAX_MS   (366LL * 86400000) /* one year */
#define SLA_RULES_MAX       16
#define SLA_WARNING_DEFAULT 80 /* percent of the internal target */

extern const char *const sla_kinds[]; /* first_response, next_response, resolution, NULL */

typedef struct {
    int64_t internal_ms;  /* 0 = no target of this kind */
    int64_t published_ms; /* >= internal_ms */
} sla_target_t;

typedef struct {
    bool business_hours;                /* count only the inbox calendar's open hours */
    int warning_percent;                /* 1..99 */
    sla_target_t targets[4][SLA_KINDS]; /* [priority low..critical][kind] */
} sla_policy_t;

/* ---- policies ----------------------------------------------------------- */

/* Reads the policy part of a body ({"business_hours", "warning_percent",
 * "targets"}): targets by priority ("low".."critical", or "default" for every
 * priority not named), each kind {"internal_minutes"|"internal_seconds",
 * "published_minutes"|"published_seconds"}. Errors into c with pointers. */
void sla_policy_read(json_check_t *c, json_t *body, sla_policy_t *out);
/* The stored form (JSON text, malloc'd) and back. */
char *sla_policy_text(const sla_policy_t *p);
int sla_policy_from_text(const char *text, sla_policy_t *out);

int sla_policy_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err);
int sla_policy_update(app_t *app, const actor_t *by, int64_t id, json_t *body, parley_err_t *err);
int sla_policy_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
/* The policy with its escalation rules. */
json_t *sla_policy_to_json(const sla_policy_row_t *r, const esc_rule_row_t *rules, int n);

/* ---- inbox settings ----------------------------------------------------- */

/* Applies "business_hours_id" and "sla_policy_id" of an inbox body (each an
 * id of the account or null) inside the inbox's transaction. */
int sla_inbox_apply(dtx_t *t, int64_t inbox_id, json_t *body, parley_err_t *err);
/* Adds business_hours_id and sla_policy_id to an inbox's JSON. */
void sla_inbox_json(const app_t *app, int64_t inbox_id, json_t *obj);

/* ---- the clock arithmetic (pure; cal NULL = around the clock) ----------- */

/* Starts k (kind, targets, business already set) at now. */
void sla_clock_start(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now);
void sla_clock_pause(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now);
void sla_clock_resume(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now);
/* New targets (a priority change) keep the time already counted. */
void sla_clock_retarget(sla_clock_row_t *k, const bh_calendar_t *cal, const sla_target_t *tg,
                        int warning_percent, int64_t now);
/* Ends k: met (a reply, a resolve) or stopped (not answerable any more). */
void sla_clock_finish(sla_clock_row_t *k, const bh_calendar_t *cal, bool met, int64_t now);
/* Counted ms so far (business or calendar). */
int64_t sla_clock_elapsed(const sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now);
/* Marks the next milestone due at now, if any: returns "sla.warning",
 * "sla.breached" (level "internal" or "published" in *level), or NULL. Call
 * again until NULL; next_at moves on each time. */
const char *sla_clock_fire(sla_clock_row_t *k, int64_t now, const char **level);

/* ---- hooks, called where conversations change (same transaction) ------- */

/* From conv_save: status and priority changes (before NULL = created). */
int sla_on_status(dtx_t *t, const conv_row_t *before, const conv_row_t *cv);
/* From ingest, after the customer's message is stored. */
int sla_on_inbound(dtx_t *t, const conv_row_t *cv);
/* From a human reply to the customer (never notes, bots, automated messages). */
int sla_on_reply(dtx_t *t, const conv_row_t *cv);

/* ---- the scheduler's side ----------------------------------------------- */

/* Fires what is due among clock ids[0..n) in one transaction (stale ids are
 * skipped); clocks with a later next_at are handed back to the scheduler. */
int sla_fire_due(app_t *app, const int64_t *ids, int n);
/* Queues a clock's next milestone in the scheduler's heap (scheduler.c; a
 * NULL scheduler ignores it). Called inside the transaction: an entry of a
 * change that rolls back is found stale when due and skipped. */
struct scheduler;
void scheduler_sla_push(struct scheduler *s, int64_t next_at, int64_t clock_id);
/* Calls push(arg, next_at, id) for every clock waiting for a deadline. */
int sla_load_scheduled(app_t *app, void (*push)(void *arg, int64_t next_at, int64_t id), void *arg);

/* ---- rendering ---------------------------------------------------------- */

/* {"target","due_at","warning_at","published_due_at","state","paused"} of the
 * conversation's next deadline, or JSON null when no clock runs. */
json_t *sla_conv_json(const app_t *app, store_conn_t *c, const conv_row_t *cv);
/* conv_to_json has no store at hand: the serving app is registered here
 * (scheduler_start/stop) and read by sla_conv_json_current. */
void sla_register_app(const app_t *app);
json_t *sla_conv_json_current(const conv_row_t *cv);

#endif
