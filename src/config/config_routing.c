/* config_routing.c — the keys that decide where a request may go and what
 * happens when an upstream fails: routes (targets, fallbacks, balance,
 * sticky, retry, overflow, shadow), tenants, and the region, tier,
 * max_inflight and breaker that every provider takes.
 *
 * Each value is checked as config.c's walk reaches it (config_internal.h);
 * what needs the whole file (every provider a route names exists, an
 * overflow has a max_inflight to overflow from) waits for
 * seam__config_check_routes().  What the keys do at run time is
 * docs/routing.md's, not this file's. */
#include "config/config.h"
#include "config/config_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_INFLIGHT_MAX 1000000
#define RETRY_MAX        10
#define TENANT_NAME_MAX  127 /* as a key's tenant field (store.h) */

/* ---- numbers --------------------------------------------------------------- */

/* A whole number min..max. */
static int int_value(struct loader *ld, const yaml_node_t *val, int *dst, int min, int max)
{
    const char *s, *end;
    uint64_t n;
    if (seam__config_text(ld, val, &s)) return -1;
    if (seam__config_parse_u64(s, &n, &end) || *end || n < (uint64_t)min || n > (uint64_t)max)
        return seam__config_fail(ld, val, "must be %d..%d", min, max);
    *dst = (int)n;
    return 0;
}

static int val_weight(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return int_value(ld, val, dst, 0, 100);
}

static int val_max_inflight(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst)
{
    return int_value(ld, val, dst, 1, MAX_INFLIGHT_MAX);
}

static int val_failures(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    return int_value(ld, val, dst, 0, 1000);
}

static int val_min_requests(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst)
{
    return int_value(ld, val, dst, 1, 100000);
}

static int val_retry_count(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                           void *dst)
{
    return int_value(ld, val, dst, 1, RETRY_MAX);
}

/* A wait may be 0; a period (a window, a cooldown) may not. */
static int val_wait(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_duration(ld, val, dst, 0);
}

static int val_period(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_duration(ld, val, dst, 1);
}

/* A whole percentage 1..100, with or without its '%'. */
static int val_percent(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    const char *s, *end;
    uint64_t n;
    if (seam__config_text(ld, val, &s)) return -1;
    if (seam__config_parse_u64(s, &n, &end) || (*end && strcmp(end, "%")) || n < 1 || n > 100)
        return seam__config_fail(ld, val, "must be a percentage 1..100, like 50%%");
    *(int *)dst = (int)n;
    return 0;
}

/* "0.05", "1" or "5%" (up to 9 decimals): a share 0..1.  Read digit by
 * digit rather than with strtod(), so that the locale cannot change what a
 * file means, and computed as one division, so "0.05" is the double
 * nearest 0.05. */
static int parse_share(const char *s, double *out)
{
    uint64_t num, den = 1;
    const char *p;
    if (seam__config_parse_u64(s, &num, &p) || num > 100) return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (den >= 1000000000) return -1;
            num = num * 10 + (uint64_t)(*p - '0');
            den *= 10;
        }
    }
    if (*p == '%') {
        den *= 100;
        p++;
    }
    if (*p || num > den) return -1;
    *out = (double)num / (double)den;
    return 0;
}

static int val_sample(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (parse_share(s, dst))
        return seam__config_fail(ld, val, "must be 0..1 (like 0.05) or a percentage (like 5%%)");
    return 0;
}

/* ---- words and lists --------------------------------------------------------- */

struct word {
    const char *name;
    unsigned bit;
};

static const struct word tier_words[] = {
    {"private", SEAM_TIER_PRIVATE},
    {"vendor", SEAM_TIER_VENDOR},
};

static const struct word balance_words[] = {
    {"weighted", SEAM_BALANCE_WEIGHTED},
    {"latency", SEAM_BALANCE_LATENCY},
};

static const struct word retry_words[] = {
    {"connect", SEAM_RETRY_CONNECT}, {"timeout", SEAM_RETRY_TIMEOUT}, {"reset", SEAM_RETRY_RESET},
    {"429", SEAM_RETRY_429},         {"5xx", SEAM_RETRY_5XX},         {"full", SEAM_RETRY_FULL},
};

/* One of words, by name; what names the kind of word in the error:
 * unknown tier "public" (one of: private, vendor). */
