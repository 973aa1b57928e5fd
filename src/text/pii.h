/*
 * pii.h - sensitive-data (PII) detector and redactor for message text.
 *
 * Owns the rules that say what counts as a payment card, IBAN, e-mail address,
 * phone number, US social security number or brand account number inside free
 * text, and the masking scheme that hides them. Pure functions only: no I/O, no
 * allocation, no mutable state; the text is a {ptr, len} view and is never read
 * past `len`, so any byte sequence (including invalid UTF-8) is safe input.
 *
 * What is detected (spans are byte offsets, end exclusive):
 *   card     13-19 digits, contiguous or grouped with one kind of separator
 *            (space or dash; groups 4-4-4-4[-1..4], 4-6-5, 4-6-4), Luhn-valid,
 *            issuer prefix and length known (Visa, Mastercard, Amex, Discover,
 *            JCB, Diners, UnionPay, Maestro, Mir).
 *   iban     country code + 2 check digits + BBAN, exact length for the
 *            country (about 80 countries; unknown codes are not reported),
 *            mod-97 == 1, compact or printed in space-separated groups of four.
 *   email    local@domain.tld with an alphabetic TLD; a trailing full stop is
 *            not part of the span.
 *   phone    E.164 / international (+CC or 00CC, 8-15 digits); NANP
 *            (555) 123-4567, 555-123-4567, 1-800-555-1234; national numbers
 *            with trunk prefix 0 (UK 07700 900123, FR 06 12 34 56 78,
 *            DE 030 12345678, 9-12 digits in groups); compact mobile numbers
 *            (FR 06/07 + 8 digits, UK 07 + 9, DE 015-017 + 8-9). Bare runs of
 *            digits otherwise are never phones: they are order, tracking or
 *            reference numbers, timestamps or prices.
 *   ssn      AAA-GG-SSSS or AAA GG SSSS; area 000, 666 and 900-999, group 00
 *            and serial 0000 are rejected.
 *   account  only with configured keywords: a keyword ("order", "member id",
 *            matched case-insensitively on word boundaries), optional filler
 *            ("number", "no.", "#", ":", "is", "id", ...), then an identifier of
 *            5-34 letters/digits/inner dashes with at least 5 digits. The span
 *            covers the identifier only ("order #A12345678" -> "A12345678").
 *            When the identifier is itself a card, IBAN or SSN, that kind wins.
 *
 * Masking scheme of pii_redact (U+2022 "•" as the mask character, UTF-8):
 *   card     "•••• 1111"          last 4 digits kept
 *   iban     "DE•• •••• 3000"     country code and last 4 characters kept
 *   email    "j•••@example.com"   first character of the local part and the
 *                                 domain kept
 *   phone    "•••• 4567"          last 4 digits kept
 *   ssn      "•••-••-6789"        last 4 digits kept
 *   account  "••••5678"           last 4 characters kept (last 2 when the
 *                                 identifier is shorter than 8 characters)
 */
#ifndef PARLEY_TEXT_PII_H
#define PARLEY_TEXT_PII_H

#include <stddef.h>
#include <stdint.h>

typedef enum { PII_CARD, PII_IBAN, PII_EMAIL, PII_PHONE, PII_SSN, PII_ACCOUNT } pii_kind_t;

#define PII_KIND_COUNT 6

/* One finding: byte offsets into the scanned text, end exclusive. */
typedef struct {
    pii_kind_t kind;
    uint32_t start, end;
} pii_span_t;

/* Per-brand settings. The keyword strings are NUL-terminated, owned by the
 * caller and must outlive the pii_scan call; a space inside a keyword matches
 * any run of whitespace. A NULL config means the defaults (no account keywords,
 * so no PII_ACCOUNT findings). */
typedef struct {
    const char *const *account_keywords;
    size_t n_account_keywords;
} pii_config_t;

/* Scans text[0..len) and writes at most `cap` spans to `out` in text order,
 * never overlapping; returns how many spans were found, which may exceed `cap`
 * (call again with a bigger array to get them all). `out` may be NULL when `cap`
 * is 0. Never reads past `len`; linear in `len`. Texts longer than UINT32_MAX
 * bytes are scanned up to UINT32_MAX only. */
size_t pii_scan(const pii_config_t *cfg, const char *text, size_t len, pii_span_t *out, size_t cap);

/* "card", "iban", "email", "phone", "ssn", "account"; "unknown" otherwise. */
const char *pii_kind_name(pii_kind_t k);

/* Writes text[0..len) with every span replaced by its mask (scheme above) into
 * `buf`, truncating to cap - 1 bytes and always NUL-terminating when cap > 0;
 * returns the length the full result needs, excluding the NUL (like snprintf).
 * `buf` may be NULL when `cap` is 0. Spans are expected as pii_scan returns them
 * for the same text; a span reaching past `len` is clipped to `len`, one that
 * overlaps its predecessor is clipped to start where that one ended, and empty
 * spans are skipped, so bad spans never cause out-of-bounds reads. */
size_t pii_redact(const char *text, size_t len, const pii_span_t *spans, size_t n, char *buf,
                  size_t cap);

#endif /* PARLEY_TEXT_PII_H */
