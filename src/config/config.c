/* config.c — reads seam.yaml with libyaml and validates it into a seam_config.
 *
 * The file is read whole (capped) and composed into a libyaml document,
 * which is then walked against a fixed schema: one key table (struct
 * key_spec) per kind of map, each key with the function that checks and
 * stores its value.  Maps are walked in file order and a key missing from
 * the table is an error at once, so nothing outside the schema is ever
 * visited and the error reported is normally the first one in the file.
 * Checks that need the whole file (a target's provider must exist; the
 * providers section may come after routes) run after the walk.
 *
 * This file holds the walk and its helpers (config_internal.h shares them),
 * plain values, providers and the sections; config_routing.c holds the keys
 * that decide where a request may go: routes, tenants and the providers'
 * region, tier, max_inflight and breaker.
 *
 * Everything the result points to comes from one arena that cfg->priv owns;
 * seam_config_free() wipes the resolved secrets and frees it in one go.
 * Nothing is written after load, so any number of threads may read it. */
#include "config/config.h"
#include "config/config_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define CONFIG_FILE_MAX (1024 * 1024) /* bytes; a config is a few KiB */
#define SECRET_FILE_MAX (64 * 1024)
#define MAX_BODY_LIMIT  ((size_t)256 * 1024 * 1024)
#define DURATION_MAX_MS (24 * 3600 * 1000) /* 24h, far below INT_MAX */
#define WORKERS_MAX     256
/* Aliases let a small file reference one list from many places; this bounds
 * how many values a walk may visit, so a file cannot expand without limit. */
#define WALK_BUDGET 1000000L

/* ---- arena ------------------------------------------------------------- */

#define ARENA_ALIGN 16 /* >= alignof(max_align_t) on the targets we build for */
#define ARENA_BLOCK 8192

struct block {
    struct block *next;
    size_t used, cap;
};
#define BLOCK_HDR ((sizeof(struct block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

struct cfg_priv {
    struct block *blocks;
    /* Sorted by name for seam_config_provider(), _route() and _tenant(). */
    const seam_provider_conf **prov_by_name;
    const seam_route_conf **route_by_name;
    const seam_tenant_conf **tenant_by_name;
};

/* Zeroed memory that lives until seam_config_free(), or NULL. */
void *seam__config_alloc(struct cfg_priv *m, size_t n)
{
    if (n > SIZE_MAX / 2) return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct block *b = m->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = calloc(1, BLOCK_HDR + cap);
        if (!b) return NULL;
        b->cap = cap;
        if (n > ARENA_BLOCK / 4 && m->blocks) {
            /* A big one gets a block of its own behind the current one, so
             * the room left in the current block is not thrown away. */
            b->next = m->blocks->next;
            m->blocks->next = b;
        } else {
            b->next = m->blocks;
            m->blocks = b;
        }
    }
    void *p = (char *)b + BLOCK_HDR + b->used;
    b->used += n;
    return p;
}

void *seam__config_array(struct cfg_priv *m, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / 2 / size) return NULL;
    return seam__config_alloc(m, count * size);
}

char *seam__config_strndup(struct cfg_priv *m, const char *s, size_t n)
{
    char *p = seam__config_alloc(m, n + 1);
    if (p) memcpy(p, s, n);
    return p;
}

static void arena_free(struct cfg_priv *m)
{
    struct block *b = m->blocks;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    m->blocks = NULL;
}

/* ---- the walk's state, key paths and errors ---------------------------- */

/* Writes "file:line: key.path: message" (or without the path at the top
 * level, or without the line when line <= 0) and returns -1.  Control
 * characters from the file are replaced so the message stays one line. */
static int failv(struct loader *ld, long line, const char *fmt, va_list ap)
{
    if (!ld->err || !ld->errlen) return -1;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line <= 0)
        snprintf(ld->err, ld->errlen, "%s: %s", ld->file, msg);
    else if (ld->pathlen)
        snprintf(ld->err, ld->errlen, "%s:%ld: %s: %s", ld->file, line, ld->path, msg);
    else
        snprintf(ld->err, ld->errlen, "%s:%ld: %s", ld->file, line, msg);
    for (char *p = ld->err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

int seam__config_fail_line(struct loader *ld, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, line, fmt, ap);
    va_end(ap);
    return -1;
}

/* An error about node at (its first line). */
int seam__config_fail(struct loader *ld, const yaml_node_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, (long)at->start_mark.line + 1, fmt, ap);
    va_end(ap);
    return -1;
}

int seam__config_nomem(struct loader *ld)
{
    return seam__config_fail_line(ld, 0, "out of memory");
}

/* Appends ".name" (or "name" at the top) / "[i]"; returns the length to
 * restore with path_pop(). */
size_t seam__config_push_key(struct loader *ld, const char *name)
{
    size_t old = ld->pathlen;
    if (old < sizeof ld->path - 1) {
        int n = snprintf(ld->path + old, sizeof ld->path - old, "%s%s", old ? "." : "",
                         *name ? name : "\"\"");
        ld->pathlen = n < 0 ? old : old + (size_t)n;
        if (ld->pathlen >= sizeof ld->path) ld->pathlen = sizeof ld->path - 1;
    }
    return old;
}

