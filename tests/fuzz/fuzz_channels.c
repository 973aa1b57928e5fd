/*
 * fuzz_channels.c - libFuzzer target for the platform adapters' inbound side.
 *
 * The first byte picks the adapter, the rest is the raw webhook body. Each
 * input is verified (with a wrong and with no signature, both must fail),
 * parsed with fixed settings, and every parsed item is checked against the
 * ch_item_t contract and answered through format_send, so hostile strings
 * also travel through the outbound builders. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "core/crypto.h"

static const channel_ops_t *const chans[] = {
    &channel_messenger, &channel_instagram, &channel_whatsapp, &channel_twilio_sms,
    &channel_telegram,  &channel_x,         &channel_api,
};
#define N_CHANS (sizeof chans / sizeof chans[0])

static json_t *settings[N_CHANS];

static const char *no_header(void *ctx, const char *name)
{
    return NULL;
}

static const char *bad_header(void *ctx, const char *name)
{
    return "sha256=0000000000000000000000000000000000000000000000000000000000000000";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (crypto_init() != 0) abort();
    settings[0] = json_pack("{s:s,s:s,s:s,s:s}", "page_id", "104857600000001", "app_secret", "s",
                            "verify_token", "v", "page_access_token", "t");
    settings[1] = json_pack("{s:s,s:s,s:s,s:s}", "ig_id", "17841400000000001", "app_secret", "s",
                            "verify_token", "v", "access_token", "t");
    settings[2] = json_pack("{s:s,s:s,s:s,s:s}", "phone_number_id", "106540352242922", "app_secret",
                            "s", "verify_token", "v", "access_token", "t");
    settings[3] = json_pack("{s:s,s:s,s:s,s:s}", "account_sid", "AC1", "auth_token", "s", "from",
                            "+1", "webhook_url", "https://desk.example.com/w");
    settings[4] = json_pack("{s:s,s:s}", "bot_token", "1:A", "secret_token", "s");
    settings[5] = json_pack("{s:s,s:s,s:s}", "user_id", "4337869213", "consumer_secret", "s",
                            "access_token", "t");
    settings[6] = json_pack("{s:s,s:s}", "hmac_secret", "s", "outbound_url", "https://x/hook");
    for (size_t i = 0; i < N_CHANS; i++)
        if (!settings[i] || chans[i]->validate_settings(settings[i], NULL) != 0) abort();
    return 0;
}

static void check_str(const char *s)
{
    if (s) (void)strlen(s); /* ASan catches a dangling or unterminated string */
}

static void check_item(const ch_item_t *it)
{
    if ((int)it->kind < CH_ITEM_MESSAGE || it->kind > CH_ITEM_IGNORED) abort();
    if (!it->body) abort();
    if (it->n_attachments < 0 || it->n_attachments > CH_MAX_ATTACHMENTS) abort();
    if (it->kind == CH_ITEM_RECEIPT && !it->receipt_status) abort();
    if (it->kind == CH_ITEM_REACTION && !it->reaction) abort();
    if (it->kind != CH_ITEM_IGNORED && it->kind != CH_ITEM_RECEIPT && !it->external_id) abort();
    check_str(it->external_id);
    check_str(it->thread_id);
    check_str(it->in_reply_to);
    check_str(it->author.external_id);
    check_str(it->author.name);
    check_str(it->author.handle);
    check_str(it->receipt_for);
    for (int i = 0; i < it->n_attachments; i++) {
        if (!it->attachments[i].type || !it->attachments[i].url) abort();
        check_str(it->attachments[i].url);
        check_str(it->attachments[i].mime);
    }
}

static void answer(size_t c, const ch_item_t *it, arena_t *a)
{
    ch_outbound_t m = {.recipient_id = it->author.external_id,
                       .thread_id = it->thread_id,
                       .reply_to_id = it->external_id,
                       .is_public = it->is_public,
                       .body = it->body,
                       .attachment_url = it->n_attachments ? it->attachments[0].url : NULL};
    ch_http_call_t call;
    parley_err_t err;
    int rc = chans[c]->format_send(settings[c], &m, a, &call, &err);
    if (rc == 0) {
        if (!call.method || !call.url || !call.body || !call.content_type) abort();
        if (call.n_headers < 0 || call.n_headers > CH_MAX_HEADERS) abort();
        for (int i = 0; i < call.n_headers; i++)
            if (strpbrk(call.headers[i], "\r\n")) abort(); /* no header injection */
    } else if (rc != PARLEY_EINVAL && rc != PARLEY_ENOENT) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t c = data[0] % N_CHANS;
    /* an exact-size copy so ASan catches any read past the body */
    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    if (!body) return 0;
    if (len) memcpy(body, data + 1, len);

    ch_request_t req = {"POST", "https://desk.example.com/w", {body, len}, bad_header, NULL, NULL};
    parley_err_t err;
    if (chans[c]->verify(settings[c], &req, &err) != PARLEY_EAUTH) abort();
    req.header = no_header;
    if (chans[c]->verify(settings[c], &req, &err) != PARLEY_EAUTH) abort();

    arena_t a;
    arena_init(&a, 0);
    ch_batch_t *out = malloc(sizeof *out);
    if (!out) abort();
    int rc = chans[c]->parse(settings[c], &req, &a, out, &err);
    if (rc == 0) {
        if (out->n < 0 || out->n > CH_MAX_ITEMS || out->unhandled < 0) abort();
        for (int i = 0; i < out->n; i++) {
            check_item(&out->items[i]);
            answer(c, &out->items[i], &a);
        }
    } else if (rc != PARLEY_EINVAL && rc != PARLEY_ELIMIT) {
        abort();
    }
    free(out);
    arena_free(&a);
    free(body);
    return 0;
}
