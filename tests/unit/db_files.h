/*
 * db_files.h - a test database's files removed: the file, its WAL, its
 * shared-memory index and the key file the store creates beside it.
 */
#ifndef PARLEY_TESTS_DB_FILES_H
#define PARLEY_TESTS_DB_FILES_H

#include <stdio.h>
#include <unistd.h>

static inline void db_files_remove(const char *path)
{
    static const char *const sides[] = {"", "-wal", "-shm", ".key"};
    for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s%s", path, sides[i]);
        unlink(p);
    }
}

#endif
