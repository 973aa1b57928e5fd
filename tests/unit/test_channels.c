/*
 * test_channels.c - unit tests for the platform adapters (src/channels/).
 *
 * Uses the signed samples in tests/data/webhooks (path in argv[1]): each is
 * verified with its secret, with a flipped body byte, a wrong secret and no
 * header; parsed into exact neutral fields; then handshakes, outbound calls,
 * answers, malformed payloads and unknown events per platform, and the form
 * decoder Twilio relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/form.h"
#include "core/crypto.h"

static const char *data_dir;

/* ---- a fake HTTP request ---- */

typedef struct {
    const char *hname[4], *hval[4];
    const char *qname[4], *qval[4];
    int nh, nq;
} fake_t;

static const char *fake_header(void *ctx, const char *name)
{
    fake_t *f = ctx;
    for (int i = 0; i < f->nh; i++)
        if (strcasecmp(f->hname[i], name) == 0) return f->hval[i];
    return NULL;
}

static const char *fake_query(void *ctx, const char *name)
{
    fake_t *f = ctx;
    for (int i = 0; i < f->nq; i++)
        if (strcmp(f->qname[i], name) == 0) return f->qval[i];
    return NULL;
}

static ch_request_t request(fake_t *f, const char *method, const char *body, size_t len)
{
    return (ch_request_t){
        method, "https://desk.example.com/webhooks/x", {body, len}, fake_header, fake_query, f};
}

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    p[n] = '\0';
    if (len) *len = (size_t)n;
    return p;
}

/* A one-line file without its newline (signatures, URLs, secrets). */
static char *slurp_line(const char *name)
{
    char *p = slurp(name, NULL);
    p[strcspn(p, "\r\n")] = '\0';
    return p;
}

/* ---- settings per platform ---- */

static json_t *settings_for(const channel_ops_t *ch, const char *secret)
{
    if (ch == &channel_messenger)
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "page_id", "104857600000001", "app_secret",
                         secret, "verify_token", "vt-123", "page_access_token", "PAGE TOKEN",
                         "api_base_url", "http://127.0.0.1:9/");
    if (ch == &channel_instagram)
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "ig_id", "17841400000000001", "app_secret",
                         secret, "verify_token", "vt-123", "access_token", "IGTOKEN",
                         "api_base_url", "http://127.0.0.1:9");
    if (ch == &channel_whatsapp)
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "phone_number_id", "106540352242922",
                         "app_secret", secret, "verify_token", "vt-123", "access_token", "WATOKEN",
                         "api_base_url", "http://127.0.0.1:9");
    if (ch == &channel_twilio_sms)
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "account_sid", "AC123", "auth_token", secret,
                         "from", "+14155550199", "webhook_url",
                         "https://desk.example.com/webhooks/twilio/inb_sms1", "api_base_url",
                         "http://127.0.0.1:9");
    if (ch == &channel_telegram)
        return json_pack("{s:s,s:s,s:s}", "bot_token", "123:ABC", "secret_token", secret,
                         "api_base_url", "http://127.0.0.1:9");
    if (ch == &channel_x)
        return json_pack("{s:s,s:s,s:s,s:s}", "user_id", "4337869213", "consumer_secret", secret,
                         "access_token", "XTOKEN", "api_base_url", "http://127.0.0.1:9");
    return json_pack("{s:s,s:s}", "hmac_secret", secret, "outbound_url", "http://127.0.0.1:9/hook");
}

#define META_SECRET   "test-app-secret"
#define TWILIO_SECRET "test-twilio-auth-token"
#define TG_SECRET     "test-telegram-secret"
#define X_SECRET      "test-x-consumer-secret"

/* ---- signed samples ---- */

typedef struct {
    const channel_ops_t *ch;
    const char *body_file, *sig_file, *header, *secret;
} sample_t;

static const sample_t samples[] = {
    {&channel_messenger, "messenger_message.json", "messenger_message.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_messenger, "messenger_delivery.json", "messenger_delivery.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_messenger, "facebook_feed_comment.json", "facebook_feed_comment.sig",
     "X-Hub-Signature-256", META_SECRET},
    {&channel_instagram, "instagram_message.json", "instagram_message.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_instagram, "instagram_comment.json", "instagram_comment.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_whatsapp, "whatsapp_message.json", "whatsapp_message.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_whatsapp, "whatsapp_status.json", "whatsapp_status.sig", "X-Hub-Signature-256",
     META_SECRET},
    {&channel_twilio_sms, "twilio_sms.form", "twilio_sms.sig", "X-Twilio-Signature", TWILIO_SECRET},
    {&channel_telegram, "telegram_message.json", "telegram_message.secret",
     "X-Telegram-Bot-Api-Secret-Token", TG_SECRET},
    {&channel_x, "x_direct_message.json", "x_direct_message.sig", "x-twitter-webhooks-signature",
     X_SECRET},
    {&channel_x, "x_mention.json", "x_mention.sig", "x-twitter-webhooks-signature", X_SECRET},
};

static int verify_with(const sample_t *s, const char *body, size_t len, const char *sig,
                       const char *secret)
{
    fake_t f = {.nh = sig ? 1 : 0};
    f.hname[0] = s->header;
    f.hval[0] = sig;
    ch_request_t req = request(&f, "POST", body, len);
    json_t *st = settings_for(s->ch, secret);
    parley_err_t err = {0};
    int rc = s->ch->verify(st, &req, &err);
    if (rc) assert_true(strstr(err.msg, secret) == NULL); /* never leak the secret */
    json_decref(st);
    return rc;
}

static void test_verify_samples(void **state)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const sample_t *s = &samples[i];
        size_t len;
        char *body = slurp(s->body_file, &len);
        char *sig = slurp_line(s->sig_file);
        assert_int_equal(verify_with(s, body, len, sig, s->secret), 0);
        assert_int_equal(verify_with(s, body, len, sig, "wrong-secret"), PARLEY_EAUTH);
        assert_int_equal(verify_with(s, body, len, NULL, s->secret), PARLEY_EAUTH);
        assert_int_equal(verify_with(s, body, len, "", s->secret), PARLEY_EAUTH);
        if (s->ch != &channel_telegram) { /* Telegram's token does not cover the body */
            body[len / 2] ^= 0x01;
            assert_int_equal(verify_with(s, body, len, sig, s->secret), PARLEY_EAUTH);
            body[len / 2] ^= 0x01;
            assert_int_equal(verify_with(s, body, len - 1, sig, s->secret), PARLEY_EAUTH);
        }
        free(sig);
        free(body);
    }
}

/* Twilio signs the URL too: another URL must fail, and a '+' decoded as a
 * space (not kept) is what the sample's signature covers. */
static void test_verify_twilio_url_and_decoding(void **state)
{
    size_t len;
    char *body = slurp("twilio_sms.form", &len);
    char *sig = slurp_line("twilio_sms.sig");
    char *url = slurp_line("twilio_sms.url");
    fake_t f = {.nh = 1, .hname = {"X-Twilio-Signature"}, .hval = {sig}};
    ch_request_t req = request(&f, "POST", body, len);
    json_t *st = json_pack("{s:s,s:s,s:s,s:s}", "account_sid", "AC1", "auth_token", TWILIO_SECRET,
                           "from", "+1", "webhook_url", url);
    assert_int_equal(channel_twilio_sms.verify(st, &req, NULL), 0);
    json_object_set_new(st, "webhook_url", json_string("https://desk.example.com/other"));
    assert_int_equal(channel_twilio_sms.verify(st, &req, NULL), PARLEY_EAUTH);
    /* without the setting, the URL the HTTP layer saw is used */
    json_object_del(st, "webhook_url");
    req.url = url;
    assert_int_equal(channel_twilio_sms.verify(st, &req, NULL), 0);
    json_decref(st);
    free(url);
    free(sig);
    free(body);
}

