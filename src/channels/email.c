/*
 * email.c - the e-mail adapter: one RFC 5322 message in, one threaded reply out.
 *
 * Owns reading a raw message (MIME structure, transfer encodings, charsets and
 * RFC 2047 words, all through GMime), choosing the text a person wrote
 * (text/plain, else HTML reduced to text; a clearly marked quoted history
 * trimmed), threading by References/In-Reply-To, the authentication results
 * the receiving MTA recorded, and building the reply the delivery worker sends
 * over SMTP. Mail arrives through `parley mail-in` (an MTA pipe), never through
 * a webhook, so verify refuses every HTTP request.
 */
#include <ctype.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "channels/email.h"
#include "core/crypto.h"

#define EMAIL_MAX_RAW     (25u << 20) /* what `parley mail-in` accepts */
#define EMAIL_MAX_TEXT    (256u << 10)
#define EMAIL_MAX_ID      255
#define EMAIL_MAX_NAME    256
#define EMAIL_MAX_SUBJECT 998
#define EMAIL_MAX_DEPTH   32 /* MIME nesting we walk */

static const ch_setting_t settings_spec[] = {
    {"address", true, false},
    {"smtp_url", true, false},
    {"smtp_username", false, false},
    {"smtp_password", false, false},
    {"from_name", false, false},
    {"authserv_id", false, false},
    {NULL, false, false},
};

/* ---- GMime start-up: once per process, from whichever thread comes first ---- */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *parser_opts; /* read-only after start-up */

static void gmime_start(void)
{
    static const char *fallback[] = {"utf-8", "windows-1252", NULL};
    g_mime_init();
    parser_opts = g_mime_parser_options_new();
    /* raw 8-bit headers and bodies without a charset: UTF-8, else Windows-1252 */
    g_mime_parser_options_set_fallback_charsets(parser_opts, fallback);
}

static void email_init(void)
{
    pthread_once(&gmime_once, gmime_start);
}

/* ---- small checks ---- */

/* An addr-spec we can put in an envelope and a header: local@domain, no
 * spaces, brackets, quotes or control characters. */
static bool is_address(const char *s)
{
    if (!s) return false;
    size_t n = strlen(s);
    const char *at = strrchr(s, '@');
    if (n == 0 || n > 254 || !at || at == s || !at[1] || at - s > 64) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\"\\", *p) ||
            (*p == '@' && p != (const unsigned char *)at))
            return false;
    return g_utf8_validate(s, (gssize)n, NULL);
}

/* A Message-ID we keep as an external id: 1..255 printable, no brackets or spaces. */
static bool is_msgid(const char *s)
{
    if (!s || !*s || strlen(s) > EMAIL_MAX_ID) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>') return false;
    return true;
}

/* s as valid UTF-8 without control characters (tabs and newlines become
 * spaces), trimmed and cut to at most max bytes on a character boundary. */
static const char *clean_line(arena_t *a, const char *s, size_t max)
{
    if (!s) return NULL;
    gchar *v = g_utf8_make_valid(s, -1);
    size_t n = 0, len = strlen(v);
    char *out = arena_alloc(a, len + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) c = ' ';
        if (c == ' ' && (n == 0 || out[n - 1] == ' ')) continue;
        out[n++] = (char)c;
    }
    g_free(v);
    while (n && out[n - 1] == ' ') n--;
    if (n > max) {
        n = max;
        while (n && ((unsigned char)out[n] & 0xC0) == 0x80) n--;
    }
    out[n] = '\0';
    return out;
}

/* ---- settings ---- */

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    int rc = ch__validate(settings, settings_spec, err);
    if (rc) return rc;
    if (!is_address(ch__setting(settings, "address")))
        return parley_errf(err, PARLEY_EINVAL, "/settings/address",
                           "/settings/address must be an e-mail address (name@domain)");
    const char *url = ch__setting(settings, "smtp_url");
    size_t skip = !strncmp(url, "smtp://", 7) ? 7 : !strncmp(url, "smtps://", 8) ? 8 : 0;
    if (!skip || !url[skip] || url[skip] == '/' || strchr(url, ' '))
        return parley_errf(err, PARLEY_EINVAL, "/settings/smtp_url",
                           "/settings/smtp_url must be smtp://host[:port] or smtps://host[:port]");
    return 0;
}

static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    return parley_errf(err, PARLEY_EAUTH, "",
                       "e-mail arrives through `parley mail-in`, not over HTTP");
}

/* ---- text: decoding, HTML, quoted history ---- */

