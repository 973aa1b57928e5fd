/*
 * router.c - the assignment policies and their transactional application.
 */
#include "desk/router.h"

#include <stdio.h>
#include <string.h>

static const char *const policy_names[] = {"manual", "round_robin", "least_loaded"};

policy_t policy_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, policy_names[i])) return (policy_t)i;
    return POLICY_INVALID;
}

const char *policy_name(policy_t p)
{
    return p < POLICY_INVALID ? policy_names[p] : "invalid";
}

static bool eligible(const agent_row_t *a)
{
    return a->availability && !strcmp(a->availability, "online") && a->load < a->capacity;
}

/* True when a should be preferred to b under the policy. */
static bool better(policy_t policy, const agent_row_t *a, const agent_row_t *b)
{
    if (policy == POLICY_LEAST_LOADED && a->load != b->load) return a->load < b->load;
    if (a->last_assigned_at != b->last_assigned_at)
        return a->last_assigned_at < b->last_assigned_at;
    return a->user_id < b->user_id;
}

int64_t router_pick(policy_t policy, const agent_row_t *agents, int n, int64_t sticky_user)
{
    if (policy != POLICY_ROUND_ROBIN && policy != POLICY_LEAST_LOADED) return 0;
    const agent_row_t *best = NULL;
    for (int i = 0; i < n; i++) {
        if (!eligible(&agents[i])) continue;
        if (sticky_user && agents[i].user_id == sticky_user) return sticky_user;
        if (!best || better(policy, &agents[i], best)) best = &agents[i];
    }
    return best ? best->user_id : 0;
}

int router_route(dtx_t *t, conv_row_t *cv)
{
    if (cv->assignee_id || strcmp(cv->status, "open") != 0) return 0;
    const store_desk_ops_t *ops = dtx_ops(t);
    inbox_row_t inbox;
    int rc = ops->inbox_get(t->c, cv->account_id, cv->inbox_id, t->arena, &inbox);
    if (rc) return rc;
    policy_t policy = policy_parse(inbox.policy);
    if (policy == POLICY_MANUAL) return 0;
    int64_t team = cv->team_id ? cv->team_id : inbox.team_id;
    agent_row_t *agents;
    int n;
    if ((rc = ops->agents_for(t->c, cv->account_id, team, t->arena, &agents, &n))) return rc;
    int64_t sticky = 0;
    if (inbox.sticky) {
        contact_row_t ct;
        if (ops->contact_get(t->c, cv->account_id, cv->contact_id, t->arena, &ct) == 0)
            sticky = ct.last_agent_id;
    }
    int64_t pick = router_pick(policy, agents, n, sticky);
    if (!pick) return 0; /* stays queued until capacity frees */
    return conv_assign(t, cv, pick, pick == sticky ? "sticky" : policy_name(policy));
}

int router_drain(dtx_t *t, int64_t account_id, int64_t user_id)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    for (int round = 0; round < 1000; round++) {
        agent_row_t *agents;
        int n, rc;
        if ((rc = ops->agents_for(t->c, account_id, 0, t->arena, &agents, &n))) return rc;
        const agent_row_t *me = NULL;
        for (int i = 0; i < n; i++)
            if (agents[i].user_id == user_id) me = &agents[i];
        if (!me || !eligible(me)) return 0;
        conv_row_t *queue;
        int k;
        if ((rc = ops->conv_queue_for(t->c, account_id, user_id, 1, t->arena, &queue, &k)))
            return rc;
        if (k == 0) return 0;
        if ((rc = conv_assign(t, &queue[0], user_id, "capacity_freed"))) return rc;
    }
    return 0;
}