size_t seam__config_push_index(struct loader *ld, size_t i)
{
    size_t old = ld->pathlen;
    if (old < sizeof ld->path - 1) {
        int n = snprintf(ld->path + old, sizeof ld->path - old, "[%zu]", i);
        ld->pathlen = n < 0 ? old : old + (size_t)n;
        if (ld->pathlen >= sizeof ld->path) ld->pathlen = sizeof ld->path - 1;
    }
    return old;
}

/* ---- nodes -------------------------------------------------------------- */

int seam__config_spend(struct loader *ld, const yaml_node_t *at, long n)
{
    ld->budget -= n;
    if (ld->budget < 0)
        return seam__config_fail(ld, at, "the file expands to too many values (aliases?)");
    return 0;
}

/* The text of a scalar that must have one: not a map or list, not empty,
 * no NUL inside (C strings could not carry it). */
int seam__config_text(struct loader *ld, const yaml_node_t *n, const char **out)
{
    *out = "";
    if (n->type != YAML_SCALAR_NODE)
        return seam__config_fail(ld, n, "must be a value, not %s", kind(n));
    if (is_null(n)) return seam__config_fail(ld, n, "needs a value");
    if (!n->data.scalar.length) return seam__config_fail(ld, n, "must not be empty");
    if (strlen(scalar(n)) != n->data.scalar.length)
        return seam__config_fail(ld, n, "must not contain NUL");
    *out = scalar(n);
    return 0;
}

/* Optimal string alignment distance, for "did you mean"; long strings are
 * never close. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32) return SIZE_MAX;
    size_t d[33][33];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

/* The candidate closest to word, if it is close enough to be a typo. */
const char *seam__config_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < bestd && d < strlen(cands[i])) {
            best = cands[i];
            bestd = d;
        }
    }
    return best;
}

/* ---- maps ---------------------------------------------------------------- */

struct keyref {
    const char *s;
    size_t len;
    size_t idx;
};

static int keyref_cmp(const void *pa, const void *pb)
{
    const struct keyref *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    if (c) return c;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Every key of map must be a plain string, once.  A duplicate is reported
 * at its second occurrence (the earliest such in the file). */
static int check_keys(struct loader *ld, const yaml_node_t *map)
{
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t n = (size_t)(map->data.mapping.pairs.top - pairs);
    if (!n) return 0;
    struct keyref *refs = calloc(n, sizeof *refs);
    if (!refs) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = node_at(ld, pairs[i].key);
        if (k->type != YAML_SCALAR_NODE) {
            free(refs);
            return seam__config_fail(ld, k, "keys must be plain strings, not %s", kind(k));
        }
        if (strlen(scalar(k)) != k->data.scalar.length) {
            free(refs);
            return seam__config_fail(ld, k, "keys must not contain NUL");
        }
        refs[i] = (struct keyref){scalar(k), k->data.scalar.length, i};
    }
    qsort(refs, n, sizeof *refs, keyref_cmp);
    size_t dup = SIZE_MAX, first = 0;
    for (size_t i = 1; i < n; i++) {
        if (refs[i].len != refs[i - 1].len || memcmp(refs[i].s, refs[i - 1].s, refs[i].len))
            continue;
        if (refs[i].idx < dup) {
            dup = refs[i].idx;
            first = refs[i - 1].idx; /* the group's earliest comes first */
        }
        while (i + 1 < n && refs[i + 1].len == refs[i].len &&
               !memcmp(refs[i + 1].s, refs[i].s, refs[i].len))
            i++;
    }
    free(refs);
    if (dup == SIZE_MAX) return 0;
    yaml_node_t *k = node_at(ld, pairs[dup].key);
    yaml_node_t *k0 = node_at(ld, pairs[first].key);
    size_t old = seam__config_push_key(ld, scalar(k));
    seam__config_fail(ld, k, "duplicate key (first on line %lu)",
                      (unsigned long)k0->start_mark.line + 1);
    path_pop(ld, old);
    return -1;
}

