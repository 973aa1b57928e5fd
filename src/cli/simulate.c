/*
 * simulate.c - `parley simulate`: realistic, correctly signed traffic of every
 * channel sent to a running server, and a tiny fake of the platforms' send APIs.
 *
 * Owns the simulated customers (names, handles, followers, phone numbers; some
 * write on several channels), what they write (complaints, questions, praise,
 * card numbers pasted in public, follow-ups that continue a conversation), each
 * platform's webhook wire format and signature (Meta's X-Hub-Signature-256,
 * Twilio's X-Twilio-Signature over webhook_url + sorted params, Telegram's
 * secret header, X's x-twitter-webhooks-signature, Parley's X-Parley-Signature,
 * the website widget's token), the pacing (--rate), the tally printed every 50
 * messages and at the end, and the fake platform (--fake-platform PORT) that
 * answers replies in each platform's format so demo replies show "sent". It
 * reads the inboxes file `parley demo` writes (ids, channels, their secrets).
 */
#include "cli/cli.h"

#include "core/crypto.h"
#include "core/mem.h"
#include "core/str.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BRAND        "AcmeCare"
#define MAX_INBOXES  64
#define PROGRESS     50
#define MAX_RESPONSE 65536

/* ---- channels and the inboxes file -------------------------------------- */

typedef enum {
    SIM_MESSENGER,
    SIM_INSTAGRAM,
    SIM_WHATSAPP,
    SIM_TWILIO,
    SIM_TELEGRAM,
    SIM_X,
    SIM_API,
    SIM_WEB,
    SIM_EMAIL,
    SIM_N
} sim_ch_t;

static const char *const ch_names[SIM_N] = {
    "messenger", "instagram", "whatsapp", "twilio_sms", "telegram", "x", "api", "web", "email"};

/* The settings the simulator needs to address and sign each channel's webhooks
 * (e-mail arrives through `parley mail-in`, never over HTTP: nothing to send). */
static const char *const needs[SIM_N][4] = {
    [SIM_MESSENGER] = {"page_id", "app_secret"},
    [SIM_INSTAGRAM] = {"ig_id", "app_secret"},
    [SIM_WHATSAPP] = {"phone_number_id", "app_secret"},
    [SIM_TWILIO] = {"auth_token", "webhook_url", "from"},
    [SIM_TELEGRAM] = {"secret_token"},
    [SIM_X] = {"user_id", "consumer_secret"},
    [SIM_API] = {"hmac_secret"},
    [SIM_WEB] = {"widget_token"},
    [SIM_EMAIL] = {NULL},
};

typedef struct {
    long long id;
    sim_ch_t ch;
    json_t *settings; /* borrowed from the loaded file */
} sim_inbox_t;

static const char *setting(const sim_inbox_t *in, const char *name)
{
    return json_string_value(json_object_get(in->settings, name));
}

static int bad_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_file(const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parley simulate: %s: ", path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

/* Loads and checks the inboxes file; 0, or -1 with the first fault on stderr. */
static int load_inboxes(const char *path, json_t **root, sim_inbox_t *out, int *n)
{
    json_error_t je;
    *n = 0;
    *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!*root) {
        if (je.line <= 0) return bad_file(path, "%s", je.text);
        return bad_file(path, "line %d, column %d: %s", je.line, je.column, je.text);
    }
    if (!json_is_array(*root))
        return bad_file(path, "must be a JSON array of inboxes "
                              "([{\"id\": 1, \"channel\": \"messenger\", \"settings\": {...}}]; "
                              "`parley demo` writes it)");
    if (json_array_size(*root) == 0) return bad_file(path, "lists no inboxes");
    if (json_array_size(*root) > MAX_INBOXES)
        return bad_file(path, "lists more than %d inboxes", MAX_INBOXES);
    size_t i;
    json_t *e;
    int drivable = 0;
    json_array_foreach(*root, i, e)
    {
        if (!json_is_object(e)) return bad_file(path, "/%zu must be an object", i);
        json_t *id = json_object_get(e, "id"), *ch = json_object_get(e, "channel");
        json_t *settings = json_object_get(e, "settings");
        if (!json_is_integer(id) || json_integer_value(id) <= 0)
            return bad_file(path, "/%zu/id must be a positive integer (the inbox id)", i);
        if (!json_is_string(ch)) return bad_file(path, "/%zu/channel must be a string", i);
        int k = 0;
        while (k < SIM_N && strcmp(ch_names[k], json_string_value(ch)) != 0) k++;
        if (k == SIM_N)
            return bad_file(path,
                            "/%zu/channel \"%s\" is not a channel (messenger, instagram, "
                            "whatsapp, twilio_sms, telegram, x, api, web, email)",
                            i, json_string_value(ch));
        if (!json_is_object(settings))
            return bad_file(path, "/%zu/settings must be an object with the inbox's secrets", i);
        for (int j = 0; needs[k][j]; j++) {
            const char *v = json_string_value(json_object_get(settings, needs[k][j]));
            if (!v || !*v)
                return bad_file(path,
                                "/%zu/settings/%s is missing: a %s inbox needs it to sign or "
                                "address its traffic",
                                i, needs[k][j], ch_names[k]);
        }
        if (k == SIM_WEB) {
            json_t *o = json_array_get(json_object_get(settings, "allowed_origins"), 0);
            if (!json_is_string(o))
                return bad_file(path,
                                "/%zu/settings/allowed_origins must list the origin the "
                                "widget's visitors come from",
                                i);
        }
        for (int j = 0; j < *n; j++)
            if (out[j].id == json_integer_value(id))
                return bad_file(path, "/%zu/id %lld is listed twice", i,
                                (long long)json_integer_value(id));
        out[*n] = (sim_inbox_t){json_integer_value(id), (sim_ch_t)k, settings};
        (*n)++;
        if (k != SIM_EMAIL) drivable++;
    }
    if (!drivable)
        return bad_file(path, "has no inbox the simulator can send to (e-mail arrives through "
                              "`parley mail-in`)");
    return 0;
}

/* ---- customers and what they write --------------------------------------- */

#define B(c) (1u << (c))

