/*
 * test_email.c - unit tests for the e-mail adapter (src/channels/email.c).
 *
 * Parses the sample messages in tests/data/mail (path in argv[1]) into exact
 * neutral fields: plain, HTML-only, multipart/alternative with attachments, a
 * threaded reply with its quoted history, RFC 2047 words, ISO-8859-1, base64
 * and quoted-printable bodies, authentication results, automatic mail and
 * malformed input. Then the settings rules, the outbound reply (envelope
 * lines, threading headers, encoding) and the SMTP answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "core/crypto.h"

static const char *data_dir;
static json_t *settings;

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
    *len = (size_t)n;
    return p;
}

typedef struct {
    arena_t a;
    ch_batch_t batch;
    char *raw;
    int rc;
    parley_err_t err;
} parsed_t;

static parsed_t *parse_bytes(const char *raw, size_t len)
{
    parsed_t *p = calloc(1, sizeof *p);
    arena_init(&p->a, 0);
    p->raw = malloc(len ? len : 1);
    memcpy(p->raw, raw, len);
    ch_request_t req = {.method = "MAIL", .url = "", .body = {p->raw, len}};
    p->rc = channel_email.parse(settings, &req, &p->a, &p->batch, &p->err);
    return p;
}

static parsed_t *parse_file(const char *name)
{
    size_t len;
    char *raw = slurp(name, &len);
    parsed_t *p = parse_bytes(raw, len);
    free(raw);
    return p;
}

/* The one message item of a successful parse. */
static const ch_item_t *item_of(parsed_t *p)
{
    if (p->rc) fail_msg("parse failed: %s", p->err.msg);
    assert_int_equal(p->batch.n, 1);
    return &p->batch.items[0];
}

static void done(parsed_t *p)
{
    arena_free(&p->a);
    free(p->raw);
    free(p);
}

static void test_plain(void **state)
{
    parsed_t *p = parse_file("plain.eml");
    const ch_item_t *it = item_of(p);
    assert_int_equal(it->kind, CH_ITEM_MESSAGE);
    assert_string_equal(it->external_id, "CAF1234.order@mail.example.com");
    assert_string_equal(it->thread_id, "CAF1234.order@mail.example.com");
    assert_null(it->in_reply_to);
    assert_false(it->is_public);
    assert_string_equal(it->author.external_id, "carol@example.com");
    assert_string_equal(it->author.handle, "carol@example.com");
    assert_string_equal(it->author.name, "Carol Customer");
    assert_int_equal(it->author.followers, -1);
    assert_string_equal(it->subject, "Order 1234 never arrived");
    assert_string_equal(it->body,
                        "Hello,\n\nmy order 1234 never arrived. Where is it?\n\nThanks,\nCarol");
    assert_true(it->at_ms == 1773134100000LL); /* 2026-03-10T09:15:00Z */
    assert_int_equal(it->n_attachments, 0);
    assert_null(it->auth_results);
    done(p);
}

