/* health.h — what seam has learnt about its upstreams, shared by workers.
 *
 * One entry per target (provider + model): its circuit breaker and its
 * recent latency; one per provider: its calls in flight against
 * max_inflight.  Entries are found by name in a registry that outlives
 * config generations, so a reload neither closes a breaker that is open
 * for good reason nor loses count of the calls still in flight.  Every
 * field is read and written with atomics: workers never lock on the
 * request path (only adding an entry, at config load, takes a mutex).
 *
 * Breaker: closed -> open after `failures` consecutive failures, or when
 * `error_rate_pct` of at least `min_requests` calls in the current
 * `window` failed; open -> half-open once `cooldown` has passed, when a
 * single trial call is let through; its success closes the breaker, its
 * failure opens it for another cooldown. */
#ifndef SEAM_ROUTE_HEALTH_H
#define SEAM_ROUTE_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/buf.h"

enum { SEAM_BREAKER_CLOSED = 0, SEAM_BREAKER_OPEN = 1, SEAM_BREAKER_HALF_OPEN = 2 };

typedef struct seam_target_health {
    char name[320]; /* "provider/model" */
    int state;      /* SEAM_BREAKER_* */
    int trial;      /* half-open: the trial call is out, since trial_since_us */
    uint64_t trial_since_us;
    int consecutive;
    uint64_t open_until_us;
    uint64_t window_start_us;
    uint32_t window_calls, window_failed;
    uint64_t opened_total; /* times it opened, for /metrics */
    /* Written on every success: on a cache line of its own, so that the
     * state every call reads is not invalidated by each write. */
    _Alignas(64) uint64_t ewma_us; /* recent latency; 0 before the first success */
    _Alignas(64) int inflight;     /* calls to this target now, from latency-balanced routes */
} seam_target_health;

typedef struct seam_provider_health {
    char name[128];
    int inflight;        /* calls to this provider now; counted only when it has a max_inflight */
    int max;             /* max_inflight of the newest config (0: no limit), for /metrics */
    uint64_t full_total; /* calls turned away because it was full */
    /* active health checks (health_check:) */
    int down;         /* failed `unhealthy` checks in a row; routing passes it over */
    int check_streak; /* > 0: passes in a row, < 0: failures in a row */
    uint64_t checks_failed_total;
} seam_provider_health;

typedef struct seam_health seam_health;

seam_health *seam_health_new(void);
void seam_health_free(seam_health *h);

/* Finds or adds an entry.  NULL when out of memory. */
seam_target_health *seam_health_target(seam_health *h, const char *provider, const char *model);
seam_provider_health *seam_health_provider(seam_health *h, const char *provider);

/* May a call go to t now?  1: yes, and *trial says whether it is the
 * half-open trial (report it with that flag); 0: the breaker is open. */
int seam_breaker_admit(seam_target_health *t, const seam_breaker_conf *c, uint64_t now_us,
                       int *trial);
/* The outcome of an admitted call; latency_us feeds the EWMA on success. */
void seam_breaker_report(seam_target_health *t, const seam_breaker_conf *c, int ok, int trial,
                         uint64_t now_us, uint64_t latency_us);
/* Counts calls in flight to t (delta +1 / -1), for latency balancing. */
void seam_target_calls(seam_target_health *t, int delta);
/* The balancing score of t: recent latency x (calls in flight + 1); lower
 * is better, and a target never measured scores 0 so that it gets tried. */
double seam_target_score(const seam_target_health *t);

/* An admitted call that ends without an outcome (the client left): gives
 * the trial back so that the next caller can make it. */
void seam_breaker_abandon(seam_target_health *t, int trial);
/* The state as /metrics shows it (an open breaker past its cooldown reads
 * half-open). */
int seam_breaker_state(const seam_target_health *t, uint64_t now_us);

/* Takes one of p's max slots (max 0: no limit, always succeeds).  Returns 1
 * when taken, 0 when full.  Give every taken slot back. */
int seam_slot_take(seam_provider_health *p, int max);
void seam_slot_give(seam_provider_health *p);

/* The outcome of one active health check of p, under conf's thresholds. */
void seam_provider_check_report(seam_provider_health *p, const seam_health_check_conf *conf,
                                int ok);
/* Whether active checks have taken p out of routing. */
int seam_provider_is_down(const seam_provider_health *p);

/* Renders breaker states, openings, latency and provider load as
 * Prometheus text. */
int seam_health_render(seam_health *h, uint64_t now_us, seam_buf *out);

#endif