/* Appends text[0..n) with CRLF and CR as LF, other control characters
 * (but tabs) dropped. text is valid UTF-8. */
static void put_normalised(buf_t *b, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r') {
            buf_putc(b, '\n');
            if (i + 1 < n && text[i + 1] == '\n') i++;
        } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
            buf_putc(b, (char)c);
        }
    }
}

/* The part's content, transfer encoding undone and converted to UTF-8
 * (g_free). A declared charset is trusted (bad bytes are dropped or
 * replaced); none, or one iconv does not know, is guessed from the bytes. */
static char *part_utf8(GMimePart *part, size_t *len)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *raw = g_mime_stream_mem_new();
    if (w) g_mime_data_wrapper_write_to_stream(w, raw);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw));
    const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    bool unicode = cs && (!g_ascii_strcasecmp(cs, "utf-8") || !g_ascii_strcasecmp(cs, "utf8"));
    bool ascii = !cs || !g_ascii_strcasecmp(cs, "us-ascii");
    GMimeFilter *f = !unicode && !ascii ? g_mime_filter_charset_new(cs, "UTF-8") : NULL;
    char *text;
    if (bytes->len == 0) { /* an empty part: data may be NULL */
        if (f) g_object_unref(f);
        text = g_strdup("");
    } else if (f) {
        GMimeStream *conv = g_mime_stream_mem_new();
        GMimeStream *fs = g_mime_stream_filter_new(conv);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), f);
        g_object_unref(f);
        g_mime_stream_write(fs, (const char *)bytes->data, bytes->len);
        g_mime_stream_flush(fs);
        g_object_unref(fs);
        GByteArray *out = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(conv));
        text = g_utf8_make_valid((const char *)out->data, out->len);
        g_object_unref(conv);
    } else if (unicode || g_utf8_validate((const char *)bytes->data, bytes->len, NULL)) {
        text = g_utf8_make_valid((const char *)bytes->data, bytes->len);
    } else {
        char *guess = g_mime_utils_decode_8bit(parser_opts, (const char *)bytes->data, bytes->len);
        text = g_utf8_make_valid(guess, -1);
        g_free(guess);
    }
    g_object_unref(raw);
    *len = strlen(text);
    return text;
}

typedef struct {
    buf_t *b;
    int quote; /* <blockquote> depth: lines inside start with "> " */
    bool pre, line_start, space;
} html_out_t;

static void html_newline(html_out_t *o)
{
    buf_putc(o->b, '\n');
    o->line_start = true;
    o->space = false;
}

static void html_break(html_out_t *o)
{
    if (!o->line_start) html_newline(o);
}

static void html_char(html_out_t *o, char c)
{
    if (!o->pre && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
        if (!o->line_start) o->space = true;
        return;
    }
    if (o->pre && c == '\n') {
        html_newline(o);
        return;
    }
    if (o->line_start)
        for (int i = 0; i < o->quote; i++) buf_puts(o->b, "> ");
    else if (o->space)
        buf_putc(o->b, ' ');
    o->line_start = o->space = false;
    buf_putc(o->b, c);
}

static void html_codepoint(html_out_t *o, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp == 0xA0) cp = ' ';
    char u[8];
    int n = g_unichar_to_utf8((gunichar)cp, u);
    for (int i = 0; i < n; i++) html_char(o, u[i]);
}

/* The HTML 4 names of U+00A0..U+00FF, in order (what European mail uses). */
static const char *const latin1_entities[96] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

/* Decodes the entity at s (just after '&'); returns the bytes consumed, 0
 * when it is not one (the '&' is then text). */
