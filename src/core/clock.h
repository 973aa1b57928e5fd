/*
 * clock.h - the injectable clock.
 *
 * Everything that asks "what time is it" asks a parley_clock_t, so tests move
 * time forward instead of sleeping. The real clock is wall time plus an offset.
 */
#ifndef PARLEY_CORE_CLOCK_H
#define PARLEY_CORE_CLOCK_H

#include <stdint.h>

typedef struct {
    int64_t fixed_ms;  /* when non-zero, time stands still here (tests) */
    int64_t offset_ms; /* added to wall time otherwise */
} parley_clock_t;

/* Milliseconds since the Unix epoch by this clock; a NULL clock is wall time. */
int64_t clock_now_ms(const parley_clock_t *c);
/* Moves a clock forward (or back, with a negative delta). */
void clock_advance(parley_clock_t *c, int64_t delta_ms);
/* Monotonic nanoseconds, for measuring durations (never injectable). */
int64_t clock_mono_ns(void);
/* Formats ms since the epoch as RFC 3339 UTC with milliseconds into out[32]. */
void clock_format_iso(int64_t ms, char out[32]);
/* Parses RFC 3339 ("2026-11-24T10:00:00Z", optional fraction and offset); 0 or PARLEY_EINVAL. */
int clock_parse_iso(const char *s, int64_t *ms);

#endif
