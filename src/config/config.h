/* config.h — seam.yaml, loaded and validated into one immutable value.
 *
 * A loaded config is never changed: SIGHUP loads a new one and the workers
 * swap to it; requests in flight keep the one they started with through a
 * reference.  Every error names file, line and key:
 *     seam.yaml:14: routes.chat.targets[1].weight: must be 0..100
 * Secrets (api_key) are written as env:NAME or file:PATH and resolved at load. */
#ifndef SEAM_CONFIG_CONFIG_H
#define SEAM_CONFIG_CONFIG_H

#include <stddef.h>

/* Data tiers, ordered: a request allowed only "private" may not reach "vendor". */
enum { SEAM_TIER_PRIVATE = 1, SEAM_TIER_VENDOR = 2 };
#define SEAM_TIER_ALL (SEAM_TIER_PRIVATE | SEAM_TIER_VENDOR)

/* A provider's circuit breaker (one per target, i.e. provider + model). */
typedef struct seam_breaker_conf {
    int failures;       /* consecutive failures that open it; default 5; 0 = never on this rule */
    int error_rate_pct; /* or: this % of failures within window; default 0 = rule off */
    int min_requests;   /* calls in the window before the rate counts; default 20 */
    int window_ms;      /* default 10s */
    int cooldown_ms;    /* open this long, then one trial call (half-open); default 10s */
} seam_breaker_conf;

/* Active health checks of a provider (health_check:), for self-hosted
 * servers: GET {base_url}{path}, no credentials; see docs/routing.md. */
typedef struct seam_health_check_conf {
    const char *path; /* NULL: no active checks */
    int interval_ms;  /* default 10s */
    int timeout_ms;   /* default 2s */
    int unhealthy;    /* failed checks in a row that take it out; default 2 */
    int healthy;      /* passed checks in a row that bring it back; default 1 */
} seam_health_check_conf;

typedef struct seam_provider_conf {
    const char *name; /* key under providers: */
    const char *type; /* "openai" | "anthropic" | "gemini" | "azure-openai" | "bedrock" | "mock" */
    const char *base_url;    /* no trailing '/'; each type has a default but azure-openai
                              * (required) and bedrock (from the region) */
    const char *api_key;     /* resolved secret, or NULL when none is configured */
    const char *api_version; /* anthropic: anthropic-version header (default 2023-06-01);
                              * azure-openai: api-version query (default 2024-10-21) */
    const char *ca_file;     /* https: PEM CA certificates to verify the server with instead
                              * of the system's store (an internal CA); NULL: the system's */
    /* Where the provider processes data, for residency rules: any name
     * ("eu", "eu-west-1", "on-prem-fra").  A key allowed region R may reach a
     * provider whose region is R or starts with "R-" ("eu" covers
     * "eu-west-1").  bedrock: also the AWS region signed for (default
     * $AWS_REGION, $AWS_DEFAULT_REGION).  NULL: unknown, which no
     * region-restricted key may reach. */
    const char *region;
    int tier;         /* SEAM_TIER_PRIVATE or SEAM_TIER_VENDOR (the default) */
    int max_inflight; /* calls in flight at once over all workers; 0 = no limit */
    seam_breaker_conf breaker;
    seam_health_check_conf health_check;
    int line;
    /* type mock only: */
    int mock_latency_ms;     /* delay before the first byte, default 0 */
    int mock_chunk_delay_ms; /* delay between stream events, default 0 */
    int mock_echo;           /* reply with the last user message verbatim, default 1 */
} seam_provider_conf;

typedef struct seam_target_conf {
    const char *provider; /* a name in providers: (checked at load) */
    const char *model;    /* the upstream's model name */
    int weight;           /* 0..100, default 100 */
    int line;
} seam_target_conf;

/* What a failed attempt may be retried or fallen back on (retry.on). */
enum {
    SEAM_RETRY_CONNECT = 1, /* could not connect */
    SEAM_RETRY_TIMEOUT = 2, /* timeouts.connect / first_byte passed */
    SEAM_RETRY_RESET = 4,   /* the connection broke before the answer was complete */
    SEAM_RETRY_429 = 8,
    SEAM_RETRY_5XX = 16,  /* 500..599 */
    SEAM_RETRY_FULL = 32, /* the provider's max_inflight was reached */
};
#define SEAM_RETRY_DEFAULT_ON 63 /* all of them */