typedef struct {
    const char *first, *last, *handle;
    int followers;
    const char *phone; /* E.164 digits, no '+' */
    unsigned channels; /* bit per sim_ch_t; several = a repeat writer */
} persona_t;

static const persona_t personas[] = {
    {"Priya", "Shah", "priya_shah", 18400, "447700900101",
     B(SIM_MESSENGER) | B(SIM_X) | B(SIM_WHATSAPP)},
    {"Tom", "Okafor", "tomokafor", 320, "14155550111", B(SIM_X) | B(SIM_MESSENGER) | B(SIM_TWILIO)},
    {"Jordan", "Blake", "jordan_b", 76000, "16505550123", B(SIM_X) | B(SIM_INSTAGRAM) | B(SIM_API)},
    {"Ana", "Kowalski", "ana_k", 41, "48500100200", B(SIM_TELEGRAM) | B(SIM_WEB)},
    {"Sheena", "Nelson", "sheena.nelson", 1250, "16505551234", B(SIM_WHATSAPP) | B(SIM_INSTAGRAM)},
    {"Hassan", "Syed", "hsyed", 102000, "447700900222", B(SIM_X)},
    {"Lloyd", "Parker", "lloydp", 87, "14155550133", B(SIM_MESSENGER)},
    {"Mei", "Tanaka", "mei.tanaka", 5600, "819012345678", B(SIM_INSTAGRAM)},
    {"Carlos", "Mendes", "cmendes", 230, "5511987650000", B(SIM_WHATSAPP)},
    {"Fatima", "Zahra", "fatimaz", 64, "33612345678", B(SIM_TWILIO)},
    {"Oliver", "Grant", "olly_grant", 12, "447700900333", B(SIM_TELEGRAM)},
    {"Grace", "Liu", "graceliu", 9100, "14155550144", B(SIM_X) | B(SIM_TELEGRAM)},
    {"Noah", "Fischer", "noahf", 450, "4915123456789", B(SIM_API) | B(SIM_WEB)},
    {"Amara", "Eze", "amara.eze", 33000, "2348031234567", B(SIM_INSTAGRAM) | B(SIM_MESSENGER)},
    {"Lucas", "Moreau", "lmoreau", 27, "33698765432", B(SIM_WEB)},
    {"Sofia", "Rossi", "sofiarossi", 2100, "393471234567", B(SIM_MESSENGER) | B(SIM_WHATSAPP)},
    {"Ethan", "Brooks", "ebrooks", 150, "14155550155", B(SIM_TWILIO) | B(SIM_API)},
    {"Zoe", "Adams", "zoe_adams", 58000, "447700900444", B(SIM_X) | B(SIM_INSTAGRAM)},
};
#define N_PERSONAS ((int)(sizeof personas / sizeof personas[0]))

static const char *const complaints[] = {
    "my order arrived broken and the box was soaked. What now?",
    "Been waiting 3 days for a reply to my email. Anyone there?",
    "The delivery driver left my parcel in the rain. Not cool.",
    "Why was I charged a late fee when I paid on time??",
    "Nothing works since the update. NOTHING.",
    "Terrible experience, the manager hung up on me!!!",
    "order #48213 never arrived and tracking hasn't moved in a week",
    "I was charged twice for one order, please fix this",
    "your app keeps crashing when I try to check in. Tried reinstalling, nothing",
    "internet down AGAIN. third time this week. I work from home",
    "If my deposit isn't back by Friday I'm taking you to small claims court",
    "I've been a customer for 12 years and if this isn't sorted today I'm switching",
    "someone logged into my account and changed my address, I didn't do this!!! help",
};
static const char *const questions[] = {
    "How long does a refund usually take?",
    "Quick question: do you price match?",
    "Is there a way to speak to an actual person instead of the bot?",
    "do you ship to Ireland?",
    "Is the store on Main Street open on Sundays?",
    "how do I change the delivery address on an order I already placed?",
    "Can I return something bought in the sale?",
    "what's the difference between the standard and premium plan?",
};
static const char *const praise[] = {
    "Thanks for sorting my bill so quickly, really appreciated!",
    "LOVE the new colours, ordered two already 😍😍",
    "The agent on chat was super friendly and fixed it in minutes.",
    "Ok that was actually impressive, thank you 👏",
    "Happy with the service, just wish it was cheaper.",
    "Your new menu is great but the portions got smaller :(",
};
/* Sensitive data where it should not be: card numbers (Luhn-valid test cards),
 * phone numbers, e-mail addresses. */
static const char *const pii[] = {
    "my card 4111 1111 1111 1111 was charged twice, refund it NOW",
    "Charged twice on card 5500 0000 0000 0004, exp 12/27. Fix this please",
    "can someone call me back on +44 7700 900123? been on hold for an hour",
    "refund still not on my card 4242 4242 4242 4242 after 3 weeks",
    "my email is jo.bloggs@example.com, nobody has written back",
};
static const char *const followups[] = {
    "Any update on this?",          "Still nothing... hello?",
    "It's order #48213 by the way", "I've asked three times now. Three. Times.",
    "Thanks, that worked!",         "Can you DM me? I don't want to post my account details here.",
    "ok, I'll wait for the email",
};

#define PICK(rng, arr) (arr[rng_below(rng, sizeof arr / sizeof arr[0])])

/* xorshift64*: small, seedable, the same texts for the same --seed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(rng_next(s) % n) : 0;
}

/* ---- the simulator's state ----------------------------------------------- */

typedef struct {
    int sent; /* messages this person wrote on this channel in this run */
    char last_public[128];
    char visitor_token[300];
} thread_t;

typedef struct fake fake_t;

typedef struct {
    const char *url; /* the server, no trailing slash */
    sim_inbox_t inboxes[MAX_INBOXES];
    int n_inboxes;
    uint64_t rng;
    char run[24];    /* makes this run's ids unique */
    long long seq;   /* ids within the run */
    int64_t base_ms; /* the run's start */
    thread_t threads[N_PERSONAS][SIM_N];
    CURL *curl;
    /* the tally */
    long sent, ok, by_status[600], by_channel[SIM_N];
    char last_error[CURL_ERROR_SIZE];
    fake_t *fake; /* the in-process fake platform, or NULL */
} sim_t;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A new id unique to this run: prefix + run + sequence. */
static char *new_id(sim_t *s, const char *prefix, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%lld", prefix, s->run, ++s->seq);
    return out;
}