static size_t html_entity(html_out_t *o, const char *s)
{
    static const struct {
        const char *name;
        unsigned long cp;
    } named[] = {{"amp", '&'},      {"lt", '<'},       {"gt", '>'},        {"quot", '"'},
                 {"apos", '\''},    {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014},
                 {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201C},
                 {"rdquo", 0x201D}, {"sbquo", 0x201A}, {"bdquo", 0x201E},  {"euro", 0x20AC},
                 {"bull", 0x2022},  {"OElig", 0x152},  {"oelig", 0x153},   {"Scaron", 0x160},
                 {"scaron", 0x161}, {"zwnj", 0x200C},  {"zwj", 0x200D},    {"thinsp", 0x2009},
                 {"ensp", 0x2002},  {"emsp", 0x2003}};
    size_t n = 0;
    while (n < 12 && s[n] && s[n] != ';' && (isalnum((unsigned char)s[n]) || s[n] == '#')) n++;
    if (s[n] != ';' || n == 0) return 0;
    if (s[0] == '#') {
        bool hex = s[1] == 'x' || s[1] == 'X';
        size_t i = hex ? 2 : 1;
        if (i >= n) return 0;
        unsigned long cp = 0;
        for (; i < n; i++) {
            int d = g_ascii_xdigit_value(s[i]);
            if (d < 0 || (!hex && d > 9)) return 0;
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            if (cp > 0x10FFFF) cp = 0x110000; /* stays out of range without overflowing */
        }
        html_codepoint(o, cp);
        return n + 1;
    }
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        if (strlen(named[k].name) == n && !strncmp(named[k].name, s, n)) {
            html_codepoint(o, named[k].cp);
            return n + 1;
        }
    for (unsigned long k = 0; k < 96; k++)
        if (strlen(latin1_entities[k]) == n && !strncmp(latin1_entities[k], s, n)) {
            html_codepoint(o, 0xA0 + k);
            return n + 1;
        }
    return 0;
}

/* The index of name in the NULL-terminated list, or -1. */
static int name_index(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(name, list[i])) return i;
    return -1;
}

static bool name_is(const char *name, const char *const *list)
{
    return name_index(name, list) >= 0;
}

/* The end of the element whose content is skipped (script, style, ...):
 * just past "</name ...>"; p itself when it is never closed (the content is
 * then kept as text rather than losing the rest of the message). */
static const char *skip_element(const char *p, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = p; *s; s++)
        if (s[0] == '<' && s[1] == '/' && !g_ascii_strncasecmp(s + 2, name, n) &&
            !isalnum((unsigned char)s[2 + n])) {
            const char *gt = strchr(s, '>');
            return gt ? gt + 1 : s + strlen(s);
        }
    return p;
}

/* HTML (valid UTF-8) as plain text: tags, comments, scripts and styles gone,
 * entities decoded, whitespace collapsed, line breaks kept for br and block
 * elements, list items as "- ", blockquotes as "> " lines. */
static void html_to_text(const char *h, buf_t *b)
{
    static const char *const skipped[] = {"script", "style", "head", "title", "template", NULL};
    static const char *const blocks[] = {
        "p",       "div",    "tr",   "table",    "h1",      "h2",     "h3",     "h4", "h5", "h6",
        "ul",      "ol",     "hr",   "section",  "article", "header", "footer", "dl", "dt", "dd",
        "address", "center", "form", "fieldset", "caption", "tbody",  "thead",  NULL};
    html_out_t o = {.b = b, .line_start = true};
    const char *p = h;
    unsigned unclosed = 0; /* skipped elements (by index) that are never closed */
    while (*p) {
        if (*p == '&') {
            size_t used = html_entity(&o, p + 1);
            if (used) {
                p += used + 1;
                continue;
            }
            html_char(&o, *p++);
            continue;
        }
        if (*p != '<') {
            html_char(&o, *p++);
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            const char *end = strstr(p + 4, "-->");
            p = end ? end + 3 : p + strlen(p);
            continue;
        }
        bool closing = p[1] == '/';
        const char *q = p + 1 + closing;
        if (!isalpha((unsigned char)*q) && *q != '!' && *q != '?') {
            html_char(&o, *p++);
            continue;
        }
        char name[16];
        size_t n = 0;
        while (isalnum((unsigned char)q[n]) && n < sizeof name - 1) {
            name[n] = (char)g_ascii_tolower(q[n]);
            n++;
        }
        name[n] = '\0';
        /* to the end of the tag, quotes respected */
        char quote = 0;
        for (q += n; *q && (quote || *q != '>'); q++) {
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
        }
        p = *q ? q + 1 : q;
        int sk = name_index(name, skipped);
        if (!closing && sk >= 0 && !(unclosed & 1u << sk)) {
            const char *after = skip_element(p, name);
            if (after == p) unclosed |= 1u << sk; /* never searched again: linear time */
            p = after;
        } else if (!strcmp(name, "br")) {
            html_newline(&o);
        } else if (!strcmp(name, "li")) {
            html_break(&o);
            if (!closing) {
                html_char(&o, '-');
                o.space = true;
            }
        } else if (!strcmp(name, "blockquote")) {
            html_break(&o);
            o.quote += closing ? (o.quote > 0 ? -1 : 0) : (o.quote < 8 ? 1 : 0);
        } else if (!strcmp(name, "pre")) {
            html_break(&o);
            o.pre = !closing;
        } else if (!strcmp(name, "td") || !strcmp(name, "th")) {
            if (closing && !o.line_start) o.space = true;
        } else if (name_is(name, blocks)) {
            html_break(&o);
        }
    }
}

