/* auth.c — virtual keys: generation, hashing, and the in-memory key table.
 *
 * The table is a snapshot: built off the request path by the refresher
 * thread (or seam_auth_reload_now), never changed once published, freed
 * when its last reference goes.  The danger in swapping a reference-counted
 * pointer is the reader that has loaded the old pointer but not yet bumped
 * its count when the swap drops the last reference.  A mutex around "load,
 * bump" closes that window, but measured on a 2-core machine it stopped
 * checks from scaling past one thread (threads slept on the futex).  So the
 * window is closed without a lock: a check counts itself in `entering` for
 * the three instructions between loading the pointer and taking its
 * reference, and the swapper, after exchanging the pointer, waits for
 * `entering` to read 0 before dropping the old snapshot's reference.  Any
 * check that saw the old pointer entered before the exchange, so by the time
 * `entering` reads 0 it holds its own reference.  A check never waits; only
 * the swapper (off the request path, at most twice a second) can.  Releases
 * are a single atomic decrement.
 *
 * Lookups go by the key hash through an open-addressing table.  That is not
 * a timing oracle: the hash of a 256-bit random secret tells an attacker
 * nothing about any stored secret, and learning which hash prefixes exist
 * does not help forge a preimage.  The final comparison uses sodium_memcmp
 * all the same, which costs nothing at 32 bytes. */
#include "gateway/auth.h"
#include "config/config.h"
#include "core/errf.h"
#include "core/log.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- keys ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_start(void)
{
    sodium_ok = sodium_init() >= 0;
}

/* sodium_init() takes a global lock on every call; once is enough. */
static int ensure_sodium(void)
{
    pthread_once(&sodium_once, sodium_start);
    return sodium_ok ? 0 : -1;
}

int seam_key_generate(char out[64])
{
    out[0] = '\0';
    if (ensure_sodium() != 0) return -1;
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, SEAM_KEY_PREFIX, sizeof SEAM_KEY_PREFIX - 1);
    sodium_bin2base64(out + sizeof SEAM_KEY_PREFIX - 1, 64 - (sizeof SEAM_KEY_PREFIX - 1), raw,
                      sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

void seam_key_hash(const char *secret, size_t n, uint8_t out[32])
{
    /* BLAKE2b needs no sodium_init(): before it, libsodium uses the portable
     * implementation, which gives the same digest. */
    crypto_generichash(out, 32, (const unsigned char *)secret, n, NULL, 0);
}

/* ---- snapshots ---- */

struct snapshot;

struct key_entry {
    seam_principal p; /* first: seam_auth_release() goes from &p to the entry */
    struct snapshot *snap;
    uint8_t hash[SEAM_KEY_HASH_LEN];
    void *mem; /* the principal's strings and lists */
};

struct snapshot {
    atomic_long refs;
    struct key_entry *entries;
    size_t n, cap;
    uint32_t *slots; /* entry index + 1; 0 = empty; at most half full */
    size_t mask;
};

struct seam_auth {
    _Atomic(struct snapshot *) cur; /* holds one reference */
    atomic_long entering;           /* checks between loading cur and referencing it */

    pthread_mutex_t reload_mu; /* one load at a time; guards st and loaded */
    seam_store *st;
    int64_t loaded; /* the store version cur was built from */
    int version_failing;

    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stop;
    pthread_t thread;
    int thread_started;
};

static void snap_free(struct snapshot *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->entries[i].mem);
    free(s->entries);
    free(s->slots);
    free(s);
}

static void snap_unref(struct snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) snap_free(s);
}

static size_t slot_of(const uint8_t *hash, size_t mask)
{
    uint64_t h;
    memcpy(&h, hash, sizeof h); /* a BLAKE2b digest is uniform already */
    return (size_t)h & mask;
}

/* The number of entries in a comma-separated list; 0 for "". */
static int count_entries(const char *list)
{
    if (!*list) return 0;
    int n = 1;
    for (const char *c = list; *c; c++)
        n += *c == ',';
    return n;
}

