/* key_fields.c — the rules for a key's name, tenant, routes, regions and
 * tiers, shared by every storage backend (no writer may store a record the
 * gateway would misread) and by the CLI (which says what is wrong before
 * storing). */
#include "store/store.h"
#include "core/errf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int name_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static int model_char(int c)
{
    return name_char(c) || c == '/' || c == ':' || c == '@' || c == '+';
}

#define MAX_REGIONS    16
#define MAX_REGION_LEN 63

/* Is s[0..n) 1..max characters, each accepted by ok? */
static int valid_run_max(const char *s, size_t n, size_t max, int (*ok)(int))
{
    if (n < 1 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i])) return 0;
    return 1;
}

static int valid_run(const char *s, size_t n, int (*ok)(int))
{
    return valid_run_max(s, n, 127, ok);
}

static int valid_route_entry(const char *s, size_t n)
{
    if (n == 1 && s[0] == '*') return 1;
    const char *slash = memchr(s, '/', n);
    if (!slash) return valid_run(s, n, name_char);
    size_t plen = (size_t)(slash - s), mlen = n - plen - 1;
    if (!valid_run(s, plen, name_char)) return 0;
    if (mlen == 1 && slash[1] == '*') return 1;
    return valid_run(slash + 1, mlen, model_char);
}

/* Returns the number of entries in routes, or -1 with err. */
static int check_routes(const char *routes, char *err, size_t errlen)
{
    size_t n = strlen(routes);
    if (n > 1023) {
        seam_errf(err, errlen, "routes: longer than 1023 characters");
        return -1;
    }
    if (!n) return 0;
    int count = 0;
    for (const char *p = routes;; count++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!valid_route_entry(p, len)) {
            seam_errf(err, errlen,
                      "routes entry '%.*s' is not valid: use a route name, provider/model, "
                      "provider/* or *",
                      (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        if (!comma) return count + 1;
        p = comma + 1;
    }
}

/* The length of the entry at p of a comma-separated list. */
static size_t entry_len(const char *p)
{
    const char *comma = strchr(p, ',');
    return comma ? (size_t)(comma - p) : strlen(p);
}

/* Is the entry p[0..n) also one of the entries before it in list? */
static int listed_before(const char *list, const char *p, size_t n)
{
    for (const char *q = list; q < p; q += entry_len(q) + 1)
        if (entry_len(q) == n && memcmp(q, p, n) == 0) return 1;
    return 0;
}

/* Region names are matched exactly or as a prefix up to a '-' ("eu" covers
 * "eu-west-1"; see route.c), so the same characters as names, shorter. */
static int check_regions(const char *regions, char *err, size_t errlen)
{
    size_t n = strlen(regions);
    if (n > 255) {
        seam_errf(err, errlen, "regions: longer than 255 characters");
        return -1;
    }
    if (!n) return 0;
    int count = 0;
    for (const char *p = regions;; p += entry_len(p) + 1) {
        size_t len = entry_len(p);
        if (!valid_run_max(p, len, MAX_REGION_LEN, name_char)) {
            seam_errf(err, errlen,
                      "regions entry '%.*s' is not valid: use 1..%d characters of "
                      "A-Z a-z 0-9 . _ -",
                      (int)(len > 64 ? 64 : len), p, MAX_REGION_LEN);
            return -1;
        }
        if (listed_before(regions, p, len)) {
            seam_errf(err, errlen, "regions: '%.*s' is listed twice", (int)len, p);
            return -1;
        }
        if (++count > MAX_REGIONS) {
            seam_errf(err, errlen, "regions: more than %d entries", MAX_REGIONS);
            return -1;
        }
        if (!p[len]) return 0;
    }
}

static int check_tiers(const char *tiers, char *err, size_t errlen)
{
    if (!*tiers) return 0;
    for (const char *p = tiers;; p += entry_len(p) + 1) {
        size_t len = entry_len(p);
        if (!((len == 7 && memcmp(p, "private", 7) == 0) ||
              (len == 6 && memcmp(p, "vendor", 6) == 0))) {
            seam_errf(err, errlen, "tiers entry '%.*s' is not valid: use private or vendor",
                      (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        if (listed_before(tiers, p, len)) {
            seam_errf(err, errlen, "tiers: '%.*s' is listed twice", (int)len, p);
            return -1;
        }
        if (!p[len]) return 0;
    }
}

int seam_key_fields_check(const char *name, const char *tenant, const char *routes,
                          const char *regions, const char *tiers, char *err, size_t errlen)
{
    if (!name || !valid_run(name, strlen(name), name_char)) {
        seam_errf(err, errlen,
                  "key name '%.64s' is not valid: use 1..127 characters of A-Z a-z 0-9 . _ -",
                  name ? name : "");
        return -1;
    }
    if (tenant && *tenant && !valid_run(tenant, strlen(tenant), name_char)) {
        seam_errf(err, errlen,
                  "tenant '%.64s' is not valid: use 1..127 characters of A-Z a-z 0-9 . _ -",
                  tenant);
        return -1;
    }
    if (routes && check_routes(routes, err, errlen) < 0) return -1;
    if (regions && check_regions(regions, err, errlen) != 0) return -1;
    return tiers && check_tiers(tiers, err, errlen) != 0 ? -1 : 0;
}
