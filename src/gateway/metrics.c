/* metrics.c — per-worker counters, summed at scrape time; see metrics.h. */
#include "gateway/metrics.h"

#include <stdlib.h>
#include <string.h>

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t bounds_us[SEAM_METRICS_BUCKETS - 1] = {
    1000,   5000,    10000,   25000,   50000,    100000,   250000,
    500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000};

/* The owner is the only writer, so a relaxed load + store is an increment
 * that a concurrent scraper can read without tearing. */
static inline void bump(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline uint64_t get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void hist_add(seam_hist *h, uint64_t us)
{
    size_t i = 0;
    while (i < SEAM_METRICS_BUCKETS - 1 && us > bounds_us[i])
        i++;
    bump(&h->buckets[i], 1);
    bump(&h->count, 1);
    bump(&h->sum_us, us);
}

/* Label values are copied with the characters Prometheus would need escaped
 * replaced, so rendering never has to escape. */
static void copy_label(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; i < cap - 1 && src[i]; i++)
        dst[i] = (src[i] == '"' || src[i] == '\\' || src[i] == '\n') ? '_' : src[i];
    dst[i] = '\0';
}

static seam_series *find_series(seam_metrics *m, const char *route_in, const char *provider_in,
                                int status)
{
    char route[sizeof m->series[0].route], provider[sizeof m->series[0].provider];
    copy_label(route, sizeof route, route_in);
    copy_label(provider, sizeof provider, provider_in);
    size_t n = m->nseries; /* only this thread writes it */
    for (size_t i = 0; i < n; i++) {
        seam_series *s = &m->series[i];
        if (s->status == status && strcmp(s->route, route) == 0 &&
            strcmp(s->provider, provider) == 0)
            return s;
    }
    if (n == SEAM_METRICS_SERIES) return NULL;
    seam_series *s = &m->series[n];
    memset(s, 0, sizeof *s);
    memcpy(s->route, route, sizeof route);
    memcpy(s->provider, provider, sizeof provider);
    s->status = status;
    __atomic_store_n(&m->nseries, n + 1, __ATOMIC_RELEASE);
    return s;
}

void seam_metrics_request(seam_metrics *m, const char *route, const char *provider, int status,
                          uint64_t total_us, uint64_t upstream_us, long tokens_in, long tokens_out)
{
    seam_series *s = find_series(m, route ? route : "", provider ? provider : "", status);
    if (s) {
        bump(&s->requests, 1);
        if (tokens_in > 0) bump(&s->tokens_in, (uint64_t)tokens_in);
        if (tokens_out > 0) bump(&s->tokens_out, (uint64_t)tokens_out);
    } else {
        bump(&m->overflow, 1);
    }
    hist_add(&m->total, total_us);
    if (upstream_us) hist_add(&m->upstream, upstream_us);
}

void seam_metrics_event(seam_metrics *m, const char *route_in, enum seam_route_event ev)
{
    char route[sizeof m->routes[0].route];
    copy_label(route, sizeof route, route_in ? route_in : "");
    size_t n = m->nroutes; /* only this thread writes it */
    seam_route_events *e = NULL;
    for (size_t i = 0; i < n && !e; i++)
        if (strcmp(m->routes[i].route, route) == 0) e = &m->routes[i];
    if (!e) {
        if (n == SEAM_METRICS_ROUTES) {
            bump(&m->overflow, 1);
            return;
        }
        e = &m->routes[n];
        memset(e, 0, sizeof *e);
        memcpy(e->route, route, sizeof route);
        __atomic_store_n(&m->nroutes, n + 1, __ATOMIC_RELEASE);
    }
    bump(&e->n[ev], 1);
}

static const char *const event_names[SEAM_EV_COUNT] = {
    [SEAM_EV_RETRY] = "retry",
    [SEAM_EV_FALLBACK] = "fallback",
    [SEAM_EV_OVERFLOW] = "overflow",
    [SEAM_EV_DENIED] = "residency_denied",
    [SEAM_EV_SHADOW_SENT] = "shadow_sent",
    [SEAM_EV_SHADOW_OK] = "shadow_ok",
    [SEAM_EV_SHADOW_FAILED] = "shadow_failed",
    [SEAM_EV_SHADOW_SKIPPED] = "shadow_skipped",
};

/* seam_route_events_total, summed over workers; every event of a route
 * that has any, so that rates start from 0 instead of appearing. */
static int render_events(seam_metrics *const *all, size_t n, seam_buf *out)
{
    int rc = seam_buf_append_str(out, "# HELP seam_route_events_total What routing did: retries, "
                                      "fallbacks, overflow, residency denials, shadow calls.\n"
                                      "# TYPE seam_route_events_total counter\n");
    for (size_t w = 0; w < n && !rc; w++) {
        size_t nr = __atomic_load_n(&all[w]->nroutes, __ATOMIC_ACQUIRE);
        for (size_t i = 0; i < nr && !rc; i++) {
            const char *route = all[w]->routes[i].route;
            int seen = 0; /* rendered already from an earlier worker */
            for (size_t v = 0; v < w && !seen; v++) {
                size_t nv = __atomic_load_n(&all[v]->nroutes, __ATOMIC_ACQUIRE);
                for (size_t j = 0; j < nv && !seen; j++)
                    seen = strcmp(all[v]->routes[j].route, route) == 0;
            }
            if (seen) continue;
            for (int ev = 0; ev < SEAM_EV_COUNT && !rc; ev++) {
                uint64_t sum = 0;
                for (size_t v = w; v < n; v++) {
                    size_t nv = __atomic_load_n(&all[v]->nroutes, __ATOMIC_ACQUIRE);
                    for (size_t j = 0; j < nv; j++)
                        if (strcmp(all[v]->routes[j].route, route) == 0)
                            sum += get(&all[v]->routes[j].n[ev]);
                }
                rc = seam_buf_printf(out,
                                     "seam_route_events_total{route=\"%s\",event=\"%s\"} %llu\n",
                                     route, event_names[ev], (unsigned long long)sum);
            }
        }
    }
    return rc;
}