/* A numeric id: base digits, this run, the sequence. */
static char *num_id(sim_t *s, const char *base, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%06lld", base, s->run, ++s->seq);
    return out;
}

/* Per-person, per-channel platform ids: stable across runs, so a returning
 * customer is recognised. */
static void user_id(int p, sim_ch_t ch, char *out, size_t cap)
{
    switch (ch) {
    case SIM_MESSENGER: snprintf(out, cap, "70010020030%05d", 4005 + p * 7); break;
    case SIM_INSTAGRAM: snprintf(out, cap, "55500011122%05d", 2334 + p * 11); break;
    case SIM_X: snprintf(out, cap, "30019%05d", 69357 + p * 13); break;
    case SIM_TELEGRAM: snprintf(out, cap, "1234%05d", 56789 + p * 17); break;
    case SIM_API: snprintf(out, cap, "crm-%04d", 1000 + p); break;
    default: snprintf(out, cap, "%s", personas[p].phone); break;
    }
}

static char *full_name(int p, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", personas[p].first, personas[p].last);
    return out;
}

/* ---- signatures ----------------------------------------------------------- */

static void hmac_hex(const char *secret, const char *body, size_t len, char hex[65])
{
    uint8_t mac[32];
    crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
    crypto_hex(mac, sizeof mac, hex);
}

static void hmac_b64(const char *secret, const char *body, size_t len, char *out, size_t cap)
{
    uint8_t mac[32];
    crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
    crypto_base64(mac, sizeof mac, out, cap);
}

typedef struct {
    const char *name, *value;
} param_t;

static int param_cmp(const void *a, const void *b)
{
    const param_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Twilio: base64(HMAC-SHA1(auth_token, url + name1 + value1 + ... sorted by name)). */
static void twilio_sign(const char *token, const char *url, param_t *p, size_t n, char *out,
                        size_t cap)
{
    qsort(p, n, sizeof *p, param_cmp);
    buf_t b;
    buf_init(&b, 0);
    buf_puts(&b, url);
    for (size_t i = 0; i < n; i++) {
        buf_puts(&b, p[i].name);
        buf_puts(&b, p[i].value);
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    out[0] = '\0';
    if (HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)buf_cstr(&b), b.len, mac,
             &mac_len))
        crypto_base64(mac, mac_len, out, cap);
    buf_free(&b);
}

static void form_add(buf_t *b, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (b->len) buf_putc(b, '&');
    buf_puts(b, name);
    buf_putc(b, '=');
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            *c == '-' || *c == '_' || *c == '.' || *c == '~') {
            buf_putc(b, (char)*c);
        } else if (*c == ' ') {
            buf_putc(b, '+');
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[*c >> 4]);
            buf_putc(b, hex[*c & 15]);
        }
    }
}

/* ---- one request ---------------------------------------------------------- */

typedef struct {
    char path[128];
    char *body; /* heap */
    size_t len;
    struct curl_slist *headers;
    const char *what; /* "messenger comment", ... */
    int persona;      /* who wrote it, -1 for receipts */
    char response[MAX_RESPONSE];
    size_t response_len;
} req_t;