/* ---- parsing the samples ---- */

static int parse_file(const channel_ops_t *ch, const char *file, arena_t *a, ch_batch_t *out)
{
    size_t len;
    char *body = slurp(file, &len);
    char *copy = arena_strndup(a, body, len);
    free(body);
    fake_t f = {0};
    ch_request_t req = request(&f, "POST", copy, len);
    json_t *st = settings_for(ch, "s");
    parley_err_t err = {0};
    int rc = ch->parse(st, &req, a, out, &err);
    json_decref(st);
    return rc;
}

static int parse_text(const channel_ops_t *ch, const char *body, arena_t *a, ch_batch_t *out,
                      parley_err_t *err)
{
    fake_t f = {0};
    ch_request_t req = request(&f, "POST", body, strlen(body));
    json_t *st = settings_for(ch, "s");
    int rc = ch->parse(st, &req, a, out, err);
    json_decref(st);
    return rc;
}

#define assert_str(a, b) assert_string_equal((a) ? (a) : "(null)", (b) ? (b) : "(null)")

static void test_parse_messenger(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_messenger, "messenger_message.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.unhandled, 0);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "m_AbCdEf123");
    assert_str(it->thread_id, "7001002003004005");
    assert_str(it->author.external_id, "7001002003004005");
    assert_false(it->is_public);
    assert_str(it->body, "Hi, my order #48213 never arrived 😡");
    assert_int_equal(it->at_ms, 1764000000000LL);
    assert_int_equal(it->author.followers, -1);
    assert_int_equal(it->n_attachments, 0);
    assert_null(it->in_reply_to);

    assert_int_equal(parse_file(&channel_messenger, "messenger_delivery.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_RECEIPT);
    assert_str(it->receipt_status, "delivered");
    assert_str(it->receipt_for, "m_Reply0001");
    assert_str(it->thread_id, "7001002003004005");
    assert_str(it->external_id, "delivered:m_Reply0001");

    assert_int_equal(parse_file(&channel_messenger, "facebook_feed_comment.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_true(it->is_public);
    assert_str(it->external_id, "104857600000001_900_901");
    assert_str(it->thread_id, "104857600000001_900");
    assert_str(it->in_reply_to, "104857600000001_900");
    assert_str(it->author.external_id, "7001002003009999");
    assert_str(it->author.name, "Lloyd P");
    assert_str(it->body, "Your site suggested a 413786 hour layover in Bangkok lol");
    assert_int_equal(it->at_ms, 1764000199000LL);
    arena_free(&a);
}

static void test_parse_instagram(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_instagram, "instagram_message.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "aWdfZAG1faXRlbTo");
    assert_str(it->thread_id, "5550001112223334");
    assert_str(it->author.external_id, "5550001112223334");
    assert_false(it->is_public);
    assert_str(it->body, "Do you ship to Canada?");
    assert_int_equal(it->at_ms, 1764000300000LL);

    assert_int_equal(parse_file(&channel_instagram, "instagram_comment.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_true(it->is_public);
    assert_str(it->external_id, "17865799348089039");
    assert_str(it->thread_id, "17887498072083520");
    assert_null(it->in_reply_to);
    assert_str(it->author.external_id, "5550001112229999");
    assert_str(it->author.handle, "@happy_customer");
    assert_str(it->body, "Love the new colours!");
    assert_int_equal(it->at_ms, 1764000400000LL);
    arena_free(&a);
}

static void test_parse_whatsapp(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_whatsapp, "whatsapp_message.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    assert_str(it->thread_id, "16505551234");
    assert_false(it->is_public);
    assert_str(it->author.external_id, "16505551234");
    assert_str(it->author.name, "Sheena Nelson");
    assert_str(it->author.handle, "+16505551234");
    assert_str(it->body, "My card 4111 1111 1111 1111 was charged twice");
    assert_int_equal(it->at_ms, 1764000500000LL);

    assert_int_equal(parse_file(&channel_whatsapp, "whatsapp_status.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_RECEIPT);
    assert_str(it->receipt_status, "delivered");
    assert_str(it->receipt_for, "wamid.REPLY0001");
    assert_str(it->thread_id, "16505551234");
    assert_int_equal(it->at_ms, 1764000600000LL);
    arena_free(&a);
}

static void test_parse_twilio(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_twilio_sms, "twilio_sms.form", &a, &b), 0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
    assert_str(it->thread_id, "+14155550100");
    assert_str(it->author.external_id, "+14155550100");
    assert_str(it->author.handle, "+14155550100");
    assert_false(it->is_public);
    assert_str(it->body, "Is the store on Main Street open on Sundays?");
    assert_int_equal(it->n_attachments, 0);
    arena_free(&a);
}

static void test_parse_telegram(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_telegram, "telegram_message.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "123456789:4411");
    assert_str(it->thread_id, "123456789");
    assert_str(it->author.external_id, "123456789");
    assert_str(it->author.name, "Ana");
    assert_str(it->author.handle, "@ana_k");
    assert_false(it->is_public);
    assert_str(it->body, "Can't log in since the update");
    assert_int_equal(it->at_ms, 1764000700000LL);
    arena_free(&a);
}

static void test_parse_x(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(parse_file(&channel_x, "x_direct_message.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_str(it->external_id, "954491830116155396");
    assert_str(it->thread_id, "3001969357");
    assert_false(it->is_public);
    assert_str(it->author.external_id, "3001969357");
    assert_str(it->author.name, "Jordan");
    assert_str(it->author.handle, "@jordan_b");
    assert_int_equal(it->author.followers, 76000);
    assert_false(it->author.verified);
    assert_str(it->body, "Still waiting for my refund after 3 weeks");
    assert_int_equal(it->at_ms, 1764000800000LL);

    assert_int_equal(parse_file(&channel_x, "x_mention.json", &a, &b), 0);
    assert_int_equal(b.n, 1);
    it = &b.items[0];
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_true(it->is_public);
    assert_str(it->external_id, "1861000000000000001");
    assert_str(it->thread_id, "1861000000000000001");
    assert_null(it->in_reply_to);
    assert_str(it->author.external_id, "3001969358");
    assert_str(it->author.handle, "@hsyed");
    assert_str(it->author.name, "Hassan");
    assert_int_equal(it->author.followers, 76000);
    assert_str(it->body, "@SkyWaysAir lost my dad's suitcase and nobody has replied in 8 hours");
    /* Tue 24 Nov 2026 10:00:00 UTC */
    assert_int_equal(it->at_ms, 1795514400000LL);
    arena_free(&a);
}

/* ---- synthetic events beyond the samples ---- */

#define MSGR_ENTRY(ev)                                                                             \
    "{\"object\":\"page\",\"entry\":[{\"id\":\"104857600000001\",\"time\":1,\"messaging\":[" ev    \
    "]}]}"
#define MSGR_FROM "\"sender\":{\"id\":\"700\"},\"recipient\":{\"id\":\"104857600000001\"},"

static void test_parse_messenger_events(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    const char *body = MSGR_ENTRY(
        "{" MSGR_FROM "\"timestamp\":1764000000000,\"message\":{\"mid\":\"m1\",\"text\":\"pic\","
        "\"reply_to\":{\"mid\":\"m0\"},\"attachments\":[{\"type\":\"image\",\"payload\":{\"url\":"
        "\"https://cdn/x.jpg\"}},{\"type\":\"file\",\"payload\":{\"url\":\"https://cdn/"
        "y.pdf\"}}]}},"
        "{\"sender\":{\"id\":\"104857600000001\"},\"recipient\":{\"id\":\"700\"},\"timestamp\":2,"
        "\"message\":{\"mid\":\"m2\",\"is_echo\":true,\"text\":\"ours\"}},"
        "{" MSGR_FROM "\"timestamp\":3,\"message_edit\":{\"mid\":\"m1\",\"text\":\"pic!\","
        "\"num_edit\":1}},"
        "{" MSGR_FROM "\"timestamp\":4,\"reaction\":{\"mid\":\"m9\",\"action\":\"react\","
        "\"reaction\":\"love\",\"emoji\":\"❤️\"}},"
        "{" MSGR_FROM "\"timestamp\":5,\"read\":{\"watermark\":1764000099000}},"
        "{" MSGR_FROM "\"timestamp\":6,\"postback\":{\"title\":\"Start\",\"payload\":\"GO\"}}");
    assert_int_equal(parse_text(&channel_messenger, body, &a, &b, NULL), 0);
    assert_int_equal(b.n, 5);
    assert_int_equal(b.unhandled, 1);
    ch_item_t *it = b.items;
    assert_int_equal(it[0].kind, CH_ITEM_MESSAGE);
    assert_str(it[0].in_reply_to, "m0");
    assert_int_equal(it[0].n_attachments, 2);
    assert_str(it[0].attachments[0].type, "image");
    assert_str(it[0].attachments[0].url, "https://cdn/x.jpg");
    assert_str(it[0].attachments[1].type, "file");
    assert_int_equal(it[1].kind, CH_ITEM_IGNORED);
    assert_str(it[1].external_id, "m2");
    assert_str(it[1].thread_id, "700");
    assert_int_equal(it[2].kind, CH_ITEM_EDIT);
    assert_str(it[2].external_id, "m1");
    assert_str(it[2].body, "pic!");
    assert_int_equal(it[3].kind, CH_ITEM_REACTION);
    assert_str(it[3].in_reply_to, "m9");
    assert_str(it[3].reaction, "❤️");
    assert_int_equal(it[4].kind, CH_ITEM_RECEIPT);
    assert_str(it[4].receipt_status, "read");
    assert_null(it[4].receipt_for);
    assert_int_equal(it[4].receipt_watermark_ms, 1764000099000LL);

    /* the page's own comment is ignored; edits and other feed items */
    body = "{\"object\":\"page\",\"entry\":[{\"id\":\"104857600000001\",\"changes\":["
           "{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\",\"comment_id\":"
           "\"c2\",\"post_id\":\"p\",\"parent_id\":\"c1\",\"from\":{\"id\":\"104857600000001\"},"
           "\"message\":\"thanks\"}},"
           "{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"edited\",\"comment_id\":"
           "\"c1\",\"post_id\":\"p\",\"from\":{\"id\":\"9\"},\"message\":\"fixed\"}},"
           "{\"field\":\"feed\",\"value\":{\"item\":\"reaction\",\"verb\":\"add\"}},"
           "{\"field\":\"mention\",\"value\":{}}]},"
           "{\"id\":\"another-page\",\"messaging\":[]}]}";
    assert_int_equal(parse_text(&channel_messenger, body, &a, &b, NULL), 0);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.unhandled, 3);
    assert_int_equal(b.items[0].kind, CH_ITEM_IGNORED);
    assert_int_equal(b.items[1].kind, CH_ITEM_EDIT);
    assert_str(b.items[1].external_id, "c1");
    assert_str(b.items[1].body, "fixed");
    arena_free(&a);
}

static void test_parse_whatsapp_events(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    const char *body =
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{"
        "\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":\"106540352242922\"},"
        "\"messages\":["
        "{\"from\":\"44\",\"id\":\"w1\",\"timestamp\":\"1\",\"type\":\"image\",\"image\":{\"id\":"
        "\"MEDIA1\",\"mime_type\":\"image/jpeg\",\"caption\":\"broken\"},\"context\":{\"id\":"
        "\"w0\"}},"
        "{\"from\":\"44\",\"id\":\"w2\",\"timestamp\":\"2\",\"type\":\"location\",\"location\":{"
        "\"latitude\":51.5,\"longitude\":-0.12,\"name\":\"Shop\"}},"
        "{\"from\":\"44\",\"id\":\"w3\",\"timestamp\":\"3\",\"type\":\"reaction\",\"reaction\":{"
        "\"message_id\":\"wamid.OURS\",\"emoji\":\"👍\"}},"
        "{\"from\":\"44\",\"id\":\"w4\",\"timestamp\":\"4\",\"type\":\"interactive\","
        "\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"b\",\"title\":"
        "\"Yes\"}}},"
        "{\"from\":\"44\",\"id\":\"w5\",\"timestamp\":\"5\",\"type\":\"unsupported\"}],"
        "\"statuses\":[{\"id\":\"wamid.R\",\"status\":\"failed\",\"timestamp\":\"6\","
        "\"recipient_id\":\"44\"},{\"id\":\"wamid.R\",\"status\":\"deleted\"}]}},"
        "{\"field\":\"account_update\",\"value\":{}}]}]}";
    assert_int_equal(parse_text(&channel_whatsapp, body, &a, &b, NULL), 0);
    assert_int_equal(b.n, 5);
    assert_int_equal(b.unhandled, 3);
    ch_item_t *it = b.items;
    assert_str(it[0].body, "broken");
    assert_str(it[0].in_reply_to, "w0");
    assert_int_equal(it[0].n_attachments, 1);
    assert_str(it[0].attachments[0].type, "image");
    assert_str(it[0].attachments[0].url, "wa-media:MEDIA1");
    assert_str(it[0].attachments[0].mime, "image/jpeg");
    assert_null(it[0].author.name);
    assert_str(it[1].attachments[0].type, "location");
    assert_str(it[1].attachments[0].url, "geo:51.500000,-0.120000");
    assert_str(it[1].body, "Shop");
    assert_int_equal(it[2].kind, CH_ITEM_REACTION);
    assert_str(it[2].in_reply_to, "wamid.OURS");
    assert_str(it[2].reaction, "👍");
    assert_str(it[3].body, "Yes");
    assert_int_equal(it[4].kind, CH_ITEM_RECEIPT);
    assert_str(it[4].receipt_status, "failed");
    arena_free(&a);
}

static void test_parse_twilio_events(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    const char *mms =
        "MessageSid=MM1&From=%2B4477&To=%2B1&Body=&NumMedia=2"
        "&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm0&MediaContentType0=image%2Fpng"
        "&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm1&MediaContentType1=application%2Fpdf";
    assert_int_equal(parse_text(&channel_twilio_sms, mms, &a, &b, NULL), 0);
    assert_int_equal(b.n, 1);
    assert_str(b.items[0].body, "");
    assert_int_equal(b.items[0].n_attachments, 2);
    assert_str(b.items[0].attachments[0].type, "image");
    assert_str(b.items[0].attachments[0].url, "https://api.twilio.com/m0");
    assert_str(b.items[0].attachments[1].type, "file");
    assert_str(b.items[0].attachments[1].mime, "application/pdf");

    const char *st = "SmsSid=SM9&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B4477"
                     "&MessageSid=SM9&ErrorCode=30003";
    assert_int_equal(parse_text(&channel_twilio_sms, st, &a, &b, NULL), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.items[0].kind, CH_ITEM_RECEIPT);
    assert_str(b.items[0].receipt_status, "failed");
    assert_str(b.items[0].receipt_for, "SM9");
    assert_str(b.items[0].thread_id, "+4477");

    assert_int_equal(
        parse_text(&channel_twilio_sms, "SmsSid=SM8&MessageStatus=queued", &a, &b, NULL), 0);
    assert_int_equal(b.items[0].kind, CH_ITEM_IGNORED);
    arena_free(&a);
}

static void test_parse_telegram_events(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    assert_int_equal(
        parse_text(&channel_telegram,
                   "{\"update_id\":1,\"edited_message\":{\"message_id\":7,\"chat\":{\"id\":-100},"
                   "\"from\":{\"id\":5,\"first_name\":\"A\",\"last_name\":\"B\"},\"date\":10,"
                   "\"edit_date\":20,\"text\":\"new\",\"reply_to_message\":{\"message_id\":6,"
                   "\"chat\":{\"id\":-100},\"date\":1}}}",
                   &a, &b, NULL),
        0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.items[0].kind, CH_ITEM_EDIT);
    assert_str(b.items[0].external_id, "-100:7");
    assert_str(b.items[0].in_reply_to, "-100:6");
    assert_str(b.items[0].author.name, "A B");
    assert_int_equal(b.items[0].at_ms, 20000);

    assert_int_equal(
        parse_text(
            &channel_telegram,
            "{\"update_id\":2,\"message\":{\"message_id\":8,\"chat\":{\"id\":5},\"date\":1,"
            "\"caption\":\"see\",\"photo\":[{\"file_id\":\"small\"},{\"file_id\":\"big\"}]}}",
            &a, &b, NULL),
        0);
    assert_str(b.items[0].body, "see");
    assert_int_equal(b.items[0].n_attachments, 1);
    assert_str(b.items[0].attachments[0].url, "tg-file:big");

    assert_int_equal(
        parse_text(&channel_telegram,
                   "{\"update_id\":3,\"message_reaction\":{\"chat\":{\"id\":5},\"message_id\":8,"
                   "\"user\":{\"id\":5,\"first_name\":\"A\"},\"date\":9,\"old_reaction\":[],"
                   "\"new_reaction\":[{\"type\":\"emoji\",\"emoji\":\"🔥\"}]}}",
                   &a, &b, NULL),
        0);
    assert_int_equal(b.items[0].kind, CH_ITEM_REACTION);
    assert_str(b.items[0].in_reply_to, "5:8");
    assert_str(b.items[0].reaction, "🔥");

    assert_int_equal(parse_text(&channel_telegram,
                                "{\"update_id\":4,\"channel_post\":{\"message_id\":1,\"chat\":{"
                                "\"id\":-1},\"date\":1,\"text\":\"news\"}}",
                                &a, &b, NULL),
                     0);
    assert_int_equal(b.items[0].kind, CH_ITEM_IGNORED);
    /* a service message (someone joined) carries nothing for the desk */
    assert_int_equal(parse_text(&channel_telegram,
                                "{\"update_id\":5,\"message\":{\"message_id\":2,\"chat\":{\"id\":"
                                "-1},\"date\":1,\"new_chat_members\":[]}}",
                                &a, &b, NULL),
                     0);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.unhandled, 1);
    arena_free(&a);
}

static void test_parse_x_events(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    const char *body =
        "{\"for_user_id\":\"4337869213\",\"tweet_create_events\":["
        "{\"id_str\":\"2\",\"text\":\"short\",\"extended_tweet\":{\"full_text\":\"long text\"},"
        "\"in_reply_to_status_id_str\":\"1\",\"timestamp_ms\":\"1764000900000\",\"user\":{"
        "\"id_str\":\"9\",\"screen_name\":\"v\",\"verified\":true,\"followers_count\":5}},"
        "{\"id_str\":\"3\",\"text\":\"ours\",\"user\":{\"id_str\":\"4337869213\"}}],"
        "\"direct_message_events\":[{\"type\":\"message_create\",\"id\":\"d1\","
        "\"message_create\":{\"target\":{\"recipient_id\":\"9\"},\"sender_id\":\"4337869213\","
        "\"message_data\":{\"text\":\"hi\"}}}],"
        "\"direct_message_mark_read_events\":[{\"created_timestamp\":\"1764000901000\","
        "\"sender_id\":\"9\",\"target\":{\"recipient_id\":\"4337869213\"},"
        "\"last_read_event_id\":\"d1\"}],"
        "\"favorite_events\":[{},{}],\"follow_events\":[{}]}";
    assert_int_equal(parse_text(&channel_x, body, &a, &b, NULL), 0);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.unhandled, 3);
    ch_item_t *it = b.items;
    assert_int_equal(it[0].kind, CH_ITEM_MESSAGE);
    assert_str(it[0].body, "long text");
    assert_str(it[0].thread_id, "1");
    assert_str(it[0].in_reply_to, "1");
    assert_true(it[0].author.verified);
    assert_int_equal(it[0].at_ms, 1764000900000LL);
    assert_int_equal(it[1].kind, CH_ITEM_IGNORED);
    assert_int_equal(it[2].kind, CH_ITEM_IGNORED);
    assert_str(it[2].thread_id, "9");
    assert_int_equal(it[3].kind, CH_ITEM_RECEIPT);
    assert_str(it[3].receipt_for, "d1");
    assert_str(it[3].receipt_status, "read");
    arena_free(&a);
}

static void test_parse_api(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_batch_t b;
    parley_err_t err = {0};
    assert_int_equal(
        parse_text(
            &channel_api,
            "{\"id\":\"e1\",\"contact\":{\"id\":\"c1\",\"name\":\"Kim\",\"handle\":\"kim@x\","
            "\"followers\":12},\"body\":\"hello\",\"visibility\":\"public\","
            "\"thread_id\":\"t1\"}",
            &a, &b, &err),
        0);
    assert_int_equal(b.n, 1);
    ch_item_t *it = b.items;
    assert_str(it->external_id, "e1");
    assert_str(it->thread_id, "t1");
    assert_true(it->is_public);
    assert_str(it->body, "hello");
    assert_str(it->author.external_id, "c1");
    assert_str(it->author.name, "Kim");
    assert_str(it->author.handle, "kim@x");
    assert_int_equal(it->author.followers, 12);
    /* defaults: private, thread = contact */
    assert_int_equal(parse_text(&channel_api,
                                "{\"id\":\"e2\",\"contact\":{\"id\":\"c1\"},\"body\":\"\"}", &a, &b,
                                &err),
                     0);
    assert_false(b.items[0].is_public);
    assert_str(b.items[0].thread_id, "c1");
    assert_int_equal(b.items[0].author.followers, -1);

    static const struct {
        const char *body, *pointer;
    } bad[] = {
        {"{\"contact\":{\"id\":\"c\"},\"body\":\"x\"}", "/id"},
        {"{\"id\":1,\"contact\":{\"id\":\"c\"},\"body\":\"x\"}", "/id"},
        {"{\"id\":\"\",\"contact\":{\"id\":\"c\"},\"body\":\"x\"}", "/id"},
        {"{\"id\":\"e\",\"contact\":{},\"body\":\"x\"}", "/contact/id"},
        {"{\"id\":\"e\",\"contact\":[],\"body\":\"x\"}", "/contact"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\",\"followers\":\"7\"},\"body\":\"x\"}",
         "/contact/followers"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\",\"nick\":\"n\"},\"body\":\"x\"}",
         "/contact/nick"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\"}}", "/body"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\"},\"body\":\"x\",\"visibility\":\"secret\"}",
         "/visibility"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\"},\"body\":\"x\",\"extra\":1}", "/extra"},
        {"{\"id\":\"e\",\"contact\":{\"id\":\"c\"},\"body\":\"a\\u0000b\"}",
         ""}, /* jansson refuses NUL */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(parse_text(&channel_api, bad[i].body, &a, &b, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, bad[i].pointer);
    }
    arena_free(&a);
}

/* ---- handshakes ---- */

static int meta_handshake_with(const channel_ops_t *ch, const char *mode, const char *token,
                               const char *challenge, arena_t *a, const char **reply,
                               const char **ctype)
{
    fake_t f = {.nq = 3,
                .qname = {"hub.mode", "hub.verify_token", "hub.challenge"},
                .qval = {mode, token, challenge}};
    if (!mode) f.nq = 0;
    ch_request_t req = request(&f, "GET", "", 0);
    json_t *st = settings_for(ch, "s");
    int rc = ch->handshake(st, &req, a, reply, ctype, NULL);
    json_decref(st);
    return rc;
}

static void test_handshake_meta(void **state)
{
    const channel_ops_t *meta[] = {&channel_messenger, &channel_instagram, &channel_whatsapp};
    arena_t a;
    arena_init(&a, 0);
    for (int i = 0; i < 3; i++) {
        const char *reply = NULL, *ctype = NULL;
        assert_int_equal(
            meta_handshake_with(meta[i], "subscribe", "vt-123", "1158201444", &a, &reply, &ctype),
            0);
        assert_string_equal(reply, "1158201444");
        assert_string_equal(ctype, "text/plain");
        assert_int_equal(
            meta_handshake_with(meta[i], "subscribe", "vt-124", "1158201444", &a, &reply, &ctype),
            PARLEY_EAUTH);
        assert_int_equal(
            meta_handshake_with(meta[i], "subscribe", NULL, "1158201444", &a, &reply, &ctype),
            PARLEY_EAUTH);
        assert_int_equal(
            meta_handshake_with(meta[i], "subscribe", "vt-123", "<script>", &a, &reply, &ctype),
            PARLEY_EINVAL);
        assert_int_equal(meta_handshake_with(meta[i], NULL, NULL, NULL, &a, &reply, &ctype),
                         PARLEY_ENOENT);
    }
    assert_null(channel_twilio_sms.handshake);
    assert_null(channel_telegram.handshake);
    assert_null(channel_api.handshake);
    arena_free(&a);
}

static void test_handshake_x_crc(void **state)
{
    char *crc = slurp("x_crc.txt", NULL);
    char token[128], want[128];
    assert_int_equal(sscanf(crc, "crc_token=%127s response_token=%127s", token, want), 2);
    free(crc);
    fake_t f = {.nq = 1, .qname = {"crc_token"}, .qval = {token}};
    ch_request_t req = request(&f, "GET", "", 0);
    json_t *st = settings_for(&channel_x, X_SECRET);
    arena_t a;
    arena_init(&a, 0);
    const char *reply = NULL, *ctype = NULL;
    assert_int_equal(channel_x.handshake(st, &req, &a, &reply, &ctype, NULL), 0);
    assert_string_equal(ctype, "application/json");
    json_t *v = json_loads(reply, 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "response_token")), want);
    json_decref(v);
    f.nq = 0;
    assert_int_equal(channel_x.handshake(st, &req, &a, &reply, &ctype, NULL), PARLEY_ENOENT);
    arena_free(&a);
    json_decref(st);
}

/* ---- outbound ---- */

static json_t *send_json(const channel_ops_t *ch, const ch_outbound_t *m, arena_t *a,
                         ch_http_call_t *call)
{
    json_t *st = settings_for(ch, "sekret");
    parley_err_t err = {0};
    int rc = ch->format_send(st, m, a, call, &err);
    json_decref(st);
    assert_int_equal(rc, 0);
    assert_string_equal(call->method, "POST");
    json_t *v = json_loads(call->body, 0, NULL);
    assert_non_null(v);
    return v;
}

static void assert_json(json_t *got, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s, want %s", g, want);
    }
    json_decref(w);
    json_decref(got);
}

static void test_format_send(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    ch_http_call_t c;
    ch_outbound_t dm = {.recipient_id = "7001", .thread_id = "7001", .body = "Sorry! 😊"};
    ch_outbound_t pub = {.recipient_id = "7001",
                         .thread_id = "post_1",
                         .reply_to_id = "c/1",
                         .is_public = true,
                         .body = "On it"};

    assert_json(send_json(&channel_messenger, &dm, &a, &c),
                "{\"recipient\":{\"id\":\"7001\"},\"messaging_type\":\"RESPONSE\","
                "\"message\":{\"text\":\"Sorry! 😊\"}}");
    assert_string_equal(c.url, "http://127.0.0.1:9/v19.0/me/messages?access_token=PAGE%20TOKEN");
    assert_string_equal(c.content_type, "application/json");
    assert_json(send_json(&channel_messenger, &pub, &a, &c), "{\"message\":\"On it\"}");
    assert_string_equal(c.url, "http://127.0.0.1:9/v19.0/c%2F1/comments?access_token=PAGE%20TOKEN");

    assert_json(send_json(&channel_instagram, &dm, &a, &c),
                "{\"recipient\":{\"id\":\"7001\"},\"message\":{\"text\":\"Sorry! 😊\"}}");
    assert_string_equal(c.url, "http://127.0.0.1:9/v19.0/17841400000000001/messages");
    assert_int_equal(c.n_headers, 1);
    assert_string_equal(c.headers[0], "Authorization: Bearer IGTOKEN");
    assert_json(send_json(&channel_instagram, &pub, &a, &c), "{\"message\":\"On it\"}");
    assert_string_equal(c.url, "http://127.0.0.1:9/v19.0/c%2F1/replies");

    ch_outbound_t wa = {
        .recipient_id = "16505551234", .body = "Refund sent", .attachment_url = "https://x/r.pdf"};
    assert_json(send_json(&channel_whatsapp, &wa, &a, &c),
                "{\"messaging_product\":\"whatsapp\",\"to\":\"16505551234\",\"type\":\"text\","
                "\"text\":{\"body\":\"Refund sent\\nhttps://x/r.pdf\"}}");
    assert_string_equal(c.url, "http://127.0.0.1:9/v19.0/106540352242922/messages");
    assert_string_equal(c.headers[0], "Authorization: Bearer WATOKEN");

    /* Twilio: form body, Basic auth of sid:token */
    json_t *st = settings_for(&channel_twilio_sms, "tok");
    ch_outbound_t sms = {.recipient_id = "+14155550100",
                         .body = "Yes, 10am–4pm & more",
                         .attachment_url = "https://x/map.png"};
    assert_int_equal(channel_twilio_sms.format_send(st, &sms, &a, &c, NULL), 0);
    json_decref(st);
    assert_string_equal(c.url, "http://127.0.0.1:9/2010-04-01/Accounts/AC123/Messages.json");
    assert_string_equal(c.content_type, "application/x-www-form-urlencoded");
    assert_string_equal(c.body, "To=%2B14155550100&From=%2B14155550199"
                                "&Body=Yes%2C%2010am%E2%80%934pm%20%26%20more"
                                "&MediaUrl=https%3A%2F%2Fx%2Fmap.png");
    assert_string_equal(c.headers[0], "Authorization: Basic QUMxMjM6dG9r"); /* AC123:tok */
    /* the form round-trips through our own decoder */
    form_t f;
    assert_int_equal(form_parse(str_from(c.body), &a, &f, NULL), 0);
    assert_string_equal(form_get(&f, "Body"), "Yes, 10am–4pm & more");

    ch_outbound_t tg = {.thread_id = "123456789", .body = "Try again now"};
    assert_json(send_json(&channel_telegram, &tg, &a, &c),
                "{\"chat_id\":123456789,\"text\":\"Try again now\"}");
    assert_string_equal(c.url, "http://127.0.0.1:9/bot123:ABC/sendMessage");

    ch_outbound_t xdm = {.recipient_id = "3001969357", .body = "DMing you"};
    assert_json(send_json(&channel_x, &xdm, &a, &c), "{\"text\":\"DMing you\"}");
    assert_string_equal(c.url, "http://127.0.0.1:9/2/dm_conversations/with/3001969357/messages");
    assert_string_equal(c.headers[0], "Authorization: Bearer XTOKEN");
    ch_outbound_t xpub = {.recipient_id = "3001969358",
                          .thread_id = "1861000000000000001",
                          .reply_to_id = "1861000000000000001",
                          .is_public = true,
                          .body = "@hsyed sorry"};
    assert_json(send_json(&channel_x, &xpub, &a, &c),
                "{\"text\":\"@hsyed sorry\",\"reply\":{\"in_reply_to_tweet_id\":"
                "\"1861000000000000001\"}}");
    assert_string_equal(c.url, "http://127.0.0.1:9/2/tweets");

    /* API channel: signed like inbound */
    assert_json(send_json(&channel_api, &dm, &a, &c),
                "{\"recipient_id\":\"7001\",\"thread_id\":\"7001\",\"visibility\":\"private\","
                "\"body\":\"Sorry! 😊\"}");
    assert_string_equal(c.url, "http://127.0.0.1:9/hook");
    uint8_t mac[32];
    char hex[65], want[128];
    crypto_hmac_sha256("sekret", 6, c.body, strlen(c.body), mac);
    crypto_hex(mac, 32, hex);
    snprintf(want, sizeof want, "X-Parley-Signature: sha256=%s", hex);
    assert_string_equal(c.headers[0], want);
    st = json_pack("{s:s}", "hmac_secret", "k");
    assert_int_equal(channel_api.format_send(st, &dm, &a, &c, NULL), PARLEY_ENOENT);
    json_decref(st);

    /* invalid UTF-8 and missing recipients are refused, not crashed on */
    ch_outbound_t bad = {.recipient_id = "1", .body = "\xff\xfe"};
    ch_outbound_t none = {.body = "x"};
    const channel_ops_t *json_chans[] = {&channel_messenger, &channel_instagram, &channel_whatsapp,
                                         &channel_telegram, &channel_x};
    for (int i = 0; i < 5; i++) {
        st = settings_for(json_chans[i], "s");
        assert_int_equal(json_chans[i]->format_send(st, &bad, &a, &c, NULL), PARLEY_EINVAL);
        assert_int_equal(json_chans[i]->format_send(st, &none, &a, &c, NULL), PARLEY_EINVAL);
        json_decref(st);
    }
    arena_free(&a);
}

/* ---- answers to our calls ---- */

static int result(const channel_ops_t *ch, long status, const char *body, char *id, bool *retry,
                  parley_err_t *err)
{
    memset(err, 0, sizeof *err);
    *retry = true;
    return ch->parse_send_result(status, body, strlen(body), id, 64, retry, err);
}

static void test_parse_send_result(void **state)
{
    char id[64];
    bool retry;
    parley_err_t err;
    assert_int_equal(result(&channel_messenger, 200,
                            "{\"recipient_id\":\"1\",\"message_id\":\"m_X\"}", id, &retry, &err),
                     0);
    assert_string_equal(id, "m_X");
    assert_false(retry);
    assert_int_equal(result(&channel_messenger, 200, "{\"id\":\"c_1\"}", id, &retry, &err), 0);
    assert_string_equal(id, "c_1");
    assert_int_equal(result(&channel_messenger, 400,
                            "{\"error\":{\"message\":\"(#100) No matching user\",\"type\":"
                            "\"OAuthException\",\"code\":100}}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_false(retry);
    assert_non_null(strstr(err.msg, "No matching user"));
    assert_int_equal(result(&channel_instagram, 400,
                            "{\"error\":{\"message\":\"Too many calls\",\"code\":4}}", id, &retry,
                            &err),
                     PARLEY_EIO);
    assert_true(retry);
    assert_int_equal(result(&channel_instagram, 503, "oops", id, &retry, &err), PARLEY_EIO);
    assert_true(retry);
    assert_int_equal(result(&channel_whatsapp, 200,
                            "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"1\","
                            "\"wa_id\":\"1\"}],\"messages\":[{\"id\":\"wamid.OUT\"}]}",
                            id, &retry, &err),
                     0);
    assert_string_equal(id, "wamid.OUT");
    assert_int_equal(result(&channel_whatsapp, 200, "{}", id, &retry, &err), PARLEY_EIO);

    assert_int_equal(result(&channel_twilio_sms, 201, "{\"sid\":\"SMout\",\"status\":\"queued\"}",
                            id, &retry, &err),
                     0);
    assert_string_equal(id, "SMout");
    assert_int_equal(result(&channel_twilio_sms, 400,
                            "{\"code\":21211,\"message\":\"The 'To' number is not valid.\","
                            "\"status\":400}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_false(retry);
    assert_non_null(strstr(err.msg, "21211"));
    assert_non_null(strstr(err.msg, "is not valid"));
    assert_int_equal(result(&channel_twilio_sms, 429, "{\"code\":20429,\"message\":\"Too Many\"}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_true(retry);
    assert_int_equal(result(&channel_twilio_sms, 500, "", id, &retry, &err), PARLEY_EIO);
    assert_true(retry);

    assert_int_equal(result(&channel_telegram, 200,
                            "{\"ok\":true,\"result\":{\"message_id\":4412,\"chat\":{\"id\":"
                            "123456789},\"date\":1}}",
                            id, &retry, &err),
                     0);
    assert_string_equal(id, "123456789:4412");
    assert_int_equal(result(&channel_telegram, 400,
                            "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat "
                            "not found\"}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_false(retry);
    assert_non_null(strstr(err.msg, "chat not found"));
    assert_int_equal(result(&channel_telegram, 429,
                            "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
                            "Requests: retry after 5\"}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_true(retry);

    assert_int_equal(result(&channel_x, 201,
                            "{\"data\":{\"dm_conversation_id\":\"1-2\",\"dm_event_id\":\"77\"}}",
                            id, &retry, &err),
                     0);
    assert_string_equal(id, "77");
    assert_int_equal(
        result(&channel_x, 201, "{\"data\":{\"id\":\"1862\",\"text\":\"t\"}}", id, &retry, &err),
        0);
    assert_string_equal(id, "1862");
    assert_int_equal(result(&channel_x, 403,
                            "{\"title\":\"Forbidden\",\"detail\":\"You are not permitted\","
                            "\"status\":403}",
                            id, &retry, &err),
                     PARLEY_EIO);
    assert_false(retry);
    assert_non_null(strstr(err.msg, "not permitted"));

    assert_int_equal(result(&channel_api, 200, "{\"id\":\"sys-1\"}", id, &retry, &err), 0);
    assert_string_equal(id, "sys-1");
    assert_int_equal(result(&channel_api, 204, "", id, &retry, &err), 0);
    assert_string_equal(id, "");
    assert_int_equal(result(&channel_api, 502, "{\"error\":\"down\"}", id, &retry, &err),
                     PARLEY_EIO);
    assert_true(retry);

    /* an id longer than the caller's buffer is an error, not a truncation */
    char small[4];
    retry = false;
    const char *big = "{\"data\":{\"id\":\"123456\"}}";
    assert_int_equal(
        channel_x.parse_send_result(201, big, strlen(big), small, sizeof small, &retry, &err),
        PARLEY_EIO);
}

/* ---- malformed payloads and unknown events ---- */

static void test_malformed(void **state)
{
    static const struct {
        const channel_ops_t *ch;
        const char *body;
    } bad[] = {
        {&channel_messenger, "not json"},
        {&channel_messenger, "[1,2]"},
        {&channel_messenger, "{\"object\":\"instagram\",\"entry\":[]}"},
        {&channel_messenger, "{\"object\":\"page\",\"entry\":{}}"},
        {&channel_messenger, "{\"object\":\"page\"}"},
        {&channel_messenger, "{\"object\":\"page\",\"entry\":[7]}"},
        {&channel_messenger, MSGR_ENTRY("{\"sender\":{},\"recipient\":{\"id\":\"1\"}}")},
        {&channel_messenger, MSGR_ENTRY("{" MSGR_FROM "\"message\":{\"text\":\"no mid\"}}")},
        {&channel_messenger, MSGR_ENTRY("{" MSGR_FROM "\"message\":{\"mid\":5}}")},
        {&channel_messenger, MSGR_ENTRY("{" MSGR_FROM "\"delivery\":{\"mids\":[1]}}")},
        {&channel_messenger, MSGR_ENTRY("{" MSGR_FROM "\"timestamp\":\"soon\",\"read\":{}}")},
        {&channel_instagram, "{\"object\":\"instagram\",\"entry\":[{\"id\":\"17841400000000001\","
                             "\"changes\":[{\"field\":\"comments\",\"value\":{\"id\":\"1\"}}]}]}"},
        {&channel_whatsapp, "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":"
                            "[{\"field\":\"messages\",\"value\":{\"metadata\":{\"phone_number_id\":"
                            "\"106540352242922\"},\"messages\":[{\"from\":\"1\",\"id\":\"w\","
                            "\"type\":\"text\",\"text\":{\"body\":3}}]}}]}]}"},
        {&channel_whatsapp, "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":"
                            "[{\"field\":\"messages\",\"value\":{}}]}]}"},
        {&channel_twilio_sms, "Body=hi&From=%2B1"},
        {&channel_twilio_sms, "MessageSid=SM1&From=%zz"},
        {&channel_twilio_sms, "MessageSid=SM1&From=%2B1&NumMedia=99"},
        {&channel_twilio_sms, "MessageSid=SM1&From=%2B1&NumMedia=1"},
        {&channel_twilio_sms, "MessageSid=SM1&From=%2B1&Body=a%00b"},
        {&channel_telegram, "{\"message\":{}}"},
        {&channel_telegram, "{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{}}}"},
        {&channel_telegram,
         "{\"update_id\":1,\"message\":{\"message_id\":1.5,\"chat\":{\"id\":1}}}"},
        {&channel_telegram, "{\"update_id\":1,\"message\":[]}"},
        {&channel_x, "{\"direct_message_events\":[]}"},
        {&channel_x, "{\"for_user_id\":\"4337869213\",\"tweet_create_events\":{}}"},
        {&channel_x,
         "{\"for_user_id\":\"4337869213\",\"tweet_create_events\":[{\"id_str\":\"1\"}]}"},
        {&channel_x, "{\"for_user_id\":\"4337869213\",\"direct_message_events\":[{\"type\":"
                     "\"message_create\",\"id\":\"1\",\"message_create\":{\"sender_id\":2}}]}"},
        {&channel_api, ""},
        {&channel_api, "{\"id\":\"e\""},
    };
    arena_t a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ch_batch_t b;
        parley_err_t err = {0};
        int rc = parse_text(bad[i].ch, bad[i].body, &a, &b, &err);
        if (rc != PARLEY_EINVAL) fail_msg("case %zu (%s): rc %d", i, bad[i].ch->name, rc);
        assert_int_equal(b.n, 0);
        assert_true(err.msg[0] != '\0');
    }
    /* the pointer names the field */
    ch_batch_t b;
    parley_err_t err = {0};
    assert_int_equal(parse_text(&channel_messenger,
                                MSGR_ENTRY("{\"sender\":{},\"recipient\":{\"id\":\"1\"}}"), &a, &b,
                                &err),
                     PARLEY_EINVAL);
    assert_string_equal(err.field, "/entry/0/messaging/0/sender/id");
    /* too many items: a limit, not a silent drop */
    char *many = malloc(100000);
    strcpy(many, "{\"object\":\"page\",\"entry\":[{\"id\":\"104857600000001\",\"messaging\":[");
    for (int i = 0; i < CH_MAX_ITEMS + 1; i++)
        sprintf(many + strlen(many), "%s{" MSGR_FROM "\"message\":{\"mid\":\"m%d\"}}", i ? "," : "",
                i);
    strcat(many, "]}]}");
    assert_int_equal(parse_text(&channel_messenger, many, &a, &b, &err), PARLEY_ELIMIT);
    free(many);
    arena_free(&a);
}

static void test_unknown_events(void **state)
{
    static const struct {
        const channel_ops_t *ch;
        const char *body;
        int unhandled;
    } cases[] = {
        {&channel_messenger,
         MSGR_ENTRY("{" MSGR_FROM "\"optin\":{}},{" MSGR_FROM "\"referral\":{}}"), 2},
        {&channel_instagram,
         "{\"object\":\"instagram\",\"entry\":[{\"id\":\"17841400000000001\","
         "\"changes\":[{\"field\":\"story_insights\",\"value\":{}}]}]}",
         1},
        {&channel_whatsapp,
         "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":"
         "[{\"field\":\"message_template_status_update\",\"value\":{}}]}]}",
         1},
        {&channel_telegram, "{\"update_id\":9,\"callback_query\":{\"id\":\"1\"}}", 1},
        {&channel_x,
         "{\"for_user_id\":\"4337869213\",\"tweet_delete_events\":[{}],"
         "\"user_event\":{\"revoke\":{}}}",
         2},
        {&channel_x, "{\"for_user_id\":\"someone-else\",\"tweet_create_events\":[]}", 1},
    };
    arena_t a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ch_batch_t b;
        parley_err_t err = {0};
        int rc = parse_text(cases[i].ch, cases[i].body, &a, &b, &err);
        if (rc) fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(b.n, 0);
        assert_int_equal(b.unhandled, cases[i].unhandled);
    }
    /* Instagram mentions carry only ids */
    ch_batch_t b;
    assert_int_equal(
        parse_text(&channel_instagram,
                   "{\"object\":\"instagram\",\"entry\":[{\"id\":\"17841400000000001\","
                   "\"time\":1764000400,\"changes\":[{\"field\":\"mentions\","
                   "\"value\":{\"media_id\":\"M1\",\"comment_id\":\"C1\"}}]}]}",
                   &a, &b, NULL),
        0);
    assert_int_equal(b.n, 1);
    assert_str(b.items[0].external_id, "C1");
    assert_str(b.items[0].thread_id, "M1");
    assert_true(b.items[0].is_public);
    assert_int_equal(b.items[0].at_ms, 1764000400000LL);
    arena_free(&a);
}

/* ---- settings, registry, form ---- */

static void test_validate_settings(void **state)
{
    const channel_ops_t *all[] = {&channel_messenger,  &channel_instagram, &channel_whatsapp,
                                  &channel_twilio_sms, &channel_telegram,  &channel_x,
                                  &channel_api};
    for (int i = 0; i < 7; i++) {
        json_t *st = settings_for(all[i], "s");
        parley_err_t err = {0};
        assert_int_equal(all[i]->validate_settings(st, &err), 0);
        json_object_set_new(st, "typo_field", json_string("x"));
        assert_int_equal(all[i]->validate_settings(st, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, "/settings/typo_field");
        json_decref(st);
        st = json_object();
        assert_int_equal(all[i]->validate_settings(st, &err), PARLEY_EINVAL);
        assert_true(strncmp(err.field, "/settings/", 10) == 0);
        json_decref(st);
        assert_int_equal(all[i]->validate_settings(NULL, &err), PARLEY_EINVAL);
    }
    json_t *st = json_pack("{s:s}", "hmac_secret", "a\r\nX-Injected: 1");
    parley_err_t err = {0};
    assert_int_equal(channel_api.validate_settings(st, &err), PARLEY_EINVAL);
    json_object_set_new(st, "hmac_secret", json_integer(5));
    assert_int_equal(channel_api.validate_settings(st, &err), PARLEY_EINVAL);
    json_object_set_new(st, "hmac_secret", json_string("ok"));
    json_object_set_new(st, "outbound_url", json_string("ftp://x"));
    assert_int_equal(channel_api.validate_settings(st, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/settings/outbound_url");
    json_decref(st);
}

static void test_registry(void **state)
{
    const char *names[] = {"messenger", "instagram", "whatsapp", "twilio_sms",
                           "telegram",  "x",         "api"};
    for (int i = 0; i < 7; i++) {
        const channel_ops_t *ch = channel_find(names[i]);
        assert_non_null(ch);
        assert_string_equal(ch->name, names[i]);
        assert_non_null(ch->verify);
        assert_non_null(ch->parse);
        assert_non_null(ch->format_send);
        assert_non_null(ch->parse_send_result);
        assert_non_null(ch->validate_settings);
    }
    assert_non_null(channel_find("email"));
    assert_non_null(channel_find("web"));
    assert_null(channel_find("fax"));
    assert_null(channel_find(NULL));
}

static void test_form(void **state)
{
    arena_t a;
    arena_init(&a, 0);
    form_t f;
    assert_int_equal(form_parse(STR_LIT("a=1+2&b=%41%62%2b&&c&d=&e=x=y&a=dup"), &a, &f, NULL), 0);
    assert_int_equal(f.n, 6);
    assert_string_equal(form_get(&f, "a"), "1 2");
    assert_string_equal(form_get(&f, "b"), "Ab+");
    assert_string_equal(form_get(&f, "c"), "");
    assert_string_equal(form_get(&f, "d"), "");
    assert_string_equal(form_get(&f, "e"), "x=y");
    assert_null(form_get(&f, "z"));
    assert_int_equal(form_parse(STR_LIT("k=%00v"), &a, &f, NULL), 0);
    assert_int_equal(f.pairs[0].value.len, 2);
    assert_int_equal(form_parse(STR_LIT(""), &a, &f, NULL), 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(form_parse(STR_LIT("a=%4"), &a, &f, NULL), PARLEY_EINVAL);
    assert_int_equal(form_parse(STR_LIT("a=%"), &a, &f, NULL), PARLEY_EINVAL);
    assert_int_equal(form_parse(STR_LIT("a%g1=1"), &a, &f, NULL), PARLEY_EINVAL);
    /* percent-encoded names decode too: Twilio signs decoded names */
    assert_int_equal(form_parse(STR_LIT("Media%55rl0=x"), &a, &f, NULL), 0);
    assert_string_equal(form_get(&f, "MediaUrl0"), "x");
    char *lots = malloc(3 * (FORM_MAX_PAIRS + 1) + 1);
    for (int i = 0; i <= FORM_MAX_PAIRS; i++) memcpy(lots + 3 * i, "a=&", 3);
    lots[3 * (FORM_MAX_PAIRS + 1)] = '\0';
    assert_int_equal(form_parse(str_from(lots), &a, &f, NULL), PARLEY_ELIMIT);
    free(lots);
    arena_free(&a);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s WEBHOOKS_DIR\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    if (crypto_init() != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_samples),
        cmocka_unit_test(test_verify_twilio_url_and_decoding),
        cmocka_unit_test(test_parse_messenger),
        cmocka_unit_test(test_parse_instagram),
        cmocka_unit_test(test_parse_whatsapp),
        cmocka_unit_test(test_parse_twilio),
        cmocka_unit_test(test_parse_telegram),
        cmocka_unit_test(test_parse_x),
        cmocka_unit_test(test_parse_messenger_events),
        cmocka_unit_test(test_parse_whatsapp_events),
        cmocka_unit_test(test_parse_twilio_events),
        cmocka_unit_test(test_parse_telegram_events),
        cmocka_unit_test(test_parse_x_events),
        cmocka_unit_test(test_parse_api),
        cmocka_unit_test(test_handshake_meta),
        cmocka_unit_test(test_handshake_x_crc),
        cmocka_unit_test(test_format_send),
        cmocka_unit_test(test_parse_send_result),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unknown_events),
        cmocka_unit_test(test_validate_settings),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
