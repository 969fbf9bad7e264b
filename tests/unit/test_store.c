/* test_store.c — the SQLite store: files, schema, keys, change counter. */
#include "store/store.h"

#include <ftw.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct fix {
    char dir[64];
    char url[300];  /* sqlite://DIR/data/seam.db */
    char path[256]; /* DIR/data/seam.db */
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/seam-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/data/seam.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite://%s", f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static seam_store *open_ok(const char *url)
{
    seam_store *st = NULL;
    char err[512] = "";
    int rc = seam_store_open(url, &st, err, sizeof err);
    if (rc != 0) fprintf(stderr, "open %s: %s\n", url, err);
    assert_int_equal(rc, 0);
    assert_non_null(st);
    return st;
}

static seam_key_rec rec_where(const char *name, const char *tenant, const char *routes,
                              const char *regions, const char *tiers, int fill)
{
    seam_key_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.tenant, sizeof r.tenant, "%s", tenant);
    snprintf(r.routes, sizeof r.routes, "%s", routes);
    snprintf(r.regions, sizeof r.regions, "%s", regions);
    snprintf(r.tiers, sizeof r.tiers, "%s", tiers);
    memset(r.hash, fill, sizeof r.hash);
    return r;
}

static seam_key_rec rec_of(const char *name, const char *tenant, const char *routes, int fill)
{
    return rec_where(name, tenant, routes, "", "", fill);
}

static void add_ok(seam_store *st, const char *name, const char *tenant, const char *routes,
                   int fill)
{
    seam_key_rec r = rec_of(name, tenant, routes, fill);
    char err[512] = "";
    int rc = seam_store_key_add(st, &r, err, sizeof err);
    if (rc != 0) fprintf(stderr, "add %s: %s\n", name, err);
    assert_int_equal(rc, 0);
}

/* Runs one SQL statement on a separate raw connection and returns the first
 * column of its first row as an integer (or text into out). */
static long long raw_query(const char *path, const char *sql, char *out, size_t outlen)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    long long v = -1;
    int rc = sqlite3_step(s);
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
        if (out) snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void test_open_creates_dir_and_schema(void **state)
{
    struct fix *f = *state;
    mode_t old = umask(022);
    seam_store *st = open_ok(f->url);
    umask(old);

    struct stat sb;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/data", f->dir);
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    char text[64];
    raw_query(f->path, "PRAGMA journal_mode", text, sizeof text);
    assert_string_equal(text, "wal");
    assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 2);
    assert_int_equal(raw_query(f->path,
                               "SELECT count(*) FROM sqlite_master WHERE name IN ('keys','meta')",
                               NULL, 0),
                     2);
    seam_store_close(st);

    /* Opening again finds the schema in place and keeps the data. */
    st = open_ok(f->url);
    add_ok(st, "k1", "", "", 1);
    seam_store_close(st);
    st = open_ok(f->url);
    assert_int_equal(raw_query(f->path, "SELECT count(*) FROM keys", NULL, 0), 1);
    seam_store_close(st);
}

static void test_relative_path(void **state)
{
    struct fix *f = *state;
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    seam_store *st = open_ok("sqlite://rel/dir/seam.db");
    seam_store_close(st);
    struct stat sb;
    int rc = stat("rel/dir/seam.db", &sb);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
}

struct seen {
    seam_key_rec recs[8];
    int n;
    int stop_after;
};

