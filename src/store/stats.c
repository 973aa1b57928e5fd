/*
 * stats.c - counters of store work, read by /metrics.
 */
#include "store/stats.h"

#include <stdatomic.h>

static _Atomic uint64_t writes, write_ns, batches, batch_ns;

void store_stats_add_write(int64_t ns)
{
    atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&write_ns, (uint64_t)(ns > 0 ? ns : 0), memory_order_relaxed);
}

void store_stats_add_batch(int64_t ns)
{
    atomic_fetch_add_explicit(&batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&batch_ns, (uint64_t)(ns > 0 ? ns : 0), memory_order_relaxed);
}

void store_stats_get(store_stats_t *out)
{
    out->writes = atomic_load_explicit(&writes, memory_order_relaxed);
    out->write_ns = atomic_load_explicit(&write_ns, memory_order_relaxed);
    out->batches = atomic_load_explicit(&batches, memory_order_relaxed);
    out->batch_ns = atomic_load_explicit(&batch_ns, memory_order_relaxed);
}
