/*
 * email.h - what the e-mail adapter offers beyond its channel_ops_t: building
 * a notice that Parley itself sends (a weekly digest, an SLA escalation) with
 * the same MIME code as the replies.
 */
#ifndef PARLEY_CHANNELS_EMAIL_H
#define PARLEY_CHANNELS_EMAIL_H

#include "core/arena.h"
#include "core/error.h"

/* The whole RFC 5322 message (CRLF line ends) from `from` (the e-mail
 * inbox's address, from_name optional) to `to`: subject (UTF-8, one line),
 * text/plain and, when html is not NULL, a text/html alternative; a fresh
 * Message-ID; automatic-notice headers so no auto-responder answers it.
 * *out lives in a. 0, or PARLEY_EINVAL (an address that is not one, text
 * that is not UTF-8). */
int email_notice_format(const char *from, const char *from_name, const char *to,
                        const char *subject, const char *text, const char *html, arena_t *a,
                        const char **out, parley_err_t *err);

#endif
