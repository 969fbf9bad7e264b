/* store_sqlite.c — the SQLite backend of store.h (sqlite://PATH, WAL mode).
 *
 * One database file holds seam's state.  The file is created 0600 inside a
 * directory created 0700, because it holds key hashes and, later, the audit
 * log.  The schema is versioned with PRAGMA user_version and upgraded by
 * the migrations[] list below, inside one write transaction, so two
 * processes opening a new file at once cannot both create it.
 *
 * Change detection for keys: triggers on the keys table bump a counter in
 * meta ('keys_version') in the same transaction as the change, so the
 * counter moves whatever process (or hand-run sqlite3 session) changed a
 * key, and seam_store_key_version() is one indexed SELECT.  PRAGMA
 * data_version alone would not do: it only reports commits made through
 * *other* connections, so a process would miss its own changes, and it also
 * moves on writes that have nothing to do with keys (the ledger, the audit
 * log), which would make every gateway reload its key table on every request.
 *
 * A seam_store is safe to share between threads (one mutex per handle);
 * calls block, so they never run on a worker's event loop.
 *
 * Field rules (name, tenant, routes, regions, tiers) are checked on every write with
 * seam_key_fields_check() (key_fields.c), so that no writer can store a
 * record the gateway would misread. */
#include "store/store.h"
#include "core/errf.h"
#include "core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

/* Each entry upgrades the schema from version i to i + 1.  Never edit an
 * entry once released; append a new one. */
static const char *const migrations[] = {
    /* 1: keys, and the change counter that gateways poll. */
    "CREATE TABLE meta ("
    "  name  TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ");"
    "INSERT INTO meta (name, value) VALUES ('keys_version', 0);"
    "CREATE TABLE keys ("
    "  id         INTEGER PRIMARY KEY,"
    "  name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 127),"
    "  tenant     TEXT NOT NULL DEFAULT '' CHECK (length(tenant) <= 127),"
    "  routes     TEXT NOT NULL DEFAULT '' CHECK (length(routes) <= 1023),"
    "  hash       BLOB NOT NULL UNIQUE CHECK (typeof(hash) = 'blob' AND length(hash) = 32),"
    "  created_ms INTEGER NOT NULL,"
    "  revoked_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TRIGGER keys_version_insert AFTER INSERT ON keys BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;"
    "CREATE TRIGGER keys_version_update AFTER UPDATE ON keys BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;"
    "CREATE TRIGGER keys_version_delete AFTER DELETE ON keys BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;",
    /* 2: where a key's data may go.  Existing keys get '' (anywhere), which
     * is what they could do before; adding columns touches no row, so the
     * triggers do not fire and gateways do not reload for it. */
    "ALTER TABLE keys ADD COLUMN regions TEXT NOT NULL DEFAULT '' "
    "  CHECK (length(regions) <= 255);"
    "ALTER TABLE keys ADD COLUMN tiers TEXT NOT NULL DEFAULT '' "
    "  CHECK (length(tiers) <= 31);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

struct seam_store {
    sqlite3 *db;
    char *path;
    pthread_mutex_t mu;
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *version, *find, *insert, *revoke, *list;
};

static void db_err(seam_store *st, char *err, size_t errlen, const char *what)
{
    seam_errf(err, errlen, "storage: %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/* ---- field rules: key_fields.c ---- */

static int check_rec(const seam_key_rec *rec, char *err, size_t errlen)
{
    if (strnlen(rec->name, sizeof rec->name) == sizeof rec->name ||
        strnlen(rec->tenant, sizeof rec->tenant) == sizeof rec->tenant ||
        strnlen(rec->routes, sizeof rec->routes) == sizeof rec->routes ||
        strnlen(rec->regions, sizeof rec->regions) == sizeof rec->regions ||
        strnlen(rec->tiers, sizeof rec->tiers) == sizeof rec->tiers) {
        seam_errf(err, errlen, "key record: a field is not NUL-terminated");
        return -1;
    }
    return seam_key_fields_check(rec->name, rec->tenant, rec->routes, rec->regions, rec->tiers, err,
                                 errlen);
}

/* ---- opening ---- */

/* Splits "sqlite://PATH" into PATH.  Only the scheme of another URL is ever
 * echoed: a postgres:// URL may carry a password. */
static int parse_url(const char *url, const char **path, char *err, size_t errlen)
{
    if (!url || !*url) {
        seam_errf(err, errlen, "storage.url: empty (expected sqlite://PATH)");
        return -1;
    }
    const char *sep = strstr(url, "://");
    if (!sep) {
        seam_errf(err, errlen, "storage.url: no scheme (expected sqlite://PATH)");
        return -1;
    }
    size_t slen = (size_t)(sep - url);
    if (slen != 6 || strncasecmp(url, "sqlite", 6) != 0) {
        seam_errf(err, errlen, "storage.url: unsupported scheme '%.*s' (sqlite:// is supported)",
                  (int)(slen > 32 ? 32 : slen), url);
        return -1;
    }
    *path = sep + 3;
    if (!**path) {
        seam_errf(err, errlen,
                  "storage.url: sqlite:// needs a file path (e.g. sqlite://./seam-data/seam.db)");
        return -1;
    }
    return 0;
}

/* mkdir -p of path's parent directory; directories it creates are 0700. */
static int make_parents(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof dir) {
        seam_errf(err, errlen, "storage: path too long");
        return -1;
    }
    memcpy(dir, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (dir[i] != '/') continue;
        dir[i] = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            seam_errf(err, errlen, "storage: cannot create directory %s: %s", dir, strerror(errno));
            return -1;
        }
        dir[i] = '/';
    }
    return 0;
}