static int collect(const seam_key_rec *r, void *ud)
{
    struct seen *s = ud;
    if (s->n < 8) s->recs[s->n] = *r;
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static void test_add_list_revoke(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    add_ok(st, "alice", "acme", "chat,openai/*", 0xa1);
    add_ok(st, "bob", "", "", 0xb0);

    struct seen s = {0};
    char err[512];
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.recs[0].name, "alice"); /* oldest first */
    assert_string_equal(s.recs[0].tenant, "acme");
    assert_string_equal(s.recs[0].routes, "chat,openai/*");
    assert_int_equal(s.recs[0].hash[0], 0xa1);
    assert_int_equal(s.recs[0].hash[31], 0xa1);
    assert_true(s.recs[0].created_ms > 1600000000000LL);
    assert_int_equal(s.recs[0].revoked_ms, 0);
    assert_string_equal(s.recs[1].name, "bob");
    assert_string_equal(s.recs[1].tenant, "");
    assert_string_equal(s.recs[1].routes, "");

    assert_int_equal(seam_store_key_revoke(st, "bob", err, sizeof err), 0);
    assert_int_equal(seam_store_key_revoke(st, "bob", err, sizeof err), 1); /* already */
    assert_int_equal(seam_store_key_revoke(st, "nobody", err, sizeof err), 1);

    memset(&s, 0, sizeof s);
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.recs[0].revoked_ms, 0);
    assert_true(s.recs[1].revoked_ms >= s.recs[1].created_ms);

    /* fn returning non-zero stops the walk. */
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 1);
    seam_store_close(st);
}

/* Regions and tiers are stored and read back as given. */
static void test_residency_round_trip(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    seam_key_rec in[] = {
        rec_where("eu-only", "acme", "chat", "eu,us-east-1", "private", 1),
        rec_where("vendor", "", "", "", "vendor", 2),
        rec_where("plain", "", "", "", "", 3),
        rec_where("both", "", "", "on-prem.fra", "private,vendor", 4),
    };
    char err[512] = "";
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(seam_store_key_add(st, &in[i], err, sizeof err), 0);
    seam_store_close(st);

    st = open_ok(f->url); /* from the file, not from anything cached */
    struct seen s = {0};
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(s.recs[i].name, in[i].name);
        assert_string_equal(s.recs[i].tenant, in[i].tenant);
        assert_string_equal(s.recs[i].routes, in[i].routes);
        assert_string_equal(s.recs[i].regions, in[i].regions);
        assert_string_equal(s.recs[i].tiers, in[i].tiers);
        assert_memory_equal(s.recs[i].hash, in[i].hash, SEAM_KEY_HASH_LEN);
    }
    char text[64];
    raw_query(f->path, "SELECT regions FROM keys WHERE name = 'eu-only'", text, sizeof text);
    assert_string_equal(text, "eu,us-east-1");
    seam_store_close(st);
}

/* The keys table as schema version 1 made it, before regions and tiers. */
static const char schema_v1[] =
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
    "  UPDATE meta SET value = value + 1 WHERE name = 'keys_version'; END;"
    "PRAGMA user_version = 1;";

static const char keys_v1[] =
    "INSERT INTO keys (name, tenant, routes, hash, created_ms, revoked_ms) VALUES"
    " ('alice', 'acme', 'chat,openai/*', zeroblob(32), 1700000000000, 0),"
    " ('bob', '', '', randomblob(32), 1700000000001, 1700000000002);";

/* Writes a version-1 database at f->path holding alice (active) and bob
 * (revoked), as a seam of that version would have left it; extra is more
 * SQL run after. */
static void make_v1_db(struct fix *f, const char *extra)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/data", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, schema_v1, NULL, NULL, &msg);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, keys_v1, NULL, NULL, &msg);
    if (rc == SQLITE_OK && extra) rc = sqlite3_exec(db, extra, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("v1 database: %s", msg ? msg : "?");
    sqlite3_close(db);
}

