/* route.c — target choice, residency, backoff; see route.h. */
#include "route/route.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int allowed_at(seam_target_mask allowed, size_t i)
{
    return i < 64 && (allowed >> i & 1);
}

const seam_target_conf *seam_route_pick_x(const seam_route_conf *r, seam_target_mask allowed,
                                          uint64_t x)
{
    uint64_t total = 0;
    for (size_t i = 0; i < r->ntargets; i++)
        if (allowed_at(allowed, i)) total += (unsigned)r->targets[i].weight;
    if (!total) return NULL;
    uint64_t at = x % total;
    for (size_t i = 0; i < r->ntargets; i++) {
        if (!allowed_at(allowed, i)) continue;
        if (at < (unsigned)r->targets[i].weight) return &r->targets[i];
        at -= (unsigned)r->targets[i].weight;
    }
    return NULL; /* not reached */
}

const seam_target_conf *seam_route_pick(const seam_route_conf *r, uint64_t *rng)
{
    if (r->ntargets == 1) return r->targets[0].weight > 0 ? &r->targets[0] : NULL;
    return seam_route_pick_x(r, ~(seam_target_mask)0, seam_rng_next(rng));
}

const seam_target_conf *seam_route_pick_p2c(const seam_route_conf *r, seam_target_mask allowed,
                                            uint64_t *rng,
                                            double (*score)(const seam_target_conf *, void *),
                                            void *ud)
{
    const seam_target_conf *a = seam_route_pick_x(r, allowed, seam_rng_next(rng));
    if (!a) return NULL;
    /* The second choice among the others, so two arms are always compared. */
    seam_target_mask rest = allowed & ~((seam_target_mask)1 << (a - r->targets));
    const seam_target_conf *b = seam_route_pick_x(r, rest, seam_rng_next(rng));
    if (!b) return a;
    return score(b, ud) < score(a, ud) ? b : a;
}

uint64_t seam_subject_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    /* FNV's low bits are weak for a modulo: mix (murmur3's finaliser). */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

int seam_region_within(const char *have, const char *want)
{
    size_t n = strlen(want);
    return strncmp(have, want, n) == 0 && (have[n] == '\0' || have[n] == '-');
}

const char *seam_residency_check(const seam_provider_conf *pc, const char *const *regions,
                                 unsigned tiers)
{
    if (!(tiers & (unsigned)pc->tier)) return "tier";
    if (!regions) return NULL;
    if (!pc->region) return "region";
    for (size_t i = 0; regions[i]; i++)
        if (seam_region_within(pc->region, regions[i])) return NULL;
    return "region";
}

int seam_backoff_ms(const seam_retry_conf *rc, int n, uint64_t *rng)
{
    if (rc->backoff_ms <= 0 || n < 2) return 0;
    int64_t d = rc->backoff_ms;
    for (int i = 2; i < n && d < rc->max_backoff_ms; i++)
        d *= 2;
    if (d > rc->max_backoff_ms) d = rc->max_backoff_ms;
    int64_t half = d / 2;
    return (int)(d - half + (int64_t)(seam_rng_next(rng) % (uint64_t)(half + 1)));
}

long seam_retry_after_ms(const char *v, int64_t now_wall_ms)
{
    if (!v) return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        long s = strtol(v, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end || s < 0) return -1;
        return s > 86400 ? 86400L * 1000 : s * 1000;
    }
    /* IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end) return -1;
    int64_t at = (int64_t)timegm(&tm) * 1000;
    return at <= now_wall_ms ? 0
                             : (long)(at - now_wall_ms > 86400000 ? 86400000 : at - now_wall_ms);
}