static int prepare(seam_store *st, const char *sql, sqlite3_stmt **out, char *err, size_t errlen)
{
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK) {
        db_err(st, err, errlen, "prepare");
        return -1;
    }
    return 0;
}

/* Runs one prepared statement that returns no rows, and resets it. */
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int migrate(seam_store *st, char *err, size_t errlen)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        db_err(st, err, errlen, "begin");
        return -1;
    }
    sqlite3_stmt *s = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version < 0) {
        db_err(st, err, errlen, "reading the schema version");
        goto fail;
    }
    if (version > SCHEMA_VERSION) {
        seam_errf(err, errlen,
                  "storage: %s: schema version %d is newer than this seam knows (%d); "
                  "upgrade seam",
                  st->path, version, SCHEMA_VERSION);
        goto fail;
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char *msg = NULL;
        if (sqlite3_exec(st->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            seam_errf(err, errlen, "storage: %s: schema upgrade to version %d: %s", st->path, v + 1,
                      msg ? msg : "failed");
            sqlite3_free(msg);
            goto fail;
        }
    }
    if (version != SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
        if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            db_err(st, err, errlen, "setting the schema version");
            goto fail;
        }
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_err(st, err, errlen, "commit");
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int seam_store_open(const char *url, seam_store **out, char *err, size_t errlen)
{
    const char *path;
    *out = NULL;
    if (parse_url(url, &path, err, errlen) != 0) return -1;
    if (make_parents(path, err, errlen) != 0) return -1;

    /* Create the file ourselves so that it is 0600 from its first moment;
     * SQLite gives its -wal and -shm files the database file's mode. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        seam_errf(err, errlen, "storage: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);

    seam_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        seam_errf(err, errlen, "storage: out of memory");
        return -1;
    }
    pthread_mutex_init(&st->mu, NULL);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        if (st->db)
            db_err(st, err, errlen, "open");
        else
            seam_errf(err, errlen, "storage: %s: out of memory", path);
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);

    sqlite3_stmt *s = NULL;
    const unsigned char *mode = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        mode = sqlite3_column_text(s, 0);
    if (!mode || strcasecmp((const char *)mode, "wal") != 0) {
        sqlite3_finalize(s);
        db_err(st, err, errlen, "cannot switch to WAL mode");
        goto fail;
    }
    sqlite3_finalize(s);
    /* NORMAL is durable across application crashes in WAL mode; only a power
     * loss can drop the last commits.  FULL would fsync every key change. */
    if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        db_err(st, err, errlen, "pragma");
        goto fail;
    }
    if (migrate(st, err, errlen) != 0) goto fail;

    if (prepare(st, "BEGIN IMMEDIATE", &st->begin, err, errlen) ||
        prepare(st, "COMMIT", &st->commit, err, errlen) ||
        prepare(st, "ROLLBACK", &st->rollback, err, errlen) ||
        prepare(st, "SELECT value FROM meta WHERE name = 'keys_version'", &st->version, err,
                errlen) ||
        prepare(st, "SELECT revoked_ms FROM keys WHERE name = ?1", &st->find, err, errlen) ||
        prepare(st,
                "INSERT INTO keys (name, tenant, routes, hash, created_ms, revoked_ms, "
                "regions, tiers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                &st->insert, err, errlen) ||
        prepare(st, "UPDATE keys SET revoked_ms = ?1 WHERE name = ?2 AND revoked_ms = 0",
                &st->revoke, err, errlen) ||
        prepare(st,
                "SELECT name, tenant, routes, hash, created_ms, revoked_ms, regions, tiers "
                "FROM keys ORDER BY created_ms, id",
                &st->list, err, errlen))
        goto fail;

    *out = st;
    return 0;
fail:
    seam_store_close(st);
    return -1;
}

void seam_store_close(seam_store *st)
{
    if (!st) return;
    sqlite3_stmt *all[] = {st->begin, st->commit, st->rollback, st->version,
                           st->find,  st->insert, st->revoke,   st->list};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close_v2(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

/* ---- keys ---- */

int seam_store_key_add(seam_store *st, const seam_key_rec *rec, char *err, size_t errlen)
{
    if (check_rec(rec, err, errlen) != 0) return -1;
    int64_t created = rec->created_ms ? rec->created_ms : seam_wall_ms();

    pthread_mutex_lock(&st->mu);
    int ret = -1;
    if (run(st->begin) != 0) {
        db_err(st, err, errlen, "begin");
        goto out;
    }
    /* Names are never reused, not even a revoked one's: the audit log and
     * the ledger name keys, and a name must keep meaning one key. */
    sqlite3_bind_text(st->find, 1, rec->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st->find);
    int64_t revoked = rc == SQLITE_ROW ? sqlite3_column_int64(st->find, 0) : 0;
    sqlite3_reset(st->find);
    sqlite3_clear_bindings(st->find);
    if (rc == SQLITE_ROW) {
        seam_errf(err, errlen, "a key named %s already exists%s", rec->name,
                  revoked ? " (revoked; names are not reused)" : "");
        goto rollback;
    }
    if (rc != SQLITE_DONE) {
        db_err(st, err, errlen, "lookup");
        goto rollback;
    }
    sqlite3_bind_text(st->insert, 1, rec->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st->insert, 2, rec->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st->insert, 3, rec->routes, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st->insert, 4, rec->hash, SEAM_KEY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st->insert, 5, created);
    sqlite3_bind_int64(st->insert, 6, rec->revoked_ms);
    sqlite3_bind_text(st->insert, 7, rec->regions, -1, SQLITE_STATIC);
    sqlite3_bind_text(st->insert, 8, rec->tiers, -1, SQLITE_STATIC);
    rc = sqlite3_step(st->insert);
    sqlite3_reset(st->insert);
    sqlite3_clear_bindings(st->insert);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_CONSTRAINT_UNIQUE) /* the name was checked: the hash collided */
            seam_errf(err, errlen, "a key with the same secret already exists");
        else
            db_err(st, err, errlen, "insert");
        goto rollback;
    }
    if (run(st->commit) != 0) {
        db_err(st, err, errlen, "commit");
        goto rollback;
    }
    ret = 0;
    goto out;
rollback:
    run(st->rollback);
out:
    pthread_mutex_unlock(&st->mu);
    return ret;
}

int seam_store_key_revoke(seam_store *st, const char *name, char *err, size_t errlen)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_bind_int64(st->revoke, 1, seam_wall_ms());
    sqlite3_bind_text(st->revoke, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st->revoke);
    int ret = rc != SQLITE_DONE ? -1 : sqlite3_changes(st->db) > 0 ? 0 : 1;
    if (ret < 0) db_err(st, err, errlen, "revoke");
    sqlite3_reset(st->revoke);
    sqlite3_clear_bindings(st->revoke);
    pthread_mutex_unlock(&st->mu);
    return ret;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* fn runs with the handle locked and a read transaction open: it must not
 * call back into this store. */
int seam_store_key_each(seam_store *st, int (*fn)(const seam_key_rec *, void *), void *ud,
                        char *err, size_t errlen)
{
    seam_key_rec *rec = malloc(sizeof *rec);
    if (!rec) {
        seam_errf(err, errlen, "storage: out of memory");
        return -1;
    }
    pthread_mutex_lock(&st->mu);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st->list)) == SQLITE_ROW) {
        /* The table's CHECKs hold these; a row that breaks them anyway is
         * skipped, never half-read. */
        if (sqlite3_column_bytes(st->list, 3) != SEAM_KEY_HASH_LEN) continue;
        memset(rec, 0, sizeof *rec);
        copy_col(rec->name, sizeof rec->name, st->list, 0);
        copy_col(rec->tenant, sizeof rec->tenant, st->list, 1);
        copy_col(rec->routes, sizeof rec->routes, st->list, 2);
        memcpy(rec->hash, sqlite3_column_blob(st->list, 3), SEAM_KEY_HASH_LEN);
        rec->created_ms = sqlite3_column_int64(st->list, 4);
        rec->revoked_ms = sqlite3_column_int64(st->list, 5);
        copy_col(rec->regions, sizeof rec->regions, st->list, 6);
        copy_col(rec->tiers, sizeof rec->tiers, st->list, 7);
        if (fn(rec, ud) != 0) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_err(st, err, errlen, "listing keys");
        ret = -1;
    }
    sqlite3_reset(st->list);
    pthread_mutex_unlock(&st->mu);
    free(rec);
    return ret;
}

/* Returns the counter, or -1 when it cannot be read (the caller keeps what
 * it has and asks again later). */
int64_t seam_store_key_version(seam_store *st)
{
    pthread_mutex_lock(&st->mu);
    int64_t v = -1;
    if (sqlite3_step(st->version) == SQLITE_ROW) v = sqlite3_column_int64(st->version, 0);
    sqlite3_reset(st->version);
    pthread_mutex_unlock(&st->mu);
    return v;
}
