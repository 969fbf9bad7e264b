/* shadow.c — mirroring a sample of a route's requests to a candidate.
 *
 * A shadow call is the client's request (the model spliced for the shadow
 * target) sent to route.shadow when the sample says so.  It lives on its
 * own: the client's answer never waits for it, and its end is recorded as
 * an access-log line of its own ("shadow_of": the request's id) with its
 * status, latency and tokens, next to the primary's line, and in
 * seam_route_events_total.  It takes a slot of its provider and asks its
 * breaker like any call, but is never retried, and is skipped (counted as
 * shadow_skipped) when the request's data may not reach it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "gateway/request.h"
#include "route/route.h"

#define MAX_SHADOW_BODY (4u * 1024 * 1024) /* the body kept for the shadow */
#define MAX_SHADOW_READ (1u * 1024 * 1024) /* of its answer, read for usage */
#define MAX_EVENT       (8u * 1024 * 1024)

typedef struct gw_shadow {
    seam_worker *w;
    seam_runtime *rt;
    struct gw_shadow *prev, *next;
    seam_provider *prov;
    seam_call *call;
    seam_target_health *health;
    seam_provider_health *slot;
    const seam_breaker_conf *breaker;
    int trial;
    struct event *timer;
    char of[48]; /* the request's id */
    char route[128];
    char target[GW_MAX_MODEL + 64];
    char model[GW_MAX_MODEL];
    int stream;
    seam_buf body;
    seam_buf answer;
    seam_sse_reader sse;
    int status;
    uint64_t start_us, first_byte_us;
    seam_usage usage;
    int has_usage;
} gw_shadow;

static void shadow_free(gw_shadow *s)
{
    seam_worker *w = s->w;
    if (s->prev)
        s->prev->next = s->next;
    else
        w->shadows = s->next;
    if (s->next) s->next->prev = s->prev;
    if (s->timer) event_free(s->timer);
    if (s->stream) seam_sse_reader_free(&s->sse);
    seam_buf_free(&s->body);
    seam_buf_free(&s->answer);
    seam_runtime_unref(s->rt);
    free(s);
}

