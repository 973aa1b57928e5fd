/*
 * log.c - JSON lines on stderr.
 */
#include "core/log.h"
#include "core/clock.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static log_level_t min_level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level_t level)
{
    min_level = level;
}

int log_level_parse(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    return PARLEY_EINVAL;
}

bool log_enabled(log_level_t level)
{
    return level >= min_level;
}

void json_escape_to(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, e, 6);
        }
        }
    }
    buf_append(b, s + run, len - run);
    buf_putc(b, '"');
}

void log_begin(log_line_t *l, log_level_t level, const char *event, const char *request_id)
{
    l->on = log_enabled(level);
    buf_init(&l->b, 64 * 1024);
    if (!l->on) return;
    char ts[32];
    clock_format_iso(clock_now_ms(NULL), ts);
    buf_printf(&l->b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, names[level]);
    json_escape_to(&l->b, event, strlen(event));
    if (request_id) log_str(l, "request_id", request_id);
}

void log_strn(log_line_t *l, const char *key, const char *val, size_t len)
{
    if (!l->on) return;
    buf_printf(&l->b, ",\"%s\":", key);
    json_escape_to(&l->b, val ? val : "", val ? len : 0);
}

void log_str(log_line_t *l, const char *key, const char *val)
{
    log_strn(l, key, val, val ? strlen(val) : 0);
}

void log_int(log_line_t *l, const char *key, int64_t val)
{
    if (l->on) buf_printf(&l->b, ",\"%s\":%lld", key, (long long)val);
}

void log_dbl(log_line_t *l, const char *key, double val)
{
    if (l->on) buf_printf(&l->b, ",\"%s\":%.3f", key, val);
}

void log_end(log_line_t *l)
{
    if (l->on) {
        buf_puts(&l->b, "}\n");
        const char *p = buf_cstr(&l->b);
        size_t n = l->b.len;
        while (n) {
            ssize_t w = write(STDERR_FILENO, p, n);
            if (w <= 0) break;
            p += w;
            n -= (size_t)w;
        }
    }
    buf_free(&l->b);
}

void log_msg(log_level_t level, const char *event, const char *msg)
{
    log_line_t l;
    log_begin(&l, level, event, NULL);
    if (msg) log_str(&l, "msg", msg);
    log_end(&l);
}
