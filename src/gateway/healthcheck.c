/* healthcheck.c — see healthcheck.h. */
#include "gateway/healthcheck.h"

#include <stdlib.h>

#include <event2/event.h>

#include "core/log.h"

typedef struct check {
    struct seam_checks *owner;
    const seam_provider_conf *pc;
    const seam_http_target *target;
    const char *const *headers; /* the provider's credentials, or NULL */
    seam_provider_health *health;
    seam_http_call *call;
    struct event *timer; /* the next check, or the one in flight's timeout */
    int status;
} check;

struct seam_checks {
    seam_worker *w;
    seam_runtime *rt; /* a reference: the targets live in it */
    check *checks;
    size_t n;
};

static void schedule(check *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

static void report(check *c, int ok)
{
    int was_down = seam_provider_is_down(c->health);
    seam_provider_check_report(c->health, &c->pc->health_check, ok);
    int down = seam_provider_is_down(c->health);
    if (down != was_down)
        seam_log(down ? SEAM_LOG_WARN : SEAM_LOG_INFO,
                 down ? "provider failed its health checks: out of routing"
                      : "provider passed its health checks: back in routing",
                 "\"provider\":\"%s\"", c->pc->name);
    schedule(c, c->pc->health_check.interval_ms);
}

static void on_head(void *ud, int status, const char *retry_after)
{
    ((check *)ud)->status = status;
}

static void on_data(void *ud, const char *p, size_t n) {}

static void on_done(void *ud, int err)
{
    check *c = ud;
    c->call = NULL;
    evtimer_del(c->timer); /* the timeout */
    report(c, err == 0 && c->status >= 200 && c->status < 300);
}

/* The timer: start a check, or give up on the one in flight. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    check *c = arg;
    if (c->call) { /* the timeout passed */
        seam_http_call_cancel(c->call);
        c->call = NULL;
        report(c, 0);
        return;
    }
    seam_http_call_opts o = {
        .headers = c->headers,
        .connect_timeout_ms = c->pc->health_check.timeout_ms,
        .on_head = on_head,
        .on_data = on_data,
        .on_done = on_done,
        .ud = c,
    };
    c->status = 0;
    c->call = seam_http_client_start(c->owner->w->io.http, c->target, &o);
    if (!c->call) {
        report(c, 0);
        return;
    }
    schedule(c, c->pc->health_check.timeout_ms);
}

seam_checks *seam_checks_start(seam_worker *w, seam_runtime *rt)
{
    size_t n = 0;
    for (size_t i = 0; i < rt->cfg->nproviders; i++)
        n += rt->check_targets[i] != NULL;
    if (!n) return NULL;
    seam_checks *cs = calloc(1, sizeof *cs);
    if (!cs || !(cs->checks = calloc(n, sizeof *cs->checks))) {
        free(cs);
        seam_log(SEAM_LOG_ERROR, "out of memory: health checks not started", NULL);
        return NULL;
    }
    cs->w = w;
    cs->rt = seam_runtime_ref(rt);
    for (size_t i = 0; i < rt->cfg->nproviders; i++) {
        if (!rt->check_targets[i]) continue;
        check *c = &cs->checks[cs->n];
        c->owner = cs;
        c->pc = &rt->cfg->providers[i];
        c->target = rt->check_targets[i];
        const seam_provider *prov = rt->providers[i];
        c->headers = prov->vt->check_headers ? prov->vt->check_headers(prov) : NULL;
        c->health = rt->prov_health[i];
        if (!(c->timer = evtimer_new(w->base, on_timer, c))) continue;
        cs->n++;
        schedule(c, 0); /* the first check at once */
    }
    return cs;
}

void seam_checks_stop(seam_checks *cs)
{
    if (!cs) return;
    for (size_t i = 0; i < cs->n; i++) {
        if (cs->checks[i].call) seam_http_call_cancel(cs->checks[i].call);
        event_free(cs->checks[i].timer);
    }
    seam_runtime_unref(cs->rt);
    free(cs->checks);
    free(cs);
}
