/*
 * fuzz_email.c - libFuzzer target for the e-mail adapter's inbound side.
 *
 * Each input is a raw RFC 5322 message. It is parsed with fixed settings;
 * a parsed item must satisfy the ch_item_t contract with every string valid
 * UTF-8 (the desk stores it as JSON) and is answered through format_send, so
 * hostile ids, addresses and subjects also travel through the reply builder,
 * whose envelope lines must never carry a line break. Any violation aborts.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "core/crypto.h"

static json_t *settings;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (crypto_init() != 0) abort();
    settings = json_pack("{s:s,s:s,s:s}", "address", "support@acme.test", "smtp_url",
                         "smtp://127.0.0.1:2525", "from_name", "Acme Support");
    if (!settings || channel_email.validate_settings(settings, NULL) != 0) abort();
    return 0;
}

static void check_str(const char *s)
{
    if (s && !g_utf8_validate(s, -1, NULL)) abort();
}

static void check_item(const ch_item_t *it)
{
    if (it->kind != CH_ITEM_MESSAGE && it->kind != CH_ITEM_IGNORED) abort();
    if (!it->body || !it->external_id || !*it->external_id || !it->thread_id) abort();
    if (!it->author.external_id || !strchr(it->author.external_id, '@')) abort();
    if (it->is_public) abort();
    if (it->n_attachments < 0 || it->n_attachments > CH_MAX_ATTACHMENTS) abort();
    check_str(it->body);
    check_str(it->external_id);
    check_str(it->thread_id);
    check_str(it->in_reply_to);
    check_str(it->author.external_id);
    check_str(it->author.name);
    check_str(it->author.handle);
    check_str(it->subject);
    check_str(it->auth_results);
    if (it->subject && strpbrk(it->subject, "\r\n")) abort();
    if (it->author.name && strpbrk(it->author.name, "\r\n")) abort();
    for (int i = 0; i < it->n_attachments; i++) {
        if (!it->attachments[i].type || !it->attachments[i].url) abort();
        if (strncmp(it->attachments[i].url, "cid:", 4) != 0) abort();
        check_str(it->attachments[i].url);
        check_str(it->attachments[i].mime);
    }
}

static void answer(const ch_item_t *it, arena_t *a)
{
    ch_outbound_t m = {.recipient_id = it->author.external_id,
                       .thread_id = it->thread_id,
                       .reply_to_id = it->external_id,
                       .body = it->body,
                       .subject = it->subject};
    ch_http_call_t call;
    parley_err_t err;
    int rc = channel_email.format_send(settings, &m, a, &call, &err);
    if (rc == 0) {
        if (!call.method || !call.url || !call.body || !call.content_type) abort();
        if (call.n_headers != 3) abort();
        for (int i = 0; i < call.n_headers; i++)
            if (strpbrk(call.headers[i], "\r\n")) abort(); /* no envelope injection */
        for (const char *c = call.body; *c; c++)           /* lines end in CRLF */
            if (*c == '\n' && (c == call.body || c[-1] != '\r')) abort();
    } else if (rc != PARLEY_EINVAL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so ASan catches any read past the message */
    char *raw = malloc(size ? size : 1);
    if (!raw) return 0;
    if (size) memcpy(raw, data, size);
    ch_request_t req = {"MAIL", "", {raw, size}, NULL, NULL, NULL};
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t *out = malloc(sizeof *out);
    if (!out) abort();
    parley_err_t err;
    int rc = channel_email.parse(settings, &req, &a, out, &err);
    if (rc == 0) {
        if (out->n != 1) abort();
        check_item(&out->items[0]);
        answer(&out->items[0], &a);
    } else if (rc != PARLEY_EINVAL && rc != PARLEY_ELIMIT) {
        abort();
    } else if (out->n != 0) {
        abort();
    }
    free(out);
    arena_free(&a);
    free(raw);
    return 0;
}
