/*
 * contacts.c - contacts, identities and merges.
 */
#include "desk/contacts.h"

#include "desk/users.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int check(json_t *body, bool creating, parley_err_t *err)
{
    static const char *const allowed[] = {"name", "email", "phone", "notes", "attributes", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", creating, 1, 200);
    const char *email = json_get_string(&c, body, "email", false, 3, 254);
    if (email && !user_email_valid(email))
        json_check_fail(&c, "/email", "email is not a valid e-mail address");
    const char *phone = json_get_string(&c, body, "phone", false, 3, 32);
    if (phone)
        for (const char *p = phone; *p; p++)
            if (!isdigit((unsigned char)*p) && !strchr("+ -().", *p)) {
                json_check_fail(&c, "/phone", "phone may hold digits, spaces and + - ( ) .");
                break;
            }
    json_get_string(&c, body, "notes", false, 0, 10000);
    json_t *attr = json_object_get(body, "attributes");
    if (attr && !json_is_object(attr))
        json_check_fail(&c, "/attributes", "attributes must be an object");
    return json_check_to_err(&c, err);
}

typedef struct {
    json_t *body;
    int64_t id, from;
    parley_err_t *err;
} contact_ctx_t;

static void apply(contact_row_t *r, json_t *body, arena_t *a)
{
    json_t *v;
    if ((v = json_object_get(body, "name"))) r->name = json_string_value(v);
    if ((v = json_object_get(body, "email"))) r->email = json_string_value(v);
    if ((v = json_object_get(body, "phone"))) r->phone = json_string_value(v);
    if ((v = json_object_get(body, "notes"))) r->notes = json_string_value(v);
    if ((v = json_object_get(body, "attributes"))) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        r->attributes = arena_strdup(a, s);
        free(s);
    }
}

static int create_tx(dtx_t *t, void *p)
{
    contact_ctx_t *x = p;
    contact_row_t r = {.account_id = t->by->account_id, .created_at = t->now, .updated_at = t->now};
    apply(&r, x->body, t->arena);
    int rc = dtx_ops(t)->contact_create(t->c, &r, &x->id);
    if (!rc) rc = dtx_ops(t)->contact_index(t->c, x->id);
    if (!rc)
        rc = desk_event(t->c, t->app, t->by, "contact.created", "contact", x->id,
                        json_deep_copy(x->body));
    return rc;
}

int contact_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err)
{
    int rc = check(body, true, err);
    if (rc) return rc;
    contact_ctx_t x = {.body = body, .err = err};
    err->code = 0;
    rc = desk_write(app, by, create_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the contact could not be stored");
    if (!rc) *id = x.id;
    return rc;
}

static int update_tx(dtx_t *t, void *p)
{
    contact_ctx_t *x = p;
    contact_row_t r;
    int rc = dtx_ops(t)->contact_get(t->c, t->by->account_id, x->id, t->arena, &r);
    if (rc) return parley_errf(x->err, rc, "", "no contact with this id");
    if (r.merged_into)
        return parley_errf(x->err, PARLEY_ECONFLICT, "",
                           "this contact was merged into %lld; change that one",
                           (long long)r.merged_into);
    apply(&r, x->body, t->arena);
    r.updated_at = t->now;
    if ((rc = dtx_ops(t)->contact_update(t->c, &r))) return rc;
    if ((rc = dtx_ops(t)->contact_index(t->c, r.id))) return rc;
    return desk_event(t->c, t->app, t->by, "contact.updated", "contact", r.id,
                      json_deep_copy(x->body));
}

int contact_update(app_t *app, const actor_t *by, int64_t id, json_t *patch, parley_err_t *err)
{
    int rc = check(patch, false, err);
    if (rc) return rc;
    contact_ctx_t x = {.body = patch, .id = id, .err = err};
    err->code = 0;
    rc = desk_write(app, by, update_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the contact could not be updated");
    return rc;
}

static int merge_tx(dtx_t *t, void *p)
{
    contact_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    contact_row_t into, from;
    if (ops->contact_get(t->c, t->by->account_id, x->id, t->arena, &into))
        return parley_errf(x->err, PARLEY_ENOENT, "", "no contact with id %lld", (long long)x->id);
    if (ops->contact_get(t->c, t->by->account_id, x->from, t->arena, &from))
        return parley_errf(x->err, PARLEY_EINVAL, "/from", "no contact with id %lld",
                           (long long)x->from);
    if (into.merged_into || from.merged_into)
        return parley_errf(x->err, PARLEY_ECONFLICT, "/from",
                           "one of these contacts was already merged");
    /* The survivor keeps its own fields and takes the other's where it has none. */
    if ((!into.email || !*into.email) && from.email) into.email = from.email;
    if ((!into.phone || !*into.phone) && from.phone) into.phone = from.phone;
    if (from.notes && *from.notes) {
        into.notes =
            *into.notes ? arena_sprintf(t->arena, "%s\n%s", into.notes, from.notes) : from.notes;
    }
    into.updated_at = t->now;
    int rc = ops->contact_update(t->c, &into);
    if (!rc) rc = ops->contact_merge(t->c, t->by->account_id, into.id, from.id, t->now);
    if (!rc)
        rc = desk_event(t->c, t->app, t->by, "contact.merged", "contact", into.id,
                        json_pack("{s:I, s:I, s:s}", "into", (json_int_t)into.id, "from",
                                  (json_int_t)from.id, "from_name", from.name));
    return rc;
}

int contact_merge(app_t *app, const actor_t *by, int64_t into, int64_t from, parley_err_t *err)
{
    if (into == from)
        return parley_errf(err, PARLEY_EINVAL, "/from", "a contact cannot be merged into itself");
    contact_ctx_t x = {.id = into, .from = from, .err = err};
    err->code = 0;
    int rc = desk_write(app, by, merge_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the contacts could not be merged");
    return rc;
}

char *fts_query_from(arena_t *a, const char *text, bool prefix)
{
    buf_t b;
    buf_init(&b, 4096);
    const char *p = text;
    int terms = 0;
    while (*p && terms < 16) {
        while (*p && !(isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)) p++;
        const char *s = p;
        while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '\'')) p++;
        if (p == s) break;
        if (terms++) buf_putc(&b, ' ');
        buf_putc(&b, '"');
        for (const char *q = s; q < p; q++)
            if (*q != '"') buf_putc(&b, *q);
        buf_putc(&b, '"');
        if (!*p && prefix) buf_putc(&b, '*'); /* the word being typed matches as a prefix */
    }
    char *out = terms && !b.overflow ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}

json_t *contact_to_json(const contact_row_t *c, const identity_row_t *ids, int n_ids)
{
    json_t *idents = json_array();
    for (int i = 0; i < n_ids; i++)
        json_array_append_new(
            idents, json_pack("{s:I, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)ids[i].id,
                              "channel", ids[i].channel, "external_id", ids[i].external_id,
                              "handle", ids[i].handle, "followers",
                              ids[i].followers >= 0 ? json_integer(ids[i].followers) : json_null(),
                              "verified", ids[i].verified));
    json_t *attr = json_loads(c->attributes ? c->attributes : "{}", 0, NULL);
    char created[32];
    clock_format_iso(c->created_at, created);
    return json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:o, s:o, s:o, s:s}", "id", (json_int_t)c->id,
                     "name", c->name ? c->name : "", "email", c->email, "phone", c->phone, "notes",
                     c->notes ? c->notes : "", "attributes", attr ? attr : json_object(),
                     "identities", idents, "merged_into",
                     c->merged_into ? json_integer(c->merged_into) : json_null(), "created_at",
                     created);
}