/* A map node, or a null one standing for an empty map ("server:" alone). */
int seam__config_expect_map(struct loader *ld, const yaml_node_t *n, size_t *npairs)
{
    if (is_null(n)) {
        *npairs = 0;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return seam__config_fail(ld, n, "must be a map, not %s", kind(n));
    if (check_keys(ld, n)) return -1;
    *npairs = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    return seam__config_spend(ld, n, (long)*npairs);
}

/* "unknown key", with the known key it most likely misspells, or else the
 * list of keys allowed here. */
static int unknown_key(struct loader *ld, const yaml_node_t *k, const struct key_spec *specs,
                       size_t nspecs)
{
    const char *names[16];
    size_t n = nspecs < COUNT(names) ? nspecs : COUNT(names);
    char known[256] = "";
    size_t len = 0;
    for (size_t j = 0; j < n; j++) {
        names[j] = specs[j].key;
        int w = snprintf(known + len, sizeof known - len, "%s%s", j ? ", " : "", names[j]);
        if (w > 0 && (size_t)w < sizeof known - len) len += (size_t)w;
    }
    const char *close = seam__config_suggest(scalar(k), names, n);
    if (close) return seam__config_fail(ld, k, "unknown key (did you mean %s?)", close);
    return seam__config_fail(ld, k, "unknown key (expected one of: %s)", known);
}

/* Walks map in file order, handing each value to its key's spec. */
int seam__config_walk_map(struct loader *ld, const yaml_node_t *map, const struct key_spec *specs,
                          size_t nspecs, void *obj)
{
    size_t n;
    if (seam__config_expect_map(ld, map, &n)) return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        const struct key_spec *spec = NULL;
        for (size_t j = 0; j < nspecs && !spec; j++)
            if (!strcmp(specs[j].key, scalar(k))) spec = &specs[j];
        size_t old = seam__config_push_key(ld, scalar(k));
        if (!spec) return unknown_key(ld, k, specs, nspecs);
        int rc = spec->parse(ld, k, v, (char *)obj + spec->off);
        path_pop(ld, old);
        if (rc) return -1;
    }
    return 0;
}

/* The value of key in map (the first, should it repeat), or NULL. */
yaml_node_t *seam__config_map_get(struct loader *ld, const yaml_node_t *map, const char *key)
{
    if (map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(ld, p->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key)) return node_at(ld, p->value);
    }
    return NULL;
}

/* ---- values -------------------------------------------------------------- */

/* Decimal digits only, no sign; *end is left at the first non-digit. */
int seam__config_parse_u64(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    *end = p;
    return 0;
}

/* "250ms", "10s", "2m", "1h", or a plain number of milliseconds. */
static int parse_duration(const char *s, uint64_t *ms)
{
    uint64_t v;
    const char *u;
    if (seam__config_parse_u64(s, &v, &u)) return -1;
    uint64_t mul;
    if (!*u || !strcmp(u, "ms"))
        mul = 1;
    else if (!strcmp(u, "s"))
        mul = 1000;
    else if (!strcmp(u, "m"))
        mul = 60 * 1000;
    else if (!strcmp(u, "h"))
        mul = 3600 * 1000;
    else
        return -1;
    *ms = v > UINT64_MAX / mul ? UINT64_MAX : v * mul;
    return 0;
}

/* A plain number of bytes, or one with a k, m or g suffix (binary). */
static int parse_size(const char *s, uint64_t *bytes)
{
    uint64_t v;
    const char *u;
    if (seam__config_parse_u64(s, &v, &u)) return -1;
    unsigned shift;
    if (!*u)
        shift = 0;
    else if (!strcasecmp(u, "k"))
        shift = 10;
    else if (!strcasecmp(u, "m"))
        shift = 20;
    else if (!strcasecmp(u, "g"))
        shift = 30;
    else
        return -1;
    *bytes = v > (UINT64_MAX >> shift) ? UINT64_MAX : v << shift;
    return 0;
}

int seam__config_duration(struct loader *ld, const yaml_node_t *val, int *dst, int min)
{
    const char *s;
    uint64_t ms;
    if (seam__config_text(ld, val, &s)) return -1;
    if (parse_duration(s, &ms))
        return seam__config_fail(ld, val,
                                 "must be a duration like 250ms, 10s or 2m (a plain number is ms)");
    if (ms < (uint64_t)min) return seam__config_fail(ld, val, "must be greater than 0");
    if (ms > DURATION_MAX_MS) return seam__config_fail(ld, val, "must be at most 24h");
    *dst = (int)ms;
    return 0;
}

static int val_duration(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    return seam__config_duration(ld, val, dst, 0);
}

static int val_timeout(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_duration(ld, val, dst, 1);
}

int seam__config_val_bool(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                          void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        *(int *)dst = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        *(int *)dst = 0;
    else
        return seam__config_fail(ld, val, "must be true or false");
    return 0;
}

/* A non-empty string, copied into the arena. */
int seam__config_val_string(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    char *copy = seam__config_strndup(ld->mem, s, strlen(s));
    if (!copy) return seam__config_nomem(ld);
    *(const char **)dst = copy;
    return 0;
}

/* dst is the seam_config itself: listen fills both host and port. */
static int val_listen(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    seam_config *cfg = dst;
    const char *s, *host, *colon;
    size_t hostlen;
    if (seam__config_text(ld, val, &s)) return -1;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return seam__config_fail(ld, val,
                                     "must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080");
        host = s + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return seam__config_fail(ld, val,
                                     "must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080");
        host = s;
        hostlen = (size_t)(colon - s);
        if (memchr(host, ':', hostlen))
            return seam__config_fail(ld, val, "write an IPv6 address in brackets, e.g. [::1]:8080");
    }
    if (!hostlen)
        return seam__config_fail(ld, val, "must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080");
    for (size_t i = 0; i < hostlen; i++)
        if ((unsigned char)host[i] <= ' ' || host[i] == 0x7f || host[i] == '[' || host[i] == ']')
            return seam__config_fail(ld, val, "the host must not contain spaces or brackets");
    uint64_t port;
    const char *end;
    if (seam__config_parse_u64(colon + 1, &port, &end) || *end || port < 1 || port > 65535)
        return seam__config_fail(ld, val, "the port must be 1..65535");
    char *h = seam__config_strndup(ld->mem, host, hostlen);
    if (!h) return seam__config_nomem(ld);
    cfg->listen_host = h;
    cfg->listen_port = (int)port;
    return 0;
}

