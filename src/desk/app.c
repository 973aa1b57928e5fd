/*
 * app.c - the server context's one piece of start-up work: the key that
 * seals channel credentials at rest.
 */
#include "desk/app.h"

#include "core/crypto.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int app_load_key(app_t *app, parley_err_t *err)
{
    const char *hex = app->cfg ? app->cfg->secret_key : NULL;
    if (hex && *hex) {
        if (crypto_key_from_hex(hex, app->key))
            return parley_errf(err, PARLEY_EINVAL, "secret-key",
                               "secret-key must be 64 hexadecimal characters");
        return 0;
    }
    const char *db = app->cfg && app->cfg->db ? app->cfg->db : "parley.db";
    const char *slash = strrchr(db, '/');
    char path[4096];
    snprintf(path, sizeof path, "%.*s%ssecret.key", slash ? (int)(slash - db) : 0, db,
             slash ? "/" : "");
    char buf[80] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        if (crypto_key_from_hex(buf, app->key))
            return parley_errf(err, PARLEY_EINVAL, "secret-key",
                               "%s is not a 64-character hexadecimal key", path);
        return 0;
    }
    uint8_t key[32];
    crypto_random_bytes(key, sizeof key);
    crypto_hex(key, sizeof key, buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return parley_errf(err, PARLEY_EIO, "secret-key", "cannot create %s: %s", path,
                           strerror(errno));
    bool ok = write(fd, buf, 64) == 64 && write(fd, "\n", 1) == 1;
    close(fd);
    if (!ok) return parley_errf(err, PARLEY_EIO, "secret-key", "cannot write %s", path);
    memcpy(app->key, key, sizeof key);
    return 0;
}
