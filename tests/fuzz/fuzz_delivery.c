/*
 * fuzz_delivery.c - libFuzzer target for what the delivery worker reads from
 * outside: the platforms' answers to a send (every adapter's
 * parse_send_result, under every kind of status), Twilio's message list read
 * before a resend (parse_lookup), and the delivery's own
 * inbox settings (rate_per_second, rate_burst: delivery_validate_settings
 * and the limit they give). The first byte picks the adapter, the second
 * the status; the rest is the answer body, also tried as settings JSON.
 * Any violation of the contract aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "desk/delivery.h"
#include "desk/delivery_internal.h"

static const channel_ops_t *const chans[] = {
    &channel_messenger, &channel_instagram, &channel_whatsapp, &channel_twilio_sms,
    &channel_telegram,  &channel_x,         &channel_api,      &channel_email,
};
#define N_CHANS (sizeof chans / sizeof chans[0])

static const long statuses[] = {200, 201, 202, 204, 250, 301, 400, 401, 403, 404,
                                409, 429, 451, 500, 502, 503, 550, 554, 0,   999};
#define N_STATUSES (sizeof statuses / sizeof statuses[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    const channel_ops_t *ch = chans[data[0] % N_CHANS];
    long status = statuses[data[1] % N_STATUSES];
    char *body = malloc(size - 2 + 1);
    memcpy(body, data + 2, size - 2);
    body[size - 2] = 0;

    char ext[64];
    memset(ext, 'x', sizeof ext);
    bool retry = false;
    parley_err_t err = {0};
    int rc = ch->parse_send_result(status, body, size - 2, ext, sizeof ext, &retry, &err);
    if (rc == 0) {
        if (!memchr(ext, 0, sizeof ext)) abort(); /* the id always fits, terminated */
    } else {
        if (!memchr(err.msg, 0, sizeof err.msg)) abort();
    }

    if (ch->parse_lookup) {
        /* the platform's list of our sends, read before a resend */
        ch_outbound_t msg = {.recipient_id = "+14155550100", .body = "Your refund is on its way."};
        memset(ext, 'x', sizeof ext);
        memset(&err, 0, sizeof err);
        rc = ch->parse_lookup(status, body, size - 2, &msg, 1764000000000, ext, sizeof ext, &err);
        if (rc == 0 && !memchr(ext, 0, sizeof ext)) abort();
        if (rc != 0 && rc != PARLEY_ENOENT && rc != PARLEY_EIO) abort();
    }

    json_t *settings = json_loadb(body, size - 2, JSON_DECODE_ANY, NULL);
    if (json_is_object(settings)) {
        parley_err_t e = {0};
        rc = delivery_validate_settings(ch, settings, &e);
        double rate, burst;
        delivery__limit(ch->name, settings, &rate, &burst);
        if (burst < 1) abort();
        if (rc == 0 && json_object_get(settings, "rate_per_second") && !(rate >= 0.001))
            abort(); /* an accepted limit is a usable one */
    }
    json_decref(settings);
    free(body);
    return 0;
}