static int auto_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    return n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

static int val_workers(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    const char *s, *end;
    uint64_t n;
    if (seam__config_text(ld, val, &s)) return -1;
    if (!strcmp(s, "auto")) {
        *(int *)dst = auto_workers();
        return 0;
    }
    if (seam__config_parse_u64(s, &n, &end) || *end || n < 1 || n > WORKERS_MAX)
        return seam__config_fail(ld, val, "must be auto or 1..%d", WORKERS_MAX);
    *(int *)dst = (int)n;
    return 0;
}

static int val_max_body(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    const char *s;
    uint64_t n;
    if (seam__config_text(ld, val, &s)) return -1;
    if (parse_size(s, &n))
        return seam__config_fail(ld, val, "must be a size like 512k, 4m or 1048576");
    if (n < 1 || n > MAX_BODY_LIMIT) return seam__config_fail(ld, val, "must be 1..256m");
    *(size_t *)dst = (size_t)n;
    return 0;
}

static int val_storage_url(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                           void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || has_ctl(s))
        return seam__config_fail(ld, val, "must be a URL like sqlite://./seam-data/seam.db");
    return seam__config_val_string(ld, key, val, dst);
}

/* A file of CA certificates, readable now: a typo is found at load, not at
 * the first call. */
static int val_ca_file(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (!*s || has_ctl(s)) return seam__config_fail(ld, val, "must be a file name");
    FILE *f = fopen(s, "r");
    if (!f) return seam__config_fail(ld, val, "cannot read %s: %s", s, strerror(errno));
    fclose(f);
    return seam__config_val_string(ld, key, val, dst);
}

static int val_base_url(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    size_t pre;
    if (!strncasecmp(s, "http://", 7))
        pre = 7;
    else if (!strncasecmp(s, "https://", 8))
        pre = 8;
    else
        return seam__config_fail(ld, val, "must start with http:// or https://");
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return seam__config_fail(ld, val, "must not contain spaces or control characters");
    size_t n = strlen(s);
    while (n > pre && s[n - 1] == '/')
        n--;
    if (n == pre || s[pre] == '/')
        return seam__config_fail(ld, val, "needs a host after %.*s", (int)pre, s);
    char *copy = seam__config_strndup(ld->mem, s, n);
    if (!copy) return seam__config_nomem(ld);
    *(const char **)dst = copy;
    return 0;
}

/* Reads path whole into b (which carries the size cap).  Returns 0, or -1
 * with errno set (EFBIG past the cap) and *opened telling which step failed. */
static int read_whole(const char *path, seam_buf *b, int *opened)
{
    *opened = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    *opened = 1;
    for (;;) {
        size_t room = b->max - b->len;
        if (room > 65536) room = 65536;
        if (!room) {
            char c;
            ssize_t r = read(fd, &c, 1);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) break;
            if (r > 0) errno = EFBIG;
            goto fail;
        }
        if (seam_buf_reserve(b, room)) {
            errno = ENOMEM;
            goto fail;
        }
        ssize_t r = read(fd, b->data + b->len, room);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) goto fail;
        if (r == 0) break;
        b->len += (size_t)r;
        b->data[b->len] = '\0';
    }
    close(fd);
    return 0;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static void errno_text(int e, char *buf, size_t n)
{
    /* The GNU strerror_r (we build with _GNU_SOURCE) returns the text. */
    const char *s = strerror_r(e, buf, n);
    if (s != buf) snprintf(buf, n, "%s", s);
}

/* Secrets are resolved here and never appear in a message: errors name the
 * variable or the path, not what it holds. */