static void test_upgrade_from_v1(void **state)
{
    struct fix *f = *state;
    make_v1_db(f, NULL);
    long long v_before = raw_query(f->path, "SELECT value FROM meta", NULL, 0);

    seam_store *st = open_ok(f->url);
    assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 2);
    struct seen s = {0};
    char err[512] = "";
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.recs[0].name, "alice");
    assert_string_equal(s.recs[0].tenant, "acme");
    assert_string_equal(s.recs[0].routes, "chat,openai/*");
    assert_string_equal(s.recs[0].regions, "");
    assert_string_equal(s.recs[0].tiers, "");
    assert_int_equal(s.recs[0].hash[0], 0);
    assert_int_equal(s.recs[0].created_ms, 1700000000000LL);
    assert_int_equal(s.recs[0].revoked_ms, 0);
    assert_string_equal(s.recs[1].name, "bob");
    assert_string_equal(s.recs[1].regions, "");
    assert_string_equal(s.recs[1].tiers, "");
    assert_int_equal(s.recs[1].revoked_ms, 1700000000002LL);

    /* Adding columns changed no key, so gateways have nothing to reload... */
    assert_int_equal(seam_store_key_version(st), v_before);
    /* ...and the triggers still count changes, new fields included. */
    seam_key_rec r = rec_where("carol", "", "", "eu", "private", 7);
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), 0);
    assert_true(seam_store_key_version(st) != v_before);
    seam_store_close(st);

    /* Opening the upgraded file again changes nothing. */
    st = open_ok(f->url);
    memset(&s, 0, sizeof s);
    assert_int_equal(seam_store_key_each(st, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.recs[2].regions, "eu");
    assert_string_equal(s.recs[2].tiers, "private");
    seam_store_close(st);
}

/* An upgrade that fails leaves the file as it was: one transaction. */
static void test_failed_upgrade_rolls_back(void **state)
{
    struct fix *f = *state;
    /* A hand-added column in the way of version 2's. */
    make_v1_db(f, "ALTER TABLE keys ADD COLUMN tiers TEXT;");
    seam_store *st = (seam_store *)&st;
    char err[512] = "";
    assert_int_equal(seam_store_open(f->url, &st, err, sizeof err), -1);
    assert_null(st);
    assert_non_null(strstr(err, "schema upgrade to version 2"));
    assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 1);
    assert_int_equal(raw_query(f->path,
                               "SELECT count(*) FROM pragma_table_info('keys') "
                               "WHERE name = 'regions'",
                               NULL, 0),
                     0);
    assert_int_equal(raw_query(f->path, "SELECT count(*) FROM keys", NULL, 0), 2);
}

static void test_duplicate_name_refused(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    add_ok(st, "alice", "", "", 1);
    char err[512] = "";
    seam_key_rec r = rec_of("alice", "", "", 2);
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    assert_string_equal(err, "a key named alice already exists");

    assert_int_equal(seam_store_key_revoke(st, "alice", err, sizeof err), 0);
    r = rec_of("alice", "", "", 3);
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "a key named alice already exists"));
    assert_non_null(strstr(err, "revoked"));

    r = rec_of("carol", "", "", 1); /* bob's hash: the same secret again */
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "same secret"));

    assert_int_equal(raw_query(f->path, "SELECT count(*) FROM keys", NULL, 0), 1);
    seam_store_close(st);
}

static void test_invalid_fields_refused(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    int64_t v = seam_store_key_version(st);
    static const struct {
        const char *name, *tenant, *routes, *regions, *tiers, *msg;
    } bad[] = {
        {"", "", "", "", "", "key name '' is not valid"},
        {"has space", "", "", "", "", "key name 'has space' is not valid"},
        {"ok", "bad/tenant", "", "", "", "tenant 'bad/tenant' is not valid"},
        {"ok", "", "chat,", "", "", "routes entry '' is not valid"},
        {"ok", "", "openai/gpt*", "", "", "routes entry 'openai/gpt*' is not valid"},
        {"ok", "", "/gpt-4o", "", "", "routes entry '/gpt-4o' is not valid"},
        {"ok", "", "", "eu,eu", "", "regions: 'eu' is listed twice"},
        {"ok", "", "", "eu west", "", "regions entry 'eu west' is not valid"},
        {"ok", "", "", "", "cloud", "tiers entry 'cloud' is not valid: use private or vendor"},
        {"ok", "", "", "", "vendor,vendor", "tiers: 'vendor' is listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seam_key_rec r = rec_where(bad[i].name, bad[i].tenant, bad[i].routes, bad[i].regions,
                                   bad[i].tiers, (int)i + 1);
        char err[512] = "";
        assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
        if (!strstr(err, bad[i].msg)) fail_msg("case %zu: got '%s'", i, err);
    }
    /* A name that fills the field with no terminator is refused whole, not
     * cut; 127 characters is the most there is room for. */
    seam_key_rec r = rec_of("", "", "", 9);
    memset(r.name, 'a', sizeof r.name);
    char err[512];
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    r = rec_of("full", "", "", 9);
    memset(r.regions, 'a', sizeof r.regions);
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    assert_string_equal(err, "key record: a field is not NUL-terminated");
    r = rec_of("full", "", "", 9);
    memset(r.tiers, 'a', sizeof r.tiers);
    assert_int_equal(seam_store_key_add(st, &r, err, sizeof err), -1);
    assert_string_equal(err, "key record: a field is not NUL-terminated");
    char name[128];
    memset(name, 'a', 127);
    name[127] = '\0';
    add_ok(st, name, "", "", 10);
    assert_int_equal(raw_query(f->path, "SELECT count(*) FROM keys", NULL, 0), 1);
    assert_true(seam_store_key_version(st) != v);
    seam_store_close(st);
}

