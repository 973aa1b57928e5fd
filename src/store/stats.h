/*
 * stats.h - store timings for /metrics (process-wide, lock-free counters).
 */
#ifndef PARLEY_STORE_STATS_H
#define PARLEY_STORE_STATS_H

#include <stdint.h>

typedef struct {
    uint64_t writes;
    uint64_t write_ns;
    uint64_t batches;  /* group commits: one transaction, one fsync, one or more writes */
    uint64_t batch_ns; /* time the writer spent running them, commit included */
} store_stats_t;

void store_stats_add_write(int64_t ns);
void store_stats_add_batch(int64_t ns);
void store_stats_get(store_stats_t *out);

#endif
