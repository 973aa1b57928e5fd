/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 * A line is built field by field and written with a single write(2), so lines
 * from different threads never interleave. Secrets are never passed here.
 */
#ifndef PARLEY_CORE_LOG_H
#define PARLEY_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Sets the lowest level written (default LOG_INFO). Call before threads start. */
void log_set_level(log_level_t level);
/* Parses "debug|info|warn|error"; 0 or PARLEY_EINVAL. */
int log_level_parse(const char *s, log_level_t *out);
bool log_enabled(log_level_t level);

typedef struct {
    buf_t b;
    bool on;
} log_line_t;

/* Starts a line with time, level and event name; request_id may be NULL. */
void log_begin(log_line_t *l, log_level_t level, const char *event, const char *request_id);
void log_str(log_line_t *l, const char *key, const char *val);
void log_strn(log_line_t *l, const char *key, const char *val, size_t len);
void log_int(log_line_t *l, const char *key, int64_t val);
void log_dbl(log_line_t *l, const char *key, double val);
/* Writes the line and releases it. */
void log_end(log_line_t *l);

/* One-call form for a message with no fields. */
void log_msg(log_level_t level, const char *event, const char *msg);

/* Appends s as a JSON string literal (quotes and escapes) to b. */
void json_escape_to(buf_t *b, const char *s, size_t len);

#endif
