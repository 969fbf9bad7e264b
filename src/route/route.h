/* route.h — choosing targets for a request, and when to try again.
 *
 * Pure decisions over the config: which target a request goes to (weights,
 * a sticky subject, or latency), whether residency rules let data reach a
 * provider, how long to wait before calling a target again.  Knows no
 * vendor wire format and holds no state of its own: what it needs to know
 * about targets' health comes in as arguments (route/health.h keeps that). */
#ifndef SEAM_ROUTE_ROUTE_H
#define SEAM_ROUTE_ROUTE_H

#include <stddef.h>
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

/* Which of a route's targets may be picked: bit i for targets[i] (routes
 * have at most 64 targets; the config loader refuses more). */
typedef uint64_t seam_target_mask;

/* Picks a target in proportion to its weight among those in allowed, with
 * the random value x (from seam_rng_next, or a subject's hash for sticky
 * routes: the same x always picks the same target of the same set).
 * Returns NULL when no allowed target has a weight above 0. */
const seam_target_conf *seam_route_pick_x(const seam_route_conf *r, seam_target_mask allowed,
                                          uint64_t x);

/* seam_route_pick_x over every target with a fresh random value. */
const seam_target_conf *seam_route_pick(const seam_route_conf *r, uint64_t *rng);

/* Power of two choices: two weighted picks, the one with the lower score
 * wins (score: recent latency x calls in flight, from the caller). */
const seam_target_conf *seam_route_pick_p2c(const seam_route_conf *r, seam_target_mask allowed,
                                            uint64_t *rng,
                                            double (*score)(const seam_target_conf *, void *),
                                            void *ud);

/* A stable 64-bit hash of a subject (FNV-1a then a final mix), never 0. */
uint64_t seam_subject_hash(const char *s, size_t n);

/* Residency: may a request limited to `regions` (NULL-terminated, NULL =
 * any) and `tiers` (SEAM_TIER_* bits) reach provider pc?  Returns NULL when
 * it may, else the rule it breaks, e.g. "region" or "tier". */
const char *seam_residency_check(const seam_provider_conf *pc, const char *const *regions,
                                 unsigned tiers);

/* Whether region `have` lies inside allowed region `want`: equal, or
 * `have` starts with want followed by '-' ("eu-west-1" is in "eu"). */
int seam_region_within(const char *have, const char *want);

/* The wait before the n-th call (n >= 2) to the same target: doubling from
 * backoff_ms, capped at max_backoff_ms, with "equal jitter" (a random point
 * in the upper half) so that clients that failed together do not return
 * together. */
int seam_backoff_ms(const seam_retry_conf *rc, int n, uint64_t *rng);

/* A Retry-After value (delta-seconds, or an HTTP-date compared with
 * now_wall_ms) in milliseconds; -1 when absent or unreadable. */
long seam_retry_after_ms(const char *value, int64_t now_wall_ms);

#endif