static int word_value(struct loader *ld, const yaml_node_t *val, const struct word *words,
                      size_t nwords, const char *what, unsigned *out)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    const char *names[8];
    char list[128] = "";
    size_t len = 0;
    for (size_t i = 0; i < nwords && i < COUNT(names); i++) {
        if (!strcmp(s, words[i].name)) {
            *out = words[i].bit;
            return 0;
        }
        names[i] = words[i].name;
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < sizeof list - len) len += (size_t)w;
    }
    const char *close =
        seam__config_suggest(s, names, nwords < COUNT(names) ? nwords : COUNT(names));
    if (close)
        return seam__config_fail(ld, val, "unknown %s \"%s\" (did you mean %s?)", what, s, close);
    return seam__config_fail(ld, val, "unknown %s \"%s\" (one of: %s)", what, s, list);
}

/* val's items, when it is a list (counted against the walk's budget). */
static int list_items(struct loader *ld, const yaml_node_t *val, yaml_node_item_t **items,
                      size_t *n)
{
    if (val->type != YAML_SEQUENCE_NODE)
        return seam__config_fail(ld, val, "must be a list, not %s", kind(val));
    *items = val->data.sequence.items.start;
    *n = (size_t)(val->data.sequence.items.top - *items);
    return seam__config_spend(ld, val, (long)*n);
}

/* A list of words: the bits of those named (an empty list is 0). */
static int word_list(struct loader *ld, const yaml_node_t *val, const struct word *words,
                     size_t nwords, const char *what, unsigned *out)
{
    yaml_node_item_t *items;
    size_t n;
    if (list_items(ld, val, &items, &n)) return -1;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned bit;
        size_t old = seam__config_push_index(ld, i);
        if (word_value(ld, node_at(ld, items[i]), words, nwords, what, &bit)) return -1;
        path_pop(ld, old);
        bits |= bit;
    }
    *out = bits;
    return 0;
}

static int val_tier(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    unsigned tier;
    if (word_value(ld, val, tier_words, COUNT(tier_words), "tier", &tier)) return -1;
    *(int *)dst = (int)tier;
    return 0;
}

/* Keys and tenants list the regions they allow comma-separated, so a
 * region with a ',' in it could never be matched. */
static int region_value(struct loader *ld, const yaml_node_t *val, const char **out)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (strchr(s, ',')) return seam__config_fail(ld, val, "must be one region name, without ','");
    if (has_ctl(s)) return seam__config_fail(ld, val, "must not contain control characters");
    *out = seam__config_strndup(ld->mem, s, strlen(s));
    return *out ? 0 : seam__config_nomem(ld);
}

static int val_region(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return region_value(ld, val, dst);
}

/* ---- providers: region, tier, max_inflight, breaker ------------------------ */

static const struct key_spec breaker_keys[] = {
    {"failures", val_failures, offsetof(seam_breaker_conf, failures)},
    {"error_rate", val_percent, offsetof(seam_breaker_conf, error_rate_pct)},
    {"min_requests", val_min_requests, offsetof(seam_breaker_conf, min_requests)},
    {"window", val_period, offsetof(seam_breaker_conf, window_ms)},
    {"cooldown", val_period, offsetof(seam_breaker_conf, cooldown_ms)},
};

static int val_breaker(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    return seam__config_walk_map(ld, val, breaker_keys, COUNT(breaker_keys), dst);
}

static int val_check_count(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                           void *dst)
{
    return int_value(ld, val, dst, 1, 100);
}

/* A path on the provider's base_url: "/health", "/models". */
static int val_check_path(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                          void *dst)
{
    const char *s;
    if (seam__config_text(ld, val, &s)) return -1;
    if (s[0] != '/' || has_ctl(s) || strchr(s, ' ') || strchr(s, '#'))
        return seam__config_fail(ld, val, "must be a path starting with '/', e.g. /health");
    *(const char **)dst = seam__config_strndup(ld->mem, s, strlen(s));
    return *(const char **)dst ? 0 : seam__config_nomem(ld);
}

static const struct key_spec health_check_keys[] = {
    {"path", val_check_path, offsetof(seam_health_check_conf, path)},
    {"interval", val_period, offsetof(seam_health_check_conf, interval_ms)},
    {"timeout", val_period, offsetof(seam_health_check_conf, timeout_ms)},
    {"unhealthy", val_check_count, offsetof(seam_health_check_conf, unhealthy)},
    {"healthy", val_check_count, offsetof(seam_health_check_conf, healthy)},
};

