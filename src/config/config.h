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

typedef struct seam_provider_conf {
    const char *name;     /* key under providers: */
    const char *type;     /* "openai" | "anthropic" | "gemini" | "azure-openai" | "bedrock" | "mock" */
    const char *base_url; /* no trailing '/'; each type has a default but azure-openai
                           * (required) and bedrock (from the region) */
    const char *api_key;  /* resolved secret, or NULL when none is configured */
    const char *api_version; /* anthropic: anthropic-version header (default 2023-06-01);
                              * azure-openai: api-version query (default 2024-10-21) */
    const char *region;      /* bedrock: AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION) */
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

typedef struct seam_route_conf {
    const char *name;
    seam_target_conf *targets; /* at least one */
    size_t ntargets;
    int line;
} seam_route_conf;

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

#endif
