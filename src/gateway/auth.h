/* auth.h — the authenticate stage: a virtual key in, a principal out.
 *
 * Keys live in storage (store.h); the request path never touches it.  A
 * seam_auth holds an immutable, reference-counted snapshot of the active
 * keys (a hash table keyed by the key hash) and a background thread that
 * polls seam_store_key_version() every SEAM_AUTH_POLL_MS and swaps in a new
 * snapshot when the keys changed, so a revocation takes effect within about
 * half a second.  seam_auth_check() is safe from any number of threads.
 *
 * A key is "sk-seam-" + 43 characters of URL-safe base64 (no padding) of 32
 * random bytes.  Only its BLAKE2b-256 hash is stored; the secret is shown
 * once by `seam keys create` and never stored or logged. */
#ifndef SEAM_GATEWAY_AUTH_H
#define SEAM_GATEWAY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define SEAM_AUTH_MISSING (-1) /* no Authorization header, or an empty one */
#define SEAM_AUTH_INVALID (-2) /* unknown or revoked key, or a malformed header */

#define SEAM_KEY_PREFIX   "sk-seam-"
#define SEAM_KEY_LEN      51 /* prefix (8) + 43; seam_key_generate's buffer is 64 */
#define SEAM_AUTH_POLL_MS 500

typedef struct seam_auth seam_auth; /* shared by all worker threads */

/* What a valid key grants.  Owned by the snapshot it came from: valid from
 * seam_auth_check() until seam_auth_release(). */
typedef struct seam_principal {
    const char *key_name;
    const char *tenant; /* "" when none */
    /* Route access, from the key's routes list (see docs/keys.md): */
    int all_routes;            /* empty list: every configured route, no direct provider access */
    int everything;            /* "*": every route and any provider/model */
    const char *const *routes; /* route names allowed exactly */
    size_t nroutes;
    const char *const *direct; /* "provider/model", or "provider/" "*" for any model */
    size_t ndirect;
    /* Where the key's data may go (see docs/routing.md), from its regions
     * and tiers lists; the tenant's limits are applied on top by the
     * pipeline. */
    const char *const *regions; /* NULL-terminated; NULL: any region */
    unsigned tiers;             /* SEAM_TIER_* bits (config.h); SEAM_TIER_ALL when unset */
} seam_principal;

/* ---- keys ---- */

/* Writes a new NUL-terminated secret (SEAM_KEY_LEN characters) into out.
 * Returns 0, or -1 when libsodium cannot start (out is then ""). */
int seam_key_generate(char out[64]);
/* out = BLAKE2b-256 of the whole secret string (the prefix included). */
void seam_key_hash(const char *secret, size_t n, uint8_t out[32]);

/* ---- the key table ---- */

/* Opens storage_url, loads the active keys and starts the refresher thread.
 * Returns 0 and *out, or -1 with err. */
int seam_auth_new(const char *storage_url, seam_auth **out, char *err, size_t errlen);
/* Stops and joins the refresher.  Every principal must have been released.
 * Accepts NULL. */
void seam_auth_free(seam_auth *a);
/* Reloads the table now, changed or not (SIGHUP, tests).  Blocks on
 * storage: call it from a background thread or the main loop, never from a
 * signal handler or a worker.  Returns 0, or -1 (the old table stays). */
int seam_auth_reload_now(seam_auth *a);

/* authorization: the Authorization header's value, or NULL.  Accepts
 * "Bearer KEY" ("bearer" in any case, surrounding blanks ignored).  Returns
 * 0 and *out, to be given back with seam_auth_release(), or
 * SEAM_AUTH_MISSING / SEAM_AUTH_INVALID. */
int seam_auth_check(seam_auth *a, const char *authorization, const seam_principal **out);
/* The same for a bare key (e.g. the x-api-key header Anthropic clients send). */
int seam_auth_check_key(seam_auth *a, const char *key, size_t n, const seam_principal **out);
void seam_auth_release(seam_auth *a, const seam_principal *p);

/* May p use the configured route `route` / call `provider`'s `model`
 * directly?  Returns 1 or 0. */
int seam_principal_allows_route(const seam_principal *p, const char *route);
int seam_principal_allows_direct(const seam_principal *p, const char *provider, const char *model);

#endif
