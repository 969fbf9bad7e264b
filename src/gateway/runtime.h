/* runtime.h — one generation of configuration: the loaded seam.yaml plus
 * the provider adapters built from it.
 *
 * Workers and requests hold references; SIGHUP builds a new runtime and the
 * old one is freed when its last request ends. */
#ifndef SEAM_GATEWAY_RUNTIME_H
#define SEAM_GATEWAY_RUNTIME_H

#include <stddef.h>

#include "config/config.h"
#include "providers/provider.h"

typedef struct seam_runtime {
    seam_config *cfg;
    seam_provider **providers; /* parallel to cfg->providers */
    int refs;                  /* atomic */
} seam_runtime;

/* Takes ownership of cfg (freed on failure too).  Errors are
 * "file:line: providers.NAME: ..." */
int seam_runtime_new(seam_config *cfg, seam_runtime **out, char *err, size_t errlen);
seam_runtime *seam_runtime_ref(seam_runtime *rt);
void seam_runtime_unref(seam_runtime *rt);
/* The adapter for a provider name, or NULL. */
seam_provider *seam_runtime_provider(const seam_runtime *rt, const char *name);

#endif