typedef struct seam_retry_conf {
    int attempts;       /* upstream calls per request over all targets, 1..10; default 3 */
    int per_target;     /* calls to one target before moving on, 1..10; default 2 */
    int backoff_ms;     /* first wait before calling the same target again; default 100ms */
    int max_backoff_ms; /* cap of the doubling wait and of Retry-After honoured; default 2s */
    unsigned on;        /* SEAM_RETRY_* bits; default SEAM_RETRY_DEFAULT_ON */
} seam_retry_conf;

enum { SEAM_BALANCE_WEIGHTED = 0, SEAM_BALANCE_LATENCY = 1 };

typedef struct seam_route_conf {
    const char *name;
    seam_target_conf *targets; /* at least one; weights pick among them */
    size_t ntargets;
    seam_target_conf *fallbacks; /* tried in order when the picked target fails */
    size_t nfallbacks;
    int sticky;  /* pick by a hash of the subject (user field / X-Seam-Subject) */
    int balance; /* SEAM_BALANCE_*: weighted random, or power of two choices on latency */
    seam_retry_conf retry;
    /* overflow: when the picked target's provider is at max_inflight, wait up
     * to overflow_wait_ms for a slot, then send the request here. */
    seam_target_conf *overflow; /* NULL when not configured */
    int overflow_wait_ms;       /* default 0: no wait */
    /* shadow: a sample of requests is also sent here, answer discarded. */
    seam_target_conf *shadow; /* NULL when not configured */
    double shadow_sample;     /* 0..1, default 1 */
    int line;
} seam_route_conf;

/* tenants.NAME: limits for every key of the tenant (on top of the key's own). */
typedef struct seam_tenant_conf {
    const char *name;
    const char **regions; /* NULL-terminated; NULL = any region */
    unsigned tiers;       /* SEAM_TIER_* bits; default SEAM_TIER_ALL */
    int line;
} seam_tenant_conf;

typedef struct seam_config {
    const char *path; /* the file it came from */

    /* server: */
    const char *listen_host; /* from server.listen "host:port", default 127.0.0.1:8080 */
    int listen_port;
    int workers;     /* server.workers: N or "auto" (= online CPUs), 1..256 */
    size_t max_body; /* server.max_body: bytes, accepts 512k / 4m suffixes; default 4 MiB */
    int grace_ms;    /* server.shutdown_grace: drain bound on SIGTERM, default 10000 */
    int access_log;  /* server.access_log: true|false, default true */

    /* timeouts: (all milliseconds, > 0) */
    int connect_timeout_ms;    /* timeouts.connect, default 5000 */
    int first_byte_timeout_ms; /* timeouts.first_byte, default 60000 */
    int idle_timeout_ms;       /* timeouts.between_events, default 30000 */
    int total_timeout_ms;      /* timeouts.total, default 600000 */

    /* storage: */
    const char *storage_url; /* default "sqlite://./seam-data/seam.db" */

    seam_provider_conf *providers;
    size_t nproviders;
    seam_route_conf *routes;
    size_t nroutes;
    seam_tenant_conf *tenants;
    size_t ntenants;

    void *priv; /* the loader's allocations */
} seam_config;

/* Loads and validates path.  Returns 0 and *out, or -1 with a one-line
 * "file:line: key: what is wrong" message in err. */
int seam_config_load(const char *path, seam_config **out, char *err, size_t errlen);
/* As seam_config_load; SEAM_CONFIG_NO_SECRETS leaves every api_key NULL
 * without reading it, for commands that need no provider (seam keys). */
#define SEAM_CONFIG_NO_SECRETS 1
int seam_config_load_flags(const char *path, int flags, seam_config **out, char *err,
                           size_t errlen);
void seam_config_free(seam_config *cfg);

const seam_provider_conf *seam_config_provider(const seam_config *cfg, const char *name);
const seam_route_conf *seam_config_route(const seam_config *cfg, const char *name);
const seam_tenant_conf *seam_config_tenant(const seam_config *cfg, const char *name);

#endif