/* Start of the line that ends just before `end` (end points at its '\n' or
 * at the end of the text). */
static const char *line_start(const char *text, const char *end)
{
    while (end > text && end[-1] != '\n') end--;
    return end;
}

static bool blank(const char *s, const char *e)
{
    for (; s < e; s++)
        if (*s != ' ' && *s != '\t') return false;
    return true;
}

/* Where a clearly marked quoted history starts in text (LF lines), or len
 * when there is none: "-----Original Message-----", or an "On ... wrote:"
 * line (possibly wrapped over two) followed by nothing but ">" lines. */
static size_t quoted_history(const char *text, size_t len)
{
    const char *orig = strstr(text, "-----Original Message-----");
    if (orig && (orig == text || orig[-1] == '\n')) return (size_t)(orig - text);
    const char *end = text + len, *e = end;
    bool quoted = false;
    while (e > text) { /* the block of ">" and blank lines at the end */
        const char *s = line_start(text, e);
        if (*s == '>')
            quoted = true;
        else if (!blank(s, e))
            break;
        e = s > text ? s - 1 : s;
        if (s == text) return len; /* the whole text is quoted: keep it */
    }
    if (!quoted) return len;
    const char *s = line_start(text, e);
    while (blank(s, e) && s > text) { /* blank lines between attribution and quote */
        e = s - 1;
        s = line_start(text, e);
    }
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e - s < 6 || strncmp(e - 6, "wrote:", 6) != 0) return len;
    if (!strncmp(s, "On ", 3)) return (size_t)(s - text);
    if (s > text) {
        const char *prev = line_start(text, s - 1);
        if (!strncmp(prev, "On ", 3)) return (size_t)(prev - text);
    }
    return len;
}

/* The body as stored: trailing space and blank lines gone, at most
 * EMAIL_MAX_TEXT bytes (cut on a character boundary). */
static const char *finish_body(arena_t *a, buf_t *b)
{
    const char *t = buf_cstr(b);
    size_t n = quoted_history(t, b->len);
    size_t keep = n;
    while (keep && strchr(" \t\n", t[keep - 1])) keep--;
    if (keep == 0) { /* trimming would leave nothing: keep the whole text */
        keep = b->len;
        while (keep && strchr(" \t\n", t[keep - 1])) keep--;
    }
    size_t start = 0;
    while (start < keep && t[start] == '\n') start++;
    if (keep - start > EMAIL_MAX_TEXT) {
        keep = start + EMAIL_MAX_TEXT;
        while (keep > start && ((unsigned char)t[keep] & 0xC0) == 0x80) keep--;
    }
    return arena_strndup(a, t + start, keep - start);
}

/* ---- walking the MIME tree ---- */

typedef struct {
    arena_t *a;
    ch_item_t *it;
    buf_t plain, html; /* every inline text/plain part; every inline text/html part */
    int n_plain, n_html, n_parts;
} walk_t;

static void attach_part(walk_t *w, GMimeObject *obj, const char *mime, const char *filename)
{
    if (!filename || !*filename) {
        const char *cid = g_mime_object_get_content_id(obj);
        filename = cid && *cid ? cid : arena_sprintf(w->a, "part-%d", w->n_parts);
    }
    gchar *name = g_utf8_make_valid(filename, -1);
    const char *url = arena_sprintf(w->a, "cid:%s", ch__pct(w->a, name));
    g_free(name);
    /* a MIME type is a short token: anything else is not kept */
    const char *m = NULL;
    if (mime && strlen(mime) < 128 &&
        strspn(mime, "abcdefghijklmnopqrstuvwxyz0123456789"
                     "!#$&^_.+-/") == strlen(mime))
        m = arena_strdup(w->a, mime);
    ch__attach(w->it, ch__type_from_mime(m), url, m);
}

