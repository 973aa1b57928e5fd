/*
 * voice.h - brand voice check of an agent's draft reply.
 *
 * Owns the rules a draft is held to before it is sent (banned phrases,
 * internet slang and humour markers, shouting, exclamation marks, greeting and
 * sign-off, the channel's length and SMS segments, sensitive data in a public
 * reply) and the findings an agent sees. Pure functions: no I/O, no global
 * state; the only allocation is a token array freed before returning. The
 * PII rule asks pii_scan (pii.h); this module never redacts anything itself.
 *
 * Each finding names its rule ("banned_phrase", "slang", "shouting",
 * "exclamation", "greeting", "signoff", "length", "pii_public"), a byte span
 * of the draft (end exclusive; 0..0 when the finding is about the whole
 * draft, like a missing greeting), a severity and a sentence for the agent.
 * An error blocks the send, a warning informs. By default banned_phrase,
 * length and pii_public are errors and the rest warnings; every rule can be
 * switched off or have its severity changed in voice_config_t.
 *
 * Matching is on NFKC case-folded tokens (tok_split + tok_fold), so "No
 * Worries" matches the banned phrase "no worries" and so does "NO worries!".
 */
#ifndef PARLEY_TEXT_VOICE_H
#define PARLEY_TEXT_VOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/pii.h"

#ifndef PARLEY_EINVAL
#define PARLEY_EINVAL (-22)
#endif
#ifndef PARLEY_ENOMEM
#define PARLEY_ENOMEM (-12)
#endif

#define VOICE_MESSAGE_MAX       192
#define VOICE_MAX_PHRASE_TOKENS 16 /* longer configured phrases never match */

typedef enum {
    VOICE_BANNED_PHRASE,
    VOICE_SLANG,
    VOICE_SHOUTING,
    VOICE_EXCLAMATION,
    VOICE_GREETING,
    VOICE_SIGNOFF,
    VOICE_LENGTH,
    VOICE_PII_PUBLIC,
    VOICE_RULE_COUNT
} voice_rule_t;

typedef enum { VOICE_WARNING, VOICE_ERROR } voice_severity_t;

typedef struct {
    voice_rule_t rule;
    const char *rule_id; /* "banned_phrase", ... (static string) */
    voice_severity_t severity;
    uint32_t start, end; /* bytes of the draft, end exclusive */
    char message[VOICE_MESSAGE_MAX];
} voice_finding_t;

/* The account's voice rules. String lists are NUL-terminated strings owned by
 * the caller and must outlive the voice_check call. Start from
 * voice_config_default() and change what the brand wants. */
typedef struct {
    bool enabled[VOICE_RULE_COUNT];
    voice_severity_t severity[VOICE_RULE_COUNT];

    const char *const *banned_phrases; /* default: a few care anti-phrases */
    size_t n_banned_phrases;
    const char *const *extra_slang; /* single words added to the built-in list */
    size_t n_extra_slang;
    const char *const *acronyms; /* capitalised words that are not shouting */
    size_t n_acronyms;           /* (added to the built-in FAQ, USA, ...) */

    int max_exclamations; /* per reply (default 1); "!!" is always flagged */

    bool require_greeting; /* default false */
    const char *const *greetings;
    size_t n_greetings;
    bool require_signoff; /* default false; must start within the last 8 tokens */
    const char *const *signoffs;
    size_t n_signoffs;

    size_t max_chars;          /* in code points; 0 = no limit (default) */
    unsigned max_sms_segments; /* 0 = not an SMS channel (default) */

    const pii_config_t *pii;             /* passed to pii_scan; NULL = its defaults */
    const char *const *allowed_contacts; /* the brand's own e-mail/phone may be public */
    size_t n_allowed_contacts;
} voice_config_t;

typedef enum { VOICE_SMS_GSM7, VOICE_SMS_UCS2 } voice_sms_encoding_t;

/* All rules on except greeting/sign-off requirements, default lists, max one
 * exclamation mark, no length limit. */
voice_config_t voice_config_default(void);

/* Checks the draft text[0..len). is_public: the reply will be visible to
 * everyone (a comment, a tweet), which turns on pii_public. Writes at most
 * cap findings to out (sorted by start, then rule) and their total number to
 * *n_found (may exceed cap). Returns 0, PARLEY_EINVAL (NULL cfg/n_found, or
 * text NULL with len > 0) or PARLEY_ENOMEM. Invalid UTF-8 is tolerated. */
int voice_check(const voice_config_t *cfg, const char *text, size_t len, bool is_public,
                voice_finding_t *out, size_t cap, size_t *n_found);

/* True when one of the n findings is an error (the draft must not be sent). */
bool voice_blocks(const voice_finding_t *findings, size_t n);

/* Number of SMS segments text[0..len) needs: GSM-7 when every character is in
 * the GSM 03.38 alphabet (basic set 1 septet, extension set ^{}[]~|\€ and
 * form feed 2 septets; 160 in one segment, 153 per segment when
 * concatenated), otherwise UCS-2 (UTF-16 units; 70 in one segment, 67 when
 * concatenated). An escape pair or surrogate pair is never split across
 * segments. Empty text needs 0 segments; invalid UTF-8 bytes count as one
 * UCS-2 unit each. */
size_t voice_sms_segments(const char *text, size_t len);

/* Like voice_sms_segments, also telling the encoding and the number of
 * septets (GSM-7) or UTF-16 units (UCS-2); enc and units may be NULL. */
size_t voice_sms_measure(const char *text, size_t len, voice_sms_encoding_t *enc, size_t *units);

/* Number of code points in text[0..len) (invalid bytes count one each). */
size_t voice_count_chars(const char *text, size_t len);

/* "banned_phrase", "slang", ...; "unknown" otherwise. */
const char *voice_rule_id(voice_rule_t rule);

#endif /* PARLEY_TEXT_VOICE_H */