/* A checked tiers list to SEAM_TIER_* bits; "" is every tier. */
static unsigned tier_bits(const char *tiers)
{
    if (!*tiers) return SEAM_TIER_ALL;
    unsigned bits = 0;
    for (const char *p = tiers; p;) {
        bits |= strncmp(p, "private", 7) == 0 ? SEAM_TIER_PRIVATE : SEAM_TIER_VENDOR;
        if ((p = strchr(p, ','))) p++;
    }
    return bits;
}

struct loader {
    struct snapshot *s;
    int nomem;
};

/* Adds one active key to the snapshot.  A record that breaks the field
 * rules (only a hand-edited database can hold one) is skipped: failing
 * closed, never guessing what it meant. */
static int load_one(const seam_key_rec *rec, void *ud)
{
    struct loader *ld = ud;
    struct snapshot *s = ld->s;
    if (rec->revoked_ms) return 0;
    char why[160];
    if (seam_key_fields_check(rec->name, rec->tenant, rec->routes, rec->regions, rec->tiers, why,
                              sizeof why) != 0) {
        /* the name itself may be what is wrong, so it is not logged */
        seam_log(SEAM_LOG_WARN, "keys: a record that breaks the field rules was skipped", NULL);
        return 0;
    }
    int ntok = count_entries(rec->routes), nreg = count_entries(rec->regions);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct key_entry *e = realloc(s->entries, cap * sizeof *e);
        if (!e) goto nomem;
        s->entries = e;
        s->cap = cap;
    }
    /* One block: the route and direct lists (ntok each, at most), the
     * regions list with its NULL, then the strings they point into. */
    size_t nname = strlen(rec->name) + 1, ntenant = strlen(rec->tenant) + 1,
           nroutes = strlen(rec->routes) + 1, nregions = strlen(rec->regions) + 1,
           nptr = 2 * (size_t)ntok + (nreg ? (size_t)nreg + 1 : 0);
    char **ptrs = malloc(nptr * sizeof *ptrs + nname + ntenant + nroutes + nregions);
    if (!ptrs) goto nomem;
    char *name = (char *)(ptrs + nptr), *tenant = name + nname, *routes = tenant + ntenant,
         *regions = routes + nroutes;
    memcpy(name, rec->name, nname);
    memcpy(tenant, rec->tenant, ntenant);
    memcpy(routes, rec->routes, nroutes);
    memcpy(regions, rec->regions, nregions);

    struct key_entry *e = &s->entries[s->n++];
    memset(e, 0, sizeof *e);
    e->mem = ptrs;
    memcpy(e->hash, rec->hash, sizeof e->hash);
    e->p.key_name = name;
    e->p.tenant = tenant;
    e->p.all_routes = ntok == 0;
    char **rt = ptrs, **dt = ptrs + ntok;
    size_t nr = 0, nd = 0;
    for (char *tok = ntok ? routes : NULL; tok;) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = '\0';
        if (strcmp(tok, "*") == 0)
            e->p.everything = 1;
        else if (strchr(tok, '/'))
            dt[nd++] = tok;
        else
            rt[nr++] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    e->p.routes = (const char *const *)rt;
    e->p.nroutes = nr;
    e->p.direct = (const char *const *)dt;
    e->p.ndirect = nd;

    if (nreg) {
        char **rg = ptrs + 2 * ntok;
        size_t ng = 0;
        for (char *tok = regions; tok;) {
            char *comma = strchr(tok, ',');
            if (comma) *comma = '\0';
            rg[ng++] = tok;
            tok = comma ? comma + 1 : NULL;
        }
        rg[ng] = NULL;
        e->p.regions = (const char *const *)rg;
    }
    e->p.tiers = tier_bits(rec->tiers);
    return 0;
nomem:
    ld->nomem = 1;
    return 1;
}

