/*
 * fuzz_voice.c - libFuzzer target for the brand voice check and the SMS
 * segment counter. The first byte picks public/private, the greeting and
 * sign-off requirements and a length limit; the rest is the draft.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "text/voice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    static const char *const banned[] = {"no worries", "calm down", "as I said", "!!", "😂"};
    static const char *const acr[] = {"SKU", "ÉTÉ"};
    voice_config_t c = voice_config_default();
    c.banned_phrases = banned;
    c.n_banned_phrases = sizeof banned / sizeof *banned;
    c.acronyms = acr;
    c.n_acronyms = 2;
    c.require_greeting = data[0] & 2;
    c.require_signoff = data[0] & 4;
    c.max_chars = (data[0] & 8) ? 280 : 0;
    c.max_sms_segments = (data[0] & 16) ? 2 : 0;
    c.max_exclamations = (data[0] & 32) ? -1 : 1;
    voice_finding_t f[8];
    size_t n = 0;
    if (voice_check(&c, text, len, data[0] & 1, f, 8, &n) != 0) abort();
    for (size_t i = 0; i < n && i < 8; i++) {
        if (f[i].end > len || f[i].start > f[i].end || !f[i].rule_id) abort();
        if (f[i].rule >= VOICE_RULE_COUNT) abort();
    }
    size_t n2 = 0;
    if (voice_check(&c, text, len, data[0] & 1, NULL, 0, &n2) != 0 || n2 != n) abort();
    voice_sms_encoding_t enc;
    size_t units = 0;
    size_t segs = voice_sms_measure(text, len, &enc, &units);
    if ((len == 0) != (segs == 0) || units < segs) abort();
    if (voice_count_chars(text, len) > len) abort();
    return 0;
}