void seam_metrics_inflight(seam_metrics *m, int delta)
{
    __atomic_store_n(&m->inflight, __atomic_load_n(&m->inflight, __ATOMIC_RELAXED) + delta,
                     __ATOMIC_RELAXED);
}

static int render_hist(seam_buf *out, const char *name, const char *help, seam_metrics *const *all,
                       size_t n, size_t offset)
{
    uint64_t buckets[SEAM_METRICS_BUCKETS] = {0}, count = 0, sum = 0;
    for (size_t w = 0; w < n; w++) {
        const seam_hist *h = (const seam_hist *)((const char *)all[w] + offset);
        for (size_t i = 0; i < SEAM_METRICS_BUCKETS; i++)
            buckets[i] += get(&h->buckets[i]);
        count += get(&h->count);
        sum += get(&h->sum_us);
    }
    int rc = seam_buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < SEAM_METRICS_BUCKETS && !rc; i++) {
        cum += buckets[i];
        if (i < SEAM_METRICS_BUCKETS - 1)
            rc = seam_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds_us[i] / 1e6,
                                 (unsigned long long)cum);
        else
            rc = seam_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name,
                                 (unsigned long long)cum);
    }
    if (!rc)
        rc = seam_buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name, sum / 1e6, name,
                             (unsigned long long)count);
    return rc;
}

typedef struct agg {
    const seam_series *key;
    uint64_t requests, tokens_in, tokens_out;
} agg;

int seam_metrics_render(seam_metrics *const *all, size_t n, seam_buf *out)
{
    size_t cap = 0;
    for (size_t w = 0; w < n; w++)
        cap += __atomic_load_n(&all[w]->nseries, __ATOMIC_ACQUIRE);
    agg *a = calloc(cap ? cap : 1, sizeof *a);
    if (!a) return SEAM_BUF_NOMEM;
    size_t na = 0;
    int64_t inflight = 0;
    uint64_t overflow = 0;
    for (size_t w = 0; w < n; w++) {
        size_t ns = __atomic_load_n(&all[w]->nseries, __ATOMIC_ACQUIRE);
        inflight += __atomic_load_n(&all[w]->inflight, __ATOMIC_RELAXED);
        overflow += get(&all[w]->overflow);
        for (size_t i = 0; i < ns; i++) {
            const seam_series *s = &all[w]->series[i];
            size_t j = 0;
            while (j < na &&
                   !(a[j].key->status == s->status && strcmp(a[j].key->route, s->route) == 0 &&
                     strcmp(a[j].key->provider, s->provider) == 0))
                j++;
            if (j == na) a[na++].key = s;
            a[j].requests += get(&s->requests);
            a[j].tokens_in += get(&s->tokens_in);
            a[j].tokens_out += get(&s->tokens_out);
        }
    }
    int rc = seam_buf_append_str(out, "# HELP seam_requests_total Requests answered, by route, "
                                      "provider and HTTP status.\n"
                                      "# TYPE seam_requests_total counter\n");
    for (size_t j = 0; j < na && !rc; j++)
        rc = seam_buf_printf(
            out, "seam_requests_total{route=\"%s\",provider=\"%s\",status=\"%d\"} %llu\n",
            a[j].key->route, a[j].key->provider, a[j].key->status,
            (unsigned long long)a[j].requests);
    if (!rc)
        rc = seam_buf_append_str(out, "# HELP seam_tokens_total Tokens reported by upstreams.\n"
                                      "# TYPE seam_tokens_total counter\n");
    for (size_t j = 0; j < na && !rc; j++) {
        if (!a[j].tokens_in && !a[j].tokens_out) continue;
        rc = seam_buf_printf(
            out,
            "seam_tokens_total{route=\"%s\",provider=\"%s\",direction=\"in\"} %llu\n"
            "seam_tokens_total{route=\"%s\",provider=\"%s\",direction=\"out\"} %llu\n",
            a[j].key->route, a[j].key->provider, (unsigned long long)a[j].tokens_in,
            a[j].key->route, a[j].key->provider, (unsigned long long)a[j].tokens_out);
    }
    if (!rc)
        rc = seam_buf_printf(out,
                             "# HELP seam_requests_inflight Requests being served now.\n"
                             "# TYPE seam_requests_inflight gauge\nseam_requests_inflight %lld\n"
                             "# HELP seam_metrics_series_overflow_total Requests counted without "
                             "labels because the series table was full.\n"
                             "# TYPE seam_metrics_series_overflow_total counter\n"
                             "seam_metrics_series_overflow_total %llu\n",
                             (long long)inflight, (unsigned long long)overflow);
    if (!rc) rc = render_events(all, n, out);
    if (!rc)
        rc = render_hist(out, "seam_request_duration_seconds",
                         "Time from request received to answer complete.", all, n,
                         offsetof(seam_metrics, total));
    if (!rc)
        rc = render_hist(out, "seam_upstream_duration_seconds",
                         "Time from upstream call start to its end.", all, n,
                         offsetof(seam_metrics, upstream));
    free(a);
    return rc;
}