static void header(req_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void header(req_t *r, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->headers = curl_slist_append(r->headers, line);
}

/* Takes ownership of a JSON value: compact dump into r->body. */
static void json_body(req_t *r, json_t *v)
{
    r->body = json_dumps(v, JSON_COMPACT);
    r->len = r->body ? strlen(r->body) : 0;
    json_decref(v);
    header(r, "Content-Type: application/json");
}

static void meta_sign(req_t *r, const sim_inbox_t *in)
{
    char hex[65];
    hmac_hex(setting(in, "app_secret"), r->body, r->len, hex);
    header(r, "X-Hub-Signature-256: sha256=%s", hex);
}

/* ---- each platform's wire format ----------------------------------------- */

typedef struct {
    int p; /* persona */
    const char *text;
    bool is_public;
} msg_t;

static json_t *meta_messaging(const char *sender, const char *recipient, int64_t at,
                              const char *mid, const char *text)
{
    return json_pack("[{s:{s:s}, s:{s:s}, s:I, s:{s:s, s:s}}]", "sender", "id", sender, "recipient",
                     "id", recipient, "timestamp", (json_int_t)at, "message", "mid", mid, "text",
                     text);
}

static void build_messenger(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    const char *page = setting(in, "page_id");
    char uid[32], id[96], name[80];
    int64_t at = now_ms();
    user_id(m->p, SIM_MESSENGER, uid, sizeof uid);
    json_t *entry;
    if (m->is_public) {
        /* a comment on one of the page's recent posts; the same person stays in
         * the same post's thread */
        thread_t *t = &s->threads[m->p][SIM_MESSENGER];
        char post[128], comment[256];
        if (!t->last_public[0])
            snprintf(t->last_public, sizeof t->last_public, "%s_%zu", page,
                     900 + rng_below(&s->rng, 4));
        snprintf(post, sizeof post, "%s", t->last_public);
        snprintf(comment, sizeof comment, "%s_%s", post, new_id(s, "", id, sizeof id));
        entry = json_pack("{s:s, s:I, s:[{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, "
                          "s:s, s:I}}]}",
                          "id", page, "time", (json_int_t)at, "changes", "field", "feed", "value",
                          "item", "comment", "verb", "add", "comment_id", comment, "post_id", post,
                          "parent_id", post, "from", "id", uid, "name",
                          full_name(m->p, name, sizeof name), "message", m->text, "created_time",
                          (json_int_t)(at / 1000));
        r->what = "messenger comment";
    } else {
        entry = json_pack("{s:s, s:I, s:o}", "id", page, "time", (json_int_t)at, "messaging",
                          meta_messaging(uid, page, at, new_id(s, "m_", id, sizeof id), m->text));
        r->what = "messenger dm";
    }
    json_body(r, json_pack("{s:s, s:[o]}", "object", "page", "entry", entry));
    meta_sign(r, in);
}

static void build_instagram(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    const char *ig = setting(in, "ig_id");
    char uid[32], id[96];
    int64_t at = now_ms();
    user_id(m->p, SIM_INSTAGRAM, uid, sizeof uid);
    json_t *entry;
    if (m->is_public) {
        thread_t *t = &s->threads[m->p][SIM_INSTAGRAM];
        if (!t->last_public[0])
            snprintf(t->last_public, sizeof t->last_public, "178874980720835%02zu",
                     20 + rng_below(&s->rng, 5));
        entry = json_pack("{s:s, s:I, s:[{s:s, s:{s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s}}}]}", "id",
                          ig, "time", (json_int_t)at, "changes", "field", "comments", "value", "id",
                          num_id(s, "1786", id, sizeof id), "from", "id", uid, "username",
                          personas[m->p].handle, "text", m->text, "media", "id", t->last_public,
                          "media_product_type", "FEED");
        r->what = "instagram comment";
    } else {
        entry = json_pack("{s:s, s:I, s:o}", "id", ig, "time", (json_int_t)at, "messaging",
                          meta_messaging(uid, ig, at, new_id(s, "aWdf", id, sizeof id), m->text));
        r->what = "instagram dm";
    }
    json_body(r, json_pack("{s:s, s:[o]}", "object", "instagram", "entry", entry));
    meta_sign(r, in);
}

static json_t *wa_envelope(const sim_inbox_t *in, json_t *value)
{
    json_object_set_new(value, "messaging_product", json_string("whatsapp"));
    json_object_set_new(value, "metadata",
                        json_pack("{s:s, s:s}", "display_phone_number", "15550783881",
                                  "phone_number_id", setting(in, "phone_number_id")));
    return json_pack("{s:s, s:[{s:s, s:[{s:s, s:o}]}]}", "object", "whatsapp_business_account",
                     "entry", "id", "102290129340398", "changes", "field", "messages", "value",
                     value);
}

static void build_whatsapp(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    char id[96], name[80], ts[24];
    const char *phone = personas[m->p].phone;
    snprintf(ts, sizeof ts, "%lld", (long long)(now_ms() / 1000));
    json_t *value =
        json_pack("{s:[{s:{s:s}, s:s}], s:[{s:s, s:s, s:s, s:s, s:{s:s}}]}", "contacts", "profile",
                  "name", full_name(m->p, name, sizeof name), "wa_id", phone, "messages", "from",
                  phone, "id", new_id(s, "wamid.SIM", id, sizeof id), "timestamp", ts, "type",
                  "text", "text", "body", m->text);
    json_body(r, wa_envelope(in, value));
    meta_sign(r, in);
    r->what = "whatsapp message";
}

/* A status receipt for one of our sends (the fake platform's ids when it runs
 * in this process, else an id the server does not know and ignores). */
static void build_whatsapp_status(sim_t *s, const sim_inbox_t *in, const char *wamid,
                                  const char *to, req_t *r)
{
    static const char *const statuses[] = {"delivered", "read"};
    char ts[24], id[96];
    snprintf(ts, sizeof ts, "%lld", (long long)(now_ms() / 1000));
    if (!wamid) wamid = new_id(s, "wamid.UNKNOWN", id, sizeof id);
    json_t *value = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "statuses", "id", wamid, "status",
                              PICK(&s->rng, statuses), "timestamp", ts, "recipient_id",
                              to ? to : personas[0].phone);
    json_body(r, wa_envelope(in, value));
    meta_sign(r, in);
    r->what = "whatsapp status";
}

static void build_twilio(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    char sid[96], from[32], sig[64];
    const char *account = setting(in, "account_sid");
    new_id(s, "SM", sid, sizeof sid);
    snprintf(from, sizeof from, "+%s", personas[m->p].phone);
    param_t p[] = {
        {"MessageSid", sid},
        {"SmsSid", sid},
        {"SmsMessageSid", sid},
        {"AccountSid", account ? account : "AC00000000000000000000000000000000"},
        {"From", from},
        {"To", setting(in, "from")},
        {"Body", m->text},
        {"NumMedia", "0"},
        {"NumSegments", "1"},
        {"SmsStatus", "received"},
        {"ApiVersion", "2010-04-01"},
        {"FromCountry", "GB"},
        {"ToCountry", "US"},
    };
    size_t n = sizeof p / sizeof p[0];
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) form_add(&b, p[i].name, p[i].value);
    r->body = buf_detach(&b, &r->len);
    twilio_sign(setting(in, "auth_token"), setting(in, "webhook_url"), p, n, sig, sizeof sig);
    header(r, "Content-Type: application/x-www-form-urlencoded");
    header(r, "X-Twilio-Signature: %s", sig);
    header(r, "I-Twilio-Idempotency-Token: %s", sid);
    r->what = "twilio sms";
}

static void build_telegram(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    char uid[32];
    user_id(m->p, SIM_TELEGRAM, uid, sizeof uid);
    long long chat = atoll(uid);
    /* message ids are per chat: this run's are above every earlier run's */
    long long mid = (now_ms() / 1000 - 1700000000LL) * 100 + (++s->seq % 100);
    const persona_t *pe = &personas[m->p];
    json_t *from = json_pack("{s:I, s:b, s:s, s:s, s:s, s:s}", "id", (json_int_t)chat, "is_bot", 0,
                             "first_name", pe->first, "last_name", pe->last, "username", pe->handle,
                             "language_code", "en");
    json_body(r, json_pack("{s:I, s:{s:I, s:o, s:{s:I, s:s, s:s, s:s}, s:I, s:s}}", "update_id",
                           (json_int_t)(900000000 + mid % 100000000), "message", "message_id",
                           (json_int_t)mid, "from", from, "chat", "id", (json_int_t)chat,
                           "first_name", pe->first, "username", pe->handle, "type", "private",
                           "date", (json_int_t)(now_ms() / 1000), "text", m->text));
    header(r, "X-Telegram-Bot-Api-Secret-Token: %s", setting(in, "secret_token"));
    r->what = "telegram message";
}