static int val_secret(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (ld->no_secrets) {
        if (strncmp(s, "env:", 4) && strncmp(s, "file:", 5))
            return seam__config_fail(ld, val, "write env:NAME or file:PATH, not the secret itself");
        return 0;
    }
    const char *secret;
    size_t len;
    seam_buf b;
    seam_buf_init(&b, SECRET_FILE_MAX);
    if (!strncmp(s, "env:", 4)) {
        const char *name = s + 4;
        if (!*name)
            return seam__config_fail(ld, val,
                                     "env: needs a variable name, e.g. env:OPENAI_API_KEY");
        secret = getenv(name);
        if (!secret) return seam__config_fail(ld, val, "environment variable %s is not set", name);
        len = strlen(secret);
        if (!len) return seam__config_fail(ld, val, "environment variable %s is empty", name);
        if (has_ctl(secret))
            return seam__config_fail(ld, val,
                                     "environment variable %s contains a control character", name);
    } else if (!strncmp(s, "file:", 5)) {
        const char *path = s + 5;
        int opened;
        if (!*path)
            return seam__config_fail(ld, val, "file: needs a path, e.g. file:/run/secrets/openai");
        /* Sized once to the cap, so no copy of the secret is left behind
         * by a realloc. */
        if (seam_buf_reserve(&b, SECRET_FILE_MAX)) return seam__config_nomem(ld);
        if (read_whole(path, &b, &opened)) {
            int e = errno;
            char et[128];
            errno_text(e, et, sizeof et);
            explicit_bzero(b.data, b.cap);
            seam_buf_free(&b);
            if (e == EFBIG) return seam__config_fail(ld, val, "%s is larger than 64 KiB", path);
            return seam__config_fail(ld, val, "cannot %s %s: %s", opened ? "read" : "open", path,
                                     et);
        }
        len = b.len;
        while (len && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r'))
            len--;
        b.data[len] = '\0';
        /* A key goes into an HTTP header: a CR, LF or NUL in it could
         * inject one. */
        const char *bad = !len ? "is empty"
                          : strlen(b.data) != len || has_ctl(b.data)
                              ? "contains a control character"
                              : NULL;
        if (bad) {
            explicit_bzero(b.data, b.cap);
            seam_buf_free(&b);
            return seam__config_fail(ld, val, "%s %s", path, bad);
        }
        secret = b.data;
    } else {
        return seam__config_fail(ld, val, "write env:NAME or file:PATH, not the secret itself");
    }
    char *copy = seam__config_strndup(ld->mem, secret, len);
    if (b.data) {
        explicit_bzero(b.data, b.cap);
        seam_buf_free(&b);
    }
    if (!copy) return seam__config_nomem(ld);
    *(const char **)dst = copy;
    return 0;
}

/* The provider's type was checked before its map is walked. */
static int val_checked(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return 0;
}

/* ---- providers ----------------------------------------------------------- */

static const struct key_spec openai_keys[] = {
    {"type", val_checked, 0},
    {"base_url", val_base_url, offsetof(seam_provider_conf, base_url)},
    {"api_key", val_secret, offsetof(seam_provider_conf, api_key)},
    {"ca_file", val_ca_file, offsetof(seam_provider_conf, ca_file)},
};

static const struct key_spec anthropic_keys[] = {
    {"type", val_checked, 0},
    {"base_url", val_base_url, offsetof(seam_provider_conf, base_url)},
    {"api_key", val_secret, offsetof(seam_provider_conf, api_key)},
    {"api_version", seam__config_val_string, offsetof(seam_provider_conf, api_version)},
    {"ca_file", val_ca_file, offsetof(seam_provider_conf, ca_file)},
};

static const struct key_spec gemini_keys[] = {
    {"type", val_checked, 0},
    {"base_url", val_base_url, offsetof(seam_provider_conf, base_url)},
    {"api_key", val_secret, offsetof(seam_provider_conf, api_key)},
    {"ca_file", val_ca_file, offsetof(seam_provider_conf, ca_file)},
};

static const struct key_spec azure_keys[] = {
    {"type", val_checked, 0},
    {"base_url", val_base_url, offsetof(seam_provider_conf, base_url)},
    {"api_key", val_secret, offsetof(seam_provider_conf, api_key)},
    {"api_version", seam__config_val_string, offsetof(seam_provider_conf, api_version)},
    {"ca_file", val_ca_file, offsetof(seam_provider_conf, ca_file)},
};

static const struct key_spec bedrock_keys[] = {
    {"type", val_checked, 0},
    {"base_url", val_base_url, offsetof(seam_provider_conf, base_url)},
    {"ca_file", val_ca_file, offsetof(seam_provider_conf, ca_file)},
};

static const struct key_spec mock_keys[] = {
    {"type", val_checked, 0},
    {"echo", seam__config_val_bool, offsetof(seam_provider_conf, mock_echo)},
    {"latency", val_duration, offsetof(seam_provider_conf, mock_latency_ms)},
    {"chunk_delay", val_duration, offsetof(seam_provider_conf, mock_chunk_delay_ms)},
};

/* The provider types config accepts, with the keys each one takes besides
 * seam__config_provider_keys (region, tier, ...).  A new type is a line
 * here (and its adapter in src/providers/). */
static const struct provider_type {
    const char *name;
    const struct key_spec *keys;
    size_t nkeys;
    const char *default_base_url;
} provider_types[] = {
    {"openai", openai_keys, COUNT(openai_keys), "https://api.openai.com/v1"},
    {"anthropic", anthropic_keys, COUNT(anthropic_keys), "https://api.anthropic.com"},
    {"gemini", gemini_keys, COUNT(gemini_keys), "https://generativelanguage.googleapis.com"},
    {"azure-openai", azure_keys, COUNT(azure_keys), NULL},
    {"bedrock", bedrock_keys, COUNT(bedrock_keys), NULL},
    {"mock", mock_keys, COUNT(mock_keys), NULL},
};

/* "openai, mock" */
static const char *type_list(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < COUNT(provider_types); i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", provider_types[i].name);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
    return buf;
}

/* Names under providers: and routes: are used in "provider/model" model
 * names and in lookups, so they are non-empty and carry no '/'. */
int seam__config_check_name(struct loader *ld, const yaml_node_t *k, const char *what)
{
    if (!*scalar(k)) return seam__config_fail(ld, k, "%s names must not be empty", what);
    if (strchr(scalar(k), '/'))
        return seam__config_fail(
            ld, k, "%s names must not contain '/' (a '/' in a model name means provider/model)",
            what);
    if (has_ctl(scalar(k)))
        return seam__config_fail(ld, k, "%s names must not contain control characters", what);
    return 0;
}

/* bedrock signs for a region, which defaults to the one the AWS tools use.
 * It is filled in here, not by the adapter, so that residency rules see
 * where the provider is.  Still NULL when neither variable is set: the
 * adapter then refuses to start. */
static int bedrock_region(struct loader *ld, seam_provider_conf *p)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r) r = getenv("AWS_DEFAULT_REGION");
    if (!r || !*r) return 0;
    p->region = seam__config_strndup(ld->mem, r, strlen(r));
    return p->region ? 0 : seam__config_nomem(ld);
}

