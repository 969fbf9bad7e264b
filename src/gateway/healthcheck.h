/* healthcheck.h — active health checks of providers (health_check: in
 * seam.yaml).
 *
 * Worker 0 calls GET {base_url}{path} of every provider that has one, every
 * interval, on its own event loop; a check fails on a connection error, a
 * timeout or a status other than 2xx.  After `unhealthy` failures in a row
 * the provider is marked down in the health registry, and routing passes
 * over its targets as over an open breaker; after `healthy` passes in a row
 * it is up again.  The checks follow the worker's config generation:
 * restarted on reload with the new file's settings. */
#ifndef SEAM_GATEWAY_HEALTHCHECK_H
#define SEAM_GATEWAY_HEALTHCHECK_H

#include "gateway/worker.h"

typedef struct seam_checks seam_checks;

/* Starts the checks of rt's providers on w's loop; NULL when none has a
 * health_check (or out of memory, logged). */
seam_checks *seam_checks_start(seam_worker *w, seam_runtime *rt);
/* Stops them, cancelling a check in flight.  Accepts NULL. */
void seam_checks_stop(seam_checks *c);

#endif
