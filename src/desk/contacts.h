/*
 * contacts.h - customers and their identities on each channel; merging two
 * contacts into one so a person has one timeline.
 */
#ifndef PARLEY_DESK_CONTACTS_H
#define PARLEY_DESK_CONTACTS_H

#include "core/json.h"
#include "desk/desk.h"

/* {"name","email","phone","notes","attributes"}; validated. */
int contact_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err);
int contact_update(app_t *app, const actor_t *by, int64_t id, json_t *patch, parley_err_t *err);
/* Moves every identity, conversation and message of `from` to `into`; `from`
 * is marked merged. One transaction, one contact.merged event. */
int contact_merge(app_t *app, const actor_t *by, int64_t into, int64_t from, parley_err_t *err);
/* Turns free text into a safe FTS5 query of quoted terms (the last one a
 * prefix when `prefix`: names are searched as they are typed; message search
 * is not, since expanding a prefix over millions of bodies costs more than the
 * 50 ms budget); NULL when nothing searchable remains. */
char *fts_query_from(arena_t *a, const char *text, bool prefix);
json_t *contact_to_json(const contact_row_t *c, const identity_row_t *ids, int n_ids);

#endif