static int parse_provider(struct loader *ld, const yaml_node_t *k, const yaml_node_t *v,
                          seam_provider_conf *p)
{
    p->name = seam__config_strndup(ld->mem, scalar(k), strlen(scalar(k)));
    if (!p->name) return seam__config_nomem(ld);
    p->line = (int)k->start_mark.line + 1;
    p->mock_echo = 1;
    seam__config_provider_defaults(p);
    if (v->type != YAML_MAPPING_NODE && !is_null(v))
        return seam__config_fail(ld, v, "must be a map, not %s", kind(v));
    char types[128];
    const yaml_node_t *t = seam__config_map_get(ld, v, "type");
    if (!t) {
        size_t old = seam__config_push_key(ld, "type");
        seam__config_fail(ld, k, "required (one of: %s)", type_list(types, sizeof types));
        path_pop(ld, old);
        return -1;
    }
    const struct provider_type *pt = NULL;
    size_t old = seam__config_push_key(ld, "type");
    const char *ts;
    if (seam__config_text(ld, t, &ts)) return -1;
    const char *names[COUNT(provider_types)];
    for (size_t i = 0; i < COUNT(provider_types); i++) {
        names[i] = provider_types[i].name;
        if (!strcmp(ts, names[i])) pt = &provider_types[i];
    }
    if (!pt) {
        const char *s = seam__config_suggest(ts, names, COUNT(names));
        if (s) return seam__config_fail(ld, t, "unknown type \"%s\" (did you mean %s?)", ts, s);
        return seam__config_fail(ld, t, "unknown type \"%s\" (one of: %s)", ts,
                                 type_list(types, sizeof types));
    }
    path_pop(ld, old);
    p->type = pt->name;
    p->base_url = pt->default_base_url;
    /* The type's keys, then those every type takes; no table comes near
     * the bound, which unknown_key() shares. */
    struct key_spec keys[16];
    size_t nkeys = 0;
    for (size_t i = 0; i < pt->nkeys && nkeys < COUNT(keys); i++)
        keys[nkeys++] = pt->keys[i];
    for (size_t i = 0; i < SEAM__CONFIG_NPROVIDER_KEYS && nkeys < COUNT(keys); i++)
        keys[nkeys++] = seam__config_provider_keys[i];
    if (seam__config_walk_map(ld, v, keys, nkeys, p)) return -1;
    if (p->health_check.path && !p->base_url)
        return seam__config_fail(
            ld, v, "health_check: a provider of type %s has no base_url to check", p->type);
    if (p->ca_file && p->base_url && strncasecmp(p->base_url, "https://", 8) != 0) {
        size_t old_path = seam__config_push_key(ld, "ca_file");
        seam__config_fail(ld, seam__config_map_get(ld, v, "ca_file"),
                          "applies to an https:// base_url only (this one is %s)", p->base_url);
        path_pop(ld, old_path);
        return -1;
    }
    if (!p->region && !strcmp(p->type, "bedrock")) return bedrock_region(ld, p);
    return 0;
}

static int val_providers(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                         void *dst)
{
    seam_config *cfg = dst;
    size_t n;
    if (seam__config_expect_map(ld, val, &n)) return -1;
    if (!n) return 0;
    cfg->providers = seam__config_array(ld->mem, n, sizeof *cfg->providers);
    if (!cfg->providers) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *pair = &val->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        /* Counted before it is filled, so that seam_config_free() wipes a
         * secret already resolved when a later key of this provider fails. */
        cfg->nproviders = i + 1;
        size_t old = seam__config_push_key(ld, scalar(k));
        int rc = seam__config_check_name(ld, k, "provider");
        if (!rc) rc = parse_provider(ld, k, v, &cfg->providers[i]);
        path_pop(ld, old);
        if (rc) return -1;
    }
    return 0;
}

/* ---- sections ------------------------------------------------------------ */

static const struct key_spec server_keys[] = {
    {"listen", val_listen, 0},
    {"workers", val_workers, offsetof(seam_config, workers)},
    {"max_body", val_max_body, offsetof(seam_config, max_body)},
    {"shutdown_grace", val_duration, offsetof(seam_config, grace_ms)},
    {"access_log", seam__config_val_bool, offsetof(seam_config, access_log)},
};

