/*
 * store_sla.h - the store's part for service levels: business-hours
 * calendars, SLA policies and their escalation rules, the SLA clocks of
 * conversations, and the two inbox settings that point at them.
 *
 * Every operation but the scheduler's (clock_get_any, clock_scheduled) is
 * scoped by account_id: another account's row is PARLEY_ENOENT. Strings of
 * returned rows live in the caller's arena. Rules belong to desk/sla.c and
 * desk/hours.c.
 */
#ifndef PARLEY_STORE_STORE_SLA_H
#define PARLEY_STORE_STORE_SLA_H

#include <stdint.h>

#include "store/store.h"

typedef struct {
    int64_t id, account_id;
    const char *name;
    const char *calendar; /* bhours JSON */
    int64_t created_at, updated_at;
} bh_row_t;

typedef struct {
    int64_t id, account_id;
    const char *name;
    const char *policy; /* JSON: business_hours, warning_percent, targets */
    int64_t created_at, updated_at;
} sla_policy_row_t;

typedef struct {
    int64_t id, account_id, policy_id;
    int position;
    const char *on_event; /* sla.warning | sla.breached */
    const char *target;   /* a clock kind, or NULL = any */
    const char *action;   /* raise_priority | assign_team | notify | webhook | email */
    int priority;         /* -1 = none */
    int64_t team_id, user_id;
    const char *url;
} esc_rule_row_t;

typedef struct {
    int64_t id, account_id, conversation_id, policy_id;
    const char *kind;   /* first_response | next_response | resolution */
    const char *status; /* running | paused | met | stopped */
    const char *state;  /* ok | warning | breached */
    bool business;
    int64_t target_ms, published_ms, warning_ms;
    int64_t started_at, running_since, elapsed_ms, paused_ms, paused_at;
    /* 0 = none */
    int64_t due_at, warning_at, published_due_at, next_at;
    int64_t warned_at, breached_at, published_breached_at, met_at, stopped_at;
} sla_clock_row_t;

/* The inbox's service-level settings (0 = none). */
typedef struct {
    int64_t business_hours_id, sla_policy_id;
} inbox_sla_t;

/* A due entry for the scheduler. */
typedef struct {
    int64_t id, next_at;
} sla_due_t;

typedef struct store_sla_ops {
    /* ---- business hours ---- */
    int (*bh_create)(store_conn_t *c, const bh_row_t *r, int64_t *id);
    int (*bh_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, bh_row_t *out);
    int (*bh_list)(store_conn_t *c, const page_t *p, arena_t *a, bh_row_t **out, int *n);
    /* Writes name, calendar, updated_at; PARLEY_EEXIST on a taken name. */
    int (*bh_update)(store_conn_t *c, const bh_row_t *r);
    /* Live inboxes using the calendar. */
    int (*bh_in_use)(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n);
    /* Deletes it (deleted inboxes let go of it first). */
    int (*bh_delete)(store_conn_t *c, int64_t account_id, int64_t id);

    /* ---- policies and their escalation rules ---- */
    int (*policy_create)(store_conn_t *c, const sla_policy_row_t *r, int64_t *id);
    int (*policy_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      sla_policy_row_t *out);
    int (*policy_list)(store_conn_t *c, const page_t *p, arena_t *a, sla_policy_row_t **out,
                       int *n);
    int (*policy_update)(store_conn_t *c, const sla_policy_row_t *r);
    int (*policy_in_use)(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n);
    int (*policy_delete)(store_conn_t *c, int64_t account_id, int64_t id);
    /* Replaces the policy's rules by rules[0..n) (positions are their index). */
    int (*rules_replace)(store_conn_t *c, int64_t account_id, int64_t policy_id,
                         const esc_rule_row_t *rules, int n);
    int (*rules_list)(store_conn_t *c, int64_t account_id, int64_t policy_id, arena_t *a,
                      esc_rule_row_t **out, int *n);

    /* ---- inbox settings ---- */
    int (*inbox_sla_get)(store_conn_t *c, int64_t inbox_id, inbox_sla_t *out);
    int (*inbox_sla_set)(store_conn_t *c, int64_t account_id, int64_t inbox_id,
                         const inbox_sla_t *in);

    /* ---- clocks ---- */
    int (*clock_create)(store_conn_t *c, const sla_clock_row_t *r, int64_t *id);
    /* Writes every mutable column (status .. stopped_at). */
    int (*clock_update)(store_conn_t *c, const sla_clock_row_t *r);
    int (*clock_get_any)(store_conn_t *c, int64_t id, arena_t *a, sla_clock_row_t *out);
    /* The running and paused clocks of a conversation, oldest first (at most 8). */
    int (*clock_active)(store_conn_t *c, int64_t conversation_id, arena_t *a, sla_clock_row_t **out,
                        int *n);
    /* Clocks with a next_at, by (next_at, id) after the cursor, up to limit. */
    int (*clock_scheduled)(store_conn_t *c, int64_t after_next, int64_t after_id, int limit,
                           arena_t *a, sla_due_t **out, int *n);
} store_sla_ops_t;

#endif