static void walk(walk_t *w, GMimeObject *obj, int depth)
{
    if (!obj || depth > EMAIL_MAX_DEPTH) return;
    w->n_parts++;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++) walk(w, g_mime_multipart_get_part(mp, i), depth + 1);
        return;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
    for (char *c = mime; *c; c++) *c = (char)g_ascii_tolower(*c);
    if (GMIME_IS_MESSAGE_PART(obj)) {
        const char *fn = g_mime_object_get_content_disposition_parameter(obj, "filename");
        attach_part(w, obj, mime, fn ? fn : "message.eml");
    } else if (GMIME_IS_PART(obj)) {
        GMimePart *part = GMIME_PART(obj);
        GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
        bool attachment = disp && g_mime_content_disposition_is_attachment(disp);
        bool plain = !strcmp(mime, "text/plain"), html = !strcmp(mime, "text/html");
        if (!attachment && (plain || html)) {
            size_t n;
            char *text = part_utf8(part, &n);
            buf_t *b = plain ? &w->plain : &w->html;
            if (b->len) buf_putc(b, '\n');
            if (plain)
                put_normalised(b, text, n);
            else
                buf_append(b, text, n);
            g_free(text);
        } else if (strcmp(mime, "application/pgp-signature") != 0 &&
                   strcmp(mime, "application/pkcs7-signature") != 0 &&
                   strcmp(mime, "application/x-pkcs7-signature") != 0) {
            attach_part(w, obj, mime, g_mime_part_get_filename(part));
        }
    }
    g_free(mime);
}

/* ---- headers ---- */

/* The first message id in a References/In-Reply-To value, or NULL. */
static const char *first_id(arena_t *a, GMimeMessage *m, const char *header)
{
    const char *v = g_mime_object_get_header(GMIME_OBJECT(m), header);
    if (!v) return NULL;
    GMimeReferences *refs = g_mime_references_parse(parser_opts, v);
    const char *id = NULL;
    for (int i = 0; refs && i < g_mime_references_length(refs) && !id; i++) {
        const char *r = g_mime_references_get_message_id(refs, i);
        if (is_msgid(r)) id = arena_strdup(a, r);
    }
    if (refs) g_mime_references_free(refs);
    return id;
}

/* An automatic message a person did not write: vacation replies, bounces,
 * list robots. Answering them starts mail loops. */
static bool is_automatic(GMimeMessage *m, const char *from)
{
    GMimeObject *o = GMIME_OBJECT(m);
    const char *v = g_mime_object_get_header(o, "Auto-Submitted");
    if (v) { /* "no" (any case, comments may follow) is the only human value */
        char *t = g_strstrip(g_strdup(v));
        bool human = !g_ascii_strncasecmp(t, "no", 2) && !isalnum((unsigned char)t[2]);
        g_free(t);
        if (!human) return true;
    }
    v = g_mime_object_get_header(o, "Precedence");
    if (v && (strstr(v, "bulk") || strstr(v, "junk") || strstr(v, "auto_reply"))) return true;
    if (g_mime_object_get_header(o, "X-Autoreply") || g_mime_object_get_header(o, "X-Autorespond"))
        return true;
    GMimeContentType *ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(m));
    if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) return true;
    return !g_ascii_strncasecmp(from, "mailer-daemon@", 14) ||
           !g_ascii_strncasecmp(from, "postmaster@", 11);
}

/* The result of method (spf, dkim, dmarc) in an Authentication-Results value:
 * "pass" when any result for it passes, else the first; NULL when absent. */
static const char *method_result(const char *v, const char *method)
{
    static const char *const results[] = {"pass",      "fail",      "softfail", "neutral", "none",
                                          "temperror", "permerror", "policy",   NULL};
    size_t n = strlen(method);
    const char *first = NULL;
    int depth = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '(') depth++;
        if (*p == ')' && depth) depth--;
        if (depth || g_ascii_strncasecmp(p, method, n) || p[n] != '=') continue;
        if (p > v && !strchr(" \t;\r\n", p[-1])) continue;
        char word[16];
        size_t k = 0;
        for (const char *r = p + n + 1; isalpha((unsigned char)*r) && k < sizeof word - 1; r++)
            word[k++] = (char)g_ascii_tolower(*r);
        word[k] = '\0';
        for (int i = 0; results[i]; i++)
            if (!strcmp(word, results[i])) {
                if (!strcmp(word, "pass")) return results[i];
                if (!first) first = results[i];
            }
    }
    return first;
}

/* "spf=pass dkim=pass dmarc=pass" from the Authentication-Results header our
 * MTA added (the one naming authserv_id when that is set, else the topmost:
 * lower ones may come from the sender), with Received-SPF for a missing spf. */
