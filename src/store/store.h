/* store.h — seam's persistent state behind one interface.
 *
 * The only door to storage: nothing includes a backend directly.  Today one
 * backend, SQLite (sqlite://PATH, WAL mode); PostgreSQL and Redis later.
 * Calls block: they run on the CLI, at start-up, and on background threads,
 * never on a worker's event loop. */
#ifndef SEAM_STORE_STORE_H
#define SEAM_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct seam_store seam_store;

#define SEAM_KEY_HASH_LEN 32

typedef struct seam_key_rec {
    char name[128];
    char tenant[128];  /* "" when none */
    char routes[1024]; /* comma-separated; "" means every route, no direct access */
    char regions[256]; /* comma-separated region names; "" means any region */
    char tiers[32];    /* comma-separated: private, vendor; "" means both */
    uint8_t hash[SEAM_KEY_HASH_LEN];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 while the key is valid */
} seam_key_rec;

/* The rules for a key's fields: name and tenant 1..127 of [A-Za-z0-9._-]
 * (tenant may be empty); routes a comma-separated list of route names,
 * provider/model, provider/ * or *; regions at most 16 distinct names of
 * 1..63 of [A-Za-z0-9._-]; tiers distinct entries of private, vendor.
 * routes, regions and tiers may be NULL (not checked) or "" (none).
 * Returns 0, or -1 with err. */
int seam_key_fields_check(const char *name, const char *tenant, const char *routes,
                          const char *regions, const char *tiers, char *err, size_t errlen);

/* Opens (creating the file, its directory and the schema if needed). */
int seam_store_open(const char *url, seam_store **out, char *err, size_t errlen);
void seam_store_close(seam_store *st);

/* Returns 0, or -1 with err (e.g. "a key named X already exists"). */
int seam_store_key_add(seam_store *st, const seam_key_rec *rec, char *err, size_t errlen);
/* Returns 0 when revoked, 1 when no such valid key, -1 on error. */
int seam_store_key_revoke(seam_store *st, const char *name, char *err, size_t errlen);
/* Calls fn for every key (revoked ones too), oldest first; fn returning
 * non-zero stops the walk. Returns 0 or -1. */
int seam_store_key_each(seam_store *st, int (*fn)(const seam_key_rec *, void *), void *ud,
                        char *err, size_t errlen);
/* A number that changes whenever the keys change (for cheap polling). */
int64_t seam_store_key_version(seam_store *st);

#endif
