/*
 * fuzz_report_cube.c - libFuzzer target for the report rollups' histogram
 * blob (store/report_cube.c): report_cube_hist_walk and parley_hist_merge.
 *
 * Input: a mode byte (odd: the label rows' signed blobs, merged by
 * parley_hist_merge_signed), then two blobs split at the first 0xff byte.
 * Each is walked (never read past its end, entries in range); when both are
 * well formed their merge is well formed, in code order, and holds the sum
 * of their samples.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/report_cube.h"

typedef struct {
    int64_t n, sum;
    int last; /* metric x buckets + bucket of the previous entry */
    int ordered, big;
} tally_t;

static void tally(void *ctx, int metric, int bucket, int64_t n, int64_t sum_ms)
{
    tally_t *t = ctx;
    if (metric < 0 || metric >= HM_COUNT || bucket < 0 || bucket >= REPORT_BUCKETS) abort();
    int code = metric * REPORT_BUCKETS + bucket;
    if (code <= t->last) t->ordered = 0;
    t->last = code;
    if (__builtin_add_overflow(t->n, n, &t->n) || __builtin_add_overflow(t->sum, sum_ms, &t->sum) ||
        t->n > INT64_MAX / 4 || t->sum > INT64_MAX / 4 || t->n < -(INT64_MAX / 4) ||
        t->sum < -(INT64_MAX / 4))
        t->big = 1;
}

static sqlite3 *db;
static sqlite3_stmt *merges[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) {
        if (sqlite3_open(":memory:", &db) != SQLITE_OK || report_cube_register(db) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT parley_hist_merge(?, ?)", -1, &merges[0], NULL) !=
                SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT parley_hist_merge_signed(?, ?)", -1, &merges[1], NULL) !=
                SQLITE_OK)
            abort();
    }
    if (!size) return 0;
    bool sig = data[0] & 1;
    sqlite3_stmt *merge = merges[sig];
    data++;
    size--;
    const uint8_t *cut = memchr(data, 0xff, size);
    size_t la = cut ? (size_t)(cut - data) : size, lb = cut ? size - la - 1 : 0;
    /* copies of exactly the given length, so ASan sees any read past them */
    uint8_t *a = malloc(la ? la : 1), *b = malloc(lb ? lb : 1);
    memcpy(a, data, la);
    if (lb) memcpy(b, cut + 1, lb);
    tally_t ta = {.last = -1, .ordered = 1}, tb = {.last = -1, .ordered = 1};
    int ra = report_cube_hist_walk(a, la, sig, tally, &ta);
    /* the dense decoder agrees with the walk */
    static int64_t hn[HM_COUNT][REPORT_BUCKETS], hs[HM_COUNT][REPORT_BUCKETS];
    memset(hn, 0, sizeof hn);
    memset(hs, 0, sizeof hs);
    int rd = report_cube_hist_add(a, la, sig, hn, hs);
    if ((rd < 0) != (ra < 0)) abort();
    if (rd == 0 && !ta.big) {
        int64_t n = 0, sum = 0;
        bool over = false;
        for (int m = 0; m < HM_COUNT; m++)
            for (int k = 0; k < REPORT_BUCKETS; k++) {
                if (__builtin_add_overflow(n, hn[m][k], &n)) over = true;
                if (__builtin_add_overflow(sum, hs[m][k], &sum)) over = true;
            }
        if (!over && (n != ta.n || sum != ta.sum)) abort();
    }
    int rb = report_cube_hist_walk(b, lb, sig, tally, &tb);
    sqlite3_reset(merge);
    sqlite3_bind_blob(merge, 1, a, (int)la, SQLITE_STATIC);
    sqlite3_bind_blob(merge, 2, b, (int)lb, SQLITE_STATIC);
    int s = sqlite3_step(merge);
    if (ra == 0 && rb == 0 && ta.ordered && tb.ordered && !ta.big && !tb.big) {
        if (s != SQLITE_ROW) abort();
        tally_t tm = {.last = -1, .ordered = 1};
        const void *m = sqlite3_column_blob(merge, 0);
        if (report_cube_hist_walk(m, (size_t)sqlite3_column_bytes(merge, 0), sig, tally, &tm) != 0)
            abort();
        if (!tm.ordered || tm.n != ta.n + tb.n || tm.sum != ta.sum + tb.sum) abort();
    }
    sqlite3_reset(merge);
    free(a);
    free(b);
    return 0;
}