static json_t *x_user(int p, const char *uid)
{
    char name[80];
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "id", uid, "id_str", uid, "name",
                     full_name(p, name, sizeof name), "screen_name", personas[p].handle,
                     "followers_count", personas[p].followers, "verified",
                     personas[p].followers >= 100000);
}

static void build_x(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    const char *me = setting(in, "user_id");
    char uid[32], id[96], ms[24];
    int64_t at = now_ms();
    snprintf(ms, sizeof ms, "%lld", (long long)at);
    user_id(m->p, SIM_X, uid, sizeof uid);
    json_t *root;
    if (m->is_public) {
        thread_t *t = &s->threads[m->p][SIM_X];
        char created[40], text[600];
        time_t secs = (time_t)(at / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(created, sizeof created, "%a %b %d %H:%M:%S +0000 %Y", &tm);
        snprintf(text, sizeof text, "@%s %s", BRAND, m->text);
        num_id(s, "18610", id, sizeof id);
        json_t *user = x_user(m->p, uid);
        json_object_del(user, "id");
        json_t *tw = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:[{s:s, s:s}]}}", "created_at",
                               created, "id_str", id, "text", text, "timestamp_ms", ms, "source",
                               "Twitter for iPhone", "user", user, "entities", "user_mentions",
                               "screen_name", BRAND, "id_str", me);
        /* a follow-up replies to the person's previous tweet: same thread */
        json_object_set_new(tw, "in_reply_to_status_id_str",
                            t->last_public[0] ? json_string(t->last_public) : json_null());
        snprintf(t->last_public, sizeof t->last_public, "%s", id);
        root = json_pack("{s:s, s:[o]}", "for_user_id", me, "tweet_create_events", tw);
        r->what = "x mention";
    } else {
        json_t *users = json_object();
        json_object_set_new(users, uid, x_user(m->p, uid));
        root = json_pack("{s:s, s:[{s:s, s:s, s:s, s:{s:{s:s}, s:s, s:{s:s}}}], s:o}",
                         "for_user_id", me, "direct_message_events", "type", "message_create", "id",
                         num_id(s, "95449", id, sizeof id), "created_timestamp", ms,
                         "message_create", "target", "recipient_id", me, "sender_id", uid,
                         "message_data", "text", m->text, "users", users);
        r->what = "x dm";
    }
    json_body(r, root);
    char b64[64];
    hmac_b64(setting(in, "consumer_secret"), r->body, r->len, b64, sizeof b64);
    header(r, "x-twitter-webhooks-signature: sha256=%s", b64);
}

static void build_api(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    char uid[32], id[96], name[80], handle[64];
    user_id(m->p, SIM_API, uid, sizeof uid);
    snprintf(handle, sizeof handle, "@%s", personas[m->p].handle);
    json_body(r, json_pack("{s:s, s:{s:s, s:s, s:s, s:i}, s:s, s:s}", "id",
                           new_id(s, "crm-msg-", id, sizeof id), "contact", "id", uid, "name",
                           full_name(m->p, name, sizeof name), "handle", handle, "followers",
                           personas[m->p].followers, "body", m->text, "visibility",
                           m->is_public ? "public" : "private"));
    char hex[65];
    hmac_hex(setting(in, "hmac_secret"), r->body, r->len, hex);
    header(r, "X-Parley-Signature: sha256=%s", hex);
    r->what = m->is_public ? "api public" : "api message";
}

static void build_web(sim_t *s, const sim_inbox_t *in, const msg_t *m, req_t *r)
{
    char visitor[96], id[96], name[80], email[96];
    thread_t *t = &s->threads[m->p][SIM_WEB];
    /* one visitor per person and run: a new run is a new browser session */
    snprintf(visitor, sizeof visitor, "visitor-%s-%s", s->run, personas[m->p].handle);
    snprintf(email, sizeof email, "%s@example.com", personas[m->p].handle);
    snprintf(r->path, sizeof r->path, "/widget/%lld/messages", in->id);
    json_body(r, json_pack("{s:s, s:s, s:s, s:s, s:s}", "visitor_id", visitor, "id",
                           new_id(s, "w", id, sizeof id), "body", m->text, "name",
                           full_name(m->p, name, sizeof name), "email", email));
    const char *origin =
        json_string_value(json_array_get(json_object_get(in->settings, "allowed_origins"), 0));
    header(r, "Origin: %s", origin);
    header(r, "X-Parley-Widget-Token: %s", setting(in, "widget_token"));
    if (t->visitor_token[0]) header(r, "X-Parley-Visitor-Token: %s", t->visitor_token);
    r->what = "web chat";
}

/* ---- choosing what to send next ------------------------------------------ */

static bool has_public(sim_ch_t ch)
{
    return ch == SIM_MESSENGER || ch == SIM_INSTAGRAM || ch == SIM_X;
}

/* The text of person p's next message on ch (public or not). */
static const char *pick_text(sim_t *s, int p, sim_ch_t ch, bool is_public)
{
    thread_t *t = &s->threads[p][ch];
    unsigned roll = (unsigned)rng_below(&s->rng, 100);
    if (t->sent > 0 && roll < 40) return PICK(&s->rng, followups); /* the conversation goes on */
    if (is_public && roll >= 88) return PICK(&s->rng, pii);
    if (!is_public && roll >= 94) return PICK(&s->rng, pii);
    roll = (unsigned)rng_below(&s->rng, 100);
    if (roll < 45) return PICK(&s->rng, complaints);
    if (roll < 75) return PICK(&s->rng, questions);
    return PICK(&s->rng, praise);
}

/* A person who writes on ch: mostly the channel's regulars, sometimes anyone. */
static int pick_persona(sim_t *s, sim_ch_t ch)
{
    int regulars[N_PERSONAS], n = 0;
    for (int p = 0; p < N_PERSONAS; p++)
        if (personas[p].channels & B(ch)) regulars[n++] = p;
    if (n && rng_below(&s->rng, 100) < 85) return regulars[rng_below(&s->rng, (size_t)n)];
    return (int)rng_below(&s->rng, N_PERSONAS);
}

static bool wa_status_pending(sim_t *s, char *wamid, size_t cap, char *to, size_t to_cap);

