/*
 * priority.c - scoring of inbound items into low / medium / high / critical.
 *
 * Owns the point table documented in priority.h and the wording of the
 * explanation. Reads a triage result, never computes one.
 */
#include "text/priority.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *sub;
    int points;
    const char *words;
} risk_points_t;

static const risk_points_t risk_table[] = {
    {"legal", 40, "legal threat"},           {"safety", 40, "safety issue"},
    {"hacked", 35, "hacked account"},        {"press", 35, "press"},
    {"escalation", 25, "public escalation"}, {"churn", 20, "churn threat"},
};

#define RISK_OTHER_POINTS 20
#define RISK_EXTRA_POINTS 10

const char *priority_level_name(priority_level_t level)
{
    switch (level) {
    case PRIORITY_LOW: return "low";
    case PRIORITY_MEDIUM: return "medium";
    case PRIORITY_HIGH: return "high";
    case PRIORITY_CRITICAL: return "critical";
    }
    return "unknown";
}

/* Writes n / unit rounded to one decimal below 10 units, to a whole number
 * above; returns false when the rounded value reaches 1000 units (unless this
 * is the last unit there is). */
static bool fmt_unit(int64_t n, int64_t unit, const char *suffix, bool last, char *tmp, size_t cap)
{
    if (n < 10 * unit) {
        int64_t tenths = (n + unit / 20) / (unit / 10);
        if (tenths < 100) {
            if (tenths % 10 == 0)
                snprintf(tmp, cap, "%" PRId64 "%s", tenths / 10, suffix);
            else
                snprintf(tmp, cap, "%" PRId64 ".%" PRId64 "%s", tenths / 10, tenths % 10, suffix);
            return true;
        }
    }
    int64_t whole = n / unit + (n % unit >= unit / 2);
    if (whole >= 1000 && !last) return false;
    snprintf(tmp, cap, "%" PRId64 "%s", whole, suffix);
    return true;
}

size_t priority_format_count(int64_t n, char *buf, size_t cap)
{
    char tmp[32];
    if (n < 0) n = 0;
    if (n < 1000)
        snprintf(tmp, sizeof tmp, "%" PRId64, n);
    else if (!fmt_unit(n, 1000, "k", false, tmp, sizeof tmp) &&
             !fmt_unit(n, 1000000, "M", false, tmp, sizeof tmp))
        fmt_unit(n, 1000000000, "B", true, tmp, sizeof tmp);
    size_t len = strlen(tmp);
    if (cap) {
        size_t c = len < cap - 1 ? len : cap - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return len;
}

typedef struct {
    char *buf;
    size_t len;
} explain_t;

static void say(explain_t *e, const char *words)
{
    size_t n = strlen(words);
    size_t sep = e->len ? 2 : 0;
    if (e->len + sep + n >= PRIORITY_EXPLAIN_MAX) return; /* the first reasons matter most */
    if (sep) memcpy(e->buf + e->len, ", ", 2);
    memcpy(e->buf + e->len + sep, words, n);
    e->len += sep + n;
    e->buf[e->len] = '\0';
}

static int risk_points(const triage_result_t *tr, explain_t *e)
{
    int best = 0, extra = 0;
    if (!tr) return 0;
    for (size_t i = 0; i < tr->n_labels; i++) {
        const triage_hit_t *h = &tr->labels[i];
        if (h->label != TRIAGE_RISK) continue;
        int pts = RISK_OTHER_POINTS;
        char other[64];
        const char *words = NULL;
        for (size_t k = 0; k < sizeof risk_table / sizeof *risk_table; k++)
            if (strcmp(h->sub, risk_table[k].sub) == 0) {
                pts = risk_table[k].points;
                words = risk_table[k].words;
            }
        if (!words) {
            snprintf(other, sizeof other, "risk: %s", h->sub[0] ? h->sub : "other");
            words = other;
        }
        say(e, words);
        if (pts > best) {
            if (best) extra += RISK_EXTRA_POINTS;
            best = pts;
        } else {
            extra += RISK_EXTRA_POINTS;
        }
    }
    return best + extra;
}

static int wait_points(int64_t s, explain_t *e)
{
    char w[48];
    int pts = s >= 86400 ? 25 : s >= 4 * 3600 ? 15 : s >= 3600 ? 10 : s >= 900 ? 5 : 0;
    if (!pts) return 0;
    int64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
    if (d)
        snprintf(w, sizeof w, "waiting %" PRId64 "d %" PRId64 "h", d, h);
    else if (h)
        snprintf(w, sizeof w, "waiting %" PRId64 "h %" PRId64 "m", h, m);
    else
        snprintf(w, sizeof w, "waiting %" PRId64 "m", m);
    say(e, w);
    return pts;
}

int priority_compute(const priority_input_t *in, priority_t *out)
{
    if (!in || !out) return PARLEY_EINVAL;
    memset(out, 0, sizeof *out);
    explain_t e = {out->explain, 0};
    const triage_result_t *tr = in->triage;
    bool spam = tr && triage_result_get(tr, TRIAGE_SPAM, NULL) > 0;
    if (spam) {
        say(&e, "spam");
        out->level = PRIORITY_LOW;
        return 0;
    }
    int score = 0;
    bool negative = in->sentiment <= -0.05;
    if (negative) {
        score += in->sentiment <= -0.6 ? 30 : 20;
        say(&e, "negative");
    } else if (in->sentiment >= 0.05) {
        score -= 5;
    }
    if (in->is_public) {
        score += 10;
        say(&e, "public");
    }
    int64_t f = in->followers;
    int reach = f >= 1000000 ? 35 : f >= 100000 ? 25 : f >= 10000 ? 20 : f >= 1000 ? 10 : 0;
    if (reach) {
        char cnt[16], w[40];
        priority_format_count(f, cnt, sizeof cnt);
        snprintf(w, sizeof w, "%s followers", cnt);
        say(&e, w);
        score += reach;
    }
    if (in->verified) {
        score += 10;
        say(&e, "verified");
    }
    int risk = risk_points(tr, &e);
    score += risk;
    bool complaint = tr && triage_result_get(tr, TRIAGE_COMPLAINT, NULL) > 0;
    if (complaint) {
        score += 10;
        if (!negative) say(&e, "complaint");
    }
    if (tr && (triage_result_get(tr, TRIAGE_REQUEST, NULL) > 0 ||
               triage_result_get(tr, TRIAGE_QUESTION, NULL) > 0))
        score += 5;
    if (tr && triage_result_get(tr, TRIAGE_PRAISE, NULL) > 0 && !complaint && !risk) score -= 10;
    if (in->prior_negative > 0) {
        char w[48];
        score += in->prior_negative >= 3 ? 15 : 8;
        snprintf(w, sizeof w, "%" PRId32 " prior negative", in->prior_negative);
        say(&e, w);
    }
    score += wait_points(in->waiting_seconds, &e);
    if (score < 0) score = 0;
    out->score = score;
    out->level = score >= 70   ? PRIORITY_CRITICAL
                 : score >= 40 ? PRIORITY_HIGH
                 : score >= 15 ? PRIORITY_MEDIUM
                               : PRIORITY_LOW;
    return 0;
}