static int val_health_check(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst)
{
    seam_health_check_conf *hc = dst;
    if (seam__config_walk_map(ld, val, health_check_keys, COUNT(health_check_keys), dst)) return -1;
    if (!hc->path) hc->path = "/models"; /* OpenAI-compatible servers all have it */
    return 0;
}

const struct key_spec seam__config_provider_keys[SEAM__CONFIG_NPROVIDER_KEYS] = {
    {"region", val_region, offsetof(seam_provider_conf, region)},
    {"tier", val_tier, offsetof(seam_provider_conf, tier)},
    {"max_inflight", val_max_inflight, offsetof(seam_provider_conf, max_inflight)},
    {"breaker", val_breaker, offsetof(seam_provider_conf, breaker)},
    {"health_check", val_health_check, offsetof(seam_provider_conf, health_check)},
};

void seam__config_provider_defaults(seam_provider_conf *p)
{
    p->tier = SEAM_TIER_VENDOR;
    p->max_inflight = 0;
    p->breaker = (seam_breaker_conf){.failures = 5,
                                     .error_rate_pct = 0,
                                     .min_requests = 20,
                                     .window_ms = 10000,
                                     .cooldown_ms = 10000};
    p->health_check = (seam_health_check_conf){
        .path = NULL, .interval_ms = 10000, .timeout_ms = 2000, .unhealthy = 2, .healthy = 1};
}

/* ---- targets ------------------------------------------------------------------ */

static const struct key_spec target_keys[] = {
    {"provider", seam__config_val_string, offsetof(seam_target_conf, provider)},
    {"model", seam__config_val_string, offsetof(seam_target_conf, model)},
    {"weight", val_weight, offsetof(seam_target_conf, weight)},
};

/* Known, so that the message says why rather than "unknown key". */
static int val_no_weight(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                         void *dst)
{
    return seam__config_fail(ld, key, "not allowed in fallbacks (they are tried in order)");
}

static const struct key_spec fallback_keys[] = {
    {"provider", seam__config_val_string, offsetof(seam_target_conf, provider)},
    {"model", seam__config_val_string, offsetof(seam_target_conf, model)},
    {"weight", val_no_weight, 0},
};

static int required(struct loader *ld, const yaml_node_t *at, const char *key)
{
    size_t old = seam__config_push_key(ld, key);
    seam__config_fail(ld, at, "required");
    path_pop(ld, old);
    return -1;
}

/* The map at walked with keys into obj, of which t is the target: provider
 * and model are required, weight is 100 unless written. */
static int parse_target(struct loader *ld, const yaml_node_t *map, const struct key_spec *keys,
                        size_t nkeys, void *obj, seam_target_conf *t)
{
    t->weight = 100;
    t->line = (int)map->start_mark.line + 1;
    if (seam__config_walk_map(ld, map, keys, nkeys, obj)) return -1;
    if (!t->provider) return required(ld, map, "provider");
    if (!t->model) return required(ld, map, "model");
    return 0;
}

/* A list of targets (possibly empty) into *out, *nout. */
static int target_list(struct loader *ld, const yaml_node_t *val, const struct key_spec *keys,
                       size_t nkeys, seam_target_conf **out, size_t *nout)
{
    yaml_node_item_t *items;
    size_t n;
    if (list_items(ld, val, &items, &n)) return -1;
    if (!n) return 0;
    seam_target_conf *list = seam__config_array(ld->mem, n, sizeof *list);
    if (!list) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        size_t old = seam__config_push_index(ld, i);
        if (parse_target(ld, node_at(ld, items[i]), keys, nkeys, &list[i], &list[i])) return -1;
        path_pop(ld, old);
    }
    *out = list;
    *nout = n;
    return 0;
}

/* dst is the seam_route_conf, as for every key of a route. */
static int val_targets(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    seam_route_conf *r = dst;
    if (is_null(val)) return seam__config_fail(ld, key, "needs at least one target");
    if (target_list(ld, val, target_keys, COUNT(target_keys), &r->targets, &r->ntargets)) return -1;
    if (!r->ntargets) return seam__config_fail(ld, key, "needs at least one target");
    for (size_t i = 0; i < r->ntargets; i++)
        if (r->targets[i].weight > 0) return 0;
    return seam__config_fail(ld, key, "at least one target needs a weight above 0");
}

