/* runtime.h — one generation of configuration: the loaded seam.yaml plus
 * the provider adapters built from it, and each target's and provider's
 * entry in the health registry (which outlives generations).
 *
 * Workers and requests hold references; SIGHUP builds a new runtime and the
 * old one is freed when its last request ends. */
#ifndef SEAM_GATEWAY_RUNTIME_H
#define SEAM_GATEWAY_RUNTIME_H

#include <stddef.h>

#include "config/config.h"
#include "http/client.h"
#include "providers/provider.h"
#include "route/health.h"

/* A route's targets' health entries, parallel to its config lists. */
typedef struct seam_route_health {
    seam_target_health **targets;
    seam_target_health **fallbacks;
    seam_target_health *overflow, *shadow; /* NULL when not configured */
    /* each target's provider, as an index into cfg->providers: found at
     * load so that no request looks a provider up by name */
    int *targets_pi, *fallbacks_pi;
    int overflow_pi, shadow_pi;
} seam_route_health;

typedef struct seam_runtime {
    seam_config *cfg;
    seam_provider **providers;          /* parallel to cfg->providers */
    seam_provider_health **prov_health; /* parallel to cfg->providers */
    seam_route_health *route_health;    /* parallel to cfg->routes */
    seam_http_target **check_targets;   /* parallel to cfg->providers: health_check URLs */
    seam_health *health;                /* borrowed: outlives every runtime */
    int refs;                           /* atomic */
} seam_runtime;

/* Takes ownership of cfg (freed on failure too); health is borrowed.
 * Errors are "file:line: providers.NAME: ..." */
int seam_runtime_new(seam_config *cfg, seam_health *health, seam_runtime **out, char *err,
                     size_t errlen);
seam_runtime *seam_runtime_ref(seam_runtime *rt);
void seam_runtime_unref(seam_runtime *rt);
/* The index of a provider in cfg->providers, or -1. */
int seam_runtime_provider_index(const seam_runtime *rt, const char *name);
/* The adapter for a provider name, or NULL. */
seam_provider *seam_runtime_provider(const seam_runtime *rt, const char *name);
/* The health entries of route index i. */
static inline const seam_route_health *seam_runtime_route_health(const seam_runtime *rt,
                                                                 const seam_route_conf *rc)
{
    return &rt->route_health[rc - rt->cfg->routes];
}

#endif