static const char *auth_results(arena_t *a, GMimeMessage *m, const char *authserv)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
    const char *ar = NULL, *rspf = NULL;
    int n = g_mime_header_list_get_count(hl);
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h), *v = g_mime_header_get_value(h);
        if (!v) continue;
        if (!ar && !g_ascii_strcasecmp(name, "Authentication-Results")) {
            if (authserv) {
                while (*v == ' ' || *v == '\t') v++;
                size_t id = strcspn(v, " \t;");
                if (id != strlen(authserv) || g_ascii_strncasecmp(v, authserv, id)) continue;
            }
            ar = v;
        } else if (!rspf && !g_ascii_strcasecmp(name, "Received-SPF")) {
            rspf = v;
        }
    }
    const char *spf = ar ? method_result(ar, "spf") : NULL;
    const char *dkim = ar ? method_result(ar, "dkim") : NULL;
    const char *dmarc = ar ? method_result(ar, "dmarc") : NULL;
    if (!spf && rspf) {
        char *t = arena_sprintf(a, "spf=%s", rspf);
        spf = method_result(t, "spf");
    }
    if (!spf && !dkim && !dmarc) return NULL;
    return arena_sprintf(a, "%s%s%s%s%s%s%s%s", spf ? "spf=" : "", spf ? spf : "",
                         spf && (dkim || dmarc) ? " " : "", dkim ? "dkim=" : "", dkim ? dkim : "",
                         dkim && dmarc ? " " : "", dmarc ? "dmarc=" : "", dmarc ? dmarc : "");
}

/* The first mailbox of the From header (inside a group too), or NULL. */
static InternetAddressMailbox *from_mailbox(GMimeMessage *m)
{
    InternetAddressList *l = g_mime_message_get_from(m);
    for (int i = 0; l && i < internet_address_list_length(l); i++) {
        InternetAddress *ia = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) return INTERNET_ADDRESS_MAILBOX(ia);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            InternetAddressList *g = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
            if (g && internet_address_list_length(g) > 0 &&
                INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(g, 0)))
                return INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(g, 0));
        }
    }
    return NULL;
}

static int read_message(const json_t *settings, const ch_request_t *req, GMimeMessage *m,
                        arena_t *a, ch_batch_t *out, parley_err_t *err)
{
    InternetAddressMailbox *mb = from_mailbox(m);
    const char *addr = mb ? internet_address_mailbox_get_addr(mb) : NULL;
    if (!is_address(addr))
        return parley_errf(err, PARLEY_EINVAL, "/from", "the message has no valid From address");
    char *lower = arena_strdup(a, addr);
    for (char *c = lower; *c; c++) *c = (char)g_ascii_tolower(*c);

    ch_rd_t r = {a, err, 0};
    const char *own = ch__setting(settings, "address");
    bool ours = own && !g_ascii_strcasecmp(own, lower);
    ch_item_t *it =
        ch__push(&r, out, ours || is_automatic(m, lower) ? CH_ITEM_IGNORED : CH_ITEM_MESSAGE);
    if (!it) return r.rc;

    const char *mid = g_mime_message_get_message_id(m);
    if (is_msgid(mid)) {
        it->external_id = arena_strdup(a, mid);
    } else {
        char hex[65];
        crypto_sha256_hex(req->body.ptr, req->body.len, hex);
        it->external_id = arena_strdup(a, hex);
    }
    const char *root = first_id(a, m, "References");
    it->in_reply_to = first_id(a, m, "In-Reply-To");
    it->thread_id = root ? root : it->in_reply_to ? it->in_reply_to : it->external_id;
    it->is_public = false;
    GDateTime *date = g_mime_message_get_date(m);
    it->at_ms = date && g_date_time_to_unix(date) > 0 ? g_date_time_to_unix(date) * 1000 : 0;
    it->author.external_id = lower;
    it->author.handle = lower;
    const char *name = internet_address_get_name(INTERNET_ADDRESS(mb));
    it->author.name = name && *name ? clean_line(a, name, EMAIL_MAX_NAME) : NULL;
    if (it->author.name && !*it->author.name) it->author.name = NULL;
    const char *subject = g_mime_message_get_subject(m);
    it->subject = subject ? clean_line(a, subject, EMAIL_MAX_SUBJECT) : NULL;
    it->auth_results = auth_results(a, m, ch__setting(settings, "authserv_id"));

    walk_t w = {.a = a, .it = it};
    buf_init(&w.plain, 0);
    buf_init(&w.html, 0);
    walk(&w, g_mime_message_get_mime_part(m), 0);
    buf_t text;
    buf_init(&text, 0);
    if (w.plain.len) {
        buf_append(&text, w.plain.ptr, w.plain.len);
    } else if (w.html.len) {
        buf_t t;
        buf_init(&t, 0);
        html_to_text(buf_cstr(&w.html), &t);
        put_normalised(&text, t.ptr ? t.ptr : "", t.len);
        buf_free(&t);
    }
    it->body = finish_body(a, &text);
    if (!*it->body && it->subject) it->body = it->subject;
    buf_free(&text);
    buf_free(&w.plain);
    buf_free(&w.html);
    return 0;
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    out->n = out->unhandled = 0;
    if (req->body.len == 0) return parley_errf(err, PARLEY_EINVAL, "", "the message is empty");
    if (req->body.len > EMAIL_MAX_RAW)
        return parley_errf(err, PARLEY_ELIMIT, "", "the message is larger than 25 MiB");
    email_init();
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(req->body.ptr, req->body.len);
    GMimeParser *p = g_mime_parser_new_with_stream(st);
    g_object_unref(st);
    GMimeMessage *m = g_mime_parser_construct_message(p, parser_opts);
    g_object_unref(p);
    if (!m) return parley_errf(err, PARLEY_EINVAL, "", "this is not an RFC 5322 message");
    int rc = read_message(settings, req, m, a, out, err);
    g_object_unref(m);
    if (rc) out->n = 0;
    return rc;
}

