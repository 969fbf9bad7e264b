/* runtime.c — config generations and their providers; see runtime.h. */
#include "gateway/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int seam_runtime_new(seam_config *cfg, seam_runtime **out, char *err, size_t errlen)
{
    seam_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) goto nomem;
    rt->cfg = cfg;
    rt->refs = 1;
    rt->providers = calloc(cfg->nproviders ? cfg->nproviders : 1, sizeof *rt->providers);
    if (!rt->providers) goto nomem;
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
    }
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
    seam_config_free(rt->cfg);
    free(rt);
}

seam_provider *seam_runtime_provider(const seam_runtime *rt, const char *name)
{
    for (size_t i = 0; i < rt->cfg->nproviders; i++)
        if (strcmp(rt->cfg->providers[i].name, name) == 0) return rt->providers[i];
    return NULL;
}