/* "fallbacks:" alone, like [], is no fallbacks. */
static int val_fallbacks(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                         void *dst)
{
    seam_route_conf *r = dst;
    if (is_null(val)) return 0;
    return target_list(ld, val, fallback_keys, COUNT(fallback_keys), &r->fallbacks, &r->nfallbacks);
}

/* ---- balance, retry, overflow, shadow -------------------------------------- */

static int val_balance(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    unsigned b;
    if (word_value(ld, val, balance_words, COUNT(balance_words), "balance mode", &b)) return -1;
    *(int *)dst = (int)b;
    return 0;
}

/* An empty list is meaningful (never retry), so "on:" alone is not taken
 * for one. */
static int val_retry_on(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    if (is_null(val))
        return seam__config_fail(ld, val, "needs a list ([] means never retry or fall back)");
    return word_list(ld, val, retry_words, COUNT(retry_words), "reason", dst);
}

static const struct key_spec retry_keys[] = {
    {"attempts", val_retry_count, offsetof(seam_retry_conf, attempts)},
    {"per_target", val_retry_count, offsetof(seam_retry_conf, per_target)},
    {"backoff", val_wait, offsetof(seam_retry_conf, backoff_ms)},
    {"max_backoff", val_wait, offsetof(seam_retry_conf, max_backoff_ms)},
    {"on", val_retry_on, offsetof(seam_retry_conf, on)},
};

/* dst is the route's seam_retry_conf, holding the defaults. */
static int val_retry(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    seam_retry_conf *rc = dst;
    if (seam__config_walk_map(ld, val, retry_keys, COUNT(retry_keys), rc)) return -1;
    if (rc->max_backoff_ms >= rc->backoff_ms) return 0;
    /* Blame the one that was written; with both written, the cap. */
    const yaml_node_t *b = seam__config_map_get(ld, val, "backoff");
    const yaml_node_t *mb = seam__config_map_get(ld, val, "max_backoff");
    size_t old = seam__config_push_key(ld, mb ? "max_backoff" : "backoff");
    if (mb && b)
        seam__config_fail(ld, mb, "must be at least backoff (%s)", scalar(b));
    else if (mb)
        seam__config_fail(ld, mb, "must be at least backoff (100ms, the default)");
    else
        seam__config_fail(ld, b, "must be at most max_backoff (2s, the default)");
    path_pop(ld, old);
    return -1;
}

/* One target and what comes with it, for parse_target(). */
struct overflow_spec {
    seam_target_conf t;
    int wait_ms;
};

static const struct key_spec overflow_keys[] = {
    {"provider", seam__config_val_string, offsetof(struct overflow_spec, t.provider)},
    {"model", seam__config_val_string, offsetof(struct overflow_spec, t.model)},
    {"wait", val_wait, offsetof(struct overflow_spec, wait_ms)},
};

struct shadow_spec {
    seam_target_conf t;
    double sample;
};

static const struct key_spec shadow_keys[] = {
    {"provider", seam__config_val_string, offsetof(struct shadow_spec, t.provider)},
    {"model", seam__config_val_string, offsetof(struct shadow_spec, t.model)},
    {"sample", val_sample, offsetof(struct shadow_spec, sample)},
};

/* A copy of t in the arena, its line that of its key ("overflow:"). */
static seam_target_conf *target_copy(struct loader *ld, const yaml_node_t *key,
                                     const seam_target_conf *t)
{
    seam_target_conf *copy = seam__config_alloc(ld->mem, sizeof *copy);
    if (!copy) return NULL;
    *copy = *t;
    copy->line = (int)key->start_mark.line + 1;
    return copy;
}

/* "overflow:" or "shadow:" alone is none. */
static int val_overflow(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                        void *dst)
{
    seam_route_conf *r = dst;
    struct overflow_spec o = {.wait_ms = 0};
    if (is_null(val)) return 0;
    if (parse_target(ld, val, overflow_keys, COUNT(overflow_keys), &o, &o.t)) return -1;
    r->overflow = target_copy(ld, key, &o.t);
    r->overflow_wait_ms = o.wait_ms;
    return r->overflow ? 0 : seam__config_nomem(ld);
}

