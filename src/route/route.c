/* route.c — weighted target choice; see route.h. */
#include "route/route.h"

const seam_target_conf *seam_route_pick(const seam_route_conf *r, uint64_t *rng)
{
    if (r->ntargets == 1) return r->targets[0].weight > 0 ? &r->targets[0] : NULL;
    unsigned total = 0;
    for (size_t i = 0; i < r->ntargets; i++)
        total += (unsigned)r->targets[i].weight;
    if (!total) return NULL;
    unsigned x = (unsigned)(seam_rng_next(rng) % total);
    for (size_t i = 0; i < r->ntargets; i++) {
        if (x < (unsigned)r->targets[i].weight) return &r->targets[i];
        x -= (unsigned)r->targets[i].weight;
    }
    return NULL; /* not reached */
}