/* Builds message number i. The first round visits every inbox once, with a
 * repeat writer on Messenger and X and a card number pasted in public, so a
 * short run (and the first minute of the demo) shows every case. */
static const sim_inbox_t *build_next(sim_t *s, long i, req_t *r)
{
    const sim_inbox_t *in;
    int drivable[MAX_INBOXES], nd = 0;
    for (int k = 0; k < s->n_inboxes; k++)
        if (s->inboxes[k].ch != SIM_EMAIL) drivable[nd++] = k;
    bool first_round = i < nd;
    in = &s->inboxes[drivable[first_round ? i : (long)rng_below(&s->rng, (size_t)nd)]];
    r->persona = -1;
    snprintf(r->path, sizeof r->path, "/webhooks/%lld", in->id);

    if (in->ch == SIM_WHATSAPP && !first_round && rng_below(&s->rng, 100) < 15) {
        char wamid[128], to[32];
        bool known = wa_status_pending(s, wamid, sizeof wamid, to, sizeof to);
        build_whatsapp_status(s, in, known ? wamid : NULL, known ? to : NULL, r);
        return in;
    }
    msg_t m = {0};
    m.is_public = has_public(in->ch) && rng_below(&s->rng, 100) < 55;
    m.p = pick_persona(s, in->ch);
    if (in->ch == SIM_API) m.is_public = rng_below(&s->rng, 100) < 20;
    if (first_round) {
        /* Priya writes on Messenger and X; a card number lands on Instagram */
        if (in->ch == SIM_MESSENGER || in->ch == SIM_X) m.p = 0, m.is_public = true;
        if (in->ch == SIM_INSTAGRAM) m.is_public = true;
    }
    m.text = pick_text(s, m.p, in->ch, m.is_public);
    if (first_round && in->ch == SIM_INSTAGRAM) m.text = pii[0];
    switch (in->ch) {
    case SIM_MESSENGER: build_messenger(s, in, &m, r); break;
    case SIM_INSTAGRAM: build_instagram(s, in, &m, r); break;
    case SIM_WHATSAPP: build_whatsapp(s, in, &m, r); break;
    case SIM_TWILIO: build_twilio(s, in, &m, r); break;
    case SIM_TELEGRAM: build_telegram(s, in, &m, r); break;
    case SIM_X: build_x(s, in, &m, r); break;
    case SIM_API: build_api(s, in, &m, r); break;
    case SIM_WEB: build_web(s, in, &m, r); break;
    default: break;
    }
    s->threads[m.p][in->ch].sent++;
    r->what = r->what ? r->what : ch_names[in->ch];
    r->persona = m.p;
    return in;
}

/* ---- HTTP ----------------------------------------------------------------- */

static size_t on_write(char *p, size_t size, size_t n, void *ctx)
{
    req_t *r = ctx;
    size_t len = size * n, room = sizeof r->response - 1 - r->response_len;
    size_t take = len < room ? len : room;
    memcpy(r->response + r->response_len, p, take);
    r->response_len += take;
    r->response[r->response_len] = '\0';
    return len;
}