static void test_html_only(void **state)
{
    parsed_t *p = parse_file("html_only.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->author.name, "Dave D.");
    assert_string_equal(it->body, "Hi there,\n"
                                  "The blender & the jug are broken.\n"
                                  "Line two \xe2\x80\x94 caf\xc3\xa9 \xc3\xa9\xe2\x82\xac &bogus; "
                                  "3 < 4\n"
                                  "- motor\n"
                                  "- lid\n"
                                  "Regards,\n"
                                  "Dave");
    assert_null(strstr(it->body, "alert"));
    assert_null(strstr(it->body, "hidden"));
    assert_null(strstr(it->body, "color"));
    done(p);
}

static void test_alternative_with_attachments(void **state)
{
    parsed_t *p = parse_file("alternative_attachment.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->body, "Please see the attached invoice.");
    assert_int_equal(it->n_attachments, 2);
    assert_string_equal(it->attachments[0].type, "file");
    assert_string_equal(it->attachments[0].mime, "application/pdf");
    assert_string_equal(it->attachments[0].url, "cid:invoice%2042.pdf");
    assert_string_equal(it->attachments[1].type, "image");
    assert_string_equal(it->attachments[1].mime, "image/png");
    assert_string_equal(it->attachments[1].url, "cid:logo%40example.net");
    done(p);
}

static void test_reply_threads_and_trims_quote(void **state)
{
    parsed_t *p = parse_file("reply.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->external_id, "CAF5678.reply@mail.example.com");
    assert_string_equal(it->thread_id, "CAF1234.order@mail.example.com"); /* the root */
    assert_string_equal(it->in_reply_to, "a1b2c3d4-0000-4000-8000-000000000001@acme.test");
    assert_string_equal(it->body, "It still has not arrived, can you check again?");
    assert_string_equal(it->subject, "Re: Order 1234 never arrived");
    done(p);
}

static void test_quote_kept_unless_clearly_marked(void **state)
{
    /* ">" lines without an "On ... wrote:" line stay; inline answers stay */
    const char *a = "From: a@example.com\nMessage-ID: <q1@x>\n\nmy answer\n> your question\n";
    parsed_t *p = parse_bytes(a, strlen(a));
    assert_string_equal(item_of(p)->body, "my answer\n> your question");
    done(p);
    const char *b = "From: a@example.com\nMessage-ID: <q2@x>\n\nOn Monday, Bob wrote:\n> q1\n"
                    "answer 1\n> q2\nanswer 2\n";
    p = parse_bytes(b, strlen(b));
    assert_string_equal(item_of(p)->body, "On Monday, Bob wrote:\n> q1\nanswer 1\n> q2\nanswer 2");
    done(p);
    /* a message that is nothing but a quote is kept whole */
    const char *c = "From: a@example.com\nMessage-ID: <q3@x>\n\nOn Monday, Bob wrote:\n> q1\n";
    p = parse_bytes(c, strlen(c));
    assert_string_equal(item_of(p)->body, "On Monday, Bob wrote:\n> q1");
    done(p);
    /* Outlook's marker cuts the history below it */
    const char *d = "From: a@example.com\nMessage-ID: <q4@x>\n\nThanks!\n\n"
                    "-----Original Message-----\nFrom: Acme\nSent: Monday\n\nold text\n";
    p = parse_bytes(d, strlen(d));
    assert_string_equal(item_of(p)->body, "Thanks!");
    done(p);
    /* an HTML reply: the blockquote becomes "> " lines, and is trimmed */
    const char *e = "From: a@example.com\nMessage-ID: <q5@x>\nContent-Type: text/html\n\n"
                    "<div>New text</div><div>On Mon, Bob &lt;b@x&gt; wrote:<br></div>"
                    "<blockquote><p>old</p><p>older</p></blockquote>";
    p = parse_bytes(e, strlen(e));
    assert_string_equal(item_of(p)->body, "New text");
    done(p);
}

static void test_encoded_words(void **state)
{
    parsed_t *p = parse_file("encoded_words.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->author.name, "J\xc3\xbcrgen M\xc3\xbcller");
    assert_string_equal(it->author.external_id, "juergen@example.de");
    assert_string_equal(it->subject, "Pr\xc3\xbc"
                                     "fung der Rechnung \xe2\x82\xac 42");
    assert_string_equal(it->body, "Gr\xc3\xbc\xc3\x9f"
                                  "e aus M\xc3\xbcnchen");
    done(p);
}

static void test_latin1(void **state)
{
    parsed_t *p = parse_file("latin1.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->body, "Bonjour, le colis est arriv\xc3\xa9 ab\xc3\xaem\xc3\xa9. "
                                  "Fa\xc3\xa7"
                                  "ade \xc3\xa0 refaire.");
    /* raw 8-bit headers: not valid UTF-8, read as Windows-1252 */
    assert_string_equal(it->author.name, "Ren\xc3\xa9"
                                         "e");
    assert_string_equal(it->subject, "Probl\xc3\xa8me de livraison");
    done(p);
}

static void test_base64_and_qp(void **state)
{
    parsed_t *p = parse_file("base64.eml");
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->body, "Hallo! Das Paket ist besch\xc3\xa4"
                                  "digt angekommen. \xf0\x9f\x98\x9e\nBitte ersetzen.");
    assert_string_equal(it->author.external_id, "frank@example.com");
    assert_null(it->author.name);
    done(p);
    p = parse_file("qp.eml");
    it = item_of(p);
    assert_string_equal(it->body, "I would like a refund of \xe2\x82\xac"
                                  "30 for the caf\xc3\xa9 machine, it is a very long line that was "
                                  "wrapped with a soft break.\nTab\there and equals = sign.");
    done(p);
}

static void test_auth_results(void **state)
{
    parsed_t *p = parse_file("auth_results.eml");
    /* the topmost header (our MTA's) counts, not the one the sender wrote */
    assert_string_equal(item_of(p)->auth_results, "spf=pass dkim=pass dmarc=pass");
    done(p);
    p = parse_file("received_spf_only.eml");
    assert_string_equal(item_of(p)->auth_results, "spf=softfail");
    done(p);

    /* with authserv_id set, only that server's results are believed */
    json_t *saved = settings;
    settings = json_pack("{s:s,s:s,s:s}", "address", "support@acme.test", "smtp_url",
                         "smtp://127.0.0.1:2525", "authserv_id", "evil.example");
    p = parse_file("auth_results.eml");
    assert_string_equal(item_of(p)->auth_results, "spf=fail dkim=fail dmarc=fail");
    done(p);
    json_object_set_new(settings, "authserv_id", json_string("other.example"));
    p = parse_file("auth_results.eml");
    assert_string_equal(item_of(p)->auth_results, "spf=pass"); /* Received-SPF only */
    done(p);
    json_decref(settings);
    settings = saved;
}

static void test_automatic_and_own_mail_ignored(void **state)
{
    parsed_t *p = parse_file("autoreply.eml");
    assert_int_equal(item_of(p)->kind, CH_ITEM_IGNORED);
    done(p);
    const char *own = "From: Acme <SUPPORT@acme.test>\nMessage-ID: <own@x>\n\nour reply\n";
    p = parse_bytes(own, strlen(own));
    assert_int_equal(item_of(p)->kind, CH_ITEM_IGNORED);
    done(p);
    const char *bounce = "From: MAILER-DAEMON@mx.example.com\nMessage-ID: <b@x>\n\nfailed\n";
    p = parse_bytes(bounce, strlen(bounce));
    assert_int_equal(item_of(p)->kind, CH_ITEM_IGNORED);
    done(p);
    const char *human = "From: a@example.com\nAuto-Submitted: no\nMessage-ID: <h@x>\n\nhi\n";
    p = parse_bytes(human, strlen(human));
    assert_int_equal(item_of(p)->kind, CH_ITEM_MESSAGE);
    done(p);
}

static void test_missing_message_id_and_empty_body(void **state)
{
    size_t len;
    char *raw = slurp("no_message_id.eml", &len);
    char hex[65];
    crypto_sha256_hex(raw, len, hex);
    parsed_t *p = parse_bytes(raw, len);
    const ch_item_t *it = item_of(p);
    assert_string_equal(it->external_id, hex);
    assert_string_equal(it->thread_id, hex);
    assert_string_equal(it->body, "A message without a Message-ID.");
    done(p);
    free(raw);

    p = parse_file("attachment_only.eml");
    it = item_of(p);
    assert_string_equal(it->body, "Photo of the damage"); /* the subject stands in */
    assert_int_equal(it->n_attachments, 1);
    assert_string_equal(it->attachments[0].type, "image");
    assert_string_equal(it->attachments[0].url, "cid:damage.jpg");
    done(p);
}

static void test_malformed(void **state)
{
    parsed_t *p = parse_file("malformed.eml");
    assert_int_equal(p->rc, PARLEY_EINVAL);
    assert_int_equal(p->batch.n, 0);
    done(p);
    static const char *const bad[] = {
        "",
        "From: nobody\n\nno address\n",
        "From: <>\n\nempty address\n",
        "From: a b@example.com\n\nspace\n",
        "Subject: no from\n\nbody\n",
        "\x00\x01\x02\x03",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = parse_bytes(bad[i], i == 5 ? 4 : strlen(bad[i]));
        assert_int_equal(p->rc, PARLEY_EINVAL);
        done(p);
    }
    /* hostile bytes never reach the item as invalid UTF-8 or control characters */
    static const char h[] = "From: \"Ev\xffil\x01\" <e@example.com>\nMessage-ID: <h2@x>\n"
                            "Content-Type: text/plain; charset=x-unknown-charset\n\n"
                            "bad \xff\xfe\x00 bytes\n";
    p = parse_bytes(h, sizeof h - 1);
    const ch_item_t *it = item_of(p);
    assert_non_null(strstr(it->body, "bad "));
    assert_non_null(strstr(it->author.name, "Ev"));
    for (const char *c = it->author.name; *c; c++) assert_true((unsigned char)*c >= 0x20);
    done(p);
}

static void test_validate_settings(void **state)
{
    parley_err_t err;
    assert_int_equal(channel_email.validate_settings(settings, &err), 0);
    json_t *full = json_pack("{s:s,s:s,s:s,s:s,s:s}", "address", "help@acme.test", "smtp_url",
                             "smtps://smtp.example.com:465", "smtp_username", "u", "smtp_password",
                             "p", "from_name", "Acme Help");
    assert_int_equal(channel_email.validate_settings(full, &err), 0);
    json_decref(full);
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"smtp_url\":\"smtp://h\"}", "/settings/address"},
        {"{\"address\":\"a@b\"}", "/settings/smtp_url"},
        {"{\"address\":\"not-an-address\",\"smtp_url\":\"smtp://h\"}", "/settings/address"},
        {"{\"address\":\"a <a@b>\",\"smtp_url\":\"smtp://h\"}", "/settings/address"},
        {"{\"address\":\"a@b\",\"smtp_url\":\"http://h\"}", "/settings/smtp_url"},
        {"{\"address\":\"a@b\",\"smtp_url\":\"smtp://\"}", "/settings/smtp_url"},
        {"{\"address\":\"a@b\",\"smtp_url\":\"smtp://h\",\"pop3\":\"x\"}", "/settings/pop3"},
        {"{\"address\":\"a@b\",\"smtp_url\":\"smtp://h\",\"from_name\":\"a\\r\\nBcc: x\"}",
         "/settings/from_name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *s = json_loads(bad[i].json, 0, NULL);
        assert_non_null(s);
        memset(&err, 0, sizeof err);
        assert_int_equal(channel_email.validate_settings(s, &err), PARLEY_EINVAL);
        assert_string_equal(err.field, bad[i].field);
        json_decref(s);
    }
    assert_ptr_equal(channel_find("email"), &channel_email);
    /* e-mail never comes in over HTTP */
    ch_request_t req = {.method = "POST", .url = "", .body = {"x", 1}};
    assert_int_equal(channel_email.verify(settings, &req, &err), PARLEY_EAUTH);
}

static const char *header_of(const ch_http_call_t *call, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < call->n_headers; i++)
        if (!strncmp(call->headers[i], name, n) && call->headers[i][n] == ':')
            return call->headers[i] + n + 2;
    return NULL;
}

static void test_format_send(void **state)
{
    json_t *s =
        json_pack("{s:s,s:s,s:s,s:s}", "address", "support@acme.test", "smtp_url",
                  "smtp://127.0.0.1:2525", "from_name", "Acme Support", "smtp_password", "secret");
    arena_t a;
    arena_init(&a, 0);
    ch_outbound_t m = {.recipient_id = "carol@example.com",
                       .thread_id = "CAF1234.order@mail.example.com",
                       .reply_to_id = "CAF5678.reply@mail.example.com",
                       .body = "Hi Carol,\nit ships today \xe2\x80\x94 sorry!\n.\nAcme",
                       .subject = "Order 1234 never arrived"};
    ch_http_call_t call;
    parley_err_t err;
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), 0);
    assert_string_equal(call.method, "SMTP");
    assert_string_equal(call.url, "smtp://127.0.0.1:2525");
    assert_string_equal(call.content_type, "message/rfc822");
    assert_int_equal(call.n_headers, 3);
    assert_string_equal(header_of(&call, "MAIL FROM"), "<support@acme.test>");
    assert_string_equal(header_of(&call, "RCPT TO"), "<carol@example.com>");
    const char *mid = header_of(&call, "Message-ID");
    assert_non_null(mid);
    assert_int_equal(strlen(mid), 2 + 36 + strlen("@acme.test"));
    assert_non_null(strstr(mid, "@acme.test>"));
    assert_null(strstr(call.body, "secret")); /* credentials never travel in the call */
    const char *b = call.body;
    assert_non_null(strstr(b, "From: Acme Support <support@acme.test>\r\n"));
    assert_non_null(strstr(b, "To: carol@example.com\r\n"));
    assert_non_null(strstr(b, "Subject: Re: Order 1234 never arrived\r\n"));
    assert_non_null(strstr(b, "\r\nDate: ") || !strncmp(b, "Date: ", 6));
    char want[128];
    snprintf(want, sizeof want, "Message-ID: %s\r\n", mid);
    assert_non_null(strstr(b, want));
    assert_non_null(strstr(b, "In-Reply-To: <CAF5678.reply@mail.example.com>\r\n"));
    assert_non_null(strstr(b, "References: <CAF1234.order@mail.example.com> "
                              "<CAF5678.reply@mail.example.com>\r\n"));
    assert_non_null(strstr(b, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(b, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(b, "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(b, "\r\n\r\nHi Carol,\r\nit ships today =E2=80=94 sorry!\r\n"));
    for (const char *c = b; *c; c++) /* every line ends in CRLF */
        if (*c == '\n') assert_int_equal(c[-1], '\r');

    /* the subject is not doubled, the root not repeated, hashes not sent */
    m.subject = "RE: Order";
    m.thread_id = m.reply_to_id;
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), 0);
    assert_non_null(strstr(call.body, "Subject: RE: Order\r\n"));
    assert_non_null(strstr(call.body, "References: <CAF5678.reply@mail.example.com>\r\n"));
    m.subject = NULL;
    m.reply_to_id = m.thread_id =
        "3f5a0c0e5b7c1c7a9d7e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e";
    m.attachment_url = "https://files.example.com/label.pdf";
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), 0);
    assert_non_null(strstr(call.body, "Subject: Re: your message\r\n"));
    assert_null(strstr(call.body, "In-Reply-To"));
    assert_null(strstr(call.body, "References"));
    assert_non_null(strstr(call.body, "label.pdf"));

    /* a non-ASCII subject and sender name are RFC 2047 words */
    m.subject = "Pr\xc3\xbc"
                "fung\r\nBcc: evil@example.com";
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), 0);
    assert_null(strstr(call.body, "\r\nBcc:"));
    assert_non_null(strstr(call.body, "Subject: Re: =?"));

    /* refusals */
    m.recipient_id = "not an address";
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), PARLEY_EINVAL);
    m.recipient_id = "carol@example.com\r\nRCPT TO: <x@y>";
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), PARLEY_EINVAL);
    m.recipient_id = "carol@example.com";
    m.body = "bad \xff utf-8";
    assert_int_equal(channel_email.format_send(s, &m, &a, &call, &err), PARLEY_EINVAL);
    arena_free(&a);
    json_decref(s);
}