static void test_version_changes(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    seam_store *other = open_ok(f->url); /* as another process would */
    char err[512];

    int64_t v0 = seam_store_key_version(st);
    assert_true(v0 >= 0);
    assert_int_equal(seam_store_key_version(st), v0); /* stable while nothing changes */

    add_ok(st, "a", "", "", 1);
    int64_t v1 = seam_store_key_version(st);
    assert_true(v1 != v0);
    assert_int_equal(seam_store_key_version(other), v1);

    assert_int_equal(seam_store_key_revoke(st, "a", err, sizeof err), 0);
    int64_t v2 = seam_store_key_version(st);
    assert_true(v2 != v1);

    /* A revoke that changes nothing leaves the version alone. */
    assert_int_equal(seam_store_key_revoke(st, "a", err, sizeof err), 1);
    assert_int_equal(seam_store_key_version(st), v2);

    /* Changes made through the other handle. */
    add_ok(other, "b", "", "", 2);
    int64_t v3 = seam_store_key_version(st);
    assert_true(v3 != v2);
    assert_int_equal(seam_store_key_revoke(other, "b", err, sizeof err), 0);
    int64_t v4 = seam_store_key_version(st);
    assert_true(v4 != v3);

    /* And a hand-run sqlite3 session (the triggers count it too). */
    raw_query(f->path, "DELETE FROM keys WHERE name = 'b'", NULL, 0);
    assert_true(seam_store_key_version(st) != v4);

    seam_store_close(other);
    seam_store_close(st);
}

static void test_bad_url(void **state)
{
    static const struct {
        const char *url, *msg;
    } bad[] = {
        {"postgres://user:hunter2@db/seam",
         "storage.url: unsupported scheme 'postgres' (sqlite:// is supported)"},
        {"redis://h:6379", "storage.url: unsupported scheme 'redis' (sqlite:// is supported)"},
        {"", "storage.url: empty (expected sqlite://PATH)"},
        {"./seam.db", "storage.url: no scheme (expected sqlite://PATH)"},
        {"sqlite://", "storage.url: sqlite:// needs a file path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seam_store *st = (seam_store *)&st;
        char err[512] = "";
        assert_int_equal(seam_store_open(bad[i].url, &st, err, sizeof err), -1);
        assert_null(st);
        assert_true(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0);
        assert_null(strstr(err, "hunter2"));
    }
}

static void test_newer_schema_refused(void **state)
{
    struct fix *f = *state;
    seam_store *st = open_ok(f->url);
    seam_store_close(st);
    raw_query(f->path, "PRAGMA user_version = 99", NULL, 0);
    char err[512] = "";
    assert_int_equal(seam_store_open(f->url, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema version 99 is newer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_dir_and_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_list_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_residency_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_upgrade_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_name_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_fields_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_changes, setup, teardown),
        cmocka_unit_test(test_bad_url),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
