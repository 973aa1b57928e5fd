/*
 * router.h - who gets the conversation: the assignment policies.
 *
 * router_pick is pure (agents in, one id out) so its fairness can be tested
 * over thousands of rounds; router_route and router_drain apply it inside a
 * write transaction, driven by events (a new conversation, a resolve, an
 * agent coming online, a capacity raise), never by a periodic sweep.
 */
#ifndef PARLEY_DESK_ROUTER_H
#define PARLEY_DESK_ROUTER_H

#include "desk/desk.h"

typedef enum { POLICY_MANUAL, POLICY_ROUND_ROBIN, POLICY_LEAST_LOADED, POLICY_INVALID } policy_t;

policy_t policy_parse(const char *s);
const char *policy_name(policy_t p);

/* Picks among agents: only online ones below their capacity; the sticky user
 * first when eligible; then round-robin (least recently assigned, then lowest
 * id) or least-loaded (fewest open, then least recently assigned, then lowest
 * id). Returns 0 when nobody is eligible or the policy is manual. */
int64_t router_pick(policy_t policy, const agent_row_t *agents, int n, int64_t sticky_user);

/* Assigns cv (unassigned, open) by its inbox's policy, or leaves it queued. */
int router_route(dtx_t *t, conv_row_t *cv);
/* Hands queued conversations to user while they are online with capacity. */
int router_drain(dtx_t *t, int64_t account_id, int64_t user_id);

#endif
