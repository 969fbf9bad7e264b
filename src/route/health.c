/* health.c — breakers, latency and in-flight slots; see health.h. */
#include "route/health.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v)   __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define CAS(p, expect, v)                                                                          \
    __atomic_compare_exchange_n((p), (expect), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

struct seam_health {
    pthread_mutex_t mu; /* guards the arrays, not the entries */
    seam_target_health **targets;
    size_t ntargets, cap_targets;
    seam_provider_health **providers;
    size_t nproviders, cap_providers;
};

seam_health *seam_health_new(void)
{
    seam_health *h = calloc(1, sizeof *h);
    if (h) pthread_mutex_init(&h->mu, NULL);
    return h;
}

void seam_health_free(seam_health *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->ntargets; i++)
        free(h->targets[i]);
    for (size_t i = 0; i < h->nproviders; i++)
        free(h->providers[i]);
    free(h->targets);
    free(h->providers);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* Appends x to a growable array of pointers; 0 or -1. */
static int push(void ***arr, size_t *n, size_t *cap, void *x)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        void **a = realloc(*arr, c * sizeof *a);
        if (!a) return -1;
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = x;
    return 0;
}

seam_target_health *seam_health_target(seam_health *h, const char *provider, const char *model)
{
    char name[sizeof((seam_target_health *)0)->name];
    snprintf(name, sizeof name, "%s/%s", provider, model);
    pthread_mutex_lock(&h->mu);
    seam_target_health *t = NULL;
    for (size_t i = 0; i < h->ntargets && !t; i++)
        if (strcmp(h->targets[i]->name, name) == 0) t = h->targets[i];
    if (!t && (t = calloc(1, sizeof *t))) {
        memcpy(t->name, name, sizeof name);
        if (push((void ***)&h->targets, &h->ntargets, &h->cap_targets, t)) {
            free(t);
            t = NULL;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return t;
}

seam_provider_health *seam_health_provider(seam_health *h, const char *provider)
{
    pthread_mutex_lock(&h->mu);
    seam_provider_health *p = NULL;
    for (size_t i = 0; i < h->nproviders && !p; i++)
        if (strcmp(h->providers[i]->name, provider) == 0) p = h->providers[i];
    if (!p && (p = calloc(1, sizeof *p))) {
        snprintf(p->name, sizeof p->name, "%s", provider);
        if (push((void ***)&h->providers, &h->nproviders, &h->cap_providers, p)) {
            free(p);
            p = NULL;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return p;
}

int seam_breaker_admit(seam_target_health *t, const seam_breaker_conf *c, uint64_t now_us,
                       int *trial)
{
    *trial = 0;
    int st = LOAD(&t->state);
    if (st == SEAM_BREAKER_CLOSED) return 1;
    if (st == SEAM_BREAKER_OPEN) {
        if (now_us < LOAD(&t->open_until_us)) return 0;
        /* Cooldown over: one caller moves it to half-open and owns the trial. */
        if (CAS(&t->state, &st, SEAM_BREAKER_HALF_OPEN)) {
            STORE(&t->trial_since_us, now_us);
            STORE(&t->trial, 1);
            *trial = 1;
            return 1;
        }
        if (st == SEAM_BREAKER_CLOSED) return 1;
    }
    /* Half-open: only the trial goes through.  A trial whose caller never
     * reports (the client left) is taken over after another cooldown. */
    int none = 0;
    if (CAS(&t->trial, &none, 1)) {
        STORE(&t->trial_since_us, now_us);
        *trial = 1;
        return 1;
    }
    uint64_t since = LOAD(&t->trial_since_us);
    if (now_us - since >= (uint64_t)c->cooldown_ms * 1000 &&
        CAS(&t->trial_since_us, &since, now_us)) {
        *trial = 1;
        return 1;
    }
    return 0;
}

static void open_breaker(seam_target_health *t, const seam_breaker_conf *c, uint64_t now_us)
{
    STORE(&t->open_until_us, now_us + (uint64_t)c->cooldown_ms * 1000);
    STORE(&t->trial, 0);
    if (__atomic_exchange_n(&t->state, SEAM_BREAKER_OPEN, __ATOMIC_ACQ_REL) != SEAM_BREAKER_OPEN)
        ADD(&t->opened_total, 1);
}

void seam_breaker_report(seam_target_health *t, const seam_breaker_conf *c, int ok, int trial,
                         uint64_t now_us, uint64_t latency_us)
{
    /* Every worker reports to the same entry: a success, the common case,
     * writes one shared word (the latency) unless something changes. */
    uint32_t calls = 0, failed = 0;
    if (c->error_rate_pct > 0) { /* the window of the error-rate rule */
        uint64_t ws = LOAD(&t->window_start_us);
        if (now_us - ws >= (uint64_t)c->window_ms * 1000 && CAS(&t->window_start_us, &ws, now_us)) {
            STORE(&t->window_calls, 0);
            STORE(&t->window_failed, 0);
        }
        calls = ADD(&t->window_calls, 1);
        failed = ok ? LOAD(&t->window_failed) : ADD(&t->window_failed, 1);
    }

    if (ok) {
        if (LOAD(&t->consecutive)) STORE(&t->consecutive, 0);
        /* EWMA with weight 1/8: about the last dozen calls */
        uint64_t e = LOAD(&t->ewma_us);
        STORE(&t->ewma_us, e ? e - e / 8 + latency_us / 8 : latency_us);
        if (trial) {
            STORE(&t->state, SEAM_BREAKER_CLOSED);
            STORE(&t->trial, 0);
        }
        return;
    }
    int n = ADD(&t->consecutive, 1);
    if (trial) {
        open_breaker(t, c, now_us);
        return;
    }
    if (LOAD(&t->state) != SEAM_BREAKER_CLOSED) return;
    int by_count = c->failures > 0 && n >= c->failures;
    int by_rate = c->error_rate_pct > 0 && calls >= (uint32_t)c->min_requests &&
                  (uint64_t)failed * 100 >= (uint64_t)c->error_rate_pct * calls;
    if (by_count || by_rate) open_breaker(t, c, now_us);
}

void seam_target_calls(seam_target_health *t, int delta)
{
    ADD(&t->inflight, delta);
}

double seam_target_score(const seam_target_health *t)
{
    return (double)LOAD(&t->ewma_us) * (double)(LOAD(&t->inflight) + 1);
}

void seam_breaker_abandon(seam_target_health *t, int trial)
{
    if (trial) STORE(&t->trial, 0);
}

int seam_breaker_state(const seam_target_health *t, uint64_t now_us)
{
    int st = LOAD(&t->state);
    if (st == SEAM_BREAKER_OPEN && now_us >= LOAD(&t->open_until_us)) return SEAM_BREAKER_HALF_OPEN;
    return st;
}

int seam_slot_take(seam_provider_health *p, int max)
{
    int n = ADD(&p->inflight, 1);
    if (max > 0 && n > max) {
        ADD(&p->inflight, -1);
        ADD(&p->full_total, 1);
        return 0;
    }
    return 1;
}

void seam_slot_give(seam_provider_health *p)
{
    ADD(&p->inflight, -1);
}

void seam_provider_check_report(seam_provider_health *p, const seam_health_check_conf *conf, int ok)
{
    /* Only the checking thread writes the streak; others read `down`. */
    int streak = LOAD(&p->check_streak);
    streak = ok ? (streak > 0 ? streak + 1 : 1) : (streak < 0 ? streak - 1 : -1);
    STORE(&p->check_streak, streak);
    if (!ok) ADD(&p->checks_failed_total, 1);
    if (!ok && -streak >= conf->unhealthy) STORE(&p->down, 1);
    if (ok && streak >= conf->healthy) STORE(&p->down, 0);
}

int seam_provider_is_down(const seam_provider_health *p)
{
    return LOAD(&p->down);
}

/* One series per provider: its HELP and TYPE, then a line for each. */
static int provider_series(seam_buf *out, const seam_health *h, const char *name, const char *type,
                           const char *help, long long (*value)(const seam_provider_health *))
{
    int rc = seam_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (size_t i = 0; i < h->nproviders && !rc; i++)
        rc = seam_buf_printf(out, "%s{provider=\"%s\"} %lld\n", name, h->providers[i]->name,
                             value(h->providers[i]));
    return rc;
}

static long long inflight_of(const seam_provider_health *p)
{
    return LOAD(&p->inflight);
}

static long long full_of(const seam_provider_health *p)
{
    return (long long)LOAD(&p->full_total);
}

static long long up_of(const seam_provider_health *p)
{
    return !LOAD(&p->down);
}

static long long checks_failed_of(const seam_provider_health *p)
{
    return (long long)LOAD(&p->checks_failed_total);
}

int seam_health_render(seam_health *h, uint64_t now_us, seam_buf *out)
{
    int rc = seam_buf_append_str(
        out,
        "# HELP seam_circuit_state Circuit breaker per target: 0 closed, 1 open, 2 half-open.\n"
        "# TYPE seam_circuit_state gauge\n");
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->ntargets && !rc; i++)
        rc = seam_buf_printf(out, "seam_circuit_state{target=\"%s\"} %d\n", h->targets[i]->name,
                             seam_breaker_state(h->targets[i], now_us));
    if (!rc)
        rc = seam_buf_append_str(out, "# HELP seam_circuit_opened_total Times a target's breaker "
                                      "opened.\n# TYPE seam_circuit_opened_total counter\n");
    for (size_t i = 0; i < h->ntargets && !rc; i++)
        rc = seam_buf_printf(out, "seam_circuit_opened_total{target=\"%s\"} %llu\n",
                             h->targets[i]->name,
                             (unsigned long long)LOAD(&h->targets[i]->opened_total));
    if (!rc)
        rc = seam_buf_append_str(out,
                                 "# HELP seam_target_latency_seconds Recent upstream latency "
                                 "per target (EWMA).\n# TYPE seam_target_latency_seconds gauge\n");
    for (size_t i = 0; i < h->ntargets && !rc; i++)
        rc = seam_buf_printf(out, "seam_target_latency_seconds{target=\"%s\"} %.6f\n",
                             h->targets[i]->name, LOAD(&h->targets[i]->ewma_us) / 1e6);
    if (!rc)
        rc = provider_series(out, h, "seam_provider_inflight", "gauge",
                             "Calls in flight per provider.", inflight_of);
    if (!rc)
        rc =
            provider_series(out, h, "seam_provider_full_total", "counter",
                            "Calls turned away because the provider was at max_inflight.", full_of);
    if (!rc)
        rc = provider_series(out, h, "seam_provider_up", "gauge",
                             "0 while active health checks keep a provider out of routing.", up_of);
    if (!rc)
        rc = provider_series(out, h, "seam_health_checks_failed_total", "counter",
                             "Active health checks that failed.", checks_failed_of);
    pthread_mutex_unlock(&h->mu);
    return rc;
}