/* Builds a snapshot of the active keys in st.  Returns NULL with err. */
static struct snapshot *snap_load(seam_store *st, char *err, size_t errlen)
{
    struct snapshot *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    struct loader ld = {s, 0};
    if (seam_store_key_each(st, load_one, &ld, err, errlen) != 0) goto fail;
    if (ld.nomem) goto nomem;
    size_t size = 8;
    while (size < 2 * s->n)
        size *= 2;
    if (!(s->slots = calloc(size, sizeof *s->slots))) goto nomem;
    s->mask = size - 1;
    for (size_t i = 0; i < s->n; i++) {
        size_t j = slot_of(s->entries[i].hash, s->mask);
        while (s->slots[j])
            j = (j + 1) & s->mask;
        s->slots[j] = (uint32_t)(i + 1);
        s->entries[i].snap = s;
    }
    atomic_init(&s->refs, 1);
    return s;
nomem:
    seam_errf(err, errlen, "out of memory");
fail:
    if (s) snap_free(s);
    return NULL;
}

static const seam_principal *snap_find(const struct snapshot *s, const uint8_t *hash)
{
    for (size_t j = slot_of(hash, s->mask); s->slots[j]; j = (j + 1) & s->mask) {
        const struct key_entry *e = &s->entries[s->slots[j] - 1];
        if (sodium_memcmp(e->hash, hash, SEAM_KEY_HASH_LEN) == 0) return &e->p;
    }
    return NULL;
}

/* Loads a new snapshot if the store's keys changed (or always, if force)
 * and publishes it.  Returns 0 or -1. */
static int refresh(seam_auth *a, int force, char *err, size_t errlen)
{
    pthread_mutex_lock(&a->reload_mu);
    int ret = -1;
    int64_t v = seam_store_key_version(a->st);
    if (v < 0) {
        seam_errf(err, errlen, "cannot read the key version from storage");
        if (!a->version_failing) seam_log(SEAM_LOG_WARN, "keys: cannot poll storage", NULL);
        a->version_failing = 1;
        goto out;
    }
    a->version_failing = 0;
    if (!force && atomic_load(&a->cur) && v == a->loaded) {
        ret = 0;
        goto out;
    }
    /* The version is read before the keys: a change that lands in between
     * is in this snapshot or, at worst, loaded again on the next poll. */
    struct snapshot *s = snap_load(a->st, err, errlen);
    if (!s) {
        seam_log(SEAM_LOG_WARN, "keys: reload failed, keeping the current table", NULL);
        goto out;
    }
    seam_log(v != a->loaded ? SEAM_LOG_INFO : SEAM_LOG_DEBUG, "keys loaded",
             "\"active\":%zu,\"version\":%lld", s->n, (long long)v);
    a->loaded = v;
    struct snapshot *old = atomic_exchange(&a->cur, s);
    while (atomic_load(&a->entering) != 0)
        sched_yield(); /* see the top comment */
    snap_unref(old);
    ret = 0;
out:
    pthread_mutex_unlock(&a->reload_mu);
    return ret;
}

static void *refresher(void *arg)
{
    seam_auth *a = arg;
    pthread_mutex_lock(&a->stop_mu);
    while (!a->stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += SEAM_AUTH_POLL_MS * 1000000L;
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
        while (!a->stop && pthread_cond_timedwait(&a->stop_cv, &a->stop_mu, &t) != ETIMEDOUT) {
        }
        if (a->stop) break;
        pthread_mutex_unlock(&a->stop_mu);
        refresh(a, 0, NULL, 0);
        pthread_mutex_lock(&a->stop_mu);
    }
    pthread_mutex_unlock(&a->stop_mu);
    return NULL;
}

int seam_auth_new(const char *storage_url, seam_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    if (ensure_sodium() != 0) {
        seam_errf(err, errlen, "auth: libsodium failed to start");
        return -1;
    }
    seam_auth *a = calloc(1, sizeof *a);
    if (!a) {
        seam_errf(err, errlen, "auth: out of memory");
        return -1;
    }
    atomic_init(&a->cur, NULL);
    atomic_init(&a->entering, 0);
    a->loaded = -1;
    pthread_mutex_init(&a->reload_mu, NULL);
    pthread_mutex_init(&a->stop_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->stop_cv, &ca);
    pthread_condattr_destroy(&ca);

    if (seam_store_open(storage_url, &a->st, err, errlen) != 0) goto fail;
    if (refresh(a, 1, err, errlen) != 0) goto fail;
    if (pthread_create(&a->thread, NULL, refresher, a) != 0) {
        seam_errf(err, errlen, "auth: cannot start the key refresher thread");
        goto fail;
    }
    a->thread_started = 1;
    *out = a;
    return 0;
fail:
    seam_auth_free(a);
    return -1;
}

