/* key_fields.c — the rules for a key's name, tenant and routes list, shared
 * by every storage backend (no writer may store a record the gateway would
 * misread) and by the CLI (which says what is wrong before storing). */
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

static int valid_run(const char *s, size_t n, int (*ok)(int))
{
    if (n < 1 || n > 127) return 0;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i])) return 0;
    return 1;
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

int seam_key_fields_check(const char *name, const char *tenant, const char *routes, char *err,
                          size_t errlen)
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
    return routes && check_routes(routes, err, errlen) < 0 ? -1 : 0;
}
