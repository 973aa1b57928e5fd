/*
 * priority.h - the priority of an inbound item: low, medium, high, critical.
 *
 * Owns the scoring that turns what the text layer learnt about a post
 * (sentiment, triage labels) and what the desk knows about its author and its
 * wait into one level, a score and the one-line explanation an agent sees.
 * Pure and deterministic: no I/O, no clock (the wait is an input), no state.
 *
 * Scoring (points add up; the explanation lists what raised the score, in
 * this order):
 *   sentiment   compound <= -0.6: +30, <= -0.05: +20 ("negative");
 *               >= 0.05: -5 (not listed)
 *   public      +10 ("public"); private items get nothing
 *   reach       followers >= 1M: +35, >= 100k: +25, >= 10k: +20, >= 1k: +10
 *               ("76k followers", "1.2M followers")
 *   verified    +10 ("verified")
 *   risk        per triage risk subtype, the largest counts fully and each
 *               further one adds 10: legal 40 ("legal threat"), safety 40
 *               ("safety issue"), hacked 35 ("hacked account"), press 35
 *               ("press"), escalation 25 ("public escalation"), churn 20
 *               ("churn threat"), any brand-defined subtype 20 ("risk: <sub>")
 *   complaint   +10 (listed as "complaint" only when sentiment is not
 *               negative, which already says it)
 *   request or question  +5 (not listed)
 *   praise only (no complaint, no risk)  -10 (not listed)
 *   history     prior negative conversations >= 3: +15, >= 1: +8
 *               ("3 prior negative")
 *   waiting     >= 24h: +25, >= 4h: +15, >= 1h: +10, >= 15min: +5
 *               ("waiting 2h 5m", "waiting 1d 3h", "waiting 20m")
 *   spam        the score is 0 and the level low whatever else holds ("spam")
 * Levels: score >= 70 critical, >= 40 high, >= 15 medium, otherwise low.
 * Example: negative, public, 76,000 followers, legal threat = 20 + 10 + 20 +
 * 40 = 90, critical, "negative, public, 76k followers, legal threat".
 */
#ifndef PARLEY_TEXT_PRIORITY_H
#define PARLEY_TEXT_PRIORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/triage.h"

#define PRIORITY_EXPLAIN_MAX 192

typedef enum { PRIORITY_LOW, PRIORITY_MEDIUM, PRIORITY_HIGH, PRIORITY_CRITICAL } priority_level_t;

typedef struct {
    double sentiment;              /* VADER compound, [-1, 1] */
    const triage_result_t *triage; /* may be NULL: no labels known */
    int64_t followers;             /* author's audience; < 0 when unknown */
    bool verified;
    bool is_public;              /* a public post or comment, not a DM */
    int32_t prior_conversations; /* the customer's earlier conversations */
    int32_t prior_negative;      /* of which ended or ran negative */
    int64_t waiting_seconds;     /* since the customer's first unanswered message */
} priority_input_t;

typedef struct {
    priority_level_t level;
    int score;
    char explain[PRIORITY_EXPLAIN_MAX]; /* "negative, public, 76k followers, legal threat" */
} priority_t;

/* Computes the priority of *in into *out. Returns 0, or PARLEY_EINVAL when an
 * argument is NULL. */
int priority_compute(const priority_input_t *in, priority_t *out);

/* "low", "medium", "high", "critical"; "unknown" otherwise. */
const char *priority_level_name(priority_level_t level);

/* Writes a short audience count ("850", "1.5k", "76k", "1.2M", "3B") into buf
 * (NUL-terminated, truncated to cap); returns the length it needs. */
size_t priority_format_count(int64_t n, char *buf, size_t cap);

#endif /* PARLEY_TEXT_PRIORITY_H */
