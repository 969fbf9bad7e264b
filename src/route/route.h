/* route.h — choosing a target for a request.
 *
 * Knows routes and targets from the config, never a vendor's wire format.
 * Today: weighted choice among a route's targets.  Fallbacks, retries,
 * breakers, overflow and shadow traffic grow here. */
#ifndef SEAM_ROUTE_ROUTE_H
#define SEAM_ROUTE_ROUTE_H

#include <stdint.h>

#include "config/config.h"

/* A fast per-worker random source (xorshift64*); state must not be 0. */
static inline uint64_t seam_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Picks a target in proportion to its weight.  Returns NULL only when no
 * target has a weight above 0 (the config loader refuses such routes). */
const seam_target_conf *seam_route_pick(const seam_route_conf *r, uint64_t *rng);

#endif