void seam_auth_free(seam_auth *a)
{
    if (!a) return;
    if (a->thread_started) {
        pthread_mutex_lock(&a->stop_mu);
        a->stop = 1;
        pthread_cond_signal(&a->stop_cv);
        pthread_mutex_unlock(&a->stop_mu);
        pthread_join(a->thread, NULL);
    }
    snap_unref(atomic_load(&a->cur));
    seam_store_close(a->st);
    pthread_cond_destroy(&a->stop_cv);
    pthread_mutex_destroy(&a->stop_mu);
    pthread_mutex_destroy(&a->reload_mu);
    free(a);
}

int seam_auth_reload_now(seam_auth *a)
{
    return refresh(a, 1, NULL, 0);
}

/* ---- the request path ---- */

int seam_auth_check_key(seam_auth *a, const char *key, size_t n, const seam_principal **out)
{
    *out = NULL;
    /* Anything not shaped like a seam key is refused before hashing. */
    if (n != SEAM_KEY_LEN || memcmp(key, SEAM_KEY_PREFIX, sizeof SEAM_KEY_PREFIX - 1) != 0)
        return SEAM_AUTH_INVALID;
    uint8_t hash[SEAM_KEY_HASH_LEN];
    seam_key_hash(key, n, hash);

    /* Sequentially consistent on purpose: the argument in the top comment
     * needs this increment ordered before the load of cur. */
    atomic_fetch_add(&a->entering, 1);
    struct snapshot *s = atomic_load(&a->cur);
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    atomic_fetch_sub(&a->entering, 1);

    const seam_principal *p = snap_find(s, hash);
    if (!p) {
        snap_unref(s);
        return SEAM_AUTH_INVALID;
    }
    *out = p;
    return 0;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

int seam_auth_check(seam_auth *a, const char *authorization, const seam_principal **out)
{
    *out = NULL;
    if (!authorization) return SEAM_AUTH_MISSING;
    const char *p = authorization, *end = p + strlen(p);
    while (p < end && blank(*p))
        p++;
    while (end > p && blank(end[-1]))
        end--;
    if (p == end) return SEAM_AUTH_MISSING;
    if (end - p < 7 || strncasecmp(p, "bearer", 6) != 0 || !blank(p[6])) return SEAM_AUTH_INVALID;
    p += 6;
    while (p < end && blank(*p))
        p++;
    return seam_auth_check_key(a, p, (size_t)(end - p), out);
}

void seam_auth_release(seam_auth *a, const seam_principal *p)
{
    if (p) snap_unref(((const struct key_entry *)p)->snap);
}

int seam_principal_allows_route(const seam_principal *p, const char *route)
{
    if (!route) return 0;
    if (p->everything || p->all_routes) return 1;
    for (size_t i = 0; i < p->nroutes; i++)
        if (strcmp(p->routes[i], route) == 0) return 1;
    return 0;
}

int seam_principal_allows_direct(const seam_principal *p, const char *provider, const char *model)
{
    if (!provider || !model) return 0;
    if (p->everything) return 1;
    if (strchr(provider, '/')) return 0; /* "a/b" + "c" must not match a grant of a/"b/c" */
    size_t plen = strlen(provider);
    for (size_t i = 0; i < p->ndirect; i++) {
        const char *d = p->direct[i]; /* "provider/model", or "provider/" "*" */
        if (strncmp(d, provider, plen) != 0 || d[plen] != '/') continue;
        if (strcmp(d + plen + 1, "*") == 0 || strcmp(d + plen + 1, model) == 0) return 1;
    }
    return 0;
}