/* Records how the shadow call ended and frees it. */
static void shadow_end(gw_shadow *s, const char *error)
{
    seam_worker *w = s->w;
    uint64_t now = seam_now_us();
    int ok = !error && s->status >= 200 && s->status < 300;
    int healthy = !error && s->status != 429 && s->status < 500;
    if (s->health) {
        seam_breaker_report(s->health, s->breaker, healthy, s->trial, now,
                            (s->first_byte_us ? s->first_byte_us : now) - s->start_us);
    }
    if (s->slot) seam_slot_give(s->slot);
    seam_metrics_event(&w->metrics, s->route, ok ? SEAM_EV_SHADOW_OK : SEAM_EV_SHADOW_FAILED);
    if (s->rt->cfg->access_log) {
        char line[768];
        int n = snprintf(line, sizeof line,
                         "{\"ts\":%lld,\"shadow_of\":\"%s\",\"worker\":%d,\"route\":\"%s\","
                         "\"target\":\"%s\",\"status\":%d,\"duration_us\":%llu",
                         (long long)seam_wall_ms(), s->of, w->id, s->route, s->target, s->status,
                         (unsigned long long)(now - s->start_us));
        if (n > 0 && (size_t)n < sizeof line && s->first_byte_us)
            n += snprintf(line + n, sizeof line - (size_t)n, ",\"ttfb_us\":%llu",
                          (unsigned long long)(s->first_byte_us - s->start_us));
        if (n > 0 && (size_t)n < sizeof line && s->has_usage)
            n +=
                snprintf(line + n, sizeof line - (size_t)n, ",\"tokens_in\":%ld,\"tokens_out\":%ld",
                         s->usage.prompt_tokens, s->usage.completion_tokens);
        if (n > 0 && (size_t)n < sizeof line && error)
            n += snprintf(line + n, sizeof line - (size_t)n, ",\"error\":\"%s\"", error);
        if (n > 0 && (size_t)n + 2 < sizeof line) {
            memcpy(line + n, "}\n", 2);
            seam_logbuf_line(&w->log, line, (size_t)n + 2);
        }
    }
    shadow_free(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    gw_shadow *s = arg;
    s->prov->vt->cancel(s->call);
    s->call = NULL;
    shadow_end(s, "timeout");
}

static void on_head(void *ud, int status, const char *retry_after)
{
    gw_shadow *s = ud;
    s->status = status;
}

static int on_event(void *ud, const seam_sse_event *ev)
{
    gw_shadow *s = ud;
    seam_usage u;
    if (ev->data && memmem(ev->data, ev->data_len, "\"usage\"", 7) &&
        seam_json_find_usage(ev->data, ev->data_len, &u) == 0) {
        s->usage = u;
        s->has_usage = 1;
    }
    return 0;
}

static void on_data(void *ud, const char *p, size_t n)
{
    gw_shadow *s = ud;
    if (!s->first_byte_us) s->first_byte_us = seam_now_us();
    if (s->stream && s->status == 200) {
        seam_sse_feed(&s->sse, p, n, on_event, s); /* a bad event only loses the count */
        return;
    }
    seam_buf_append(&s->answer, p, n); /* past the cap: no usage, nothing else lost */
}

static void on_usage(void *ud, const seam_usage *u)
{
    gw_shadow *s = ud;
    s->usage = *u;
    s->has_usage = 1;
}

static void on_done(void *ud, int err)
{
    gw_shadow *s = ud;
    s->call = NULL;
    if (err == SEAM_CALL_OK && !s->stream && s->status >= 200 && s->status < 300 && !s->has_usage &&
        seam_json_find_usage(s->answer.data ? s->answer.data : "", s->answer.len, &s->usage) == 0)
        s->has_usage = 1;
    shadow_end(s, err == SEAM_CALL_OK ? NULL : "upstream_unavailable");
}

void gw_shadow_maybe(gw_req *r)
{
    const seam_route_conf *rc = r->rc;
    if (!rc->shadow) return;
    if (rc->shadow_sample < 1.0 &&
        (double)(seam_rng_next(&r->w->rng) >> 11) / 9007199254740992.0 >= rc->shadow_sample)
        return;
    seam_worker *w = r->w;
    const seam_target_conf *t = rc->shadow;
    int pi = r->rh->shadow_pi;
    const seam_provider_conf *pc = &r->rt->cfg->providers[pi];
    char why[256];
    int trial = 0;
    seam_target_health *th = r->rh->shadow;
    seam_provider_health *ph = r->rt->prov_health[pi];
    seam_provider_health *slot = pc->max_inflight ? ph : NULL; /* only limits are counted */
    if (!gw_may_reach(r, pc, why, sizeof why) || seam_provider_is_down(ph) ||
        (slot && !seam_slot_take(slot, pc->max_inflight))) {
        seam_metrics_event(&w->metrics, r->route, SEAM_EV_SHADOW_SKIPPED);
        return;
    }
    if (!seam_breaker_admit(th, &pc->breaker, seam_now_us(), &trial)) {
        if (slot) seam_slot_give(slot);
        seam_metrics_event(&w->metrics, r->route, SEAM_EV_SHADOW_SKIPPED);
        return;
    }
    gw_shadow *s = calloc(1, sizeof *s);
    if (!s) {
        seam_breaker_abandon(th, trial);
        if (slot) seam_slot_give(slot);
        return;
    }
    s->w = w;
    s->rt = seam_runtime_ref(r->rt);
    s->next = w->shadows;
    if (w->shadows) w->shadows->prev = s;
    w->shadows = s;
    s->prov = r->rt->providers[pi];
    s->health = th;
    s->slot = slot;
    s->breaker = &pc->breaker;
    s->trial = trial;
    s->stream = r->stream;
    snprintf(s->of, sizeof s->of, "%d-%llu", w->id, (unsigned long long)r->id);
    snprintf(s->route, sizeof s->route, "%s", rc->name);
    snprintf(s->target, sizeof s->target, "%s/%s", pc->name, t->model);
    snprintf(s->model, sizeof s->model, "%s", t->model);
    seam_buf_init(&s->body, MAX_SHADOW_BODY + 2 * GW_MAX_MODEL + 128); /* + the usage option */
    seam_buf_init(&s->answer, MAX_SHADOW_READ);
    if (s->stream) seam_sse_reader_init(&s->sse, MAX_EVENT);
    s->timer = evtimer_new(w->base, on_timer, s);
    if (!s->timer || r->in_len > MAX_SHADOW_BODY || gw_splice_body(r, s->model, &s->body) != 0) {
        shadow_end(s, "not_sent");
        return;
    }
    seam_call_req creq = {
        .op = r->op,
        .model = s->model,
        .body = s->body.data,
        .body_len = s->body.len,
        .stream = s->stream,
        .connect_timeout_ms = r->rt->cfg->connect_timeout_ms,
    };
    static const seam_call_cbs cbs = {on_head, on_data, on_done, on_usage};
    s->start_us = seam_now_us();
    seam_metrics_event(&w->metrics, r->route, SEAM_EV_SHADOW_SENT);
    s->call = s->prov->vt->start(s->prov, &w->io, &creq, &cbs, s);
    if (!s->call) {
        shadow_end(s, "not_sent");
        return;
    }
    int ms = r->rt->cfg->total_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(s->timer, &tv);
}

void gw_shadow_abort_all(seam_worker *w)
{
    while (w->shadows) {
        gw_shadow *s = w->shadows;
        if (s->call) s->prov->vt->cancel(s->call);
        s->call = NULL;
        shadow_end(s, "shutting_down");
    }
}