static void test_parse_send_result(void **state)
{
    char ext[256];
    bool retry;
    parley_err_t err;
    const char *mid = "<0d9e4c1a-1111-4222-8333-444455556666@acme.test>";
    assert_int_equal(
        channel_email.parse_send_result(250, mid, strlen(mid), ext, sizeof ext, &retry, &err), 0);
    assert_string_equal(ext, "0d9e4c1a-1111-4222-8333-444455556666@acme.test");
    assert_false(retry);
    assert_int_equal(channel_email.parse_send_result(250, "", 0, ext, sizeof ext, &retry, &err),
                     PARLEY_EIO);
    const char *busy = "451 4.3.0 try again later";
    assert_int_equal(
        channel_email.parse_send_result(451, busy, strlen(busy), ext, sizeof ext, &retry, &err),
        PARLEY_EIO);
    assert_true(retry);
    assert_non_null(strstr(err.msg, "451"));
    const char *no = "550 5.1.1 no such user";
    assert_int_equal(
        channel_email.parse_send_result(550, no, strlen(no), ext, sizeof ext, &retry, &err),
        PARLEY_EIO);
    assert_false(retry);
    assert_int_equal(channel_email.parse_send_result(0, NULL, 0, ext, sizeof ext, &retry, &err),
                     PARLEY_EIO);
    assert_true(retry);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_email tests/data/mail\n");
        return 2;
    }
    data_dir = argv[1];
    if (crypto_init() != 0) return 1;
    settings =
        json_pack("{s:s,s:s}", "address", "support@acme.test", "smtp_url", "smtp://127.0.0.1:2525");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_html_only),
        cmocka_unit_test(test_alternative_with_attachments),
        cmocka_unit_test(test_reply_threads_and_trims_quote),
        cmocka_unit_test(test_quote_kept_unless_clearly_marked),
        cmocka_unit_test(test_encoded_words),
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_base64_and_qp),
        cmocka_unit_test(test_auth_results),
        cmocka_unit_test(test_automatic_and_own_mail_ignored),
        cmocka_unit_test(test_missing_message_id_and_empty_body),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_validate_settings),
        cmocka_unit_test(test_format_send),
        cmocka_unit_test(test_parse_send_result),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(settings);
    return rc;
}
