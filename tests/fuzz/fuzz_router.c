/*
 * fuzz_router.c - routing arbitrary methods and paths against the real table.
 */
#include "http/router.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT"};
    routes_init();
    if (size < 1) return 0;
    const char *method = methods[data[0] % 6];
    const char *path = (const char *)data + 1;
    size_t len = size - 1;
    req_t r;
    memset(&r, 0, sizeof r);
    int idx;
    route_result_t rr = router_match(http_routes, http_routes_count, method, path, len, &r, &idx);
    if (rr == ROUTE_FOUND) {
        for (int i = 0; i < r.n_params; i++) {
            /* Parameters are views inside the path. */
            if (r.params[i].ptr < path || r.params[i].ptr + r.params[i].len > path + len)
                __builtin_trap();
        }
    }
    char allow[128];
    router_allowed(http_routes, http_routes_count, path, len, allow, sizeof allow);
    return 0;
}