/* Sends r; the HTTP status, or 0 when no answer came (reason in last_error). */
static long perform(sim_t *s, req_t *r, const char *method)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", s->url, r->path);
    CURL *c = s->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->last_error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "parley-simulate/" PARLEY_VERSION);
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)r->len);
        r->headers = curl_slist_append(r->headers, "Expect:");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    r->response_len = 0;
    r->response[0] = '\0';
    s->last_error[0] = '\0';
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* Waits up to `seconds` for GET /healthz to answer 200. */
static bool wait_for_server(sim_t *s, int seconds)
{
    double deadline = mono_s() + seconds;
    bool said = false;
    while (!stop_flag) {
        req_t *r = xcalloc(1, sizeof *r);
        snprintf(r->path, sizeof r->path, "/healthz");
        long st = perform(s, r, "GET");
        free(r);
        if (st == 200) return true;
        if (mono_s() > deadline) return false;
        if (!said) {
            printf("simulate: waiting for %s to answer ...\n", s->url);
            fflush(stdout);
            said = true;
        }
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void tally_line(sim_t *s, FILE *out, const char *prefix)
{
    fprintf(out, "%s%ld sent, %ld 2xx", prefix, s->sent, s->ok);
    bool any = false;
    for (int st = 0; st < 600; st++) {
        if (!s->by_status[st] || (st >= 200 && st < 300)) continue;
        fputs(any ? ", " : "; errors: ", out);
        if (st)
            fprintf(out, "%ld x HTTP %d", s->by_status[st], st);
        else
            fprintf(out, "%ld without an answer", s->by_status[st]);
        any = true;
    }
    fputs(" |", out);
    for (int k = 0; k < SIM_N; k++)
        if (s->by_channel[k]) fprintf(out, " %s %ld", ch_names[k], s->by_channel[k]);
    fputc('\n', out);
    fflush(out);
}

static void remember_visitor(sim_t *s, req_t *r, int p)
{
    json_t *v = json_loads(r->response, 0, NULL);
    const char *tok = json_string_value(json_object_get(v, "visitor_token"));
    if (tok && p >= 0 && p < N_PERSONAS)
        snprintf(s->threads[p][SIM_WEB].visitor_token, sizeof s->threads[p][SIM_WEB].visitor_token,
                 "%s", tok);
    json_decref(v);
}

/* ---- the fake platform ---------------------------------------------------- */

#define FAKE_KEEP 64

struct fake {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    long long seq;
    long requests;
    /* WhatsApp sends not yet receipted: the simulator sends their statuses */
    char wamid[FAKE_KEEP][128], to[FAKE_KEEP][32];
    int n_pending;
};

typedef struct {
    buf_t body;
} fake_conn_t;

static bool wa_status_pending(sim_t *s, char *wamid, size_t cap, char *to, size_t to_cap)
{
    fake_t *f = s->fake;
    if (!f) return false;
    bool got = false;
    pthread_mutex_lock(&f->lock);
    if (f->n_pending > 0) {
        f->n_pending--;
        snprintf(wamid, cap, "%s", f->wamid[f->n_pending]);
        snprintf(to, to_cap, "%s", f->to[f->n_pending]);
        got = true;
    }
    pthread_mutex_unlock(&f->lock);
    return got;
}

/* The answer the real platform gives to path with body. */
static json_t *fake_answer(fake_t *f, const char *path, json_t *body, unsigned *status)
{
    pthread_mutex_lock(&f->lock);
    long long n = ++f->seq;
    f->requests++;
    pthread_mutex_unlock(&f->lock);
    char id[96];
    *status = 200;
    const char *rid = json_string_value(json_object_get(json_object_get(body, "recipient"), "id"));
    if (!strncmp(path, "/v", 2) && strstr(path, "/messages")) {
        if (json_object_get(body, "messaging_product")) { /* WhatsApp Cloud API */
            const char *to = json_string_value(json_object_get(body, "to"));
            snprintf(id, sizeof id, "wamid.FAKE%lld", n);
            pthread_mutex_lock(&f->lock);
            if (f->n_pending < FAKE_KEEP && to) {
                snprintf(f->wamid[f->n_pending], sizeof f->wamid[0], "%s", id);
                snprintf(f->to[f->n_pending], sizeof f->to[0], "%s", to);
                f->n_pending++;
            }
            pthread_mutex_unlock(&f->lock);
            return json_pack("{s:s, s:[{s:s?, s:s?}], s:[{s:s}]}", "messaging_product", "whatsapp",
                             "contacts", "input", to, "wa_id", to, "messages", "id", id);
        }
        snprintf(id, sizeof id, "m_fake%lld", n); /* Messenger / Instagram Send API */
        return json_pack("{s:s?, s:s}", "recipient_id", rid, "message_id", id);
    }
    if (!strncmp(path, "/v", 2) && (strstr(path, "/comments") || strstr(path, "/replies"))) {
        snprintf(id, sizeof id, "fake_comment_%lld", n);
        return json_pack("{s:s}", "id", id);
    }
    if (!strncmp(path, "/2010-04-01/", 12)) {
        *status = 201;
        snprintf(id, sizeof id, "SMfake%030lld", n);
        return json_pack("{s:s, s:s}", "sid", id, "status", "queued");
    }
    if (strstr(path, "/sendMessage")) {
        json_t *chat = json_object_get(body, "chat_id");
        json_int_t cid = json_is_integer(chat)  ? json_integer_value(chat)
                         : json_is_string(chat) ? atoll(json_string_value(chat))
                                                : 0;
        return json_pack("{s:b, s:{s:I, s:I, s:{s:I, s:s}}}", "ok", 1, "result", "message_id",
                         (json_int_t)n, "date", (json_int_t)time(NULL), "chat", "id", cid, "type",
                         "private");
    }
    if (!strncmp(path, "/2/tweets", 9)) {
        *status = 201;
        snprintf(id, sizeof id, "19%017lld", n);
        return json_pack("{s:{s:s, s:s}}", "data", "id", id, "text", "ok");
    }
    if (!strncmp(path, "/2/dm_conversations/", 20)) {
        *status = 201;
        snprintf(id, sizeof id, "dm_fake_%lld", n);
        return json_pack("{s:{s:s, s:s}}", "data", "dm_conversation_id", "c1", "dm_event_id", id);
    }
    if (!strncmp(path, "/api-outbound", 13)) {
        snprintf(id, sizeof id, "api_fake_%lld", n);
        return json_pack("{s:s}", "id", id);
    }
    *status = 404;
    return json_pack("{s:{s:s, s:i}}", "error", "message", "the fake platform has no such endpoint",
                     "code", 100);
}

static enum MHD_Result fake_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **con_cls)
{
    (void)version;
    fake_t *f = cls;
    fake_conn_t *fc = *con_cls;
    if (!fc) {
        fc = xcalloc(1, sizeof *fc);
        buf_init(&fc->body, 1 << 20);
        *con_cls = fc;
        return MHD_YES;
    }
    if (*size) {
        buf_append(&fc->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    unsigned status = 404;
    json_t *body = json_loadb(buf_cstr(&fc->body), fc->body.len, 0, NULL);
    json_t *ans = strcmp(method, "POST") == 0
                      ? fake_answer(f, url, body, &status)
                      : json_pack("{s:{s:s}}", "error", "message", "the fake platform takes POSTs");
    json_decref(body);
    char *text = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void fake_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    fake_conn_t *fc = *con_cls;
    if (!fc) return;
    buf_free(&fc->body);
    free(fc);
    *con_cls = NULL;
}

static fake_t *fake_start(int port)
{
    fake_t *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                 (uint16_t)port, NULL, NULL, fake_request, f, MHD_OPTION_SOCK_ADDR,
                                 &addr, MHD_OPTION_NOTIFY_COMPLETED, fake_completed, f,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!f->daemon) {
        pthread_mutex_destroy(&f->lock);
        free(f);
        return NULL;
    }
    return f;
}

static void fake_stop(fake_t *f)
{
    if (!f) return;
    MHD_stop_daemon(f->daemon);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* ---- the command ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: parley simulate --url URL --inboxes FILE [--rate N/s] [--count N] [--seed S]\n"
        "                       [--fake-platform PORT]\n"
        "       parley simulate --fake-platform PORT\n\n"
        "Sends realistic, correctly signed customer traffic of every channel to a running\n"
        "server: Messenger DMs and page comments, Instagram DMs and comments, WhatsApp\n"
        "messages and status receipts, Twilio SMS, Telegram updates, X DMs and mentions,\n"
        "the api inbox and the website widget, each in the platform's wire format. The\n"
        "customers have names, handles and followers; some write on several channels,\n"
        "conversations continue, and card numbers get pasted in public. Prints a line\n"
        "every 50 messages and a summary; exit 0 when every request got a 2xx answer.\n\n"
        "options:\n"
        "  --url URL             the server (http://127.0.0.1:8080)\n"
        "  --inboxes FILE        the inboxes and their secrets, as `parley demo` writes them:\n"
        "                        [{\"id\": 1, \"channel\": \"messenger\", \"settings\": {...}}]\n"
        "  --rate N[/s|/min]     messages per second (default 2/s)\n"
        "  --count N             stop after N messages (default: until SIGINT/SIGTERM)\n"
        "  --seed S              the same texts and people for the same seed\n"
        "  --fake-platform PORT  also answer the platforms' send APIs on 127.0.0.1:PORT\n"
        "                        (point the inboxes' api_base_url there); alone, only that\n"
        "  --help                this help\n");
}

/* "2", "2/s", "0.5/s", "30/min", "30/m": messages per second, or < 0. */
static double parse_rate(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0) || !isfinite(v)) return -1;
    if (!*end || !strcmp(end, "/s")) return v;
    if (!strcmp(end, "/min") || !strcmp(end, "/m")) return v / 60.0;
    return -1;
}