/* ---- the reply ---- */

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *from = ch__setting(settings, "address");
    const char *url = ch__setting(settings, "smtp_url");
    const char *to = msg->recipient_id;
    if (!is_address(from))
        return parley_errf(err, PARLEY_EINVAL, "/settings/address", "no valid inbox address");
    if (!url) return parley_errf(err, PARLEY_EINVAL, "/settings/smtp_url", "no SMTP relay");
    if (!is_address(to))
        return parley_errf(err, PARLEY_EINVAL, "/recipient_id",
                           "the recipient is not an e-mail address");
    const char *text = ch__text_with_url(a, msg);
    if (!g_utf8_validate(text, -1, NULL)) return ch__bad_text(err);
    email_init();

    /* The Message-ID is the delivery's idempotency key when it has one, so a
     * resend after a crash is the same message to every MTA and client. */
    uint8_t r[16];
    crypto_random_bytes(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40); /* a version 4 UUID */
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
    char hex[33];
    crypto_hex(r, sizeof r, hex);
    const char *key = msg->idempotency_key;
    if (key && strlen(key) == 32 && strspn(key, "0123456789abcdef") == 32) memcpy(hex, key, 32);
    const char *mid = arena_sprintf(a, "<%.8s-%.4s-%.4s-%.4s-%.12s@%s>", hex, hex + 8, hex + 12,
                                    hex + 16, hex + 20, strrchr(from, '@') + 1);

    const char *orig = msg->subject && g_utf8_validate(msg->subject, -1, NULL)
                           ? clean_line(a, msg->subject, EMAIL_MAX_SUBJECT)
                           : NULL;
    const char *subject = !orig || !*orig                        ? "Re: your message"
                          : !g_ascii_strncasecmp(orig, "re:", 3) ? orig
                                                                 : arena_sprintf(a, "Re: %s", orig);
    /* ids without '@' are our hashes of mail that had no Message-ID: the
     * customer's client never saw them */
    const char *irt =
        is_msgid(msg->reply_to_id) && strchr(msg->reply_to_id, '@') ? msg->reply_to_id : NULL;
    const char *root = is_msgid(msg->thread_id) && strchr(msg->thread_id, '@') &&
                               (!irt || strcmp(msg->thread_id, irt) != 0)
                           ? msg->thread_id
                           : NULL;
    const char *name = ch__setting(settings, "from_name");

    GMimeMessage *m = g_mime_message_new(TRUE);
    GMimeObject *o = GMIME_OBJECT(m);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, name, from);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, to);
    g_mime_message_set_subject(m, subject, "utf-8");
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    /* spelled exactly so: the delivery worker looks for "Message-ID:" */
    g_mime_object_set_header(o, "Message-ID", mid, NULL);
    if (irt) g_mime_object_set_header(o, "In-Reply-To", arena_sprintf(a, "<%s>", irt), NULL);
    if (irt || root)
        g_mime_object_set_header(o, "References",
                                 arena_sprintf(a, "%s%s%s%s%s", root ? "<" : "", root ? root : "",
                                               root ? ">" : "", root && irt ? " " : "",
                                               irt ? arena_sprintf(a, "<%s>", irt) : ""),
                                 NULL);
    GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_text(part, text);
    g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
    g_mime_message_set_mime_part(m, GMIME_OBJECT(part));
    g_object_unref(part);
    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    char *wire = g_mime_object_to_string(o, fo);
    g_mime_format_options_free(fo);
    g_object_unref(m);

    memset(call, 0, sizeof *call);
    call->method = "SMTP";
    call->url = arena_strdup(a, url);
    call->content_type = "message/rfc822";
    call->body = arena_strdup(a, wire);
    g_free(wire);
    ch__header(call, a, "MAIL FROM", arena_sprintf(a, "<%s>", from));
    ch__header(call, a, "RCPT TO", arena_sprintf(a, "<%s>", to));
    ch__header(call, a, "Message-ID", mid);
    return 0;
}