static int val_shadow(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    seam_route_conf *r = dst;
    struct shadow_spec sh = {.sample = 1};
    if (is_null(val)) return 0;
    if (parse_target(ld, val, shadow_keys, COUNT(shadow_keys), &sh, &sh.t)) return -1;
    r->shadow = target_copy(ld, key, &sh.t);
    r->shadow_sample = sh.sample;
    return r->shadow ? 0 : seam__config_nomem(ld);
}

/* ---- routes -------------------------------------------------------------------- */

static const struct key_spec route_keys[] = {
    {"targets", val_targets, 0},
    {"fallbacks", val_fallbacks, 0},
    {"balance", val_balance, offsetof(seam_route_conf, balance)},
    {"sticky", seam__config_val_bool, offsetof(seam_route_conf, sticky)},
    {"retry", val_retry, offsetof(seam_route_conf, retry)},
    {"overflow", val_overflow, 0},
    {"shadow", val_shadow, 0},
};

static void route_defaults(seam_route_conf *r)
{
    r->sticky = 0;
    r->balance = SEAM_BALANCE_WEIGHTED;
    r->retry = (seam_retry_conf){.attempts = 3,
                                 .per_target = 2,
                                 .backoff_ms = 100,
                                 .max_backoff_ms = 2000,
                                 .on = SEAM_RETRY_DEFAULT_ON};
    r->shadow_sample = 1;
}

/* The route's keys, then what they mean together. */
static int parse_route(struct loader *ld, const yaml_node_t *k, const yaml_node_t *v,
                       seam_route_conf *r)
{
    r->name = seam__config_strndup(ld->mem, scalar(k), strlen(scalar(k)));
    if (!r->name) return seam__config_nomem(ld);
    r->line = (int)k->start_mark.line + 1;
    route_defaults(r);
    if (seam__config_walk_map(ld, v, route_keys, COUNT(route_keys), r)) return -1;
    if (!r->ntargets) return required(ld, k, "targets");
    if (r->sticky && r->balance == SEAM_BALANCE_LATENCY) {
        /* Stickiness hashes over the weights; latency picks by speed. */
        size_t old = seam__config_push_key(ld, "sticky");
        seam__config_fail(ld, seam__config_map_get(ld, v, "sticky"),
                          "sticky needs balance: weighted");
        path_pop(ld, old);
        return -1;
    }
    return 0;
}

int seam__config_val_routes(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                            void *dst)
{
    seam_config *cfg = dst;
    size_t n;
    if (seam__config_expect_map(ld, val, &n)) return -1;
    if (!n) return 0;
    cfg->routes = seam__config_array(ld->mem, n, sizeof *cfg->routes);
    if (!cfg->routes) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *pair = &val->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        size_t old = seam__config_push_key(ld, scalar(k));
        int rc = seam__config_check_name(ld, k, "route");
        if (!rc) rc = parse_route(ld, k, v, &cfg->routes[i]);
        path_pop(ld, old);
        if (rc) return -1;
        cfg->nroutes = i + 1;
    }
    return 0;
}

/* ---- tenants ------------------------------------------------------------------- */

/* dst is the tenant's regions: a NULL-terminated array. */
static int val_regions(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    static const char none[] = "needs at least one region (leave regions out to allow any)";
    yaml_node_item_t *items;
    size_t n;
    if (is_null(val)) return seam__config_fail(ld, key, none);
    if (list_items(ld, val, &items, &n)) return -1;
    if (!n) return seam__config_fail(ld, key, none);
    const char **list = seam__config_array(ld->mem, n + 1, sizeof *list);
    if (!list) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        size_t old = seam__config_push_index(ld, i);
        if (region_value(ld, node_at(ld, items[i]), &list[i])) return -1;
        path_pop(ld, old);
    }
    *(const char ***)dst = list;
    return 0;
}

static int val_tiers(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val, void *dst)
{
    static const char none[] = "needs at least one tier (leave tiers out to allow both)";
    unsigned bits;
    if (is_null(val)) return seam__config_fail(ld, key, none);
    if (word_list(ld, val, tier_words, COUNT(tier_words), "tier", &bits)) return -1;
    if (!bits) return seam__config_fail(ld, key, none);
    *(unsigned *)dst = bits;
    return 0;
}

static const struct key_spec tenant_keys[] = {
    {"regions", val_regions, offsetof(seam_tenant_conf, regions)},
    {"tiers", val_tiers, offsetof(seam_tenant_conf, tiers)},
};

