/* gateway.h — seam serve: worker threads, each with its own event loop,
 * listener, upstream client, metrics and access log, wired to the request
 * pipeline.  The only module that knows every stage.
 *
 * Threads: the caller's thread owns the gateway and handles signals; it
 * talks to workers only through seam_gateway_reload / _shutdown, which wake
 * each worker's loop. */
#ifndef SEAM_GATEWAY_GATEWAY_H
#define SEAM_GATEWAY_GATEWAY_H

#include <stddef.h>

#include "gateway/runtime.h"

struct seam_auth;
typedef struct seam_gateway seam_gateway;

/* Starts cfg->workers workers listening on the configured address.  Takes a
 * reference on rt.  Returns NULL with err when a listener cannot be bound. */
seam_gateway *seam_gateway_start(seam_runtime *rt, struct seam_auth *auth, char *err,
                                 size_t errlen);
/* Hands a new configuration generation to every worker (takes a reference).
 * Listener settings (address, workers) need a restart and are not changed. */
void seam_gateway_reload(seam_gateway *gw, seam_runtime *rt);
/* Stops accepting, lets in-flight requests finish for at most grace_ms,
 * then joins the workers.  Blocks. */
void seam_gateway_shutdown(seam_gateway *gw, int grace_ms);
void seam_gateway_free(seam_gateway *gw);

#endif
