/* test_auth.c — virtual keys: format, hashing, the key table, route access. */
#include "gateway/auth.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"

#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct fix {
    char dir[64];
    char url[128];
    seam_store *st; /* a handle of its own, as `seam keys` in another process */
    seam_auth *auth;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/seam-test-auth-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->url, sizeof f->url, "sqlite://%s/seam.db", f->dir);
    char err[512];
    if (seam_store_open(f->url, &f->st, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    seam_auth_free(f->auth);
    seam_store_close(f->st);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void start_auth(struct fix *f)
{
    char err[512] = "";
    int rc = seam_auth_new(f->url, &f->auth, err, sizeof err);
    if (rc != 0) fprintf(stderr, "seam_auth_new: %s\n", err);
    assert_int_equal(rc, 0);
}

/* Creates a key the way `seam keys create` does; secret gets the plaintext. */
static void make_key_where(seam_store *st, const char *name, const char *tenant, const char *routes,
                           const char *regions, const char *tiers, char secret[64])
{
    seam_key_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.tenant, sizeof r.tenant, "%s", tenant);
    snprintf(r.routes, sizeof r.routes, "%s", routes);
    snprintf(r.regions, sizeof r.regions, "%s", regions);
    snprintf(r.tiers, sizeof r.tiers, "%s", tiers);
    assert_int_equal(seam_key_generate(secret), 0);
    seam_key_hash(secret, strlen(secret), r.hash);
    char err[512] = "";
    int rc = seam_store_key_add(st, &r, err, sizeof err);
    if (rc != 0) fprintf(stderr, "add %s: %s\n", name, err);
    assert_int_equal(rc, 0);
}

static void make_key(seam_store *st, const char *name, const char *tenant, const char *routes,
                     char secret[64])
{
    make_key_where(st, name, tenant, routes, "", "", secret);
}

static int check_bearer(seam_auth *a, const char *secret)
{
    char h[128];
    snprintf(h, sizeof h, "Bearer %s", secret);
    const seam_principal *p;
    int rc = seam_auth_check(a, h, &p);
    if (rc == 0) seam_auth_release(a, p);
    return rc;
}

/* Polls until the key's status is want or the deadline passes. */
static int wait_for(seam_auth *a, const char *secret, int want, int timeout_ms)
{
    uint64_t end = seam_now_us() + (uint64_t)timeout_ms * 1000;
    while (check_bearer(a, secret) != want) {
        if (seam_now_us() > end) return -1;
        usleep(20 * 1000);
    }
    return 0;
}

/* ---- keys ---- */

static void test_key_format(void **state)
{
    char a[64], b[64];
    assert_int_equal(seam_key_generate(a), 0);
    assert_int_equal(seam_key_generate(b), 0);
    assert_int_equal(strlen(a), SEAM_KEY_LEN);
    assert_int_equal(strlen(a), 51);
    assert_memory_equal(a, "sk-seam-", 8);
    for (size_t i = 8; i < strlen(a); i++) {
        char c = a[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        if (!ok) fail_msg("character %zu of the key is '%c'", i, c);
    }
    assert_string_not_equal(a, b);

    /* The body decodes back to 32 bytes. */
    unsigned char raw[64];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, a + 8, 43, NULL, &n, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(n, 32);
}

static void test_key_hash(void **state)
{
    const char *k = "sk-seam-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    uint8_t h1[32], h2[32], want[32];
    seam_key_hash(k, strlen(k), h1);
    seam_key_hash(k, strlen(k), h2);
    assert_memory_equal(h1, h2, 32);
    crypto_generichash(want, 32, (const unsigned char *)k, strlen(k), NULL, 0);
    assert_memory_equal(h1, want, 32); /* BLAKE2b-256 of the whole string */
    seam_key_hash(k, strlen(k) - 1, h2);
    assert_memory_not_equal(h1, h2, 32);
}

/* The CLI's check and the store's check must agree on every case. */
static void test_field_rules_agree(void **state)
{
    struct fix *f = *state;
    static const char r16[] = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p";
    static const char r17[] = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q";
    static const char r63[] = "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh",
                      r64[] = "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi";
    static const struct {
        const char *name, *tenant, *routes, *regions, *tiers;
        int ok;
    } cases[] = {
        {"alice", "", "", "", "", 1},
        {"a.b_c-D9", "acme-eu", "chat", "", "", 1},
        {"k1", "", "chat,embed", "", "", 1},
        {"k2", "", "openai/gpt-4o", "", "", 1},
        {"k3", "", "openai/*", "", "", 1},
        {"k4", "", "*", "", "", 1},
        {"k5", "", "chat,openai/gpt-4o-mini,anthropic/*", "", "", 1},
        {"k6", "", "hf/meta-llama/Llama-3.1-8B", "", "", 1},
        {"k7", "", "ollama/llama3.1:8b,vertex/claude-3-5-sonnet@20240620", "", "", 1},
        {"k8", "", "", "eu", "", 1},
        {"k9", "", "", "eu,us-east-1,on-prem.fra_2", "private", 1},
        {"k10", "", "", r16, "vendor", 1},
        {"k11", "", "", r63, "private,vendor", 1},
        {"k12", "", "", "", "vendor,private", 1},
        {"k13", "", "", "EU,eu", "", 1}, /* regions match case and all */
        {"", "", "", "", "", 0},
        {"with space", "", "", "", "", 0},
        {"slash/name", "", "", "", "", 0},
        {"ok1", "ten ant", "", "", "", 0},
        {"ok2", "", ",", "", "", 0},
        {"ok3", "", "chat,", "", "", 0},
        {"ok4", "", ",chat", "", "", 0},
        {"ok5", "", "chat,,embed", "", "", 0},
        {"ok6", "", "openai/", "", "", 0},
        {"ok7", "", "/gpt-4o", "", "", 0},
        {"ok8", "", "openai/gpt*", "", "", 0},
        {"ok9", "", "ch*t", "", "", 0},
        {"ok10", "", "**", "", "", 0},
        {"ok11", "", "chat embed", "", "", 0},
        {"ok12", "", "open ai/x", "", "", 0},
        {"ok13", "", "", r17, "", 0},
        {"ok14", "", "", r64, "", 0},
        {"ok15", "", "", "eu,us,eu", "", 0},
        {"ok16", "", "", "eu,", "", 0},
        {"ok17", "", "", ",eu", "", 0},
        {"ok18", "", "", "eu west", "", 0},
        {"ok19", "", "", "eu/west", "", 0},
        {"ok20", "", "", "*", "", 0},
        {"ok21", "", "", "", "cloud", 0},
        {"ok22", "", "", "", "Private", 0},
        {"ok23", "", "", "", "private,", 0},
        {"ok24", "", "", "", "private,private", 0},
        {"ok25", "", "", "", "vendor,private,vendor", 0},
        {"ok26", "", "", "", "privat", 0},
        {"ok27", "", "", "", "privatevendor", 0},
        {"ok28", "", "", "", ",", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        int cli = seam_key_fields_check(cases[i].name, cases[i].tenant, cases[i].routes,
                                        cases[i].regions, cases[i].tiers, err, sizeof err) == 0;
        seam_key_rec r;
        memset(&r, 0, sizeof r);
        snprintf(r.name, sizeof r.name, "%s", cases[i].name);
        snprintf(r.tenant, sizeof r.tenant, "%s", cases[i].tenant);
        snprintf(r.routes, sizeof r.routes, "%s", cases[i].routes);
        snprintf(r.regions, sizeof r.regions, "%s", cases[i].regions);
        snprintf(r.tiers, sizeof r.tiers, "%s", cases[i].tiers);
        memset(r.hash, (int)i + 1, sizeof r.hash);
        int store = seam_store_key_add(f->st, &r, err, sizeof err) == 0;
        if (cli != cases[i].ok || store != cases[i].ok)
            fail_msg("case %zu (%s|%s|%s|%s|%s): want %d, check says %d, store says %d", i,
                     cases[i].name, cases[i].tenant, cases[i].routes, cases[i].regions,
                     cases[i].tiers, cases[i].ok, cli, store);
    }
}

/* What the user reads when a field is wrong. */
static void test_field_errors(void **state)
{
    static const struct {
        const char *regions, *tiers, *msg;
    } bad[] = {
        {"eu,us,eu", "", "regions: 'eu' is listed twice"},
        {"eu,,us", "", "regions entry '' is not valid: use 1..63 characters of A-Z a-z 0-9 . _ -"},
        {"eu/west", "", "regions entry 'eu/west' is not valid: use 1..63 characters"},
        {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "", "regions: more than 16 entries"},
        {"", "cloud", "tiers entry 'cloud' is not valid: use private or vendor"},
        {"", "vendor,", "tiers entry '' is not valid: use private or vendor"},
        {"", "private,vendor,private", "tiers: 'private' is listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        assert_int_equal(
            seam_key_fields_check("k", "", "", bad[i].regions, bad[i].tiers, err, sizeof err), -1);
        if (strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, err, bad[i].msg);
    }
    char long_regions[300], err[256] = "";
    memset(long_regions, 'a', sizeof long_regions - 1);
    long_regions[sizeof long_regions - 1] = '\0';
    assert_int_equal(seam_key_fields_check("k", "", "", long_regions, "", err, sizeof err), -1);
    assert_string_equal(err, "regions: longer than 255 characters");
    /* NULL lists are not checked (callers that only know some fields). */
    assert_int_equal(seam_key_fields_check("k", "", NULL, NULL, NULL, err, sizeof err), 0);
}

/* ---- the key table ---- */

static void test_valid_key(void **state)
{
    struct fix *f = *state;
    char secret[64];
    make_key(f->st, "alice", "acme", "chat", secret);
    start_auth(f);

    const char *forms[] = {"Bearer %s", "bearer %s", "BEARER %s", "  Bearer %s \t", "Bearer  %s"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char h[128];
        snprintf(h, sizeof h, forms[i], secret);
        const seam_principal *p = NULL;
        assert_int_equal(seam_auth_check(f->auth, h, &p), 0);
        assert_non_null(p);
        assert_string_equal(p->key_name, "alice");
        assert_string_equal(p->tenant, "acme");
        seam_auth_release(f->auth, p);
    }
    const seam_principal *p = NULL;
    assert_int_equal(seam_auth_check_key(f->auth, secret, strlen(secret), &p), 0);
    assert_string_equal(p->key_name, "alice");
    seam_auth_release(f->auth, p);
}

static void test_refused(void **state)
{
    struct fix *f = *state;
    char good[64], revoked[64], unknown[64];
    make_key(f->st, "good", "", "", good);
    make_key(f->st, "old", "", "", revoked);
    char err[256];
    assert_int_equal(seam_store_key_revoke(f->st, "old", err, sizeof err), 0);
    assert_int_equal(seam_key_generate(unknown), 0);
    start_auth(f);

    char wrong[64];
    snprintf(wrong, sizeof wrong, "%s", good);
    wrong[20] = wrong[20] == 'A' ? 'B' : 'A';
    char h[160];
    const seam_principal *p = (const seam_principal *)&p;

    assert_int_equal(seam_auth_check(f->auth, NULL, &p), SEAM_AUTH_MISSING);
    assert_null(p);
    assert_int_equal(seam_auth_check(f->auth, "", &p), SEAM_AUTH_MISSING);
    assert_int_equal(seam_auth_check(f->auth, "  \t", &p), SEAM_AUTH_MISSING);
    assert_int_equal(seam_auth_check(f->auth, "Basic x", &p), SEAM_AUTH_INVALID);
    assert_int_equal(seam_auth_check(f->auth, "Bearer", &p), SEAM_AUTH_INVALID);
    assert_int_equal(seam_auth_check(f->auth, "Bearer   ", &p), SEAM_AUTH_INVALID);
    assert_int_equal(seam_auth_check(f->auth, "Bearer x", &p), SEAM_AUTH_INVALID);
    assert_null(p);
    snprintf(h, sizeof h, "Basic %s", good); /* right key, wrong scheme */
    assert_int_equal(seam_auth_check(f->auth, h, &p), SEAM_AUTH_INVALID);
    snprintf(h, sizeof h, "Bearer%s", good);
    assert_int_equal(seam_auth_check(f->auth, h, &p), SEAM_AUTH_INVALID);
    snprintf(h, sizeof h, "Bearer %sx", good);
    assert_int_equal(seam_auth_check(f->auth, h, &p), SEAM_AUTH_INVALID);
    snprintf(h, sizeof h, "Bearer %s", good);
    h[strlen(h) - 1] = '\0'; /* one character short */
    assert_int_equal(seam_auth_check(f->auth, h, &p), SEAM_AUTH_INVALID);
    assert_int_equal(check_bearer(f->auth, wrong), SEAM_AUTH_INVALID);
    assert_int_equal(check_bearer(f->auth, unknown), SEAM_AUTH_INVALID);
    assert_int_equal(check_bearer(f->auth, revoked), SEAM_AUTH_INVALID);
    assert_int_equal(check_bearer(f->auth, good), 0);

    /* Revoking the good key: refused after a reload. */
    assert_int_equal(seam_store_key_revoke(f->st, "good", err, sizeof err), 0);
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    assert_int_equal(check_bearer(f->auth, good), SEAM_AUTH_INVALID);
}

static void test_reload(void **state)
{
    struct fix *f = *state;
    start_auth(f);
    char k1[64], k2[64];

    /* Made through another handle, picked up by an explicit reload. */
    make_key(f->st, "k1", "", "", k1);
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    assert_int_equal(check_bearer(f->auth, k1), 0);

    /* A principal stays valid while the table is swapped under it. */
    char h[128];
    snprintf(h, sizeof h, "Bearer %s", k1);
    const seam_principal *held;
    assert_int_equal(seam_auth_check(f->auth, h, &held), 0);
    make_key(f->st, "k2", "t2", "", k2);
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    assert_string_equal(held->key_name, "k1"); /* ASan would flag a freed table */
    seam_auth_release(f->auth, held);

    /* The background refresher, with no help: a new key, then a revocation. */
    char k3[64], err[256];
    uint64_t t0 = seam_now_us();
    make_key(f->st, "k3", "", "", k3);
    assert_int_equal(wait_for(f->auth, k3, 0, 2000), 0);
    uint64_t t1 = seam_now_us();
    assert_int_equal(seam_store_key_revoke(f->st, "k3", err, sizeof err), 0);
    assert_int_equal(wait_for(f->auth, k3, SEAM_AUTH_INVALID, 2000), 0);
    uint64_t t2 = seam_now_us();
    print_message("      background refresh: new key after %llu ms, revocation after %llu ms\n",
                  (unsigned long long)(t1 - t0) / 1000, (unsigned long long)(t2 - t1) / 1000);
}

/* Regions and tiers on the principal: a NULL-terminated list that lives as
 * long as the snapshot, and tier bits, with "" meaning no limit. */
static void test_residency_fields(void **state)
{
    struct fix *f = *state;
    char any[64], eu[64], priv[64], both[64];
    make_key_where(f->st, "any", "", "", "", "", any);
    make_key_where(f->st, "eu", "acme", "chat", "eu,us-east-1,on-prem", "vendor", eu);
    make_key_where(f->st, "priv", "", "", "", "private", priv);
    make_key_where(f->st, "both", "", "", "fra", "vendor,private", both);
    start_auth(f);

    const seam_principal *p = NULL;
    assert_int_equal(seam_auth_check_key(f->auth, any, strlen(any), &p), 0);
    assert_null(p->regions);
    assert_int_equal(p->tiers, SEAM_TIER_ALL);
    seam_auth_release(f->auth, p);

    assert_int_equal(seam_auth_check_key(f->auth, eu, strlen(eu), &p), 0);
    assert_non_null(p->regions);
    assert_string_equal(p->regions[0], "eu");
    assert_string_equal(p->regions[1], "us-east-1");
    assert_string_equal(p->regions[2], "on-prem");
    assert_null(p->regions[3]);
    assert_int_equal(p->tiers, SEAM_TIER_VENDOR);
    /* the other fields are still whole beside them */
    assert_string_equal(p->key_name, "eu");
    assert_string_equal(p->tenant, "acme");
    assert_true(seam_principal_allows_route(p, "chat"));
    assert_false(seam_principal_allows_route(p, "embed"));

    /* A principal held across a reload keeps its lists (the old snapshot
     * lives until released); ASan would catch a read after free. */
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    assert_string_equal(p->regions[1], "us-east-1");
    seam_auth_release(f->auth, p);

    assert_int_equal(seam_auth_check_key(f->auth, priv, strlen(priv), &p), 0);
    assert_null(p->regions);
    assert_int_equal(p->tiers, SEAM_TIER_PRIVATE);
    seam_auth_release(f->auth, p);

    assert_int_equal(seam_auth_check_key(f->auth, both, strlen(both), &p), 0);
    assert_string_equal(p->regions[0], "fra");
    assert_null(p->regions[1]);
    assert_int_equal(p->tiers, SEAM_TIER_ALL);
    seam_auth_release(f->auth, p);
}

static void test_bad_storage(void **state)
{
    seam_auth *a = (seam_auth *)&a;
    char err[256] = "";
    assert_int_equal(seam_auth_new("mysql://x", &a, err, sizeof err), -1);
    assert_null(a);
    assert_non_null(strstr(err, "unsupported scheme 'mysql'"));
}

/* ---- route access ---- */

static const seam_principal *principal_for(struct fix *f, const char *name, const char *routes)
{
    char secret[64], h[128];
    make_key(f->st, name, "", routes, secret);
    assert_int_equal(seam_auth_reload_now(f->auth), 0);
    snprintf(h, sizeof h, "Bearer %s", secret);
    const seam_principal *p = NULL;
    assert_int_equal(seam_auth_check(f->auth, h, &p), 0);
    return p;
}

static void test_route_access(void **state)
{
    struct fix *f = *state;
    start_auth(f);
    seam_auth *a = f->auth;

    /* No list: every configured route, no direct access. */
    const seam_principal *p = principal_for(f, "none", "");
    assert_true(p->all_routes);
    assert_true(seam_principal_allows_route(p, "chat"));
    assert_true(seam_principal_allows_route(p, "anything"));
    assert_false(seam_principal_allows_direct(p, "openai", "gpt-4o"));
    assert_false(seam_principal_allows_route(p, NULL));
    seam_auth_release(a, p);

    /* Route names: exactly those. */
    p = principal_for(f, "names", "chat,embed");
    assert_false(p->all_routes);
    assert_true(seam_principal_allows_route(p, "chat"));
    assert_true(seam_principal_allows_route(p, "embed"));
    assert_false(seam_principal_allows_route(p, "cha"));
    assert_false(seam_principal_allows_route(p, "chat2"));
    assert_false(seam_principal_allows_route(p, "Chat"));
    assert_false(seam_principal_allows_direct(p, "chat", "x"));
    seam_auth_release(a, p);

    /* provider/model: that model only, and no route. */
    p = principal_for(f, "pm", "openai/gpt-4o");
    assert_true(seam_principal_allows_direct(p, "openai", "gpt-4o"));
    assert_false(seam_principal_allows_direct(p, "openai", "gpt-4o-mini"));
    assert_false(seam_principal_allows_direct(p, "openai", "gpt-4"));
    assert_false(seam_principal_allows_direct(p, "open", "ai/gpt-4o"));
    assert_false(seam_principal_allows_direct(p, "openai/gpt-4o", ""));
    assert_false(seam_principal_allows_direct(p, "anthropic", "gpt-4o"));
    assert_false(seam_principal_allows_route(p, "chat"));
    assert_false(seam_principal_allows_route(p, "openai/gpt-4o"));
    seam_auth_release(a, p);

    /* "provider/" "*": any model of that provider. */
    p = principal_for(f, "pw", "openai/*");
    assert_true(seam_principal_allows_direct(p, "openai", "gpt-4o"));
    assert_true(seam_principal_allows_direct(p, "openai", "o1"));
    assert_false(seam_principal_allows_direct(p, "openai2", "gpt-4o"));
    assert_false(seam_principal_allows_direct(p, "opena", "gpt-4o"));
    assert_false(seam_principal_allows_route(p, "chat"));
    assert_false(seam_principal_allows_direct(p, "openai", NULL));
    seam_auth_release(a, p);

    /* *: everything. */
    p = principal_for(f, "star", "*");
    assert_true(p->everything);
    assert_true(seam_principal_allows_route(p, "chat"));
    assert_true(seam_principal_allows_direct(p, "openai", "gpt-4o"));
    assert_true(seam_principal_allows_direct(p, "anything", "at-all"));
    seam_auth_release(a, p);

    /* A mix, with a model name that has a slash in it. */
    p = principal_for(f, "mix", "chat,hf/meta-llama/Llama-3.1-8B,anthropic/*");
    assert_true(seam_principal_allows_route(p, "chat"));
    assert_false(seam_principal_allows_route(p, "embed"));
    assert_true(seam_principal_allows_direct(p, "hf", "meta-llama/Llama-3.1-8B"));
    assert_false(seam_principal_allows_direct(p, "hf", "meta-llama"));
    assert_false(seam_principal_allows_direct(p, "hf/meta-llama", "Llama-3.1-8B"));
    assert_true(seam_principal_allows_direct(p, "anthropic", "claude-3-5-haiku"));
    assert_false(seam_principal_allows_direct(p, "openai", "gpt-4o"));
    seam_auth_release(a, p);
}

/* ---- concurrency ---- */

#define NTHREADS 4
#define NSTABLE  8

struct stress {
    seam_auth *auth;
    char secrets[NSTABLE][64];
    char names[NSTABLE][24];
    atomic_int stop;
    atomic_long checks;
    atomic_int errors;
};

static void *stress_worker(void *arg)
{
    struct stress *s = arg;
    char h[128], bogus[64];
    seam_key_generate(bogus);
    for (unsigned i = 0; !atomic_load(&s->stop); i++) {
        int k = (int)(i % NSTABLE);
        snprintf(h, sizeof h, "Bearer %s", s->secrets[k]);
        const seam_principal *p = NULL;
        if (seam_auth_check(s->auth, h, &p) != 0 || strcmp(p->key_name, s->names[k]) != 0 ||
            !seam_principal_allows_route(p, "chat"))
            atomic_fetch_add(&s->errors, 1);
        if (p) seam_auth_release(s->auth, p);
        snprintf(h, sizeof h, "Bearer %s", bogus);
        if (seam_auth_check(s->auth, h, &p) != SEAM_AUTH_INVALID) atomic_fetch_add(&s->errors, 1);
        atomic_fetch_add(&s->checks, 2);
    }
    return NULL;
}

static void test_concurrent_checks_while_reloading(void **state)
{
    struct fix *f = *state;
    struct stress *s = calloc(1, sizeof *s);
    for (int i = 0; i < NSTABLE; i++) {
        snprintf(s->names[i], sizeof s->names[i], "stable%d", i);
        make_key(f->st, s->names[i], "", "chat", s->secrets[i]);
    }
    start_auth(f);
    s->auth = f->auth;

    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, stress_worker, s), 0);
    /* Churn: new keys, revocations and forced swaps, while the background
     * refresher swaps too.  Counted, not timed, so a loaded machine only
     * makes it slower. */
    int reloads = 0;
    for (int i = 0; i < 30; i++) {
        char name[32], secret[64], err[256];
        snprintf(name, sizeof name, "churn%d", i);
        make_key(f->st, name, "", "*", secret);
        if (i % 2) assert_int_equal(seam_store_key_revoke(f->st, name, err, sizeof err), 0);
        assert_int_equal(seam_auth_reload_now(f->auth), 0);
        reloads++;
        if (i == 15) /* make sure the checkers ran across the swaps */
            for (uint64_t until = seam_now_us() + 30 * 1000000ULL;
                 atomic_load(&s->checks) < 1000 && seam_now_us() < until;)
                usleep(1000);
    }
    atomic_store(&s->stop, 1);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    print_message("      %ld checks from %d threads across %d reloads\n",
                  (long)atomic_load(&s->checks), NTHREADS, reloads);
    assert_int_equal(atomic_load(&s->errors), 0);
    assert_true(atomic_load(&s->checks) > 1000);
    assert_int_equal(reloads, 30);
    free(s);
}

int main(void)
{
    seam_log_set_level(SEAM_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_format),
        cmocka_unit_test(test_key_hash),
        cmocka_unit_test_setup_teardown(test_field_rules_agree, setup, teardown),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test_setup_teardown(test_valid_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test(test_bad_storage),
        cmocka_unit_test_setup_teardown(test_route_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_residency_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_checks_while_reloading, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
