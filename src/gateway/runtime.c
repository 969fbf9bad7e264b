/* runtime.c — config generations and their providers; see runtime.h. */
#include "gateway/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Looks up the health entries of every target a route can call. */
static int route_health(seam_runtime *rt, const seam_route_conf *rc, seam_route_health *out)
{
    size_t nf = rc->nfallbacks ? rc->nfallbacks : 1;
    out->targets = calloc(rc->ntargets, sizeof *out->targets);
    out->fallbacks = calloc(nf, sizeof *out->fallbacks);
    out->targets_pi = calloc(rc->ntargets, sizeof *out->targets_pi);
    out->fallbacks_pi = calloc(nf, sizeof *out->fallbacks_pi);
    if (!out->targets || !out->fallbacks || !out->targets_pi || !out->fallbacks_pi) return -1;
    for (size_t i = 0; i < rc->ntargets; i++) {
        const seam_target_conf *t = &rc->targets[i];
        out->targets_pi[i] = seam_runtime_provider_index(rt, t->provider);
        if (!(out->targets[i] = seam_health_target(rt->health, t->provider, t->model))) return -1;
    }
    for (size_t i = 0; i < rc->nfallbacks; i++) {
        const seam_target_conf *t = &rc->fallbacks[i];
        out->fallbacks_pi[i] = seam_runtime_provider_index(rt, t->provider);
        if (!(out->fallbacks[i] = seam_health_target(rt->health, t->provider, t->model))) return -1;
    }
    out->overflow_pi = out->shadow_pi = -1;
    if (rc->overflow) {
        out->overflow_pi = seam_runtime_provider_index(rt, rc->overflow->provider);
        if (!(out->overflow =
                  seam_health_target(rt->health, rc->overflow->provider, rc->overflow->model)))
            return -1;
    }
    if (rc->shadow) {
        out->shadow_pi = seam_runtime_provider_index(rt, rc->shadow->provider);
        if (!(out->shadow =
                  seam_health_target(rt->health, rc->shadow->provider, rc->shadow->model)))
            return -1;
    }
    return 0;
}

/* The URL health checks of provider i call: base_url + path, resolved now. */
static int check_target(seam_runtime *rt, size_t i, char *err, size_t errlen)
{
    const seam_provider_conf *pc = &rt->cfg->providers[i];
    char url[2048], why[256] = "";
    if ((size_t)snprintf(url, sizeof url, "%s%s", pc->base_url, pc->health_check.path) >=
        sizeof url) {
        snprintf(err, errlen, "%s:%d: providers.%s.health_check.path: the URL is too long",
                 rt->cfg->path, pc->line, pc->name);
        return -1;
    }
    if (!(rt->check_targets[i] = seam_provider_target_new(pc, url, why, sizeof why))) {
        snprintf(err, errlen, "%s:%d: providers.%s.health_check: %s", rt->cfg->path, pc->line,
                 pc->name, why);
        return -1;
    }
    return 0;
}

int seam_runtime_new(seam_config *cfg, seam_health *health, seam_runtime **out, char *err,
                     size_t errlen)
{
    seam_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) goto nomem;
    rt->cfg = cfg;
    rt->refs = 1;
    rt->health = health;
    size_t np = cfg->nproviders ? cfg->nproviders : 1;
    rt->providers = calloc(np, sizeof *rt->providers);
    rt->prov_health = calloc(np, sizeof *rt->prov_health);
    rt->route_health = calloc(cfg->nroutes ? cfg->nroutes : 1, sizeof *rt->route_health);
    rt->check_targets = calloc(np, sizeof *rt->check_targets);
    if (!rt->providers || !rt->prov_health || !rt->route_health || !rt->check_targets) goto nomem;
    for (size_t i = 0; i < cfg->nproviders; i++) {
        const seam_provider_conf *pc = &cfg->providers[i];
        const seam_provider_vt *vt = seam_provider_find(pc->type);
        char why[256] = "";
        if (!vt) {
            snprintf(err, errlen, "%s:%d: providers.%s.type: unknown provider type '%s'", cfg->path,
                     pc->line, pc->name, pc->type);
            goto fail;
        }
        if (vt->create(pc, &rt->providers[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: providers.%s: %s", cfg->path, pc->line, pc->name, why);
            goto fail;
        }
        if (!(rt->prov_health[i] = seam_health_provider(health, pc->name))) goto nomem;
        if (pc->health_check.path && check_target(rt, i, err, errlen) != 0) goto fail;
        __atomic_store_n(&rt->prov_health[i]->max, pc->max_inflight, __ATOMIC_RELAXED);
    }
    for (size_t i = 0; i < cfg->nroutes; i++)
        if (route_health(rt, &cfg->routes[i], &rt->route_health[i]) != 0) goto nomem;
    *out = rt;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    if (rt) {
        rt->refs = 1;
        seam_runtime_unref(rt);
    } else {
        seam_config_free(cfg);
    }
    return -1;
}

seam_runtime *seam_runtime_ref(seam_runtime *rt)
{
    __atomic_add_fetch(&rt->refs, 1, __ATOMIC_RELAXED);
    return rt;
}

void seam_runtime_unref(seam_runtime *rt)
{
    if (!rt || __atomic_sub_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (rt->providers) {
        for (size_t i = 0; i < rt->cfg->nproviders; i++)
            if (rt->providers[i]) rt->providers[i]->vt->destroy(rt->providers[i]);
        free(rt->providers);
    }
    if (rt->route_health) {
        for (size_t i = 0; i < rt->cfg->nroutes; i++) {
            free(rt->route_health[i].targets);
            free(rt->route_health[i].fallbacks);
            free(rt->route_health[i].targets_pi);
            free(rt->route_health[i].fallbacks_pi);
        }
        free(rt->route_health);
    }
    free(rt->prov_health);
    if (rt->check_targets) {
        for (size_t i = 0; i < rt->cfg->nproviders; i++)
            seam_http_target_free(rt->check_targets[i]);
        free(rt->check_targets);
    }
    seam_config_free(rt->cfg);
    free(rt);
}

int seam_runtime_provider_index(const seam_runtime *rt, const char *name)
{
    for (size_t i = 0; i < rt->cfg->nproviders; i++)
        if (strcmp(rt->cfg->providers[i].name, name) == 0) return (int)i;
    return -1;
}

seam_provider *seam_runtime_provider(const seam_runtime *rt, const char *name)
{
    int i = seam_runtime_provider_index(rt, name);
    return i < 0 ? NULL : rt->providers[i];
}