static void sleep_until(double t)
{
    while (!stop_flag) {
        double left = t - mono_s();
        if (left <= 0) return;
        if (left > 0.25) left = 0.25; /* stay responsive to signals */
        struct timespec ts = {(time_t)left, (long)((left - (time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int run(sim_t *s, double rate, long count)
{
    if (!wait_for_server(s, 30)) {
        if (stop_flag) return 0;
        fprintf(stderr, "parley simulate: %s does not answer GET /healthz: %s\n", s->url,
                s->last_error[0] ? s->last_error : "no 200");
        return 1;
    }
    printf("simulate: sending to %s from %d inboxes at %.3g messages/s%s\n", s->url, s->n_inboxes,
           rate, count < 0 ? " until interrupted" : "");
    fflush(stdout);
    double start = mono_s();
    for (long i = 0; (count < 0 || i < count) && !stop_flag; i++) {
        sleep_until(start + (double)i / rate);
        if (stop_flag) break;
        req_t *r = xcalloc(1, sizeof *r);
        const sim_inbox_t *in = build_next(s, i, r);
        long st = r->body ? perform(s, r, "POST") : 0;
        s->sent++;
        s->by_channel[in->ch]++;
        if (st >= 0 && st < 600) s->by_status[st]++;
        if (st >= 200 && st < 300) {
            s->ok++;
            if (in->ch == SIM_WEB) remember_visitor(s, r, r->persona);
        } else if (st) {
            while (r->response_len && (r->response[r->response_len - 1] == '\n' ||
                                       r->response[r->response_len - 1] == '\r'))
                r->response[--r->response_len] = '\0';
            fprintf(stderr, "simulate: %s to inbox %lld: HTTP %ld %.300s\n", r->what, in->id, st,
                    r->response);
        } else {
            fprintf(stderr, "simulate: %s to inbox %lld: no answer: %s\n", r->what, in->id,
                    s->last_error);
        }
        curl_slist_free_all(r->headers);
        free(r->body);
        free(r);
        if (s->sent % PROGRESS == 0) tally_line(s, stdout, "simulate: ");
    }
    tally_line(s, stdout, "simulate: done: ");
    if (s->fake) printf("simulate: the fake platform answered %ld replies\n", s->fake->requests);
    return s->ok == s->sent ? 0 : 1;
}

int cli_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, 0, 'u'},  {"inboxes", required_argument, 0, 'i'},
        {"rate", required_argument, 0, 'r'}, {"count", required_argument, 0, 'c'},
        {"seed", required_argument, 0, 's'}, {"fake-platform", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    const char *url = NULL, *file = NULL;
    double rate = 2;
    long long count = -1, seed = -1, port = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'i': file = optarg; break;
        case 'r':
            if ((rate = parse_rate(optarg)) <= 0) {
                fprintf(stderr, "parley simulate: --rate must be a positive number of messages "
                                "per second (2, 0.5/s, 30/min)\n");
                return 2;
            }
            break;
        case 'c':
            if (!str_to_i64(str_from(optarg), &count) || count < 0) {
                fprintf(stderr, "parley simulate: --count must be a non-negative integer\n");
                return 2;
            }
            break;
        case 's':
            if (!str_to_i64(str_from(optarg), &seed) || seed < 0) {
                fprintf(stderr, "parley simulate: --seed must be a non-negative integer\n");
                return 2;
            }
            break;
        case 'f':
            if (!str_to_i64(str_from(optarg), &port) || port < 1 || port > 65535) {
                fprintf(stderr, "parley simulate: --fake-platform takes a port (1-65535)\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || (!url && !port) || (url && !file) || (!url && file)) {
        usage(stderr);
        return 2;
    }
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "parley simulate: --url must be an http(s) URL\n");
        return 2;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: sleeps and waits end early */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sim_t *s = xcalloc(1, sizeof *s);
    json_t *root = NULL;
    int status = 1;
    if (file && load_inboxes(file, &root, s->inboxes, &s->n_inboxes)) goto done;
    if (port) {
        if (!(s->fake = fake_start((int)port))) {
            fprintf(stderr, "parley simulate: cannot listen on 127.0.0.1:%lld: %s\n", port,
                    strerror(errno));
            goto done;
        }
        printf("simulate: fake platform on http://127.0.0.1:%lld (Graph, WhatsApp, Twilio, "
               "Telegram, X, api outbound)\n",
               port);
        fflush(stdout);
    }
    if (!url) { /* only the fake platform: serve until interrupted */
        while (!stop_flag) pause();
        printf("simulate: the fake platform answered %ld replies\n", s->fake->requests);
        status = 0;
        goto done;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(s->curl = curl_easy_init())) {
        fprintf(stderr, "parley simulate: libcurl could not start\n");
        goto done;
    }
    size_t ul = strlen(url);
    s->url = url;
    char *trimmed = xstrdup(url);
    while (ul > 0 && trimmed[ul - 1] == '/') trimmed[--ul] = '\0';
    s->url = trimmed;
    s->base_ms = now_ms();
    s->rng = (uint64_t)(seed >= 0 ? seed : s->base_ms) * 0x9E3779B97F4A7C15ULL + 1;
    /* decimal, so numeric platform ids stay numeric */
    snprintf(s->run, sizeof s->run, "%lld", (long long)(s->base_ms % 10000000000LL));
    status = run(s, rate, count);
    curl_easy_cleanup(s->curl);
    curl_global_cleanup();
    free(trimmed);
done:
    fake_stop(s->fake);
    json_decref(root);
    free(s);
    return status;
}