static const char *new_message_id(arena_t *a, const char *from)
{
    uint8_t r[16];
    crypto_random_bytes(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40); /* a version 4 UUID */
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
    char hex[33];
    crypto_hex(r, sizeof r, hex);
    return arena_sprintf(a, "<%.8s-%.4s-%.4s-%.4s-%.12s@%s>", hex, hex + 8, hex + 12, hex + 16,
                         hex + 20, strrchr(from, '@') + 1);
}

static GMimeObject *notice_part(const char *subtype, const char *body)
{
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(part, body);
    g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
    return GMIME_OBJECT(part);
}

int email_notice_format(const char *from, const char *from_name, const char *to,
                        const char *subject, const char *text, const char *html, arena_t *a,
                        const char **out, parley_err_t *err)
{
    if (!is_address(from)) return parley_errf(err, PARLEY_EINVAL, "/from", "no valid address");
    if (!is_address(to)) return parley_errf(err, PARLEY_EINVAL, "/to", "no valid address");
    if (!subject || !text || !g_utf8_validate(subject, -1, NULL) ||
        !g_utf8_validate(text, -1, NULL) || (html && !g_utf8_validate(html, -1, NULL)))
        return parley_errf(err, PARLEY_EINVAL, "/text", "the notice is not UTF-8 text");
    email_init();
    const char *mid = new_message_id(a, from);
    GMimeMessage *m = g_mime_message_new(TRUE);
    GMimeObject *o = GMIME_OBJECT(m);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, from_name, from);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, to);
    g_mime_message_set_subject(m, clean_line(a, subject, EMAIL_MAX_SUBJECT), "utf-8");
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    g_mime_object_set_header(o, "Message-ID", mid, NULL);
    /* RFC 3834: machine-sent; responders must not answer it */
    g_mime_object_set_header(o, "Auto-Submitted", "auto-generated", NULL);
    g_mime_object_set_header(o, "X-Auto-Response-Suppress", "All", NULL);
    GMimeObject *text_part = notice_part("plain", text);
    if (html) {
        GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
        GMimeObject *html_part = notice_part("html", html);
        g_mime_multipart_add(alt, text_part);
        g_mime_multipart_add(alt, html_part);
        g_object_unref(html_part);
        g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
        g_object_unref(alt);
    } else {
        g_mime_message_set_mime_part(m, text_part);
    }
    g_object_unref(text_part);
    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    char *wire = g_mime_object_to_string(o, fo);
    g_mime_format_options_free(fo);
    g_object_unref(m);
    *out = arena_strdup(a, wire);
    g_free(wire);
    return 0;
}

/* status is the SMTP reply code to the end of DATA (250), body the Message-ID
 * the reply carries; 4xx (and 0: no answer) are worth retrying, 5xx are not. */
static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    *retry = false;
    if (status >= 200 && status < 300) {
        char id[EMAIL_MAX_ID + 3];
        size_t s = 0, e = body ? len : 0;
        while (s < e && strchr(" \t\r\n<", body[s])) s++;
        while (e > s && strchr(" \t\r\n>", body[e - 1])) e--;
        if (e - s > EMAIL_MAX_ID)
            return parley_errf(err, PARLEY_EIO, "", "the Message-ID is too long");
        memcpy(id, body ? body + s : "", e - s);
        id[e - s] = '\0';
        return ch__set_ext_id(ext_id, cap, id, err);
    }
    *retry = status == 0 || (status >= 400 && status < 500);
    char why[160] = "";
    size_t k = 0;
    for (size_t i = 0; body && i < len && k < sizeof why - 1; i++)
        why[k++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : ' ';
    why[k] = '\0';
    return parley_errf(err, PARLEY_EIO, "", "the SMTP relay answered %ld%s%s", status,
                       k ? ": " : "", why);
}

const channel_ops_t channel_email = {
    .name = "email",
    .validate_settings = validate_settings,
    .handshake = NULL,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
    .resend_recognised = true,
};