/* A tenant is named as in a key's tenant field, which must find it. */
static int check_tenant_name(struct loader *ld, const yaml_node_t *k)
{
    const char *s = scalar(k);
    size_t n = strlen(s);
    int ok = n >= 1 && n <= TENANT_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
             (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-';
    if (ok) return 0;
    return seam__config_fail(ld, k, "tenant names must be 1..127 characters of A-Z a-z 0-9 . _ -");
}

int seam__config_val_tenants(struct loader *ld, const yaml_node_t *key, const yaml_node_t *val,
                             void *dst)
{
    seam_config *cfg = dst;
    size_t n;
    if (seam__config_expect_map(ld, val, &n)) return -1;
    if (!n) return 0;
    cfg->tenants = seam__config_array(ld->mem, n, sizeof *cfg->tenants);
    if (!cfg->tenants) return seam__config_nomem(ld);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *pair = &val->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(ld, pair->key), *v = node_at(ld, pair->value);
        seam_tenant_conf *t = &cfg->tenants[i];
        size_t old = seam__config_push_key(ld, scalar(k));
        int rc = check_tenant_name(ld, k);
        if (!rc) {
            t->name = seam__config_strndup(ld->mem, scalar(k), strlen(scalar(k)));
            t->line = (int)k->start_mark.line + 1;
            t->tiers = SEAM_TIER_ALL;
            rc = t->name ? 0 : seam__config_nomem(ld);
        }
        if (!rc) rc = seam__config_walk_map(ld, v, tenant_keys, COUNT(tenant_keys), t);
        path_pop(ld, old);
        if (rc) return -1;
        cfg->ntenants = i + 1;
    }
    return 0;
}

/* ---- whole-file checks ---------------------------------------------------------- */

/* t, which route r names at where ("fallbacks[1]"), has a configured
 * provider; the error is on t's line. */
static int check_provider(struct loader *ld, const seam_route_conf *r, const char *where,
                          const seam_target_conf *t)
{
    const seam_config *cfg = ld->cfg;
    if (seam_config_provider(cfg, t->provider)) return 0;
    const char *names[64];
    size_t np = cfg->nproviders < COUNT(names) ? cfg->nproviders : COUNT(names);
    for (size_t i = 0; i < np; i++)
        names[i] = cfg->providers[i].name;
    snprintf(ld->path, sizeof ld->path, "routes.%s.%s.provider", r->name, where);
    ld->pathlen = strlen(ld->path);
    const char *s = seam__config_suggest(t->provider, names, np);
    if (s)
        return seam__config_fail_line(
            ld, t->line, "\"%s\" is not a configured provider (did you mean %s?)", t->provider, s);
    return seam__config_fail_line(ld, t->line, "\"%s\" is not a configured provider", t->provider);
}

/* Overflow happens when a target's provider is full, which takes a limit. */
static int has_limited_target(const seam_config *cfg, const seam_route_conf *r)
{
    for (size_t i = 0; i < r->ntargets; i++) {
        const seam_provider_conf *p = seam_config_provider(cfg, r->targets[i].provider);
        if (p && p->max_inflight > 0) return 1;
    }
    return 0;
}

int seam__config_check_routes(struct loader *ld)
{
    const seam_config *cfg = ld->cfg;
    char where[48];
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const seam_route_conf *r = &cfg->routes[i];
        for (size_t j = 0; j < r->ntargets; j++) {
            snprintf(where, sizeof where, "targets[%zu]", j);
            if (check_provider(ld, r, where, &r->targets[j])) return -1;
        }
        for (size_t j = 0; j < r->nfallbacks; j++) {
            snprintf(where, sizeof where, "fallbacks[%zu]", j);
            if (check_provider(ld, r, where, &r->fallbacks[j])) return -1;
        }
        if (r->overflow && check_provider(ld, r, "overflow", r->overflow)) return -1;
        if (r->shadow && check_provider(ld, r, "shadow", r->shadow)) return -1;
        if (r->overflow && !has_limited_target(cfg, r)) {
            snprintf(ld->path, sizeof ld->path, "routes.%s.overflow", r->name);
            ld->pathlen = strlen(ld->path);
            return seam__config_fail_line(
                ld, r->overflow->line,
                "overflow needs max_inflight on a provider of the route's targets");
        }
    }
    return 0;
}
