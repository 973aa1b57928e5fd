/*
 * event_hash.c - the canonical form of an event row and its chained hash.
 *
 * Shared by every back end and by `parley audit verify`: the chain is only
 * tamper-evident if writer and verifier agree byte for byte on what is hashed.
 */
#include "store/store.h"

#include "core/crypto.h"
#include "core/log.h"

#include <string.h>

void store_event_canonical(const event_row_t *e, buf_t *out)
{
    /* A compact JSON array of every column but the hashes, payload as a string. */
    buf_printf(out, "[%lld,%lld,%lld,", (long long)e->id, (long long)e->account_id,
               (long long)e->at);
    json_escape_to(out, e->actor_kind, strlen(e->actor_kind));
    buf_printf(out, ",%lld,", (long long)e->actor_id);
    json_escape_to(out, e->type, strlen(e->type));
    buf_putc(out, ',');
    json_escape_to(out, e->subject_kind, strlen(e->subject_kind));
    buf_printf(out, ",%lld,", (long long)e->subject_id);
    json_escape_to(out, e->payload, strlen(e->payload));
    buf_putc(out, ']');
}

void store_event_hash(const event_row_t *e, char out[65])
{
    buf_t b;
    buf_init(&b, 0);
    buf_append(&b, e->prev_hash, strlen(e->prev_hash));
    store_event_canonical(e, &b);
    crypto_sha256_hex(b.ptr, b.len, out);
    buf_free(&b);
}