static const struct key_spec timeout_keys[] = {
    {"connect", val_timeout, offsetof(seam_config, connect_timeout_ms)},
    {"first_byte", val_timeout, offsetof(seam_config, first_byte_timeout_ms)},
    {"between_events", val_timeout, offsetof(seam_config, idle_timeout_ms)},
    {"total", val_timeout, offsetof(seam_config, total_timeout_ms)},
};

static const struct key_spec storage_keys[] = {
    {"url", val_storage_url, offsetof(seam_config, storage_url)},
};

static int val_server(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_walk_map(ld, val, server_keys, COUNT(server_keys), dst);
}

static int val_timeouts(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    return seam__config_walk_map(ld, val, timeout_keys, COUNT(timeout_keys), dst);
}

static int val_storage(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_walk_map(ld, val, storage_keys, COUNT(storage_keys), dst);
}

/* Every section's dst is the seam_config. */
static const struct key_spec root_keys[] = {
    {"server", val_server, 0},
    {"timeouts", val_timeouts, 0},
    {"storage", val_storage, 0},
    {"providers", val_providers, 0},
    {"routes", seam__config_val_routes, 0},
    {"tenants", seam__config_val_tenants, 0},
};

static void set_defaults(seam_config *cfg)
{
    cfg->listen_host = "127.0.0.1";
    cfg->listen_port = 8080;
    cfg->workers = auto_workers();
    cfg->max_body = 4 * 1024 * 1024;
    cfg->grace_ms = 10000;
    cfg->access_log = 1;
    cfg->connect_timeout_ms = 5000;
    cfg->first_byte_timeout_ms = 60000;
    cfg->idle_timeout_ms = 30000;
    cfg->total_timeout_ms = 600000;
    cfg->storage_url = "sqlite://./seam-data/seam.db";
}

/* ---- whole-file checks and lookups --------------------------------------- */

static int prov_cmp(const void *a, const void *b)
{
    return strcmp((*(const seam_provider_conf *const *)a)->name,
                  (*(const seam_provider_conf *const *)b)->name);
}

static int route_cmp(const void *a, const void *b)
{
    return strcmp((*(const seam_route_conf *const *)a)->name,
                  (*(const seam_route_conf *const *)b)->name);
}

static int tenant_cmp(const void *a, const void *b)
{
    return strcmp((*(const seam_tenant_conf *const *)a)->name,
                  (*(const seam_tenant_conf *const *)b)->name);
}

static int build_index(struct loader *ld)
{
    seam_config *cfg = ld->cfg;
    struct cfg_priv *m = ld->mem;
    if (cfg->nproviders) {
        m->prov_by_name = seam__config_array(m, cfg->nproviders, sizeof *m->prov_by_name);
        if (!m->prov_by_name) return seam__config_nomem(ld);
        for (size_t i = 0; i < cfg->nproviders; i++)
            m->prov_by_name[i] = &cfg->providers[i];
        qsort(m->prov_by_name, cfg->nproviders, sizeof *m->prov_by_name, prov_cmp);
    }
    if (cfg->nroutes) {
        m->route_by_name = seam__config_array(m, cfg->nroutes, sizeof *m->route_by_name);
        if (!m->route_by_name) return seam__config_nomem(ld);
        for (size_t i = 0; i < cfg->nroutes; i++)
            m->route_by_name[i] = &cfg->routes[i];
        qsort(m->route_by_name, cfg->nroutes, sizeof *m->route_by_name, route_cmp);
    }
    if (cfg->ntenants) {
        m->tenant_by_name = seam__config_array(m, cfg->ntenants, sizeof *m->tenant_by_name);
        if (!m->tenant_by_name) return seam__config_nomem(ld);
        for (size_t i = 0; i < cfg->ntenants; i++)
            m->tenant_by_name[i] = &cfg->tenants[i];
        qsort(m->tenant_by_name, cfg->ntenants, sizeof *m->tenant_by_name, tenant_cmp);
    }
    return 0;
}

const seam_provider_conf *seam_config_provider(const seam_config *cfg, const char *name)
{
    const struct cfg_priv *m = cfg ? cfg->priv : NULL;
    if (!m || !cfg->nproviders || !name) return NULL;
    seam_provider_conf key = {.name = name};
    const seam_provider_conf *kp = &key;
    const seam_provider_conf **hit =
        bsearch(&kp, m->prov_by_name, cfg->nproviders, sizeof *m->prov_by_name, prov_cmp);
    return hit ? *hit : NULL;
}

const seam_route_conf *seam_config_route(const seam_config *cfg, const char *name)
{
    const struct cfg_priv *m = cfg ? cfg->priv : NULL;
    if (!m || !cfg->nroutes || !name) return NULL;
    seam_route_conf key = {.name = name};
    const seam_route_conf *kp = &key;
    const seam_route_conf **hit =
        bsearch(&kp, m->route_by_name, cfg->nroutes, sizeof *m->route_by_name, route_cmp);
    return hit ? *hit : NULL;
}

const seam_tenant_conf *seam_config_tenant(const seam_config *cfg, const char *name)
{
    const struct cfg_priv *m = cfg ? cfg->priv : NULL;
    if (!m || !cfg->ntenants || !name) return NULL;
    seam_tenant_conf key = {.name = name};
    const seam_tenant_conf *kp = &key;
    const seam_tenant_conf **hit =
        bsearch(&kp, m->tenant_by_name, cfg->ntenants, sizeof *m->tenant_by_name, tenant_cmp);
    return hit ? *hit : NULL;
}

/* ---- load / free --------------------------------------------------------- */

/* libyaml's complaint, with its line (reader errors carry only an offset). */
static int yaml_fail(struct loader *ld, const yaml_parser_t *p, const seam_buf *text)
{
    long line;
    if (p->error == YAML_READER_ERROR) {
        line = 1;
        for (size_t i = 0; i < p->problem_offset && i < text->len; i++)
            line += text->data[i] == '\n';
    } else {
        line = (long)p->problem_mark.line + 1;
    }
    const char *problem = p->problem ? p->problem : "cannot parse";
    if (p->error == YAML_MEMORY_ERROR) return seam__config_fail_line(ld, 0, "out of memory");
    if (p->context)
        return seam__config_fail_line(ld, line, "invalid YAML: %s (%s on line %lu)", problem,
                                      p->context, (unsigned long)p->context_mark.line + 1);
    return seam__config_fail_line(ld, line, "invalid YAML: %s", problem);
}

int seam_config_load(const char *path, seam_config **out, char *err, size_t errlen)
{
    return seam_config_load_flags(path, 0, out, err, errlen);
}

int seam_config_load_flags(const char *path, int flags, seam_config **out, char *err, size_t errlen)
{
    struct loader ld = {.file = path,
                        .err = err,
                        .errlen = errlen,
                        .budget = WALK_BUDGET,
                        .no_secrets = !!(flags & SEAM_CONFIG_NO_SECRETS)};
    seam_buf text;
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_parser = 0, have_doc = 0, rc = -1, opened;
    struct cfg_priv *mem = NULL;

    *out = NULL;
    if (err && errlen) err[0] = '\0';
    seam_buf_init(&text, CONFIG_FILE_MAX);
    if (read_whole(path, &text, &opened)) {
        int e = errno;
        char et[128];
        errno_text(e, et, sizeof et);
        if (e == EFBIG)
            seam__config_fail_line(&ld, 0, "larger than 1 MiB");
        else
            seam__config_fail_line(&ld, 0, "cannot %s: %s", opened ? "read" : "open", et);
        goto done;
    }

    if (!yaml_parser_initialize(&parser)) {
        seam__config_nomem(&ld);
        goto done;
    }
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text.data ? text.data : ""),
                                 text.len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_fail(&ld, &parser, &text);
        goto done;
    }
    have_doc = 1;
    ld.doc = &doc;
    if (!yaml_parser_load(&parser, &extra)) {
        yaml_fail(&ld, &parser, &text);
        goto done;
    }
    yaml_node_t *second = yaml_document_get_root_node(&extra);
    long second_line = second ? (long)second->start_mark.line + 1 : 0;
    yaml_document_delete(&extra);
    if (second) {
        seam__config_fail_line(&ld, second_line, "only one YAML document is allowed");
        goto done;
    }

    mem = calloc(1, sizeof *mem);
    seam_config *cfg = mem ? seam__config_alloc(mem, sizeof *cfg) : NULL;
    if (!cfg || !(cfg->path = seam__config_strndup(mem, path, strlen(path)))) {
        seam__config_nomem(&ld);
        goto done;
    }
    cfg->priv = mem;
    ld.mem = mem;
    ld.cfg = cfg;
    set_defaults(cfg);

    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) {
        if (root->type != YAML_MAPPING_NODE) {
            seam__config_fail(&ld, root,
                              "the top level must be a map of sections (server, timeouts, "
                              "storage, providers, routes, tenants), not %s",
                              kind(root));
            goto done;
        }
        if (seam__config_walk_map(&ld, root, root_keys, COUNT(root_keys), cfg)) goto done;
    }
    if (build_index(&ld) || seam__config_check_routes(&ld)) goto done;
    *out = cfg;
    ld.cfg = NULL;
    mem = NULL;
    rc = 0;
done:
    if (ld.cfg) {
        seam_config_free(ld.cfg);
    } else if (mem) {
        arena_free(mem);
        free(mem);
    }
    if (have_doc) yaml_document_delete(&doc);
    if (have_parser) yaml_parser_delete(&parser);
    seam_buf_free(&text);
    return rc;
}

void seam_config_free(seam_config *cfg)
{
    if (!cfg) return;
    struct cfg_priv *m = cfg->priv;
    for (size_t i = 0; i < cfg->nproviders; i++)
        if (cfg->providers[i].api_key)
            explicit_bzero((char *)cfg->providers[i].api_key, strlen(cfg->providers[i].api_key));
    arena_free(m); /* cfg itself lives in the arena */
    free(m);
}
