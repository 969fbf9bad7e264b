/* test_config.c — seam_config_load: every key, the defaults, and the exact
 * message of each kind of error a user can make in seam.yaml.
 *
 * The tests run inside a fresh temporary directory so that messages name
 * "seam.yaml" exactly as a user would see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];
static char oldcwd[PATH_MAX];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/seam-test-config-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    if (!getcwd(oldcwd, sizeof oldcwd)) return -1;
    return chdir(tmpdir);
}

static const char *const scratch[] = {"seam.yaml", "key.txt", "empty.txt", "big.txt", "ca.pem"};

static int teardown(void **state)
{
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++)
        unlink(scratch[i]);
    if (chdir(oldcwd)) return -1;
    return rmdir(tmpdir);
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static seam_config *load_ok(const char *yaml)
{
    char err[512] = "";
    seam_config *cfg = NULL;
    write_file("seam.yaml", yaml);
    int rc = seam_config_load("seam.yaml", &cfg, err, sizeof err);
    if (rc) fail_msg("unexpected error: %s", err);
    assert_non_null(cfg);
    return cfg;
}

/* Loads yaml, which must fail with exactly want. */
static void expect_err(const char *yaml, const char *want)
{
    char err[512] = "";
    seam_config *cfg = (seam_config *)&err; /* must be reset to NULL */
    write_file("seam.yaml", yaml);
    assert_int_equal(seam_config_load("seam.yaml", &cfg, err, sizeof err), -1);
    assert_null(cfg);
    assert_string_equal(err, want);
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* ---- valid files ------------------------------------------------------ */

static const char full_yaml[] =
    "server:\n"                                                             /* 1 */
    "  listen: \"[::1]:9090\"\n"                                            /* 2 */
    "  workers: 3\n"                                                        /* 3 */
    "  max_body: 512k\n"                                                    /* 4 */
    "  shutdown_grace: 2s\n"                                                /* 5 */
    "  access_log: false\n"                                                 /* 6 */
    "timeouts:\n"                                                           /* 7 */
    "  connect: 250ms\n"                                                    /* 8 */
    "  first_byte: 2m\n"                                                    /* 9 */
    "  between_events: 1500\n"                                              /* 10 */
    "  total: 1h\n"                                                         /* 11 */
    "storage:\n"                                                            /* 12 */
    "  url: \"sqlite:///var/lib/seam/seam.db\"\n"                           /* 13 */
    "providers:\n"                                                          /* 14 */
    "  openai: { type: openai, api_key: \"env:SEAM_TEST_OPENAI_KEY\" }\n"   /* 15 */
    "  local:\n"                                                            /* 16 */
    "    type: openai\n"                                                    /* 17 */
    "    base_url: \"http://127.0.0.1:8000/v1//\"\n"                        /* 18 */
    "    api_key: file:key.txt\n"                                           /* 19 */
    "  mock: { type: mock, echo: false, latency: 20ms, chunk_delay: 1s }\n" /* 20 */
    "routes:\n"                                                             /* 21 */
    "  chat:\n"                                                             /* 22 */
    "    targets:\n"                                                        /* 23 */
    "      - { provider: local, model: llama-3.1-8b, weight: 90 }\n"        /* 24 */
    "      - provider: openai\n"                                            /* 25 */
    "        model: gpt-4o-mini\n"                                          /* 26 */
    "        weight: 10\n"                                                  /* 27 */
    "  embed:\n"                                                            /* 28 */
    "    targets: [ { provider: mock, model: meta/embed-1 } ]\n";           /* 29 */

static void test_full_file(void **state)
{
    setenv("SEAM_TEST_OPENAI_KEY", "sk-from-env", 1);
    write_file("key.txt", "sk-from-file\n");
    seam_config *cfg = load_ok(full_yaml);

    assert_string_equal(cfg->path, "seam.yaml");
    assert_string_equal(cfg->listen_host, "::1");
    assert_int_equal(cfg->listen_port, 9090);
    assert_int_equal(cfg->workers, 3);
    assert_int_equal(cfg->max_body, 512 * 1024);
    assert_int_equal(cfg->grace_ms, 2000);
    assert_int_equal(cfg->access_log, 0);
    assert_int_equal(cfg->connect_timeout_ms, 250);
    assert_int_equal(cfg->first_byte_timeout_ms, 120000);
    assert_int_equal(cfg->idle_timeout_ms, 1500);
    assert_int_equal(cfg->total_timeout_ms, 3600000);
    assert_string_equal(cfg->storage_url, "sqlite:///var/lib/seam/seam.db");

    assert_int_equal(cfg->nproviders, 3);
    const seam_provider_conf *p = &cfg->providers[0]; /* file order */
    assert_string_equal(p->name, "openai");
    assert_string_equal(p->type, "openai");
    assert_string_equal(p->base_url, "https://api.openai.com/v1");
    assert_string_equal(p->api_key, "sk-from-env");
    assert_int_equal(p->line, 15);
    p = &cfg->providers[1];
    assert_string_equal(p->name, "local");
    assert_string_equal(p->base_url, "http://127.0.0.1:8000/v1");
    assert_string_equal(p->api_key, "sk-from-file");
    assert_int_equal(p->line, 16);
    p = &cfg->providers[2];
    assert_string_equal(p->name, "mock");
    assert_string_equal(p->type, "mock");
    assert_null(p->base_url);
    assert_null(p->api_key);
    assert_int_equal(p->mock_echo, 0);
    assert_int_equal(p->mock_latency_ms, 20);
    assert_int_equal(p->mock_chunk_delay_ms, 1000);
    assert_int_equal(p->line, 20);

    assert_int_equal(cfg->nroutes, 2);
    const seam_route_conf *r = &cfg->routes[0];
    assert_string_equal(r->name, "chat");
    assert_int_equal(r->line, 22);
    assert_int_equal(r->ntargets, 2);
    assert_string_equal(r->targets[0].provider, "local");
    assert_string_equal(r->targets[0].model, "llama-3.1-8b");
    assert_int_equal(r->targets[0].weight, 90);
    assert_int_equal(r->targets[0].line, 24);
    assert_string_equal(r->targets[1].provider, "openai");
    assert_string_equal(r->targets[1].model, "gpt-4o-mini");
    assert_int_equal(r->targets[1].weight, 10);
    assert_int_equal(r->targets[1].line, 25);
    r = &cfg->routes[1];
    assert_string_equal(r->name, "embed");
    assert_int_equal(r->ntargets, 1);
    assert_string_equal(r->targets[0].model, "meta/embed-1"); /* '/' is fine in a model */
    assert_int_equal(r->targets[0].weight, 100);

    /* Lookups by name. */
    assert_ptr_equal(seam_config_provider(cfg, "mock"), &cfg->providers[2]);
    assert_ptr_equal(seam_config_provider(cfg, "openai"), &cfg->providers[0]);
    assert_null(seam_config_provider(cfg, "anthropic"));
    assert_null(seam_config_provider(cfg, NULL));
    assert_ptr_equal(seam_config_route(cfg, "embed"), &cfg->routes[1]);
    assert_ptr_equal(seam_config_route(cfg, "chat"), &cfg->routes[0]);
    assert_null(seam_config_route(cfg, "chat2"));
    assert_null(seam_config_route(cfg, "local/llama-3.1-8b"));

    seam_config_free(cfg);
    unsetenv("SEAM_TEST_OPENAI_KEY");
}

static void check_defaults(const seam_config *cfg)
{
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_int_equal(cfg->workers, online_cpus());
    assert_int_equal(cfg->max_body, 4 * 1024 * 1024);
    assert_int_equal(cfg->grace_ms, 10000);
    assert_int_equal(cfg->access_log, 1);
    assert_int_equal(cfg->connect_timeout_ms, 5000);
    assert_int_equal(cfg->first_byte_timeout_ms, 60000);
    assert_int_equal(cfg->idle_timeout_ms, 30000);
    assert_int_equal(cfg->total_timeout_ms, 600000);
    assert_string_equal(cfg->storage_url, "sqlite://./seam-data/seam.db");
}

static void test_defaults(void **state)
{
    /* An empty file, a file of comments and empty sections all mean defaults. */
    static const char *const minimal[] = {
        "",
        "# nothing yet\n",
        "server:\ntimeouts:\nstorage: {}\nproviders:\nroutes:\n",
        "server: { workers: auto }\nroutes: {}\n",
    };
    for (size_t i = 0; i < sizeof minimal / sizeof minimal[0]; i++) {
        seam_config *cfg = load_ok(minimal[i]);
        check_defaults(cfg);
        assert_int_equal(cfg->nproviders, 0);
        assert_int_equal(cfg->nroutes, 0);
        assert_null(seam_config_route(cfg, "chat"));
        assert_null(seam_config_provider(cfg, "mock"));
        seam_config_free(cfg);
    }

    /* Provider and target defaults. */
    seam_config *cfg = load_ok("providers:\n"
                               "  mock: { type: mock }\n"
                               "  up: { type: openai }\n"
                               "routes:\n"
                               "  chat: { targets: [ { provider: mock, model: echo } ] }\n");
    check_defaults(cfg);
    const seam_provider_conf *m = seam_config_provider(cfg, "mock");
    assert_non_null(m);
    assert_int_equal(m->mock_echo, 1);
    assert_int_equal(m->mock_latency_ms, 0);
    assert_int_equal(m->mock_chunk_delay_ms, 0);
    const seam_provider_conf *up = seam_config_provider(cfg, "up");
    assert_string_equal(up->base_url, "https://api.openai.com/v1");
    assert_null(up->api_key);
    assert_int_equal(cfg->routes[0].targets[0].weight, 100);
    seam_config_free(cfg);

    seam_config_free(NULL);
}

static void test_values(void **state)
{
    /* Accepted spellings of sizes, durations, booleans and listen. */
    seam_config *cfg = load_ok("server:\n"
                               "  listen: localhost:1\n"
                               "  max_body: 4M\n"
                               "  shutdown_grace: 0\n"
                               "  access_log: TRUE\n"
                               "  workers: 256\n"
                               "timeouts: { connect: 1, total: 24h }\n");
    assert_string_equal(cfg->listen_host, "localhost");
    assert_int_equal(cfg->listen_port, 1);
    assert_int_equal(cfg->max_body, 4 * 1024 * 1024);
    assert_int_equal(cfg->grace_ms, 0);
    assert_int_equal(cfg->access_log, 1);
    assert_int_equal(cfg->workers, 256);
    assert_int_equal(cfg->connect_timeout_ms, 1);
    assert_int_equal(cfg->total_timeout_ms, 24 * 3600 * 1000);
    seam_config_free(cfg);

    cfg = load_ok("server: { max_body: 256m, listen: \"0.0.0.0:65535\" }\n");
    assert_int_equal(cfg->max_body, 256 * 1024 * 1024);
    assert_string_equal(cfg->listen_host, "0.0.0.0");
    assert_int_equal(cfg->listen_port, 65535);
    seam_config_free(cfg);

    /* One target list shared through an alias. */
    cfg = load_ok("providers: { mock: { type: mock } }\n"
                  "routes:\n"
                  "  a: { targets: &t [ { provider: mock, model: echo } ] }\n"
                  "  b: { targets: *t }\n");
    assert_int_equal(cfg->nroutes, 2);
    assert_string_equal(seam_config_route(cfg, "b")->targets[0].model, "echo");
    seam_config_free(cfg);
}

/* ---- one test per kind of error ------------------------------------------ */

static void test_unknown_key(void **state)
{
    expect_err("server:\n"
               "  listen: 127.0.0.1:8080\n"
               "  listne: 127.0.0.1:8081\n",
               "seam.yaml:3: server.listne: unknown key (did you mean listen?)");
    expect_err("timeouts:\n  firstbyte: 1s\n",
               "seam.yaml:2: timeouts.firstbyte: unknown key (did you mean first_byte?)");
    expect_err("route:\n  chat: {}\n", "seam.yaml:1: route: unknown key (did you mean routes?)");
    expect_err("providers:\n  mock: { type: mock, ehco: true }\n",
               "seam.yaml:2: providers.mock.ehco: unknown key (did you mean echo?)");
    /* A key of another provider type is not close to any of this one's. */
    expect_err("providers:\n  mock: { type: mock, base_url: \"http://x\" }\n",
               "seam.yaml:2: providers.mock.base_url: unknown key (expected one of: type, echo, "
               "latency, chunk_delay, region, tier, max_inflight, breaker, health_check)");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat:\n"
               "    targets: [ { provider: m, model: x } ]\n"
               "    fallback: []\n",
               "seam.yaml:5: routes.chat.fallback: unknown key (did you mean fallbacks?)");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat:\n"
               "    targets: [ { provider: m, model: x } ]\n"
               "    mirror: {}\n",
               "seam.yaml:5: routes.chat.mirror: unknown key (expected one of: targets, fallbacks, "
               "balance, sticky, retry, overflow, shadow)");
    expect_err("storage: { path: x }\n",
               "seam.yaml:1: storage.path: unknown key (expected one of: url)");
}

static void test_bad_weight(void **state)
{
    static const char head[] = "server:\n"                              /* 1 */
                               "  listen: 127.0.0.1:8080\n"             /* 2 */
                               "providers:\n"                           /* 3 */
                               "  mock: { type: mock }\n"               /* 4 */
                               "  other: { type: mock, echo: false }\n" /* 5 */
                               "\n"                                     /* 6 */
                               "routes:\n"                              /* 7 */
                               "  chat:\n"                              /* 8 */
                               "    targets:\n"                         /* 9 */
                               "      - provider: mock\n"               /* 10 */
                               "        model: echo\n"                  /* 11 */
                               "      - provider: other\n"              /* 12 */
                               "        model: echo\n";                 /* 13 */
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s        weight: 101\n", head); /* 14 */
    expect_err(yaml, "seam.yaml:14: routes.chat.targets[1].weight: must be 0..100");
    snprintf(yaml, sizeof yaml, "%s        weight: -1\n", head);
    expect_err(yaml, "seam.yaml:14: routes.chat.targets[1].weight: must be 0..100");
    snprintf(yaml, sizeof yaml, "%s        weight: heavy\n", head);
    expect_err(yaml, "seam.yaml:14: routes.chat.targets[1].weight: must be 0..100");
    snprintf(yaml, sizeof yaml, "%s        weight: [1]\n", head);
    expect_err(yaml, "seam.yaml:14: routes.chat.targets[1].weight: must be a value, not a list");

    /* Weight 0 is allowed, but not on every target. */
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat:\n"
               "    targets: [ { provider: m, model: a, weight: 0 },\n"
               "               { provider: m, model: b, weight: 0 } ]\n",
               "seam.yaml:4: routes.chat.targets: at least one target needs a weight above 0");
    seam_config *cfg = load_ok("providers: { m: { type: mock } }\n"
                               "routes:\n"
                               "  chat:\n"
                               "    targets: [ { provider: m, model: a, weight: 0 },\n"
                               "               { provider: m, model: b, weight: 1 } ]\n");
    assert_int_equal(cfg->routes[0].targets[0].weight, 0);
    assert_int_equal(cfg->routes[0].targets[1].weight, 1);
    seam_config_free(cfg);
}

static void test_unknown_provider_in_target(void **state)
{
    /* routes may come before providers; the error is on the target's line. */
    expect_err("routes:\n"
               "  chat:\n"
               "    targets:\n"
               "      - { provider: mock, model: echo }\n"
               "      - { provider: opnai, model: gpt-4o }\n"
               "providers:\n"
               "  mock: { type: mock }\n"
               "  openai: { type: openai }\n",
               "seam.yaml:5: routes.chat.targets[1].provider: \"opnai\" is not a configured "
               "provider (did you mean openai?)");
    expect_err("routes:\n"
               "  chat: { targets: [ { provider: vllm, model: llama } ] }\n",
               "seam.yaml:2: routes.chat.targets[0].provider: \"vllm\" is not a configured "
               "provider");
}

static void test_missing_fields(void **state)
{
    expect_err("providers:\n"
               "  mock: { type: mock }\n"
               "  local:\n"
               "    base_url: http://127.0.0.1:8000/v1\n",
               "seam.yaml:3: providers.local.type: required (one of: openai, anthropic, gemini, "
               "azure-openai, bedrock, mock)");
    expect_err("providers:\n  local:\n", "seam.yaml:2: providers.local.type: required (one of: "
                                         "openai, anthropic, gemini, azure-openai, bedrock, mock)");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat:\n"
               "    targets:\n"
               "      - model: echo\n",
               "seam.yaml:5: routes.chat.targets[0].provider: required");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat: { targets: [ { provider: m } ] }\n",
               "seam.yaml:3: routes.chat.targets[0].model: required");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat: { targets: [ { provider: m, model: \"\" } ] }\n",
               "seam.yaml:3: routes.chat.targets[0].model: must not be empty");
    expect_err("routes:\n  chat:\n", "seam.yaml:2: routes.chat.targets: required");
    expect_err("routes:\n  chat: { targets: [] }\n",
               "seam.yaml:2: routes.chat.targets: needs at least one target");
    expect_err("routes:\n  chat:\n    targets:\n",
               "seam.yaml:3: routes.chat.targets: needs at least one target");
}

static void test_bad_provider_type(void **state)
{
    expect_err("providers:\n  a: { type: cohere }\n",
               "seam.yaml:2: providers.a.type: unknown type \"cohere\" (one of: openai, anthropic, "
               "gemini, azure-openai, bedrock, mock)");
    expect_err("providers:\n  a: { type: mok }\n",
               "seam.yaml:2: providers.a.type: unknown type \"mok\" (did you mean mock?)");
    expect_err("providers:\n  a: { type: [openai] }\n",
               "seam.yaml:2: providers.a.type: must be a value, not a list");
}

static void test_wrong_types(void **state)
{
    expect_err("server:\n  - listen: 1.2.3.4:5\n",
               "seam.yaml:2: server: must be a map, not a list");
    expect_err("providers: [ mock ]\n", "seam.yaml:1: providers: must be a map, not a list");
    expect_err("routes:\n  chat: { targets: { provider: m, model: x } }\n",
               "seam.yaml:2: routes.chat.targets: must be a list, not a map");
    expect_err("routes:\n  chat: { targets: [ m ] }\n",
               "seam.yaml:2: routes.chat.targets[0]: must be a map, not a string");
    expect_err("server:\n  listen: { host: x }\n",
               "seam.yaml:2: server.listen: must be a value, not a map");
    expect_err("server:\n  access_log: yes please\n",
               "seam.yaml:2: server.access_log: must be true or false");
    expect_err("- server\n",
               "seam.yaml:1: the top level must be a map of sections (server, timeouts, storage, "
               "providers, routes, tenants), not a list");
    expect_err("server:\n  listen: ::1:8080\n",
               "seam.yaml:2: server.listen: write an IPv6 address in brackets, e.g. [::1]:8080");
    expect_err("server:\n  listen: 8080\n",
               "seam.yaml:2: server.listen: must be host:port, e.g. 127.0.0.1:8080 or "
               "[::1]:8080");
    expect_err("server:\n  listen: localhost:http\n",
               "seam.yaml:2: server.listen: the port must be 1..65535");
    expect_err("server:\n  listen: localhost:65536\n",
               "seam.yaml:2: server.listen: the port must be 1..65535");
    expect_err("providers:\n  up: { type: openai, base_url: api.openai.com/v1 }\n",
               "seam.yaml:2: providers.up.base_url: must start with http:// or https://");
    expect_err("providers:\n  up: { type: openai, base_url: \"https:///\" }\n",
               "seam.yaml:2: providers.up.base_url: needs a host after https://");
    expect_err("storage:\n  url: ./seam.db\n",
               "seam.yaml:2: storage.url: must be a URL like sqlite://./seam-data/seam.db");
    expect_err("server:\n  {a: 1}: 2\n",
               "seam.yaml:2: server: keys must be plain strings, not a map");
    expect_err("a: 1\n---\nb: 2\n", "seam.yaml:3: only one YAML document is allowed");
}

static void test_secret_literal_refused(void **state)
{
    char err[512] = "";
    seam_config *cfg = NULL;
    expect_err("providers:\n"
               "  openai:\n"
               "    type: openai\n"
               "    api_key: sk-live-0123456789abcdef\n",
               "seam.yaml:4: providers.openai.api_key: write env:NAME or file:PATH, not the "
               "secret itself");
    /* Not even a prefix of it leaks into the message. */
    assert_int_equal(seam_config_load("seam.yaml", &cfg, err, sizeof err), -1);
    assert_null(strstr(err, "sk-live"));
    expect_err("providers:\n  openai: { type: openai, api_key: \"env:\" }\n",
               "seam.yaml:2: providers.openai.api_key: env: needs a variable name, e.g. "
               "env:OPENAI_API_KEY");
}

/* seam keys needs storage.url, not the providers' secrets. */
static void test_no_secrets_flag(void **state)
{
    unsetenv("SEAM_TEST_NO_SUCH_KEY");
    expect_err("providers:\n  openai: { type: openai, api_key: env:SEAM_TEST_NO_SUCH_KEY }\n",
               "seam.yaml:2: providers.openai.api_key: environment variable "
               "SEAM_TEST_NO_SUCH_KEY is not set");
    char err[512];
    seam_config *cfg = NULL;
    assert_int_equal(
        seam_config_load_flags("seam.yaml", SEAM_CONFIG_NO_SECRETS, &cfg, err, sizeof err), 0);
    assert_null(seam_config_provider(cfg, "openai")->api_key);
    seam_config_free(cfg);
    /* a literal secret is still refused */
    write_file("seam.yaml", "providers:\n  openai: { type: openai, api_key: sk-live-123 }\n");
    assert_int_equal(
        seam_config_load_flags("seam.yaml", SEAM_CONFIG_NO_SECRETS, &cfg, err, sizeof err), -1);
    assert_string_equal(err, "seam.yaml:2: providers.openai.api_key: write env:NAME or file:PATH, "
                             "not the secret itself");
}

static void test_env_secret_missing(void **state)
{
    unsetenv("SEAM_TEST_NO_SUCH_KEY");
    expect_err("providers:\n  openai: { type: openai, api_key: env:SEAM_TEST_NO_SUCH_KEY }\n",
               "seam.yaml:2: providers.openai.api_key: environment variable "
               "SEAM_TEST_NO_SUCH_KEY is not set");
    setenv("SEAM_TEST_EMPTY_KEY", "", 1);
    expect_err("providers:\n  openai: { type: openai, api_key: env:SEAM_TEST_EMPTY_KEY }\n",
               "seam.yaml:2: providers.openai.api_key: environment variable "
               "SEAM_TEST_EMPTY_KEY is empty");
    setenv("SEAM_TEST_EMPTY_KEY", "sk-secret\r\nX-Injected: 1", 1);
    char err[512];
    seam_config *cfg = NULL;
    expect_err("providers:\n  openai: { type: openai, api_key: env:SEAM_TEST_EMPTY_KEY }\n",
               "seam.yaml:2: providers.openai.api_key: environment variable "
               "SEAM_TEST_EMPTY_KEY contains a control character");
    assert_int_equal(seam_config_load("seam.yaml", &cfg, err, sizeof err), -1);
    assert_null(strstr(err, "sk-secret"));
    unsetenv("SEAM_TEST_EMPTY_KEY");
}

static void test_file_secret(void **state)
{
    /* Trailing newlines (also CRLF) are not part of the key. */
    write_file("key.txt", "sk-in-a-file\r\n\n");
    seam_config *cfg = load_ok("providers:\n  up: { type: openai, api_key: file:key.txt }\n");
    assert_string_equal(cfg->providers[0].api_key, "sk-in-a-file");
    seam_config_free(cfg);

    char abs[PATH_MAX + 16];
    snprintf(abs, sizeof abs, "%s/key.txt", tmpdir);
    write_file("key.txt", "sk-no-newline");
    char yaml[PATH_MAX + 128];
    snprintf(yaml, sizeof yaml, "providers:\n  up: { type: openai, api_key: \"file:%s\" }\n", abs);
    cfg = load_ok(yaml);
    assert_string_equal(cfg->providers[0].api_key, "sk-no-newline");
    seam_config_free(cfg);

    expect_err("providers:\n  up: { type: openai, api_key: file:missing.txt }\n",
               "seam.yaml:2: providers.up.api_key: cannot open missing.txt: No such file or "
               "directory");
    write_file("empty.txt", "\n");
    expect_err("providers:\n  up: { type: openai, api_key: file:empty.txt }\n",
               "seam.yaml:2: providers.up.api_key: empty.txt is empty");
    write_file("key.txt", "sk-first\nsk-second\n");
    expect_err("providers:\n  up: { type: openai, api_key: file:key.txt }\n",
               "seam.yaml:2: providers.up.api_key: key.txt contains a control character");
    char *big = malloc(70 * 1024);
    assert_non_null(big);
    memset(big, 'k', 70 * 1024 - 1);
    big[70 * 1024 - 1] = '\0';
    write_file("big.txt", big);
    free(big);
    expect_err("providers:\n  up: { type: openai, api_key: file:big.txt }\n",
               "seam.yaml:2: providers.up.api_key: big.txt is larger than 64 KiB");
    expect_err("providers:\n  up: { type: openai, api_key: \"file:\" }\n",
               "seam.yaml:2: providers.up.api_key: file: needs a path, e.g. "
               "file:/run/secrets/openai");
}

/* ca_file: a readable file, for an https base_url, on HTTP provider types. */
static void test_ca_file(void **state)
{
    write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    write_file("seam.yaml",
               "providers:\n"
               "  a: { type: anthropic, ca_file: ca.pem }\n"
               "  b: { type: openai, base_url: \"https://10.0.0.5:8443/v1\", ca_file: ca.pem }\n");
    char err[512] = "";
    seam_config *cfg = NULL;
    assert_int_equal(seam_config_load("seam.yaml", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->providers[0].ca_file, "ca.pem");
    assert_string_equal(cfg->providers[1].ca_file, "ca.pem");
    seam_config_free(cfg);
    expect_err(
        "providers:\n  a: { type: openai, ca_file: no-such.pem }\n",
        "seam.yaml:2: providers.a.ca_file: cannot read no-such.pem: No such file or directory");
    expect_err(
        "providers:\n  a: { type: openai, base_url: \"http://10.0.0.5/v1\", ca_file: ca.pem }\n",
        "seam.yaml:2: providers.a.ca_file: applies to an https:// base_url only (this one "
        "is http://10.0.0.5/v1)");
    expect_err("providers:\n  a: { type: mock, ca_file: ca.pem }\n",
               "seam.yaml:2: providers.a.ca_file: unknown key (expected one of: type, echo, "
               "latency, chunk_delay, region, tier, max_inflight, breaker, health_check)");
}

static void test_bad_duration(void **state)
{
    expect_err("timeouts:\n  connect: 5x\n",
               "seam.yaml:2: timeouts.connect: must be a duration like 250ms, 10s or 2m (a "
               "plain number is ms)");
    expect_err("timeouts:\n  total: 1.5s\n",
               "seam.yaml:2: timeouts.total: must be a duration like 250ms, 10s or 2m (a plain "
               "number is ms)");
    expect_err("server:\n  shutdown_grace: -1s\n",
               "seam.yaml:2: server.shutdown_grace: must be a duration like 250ms, 10s or 2m (a "
               "plain number is ms)");
    expect_err("timeouts:\n  first_byte: 0s\n",
               "seam.yaml:2: timeouts.first_byte: must be greater than 0");
    expect_err("timeouts:\n  between_events: 25h\n",
               "seam.yaml:2: timeouts.between_events: must be at most 24h");
    expect_err("timeouts:\n  between_events: 99999999999999999999999s\n",
               "seam.yaml:2: timeouts.between_events: must be a duration like 250ms, 10s or 2m "
               "(a plain number is ms)");
    expect_err("providers:\n  m: { type: mock, latency: soon }\n",
               "seam.yaml:2: providers.m.latency: must be a duration like 250ms, 10s or 2m (a "
               "plain number is ms)");
    expect_err("timeouts:\n  connect:\n", "seam.yaml:2: timeouts.connect: needs a value");
}

static void test_bad_size(void **state)
{
    expect_err("server:\n  max_body: 4q\n",
               "seam.yaml:2: server.max_body: must be a size like 512k, 4m or 1048576");
    expect_err("server:\n  max_body: 4mb\n",
               "seam.yaml:2: server.max_body: must be a size like 512k, 4m or 1048576");
    expect_err("server:\n  max_body: 257m\n", "seam.yaml:2: server.max_body: must be 1..256m");
    expect_err("server:\n  max_body: 1g\n", "seam.yaml:2: server.max_body: must be 1..256m");
    expect_err("server:\n  max_body: 0\n", "seam.yaml:2: server.max_body: must be 1..256m");
    expect_err("server:\n  max_body: 99999999999999999999k\n",
               "seam.yaml:2: server.max_body: must be a size like 512k, 4m or 1048576");
}

static void test_duplicate_key(void **state)
{
    expect_err("server:\n"
               "  listen: 127.0.0.1:8080\n"
               "  workers: 2\n"
               "  listen: 127.0.0.1:8081\n",
               "seam.yaml:4: server.listen: duplicate key (first on line 2)");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat: { targets: [ { provider: m, model: a } ] }\n"
               "  embed: { targets: [ { provider: m, model: b } ] }\n"
               "  chat: { targets: [ { provider: m, model: c } ] }\n",
               "seam.yaml:5: routes.chat: duplicate key (first on line 3)");
    expect_err("server: {}\nserver: {}\n", "seam.yaml:2: server: duplicate key (first on line 1)");
}

static void test_yaml_syntax_error(void **state)
{
    expect_err("server:\n"
               "  listen: 127.0.0.1:8080\n"
               " workers: 2\n",
               "seam.yaml:3: invalid YAML: did not find expected key (while parsing a block "
               "mapping on line 1)");
    expect_err("routes: [ chat\n",
               "seam.yaml:2: invalid YAML: did not find expected ',' or ']' (while parsing a "
               "flow sequence on line 1)");
    expect_err("server:\n\tlisten: x\n",
               "seam.yaml:2: invalid YAML: found character that cannot start any token (while "
               "scanning for the next token on line 2)");
    expect_err("server: *nope\n", "seam.yaml:1: invalid YAML: found undefined alias");
}

static void test_missing_file(void **state)
{
    char err[256];
    seam_config *cfg = (seam_config *)&err;
    assert_int_equal(seam_config_load("nowhere.yaml", &cfg, err, sizeof err), -1);
    assert_null(cfg);
    assert_string_equal(err, "nowhere.yaml: cannot open: No such file or directory");
    assert_int_equal(seam_config_load(".", &cfg, err, sizeof err), -1);
    assert_string_equal(err, ".: cannot read: Is a directory");
    /* A short err buffer is cut, still terminated. */
    char tiny[8];
    assert_int_equal(seam_config_load("nowhere.yaml", &cfg, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "nowhere");
}

static void test_bad_names(void **state)
{
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat/v2: { targets: [ { provider: m, model: x } ] }\n",
               "seam.yaml:3: routes.chat/v2: route names must not contain '/' (a '/' in a model "
               "name means provider/model)");
    expect_err("routes:\n  \"\": { targets: [ { provider: m, model: x } ] }\n",
               "seam.yaml:2: routes.\"\": route names must not be empty");
    expect_err("providers:\n  a/b: { type: mock }\n",
               "seam.yaml:2: providers.a/b: provider names must not contain '/' (a '/' in a "
               "model name means provider/model)");
}

static void test_workers_range(void **state)
{
    expect_err("server:\n  workers: 0\n", "seam.yaml:2: server.workers: must be auto or 1..256");
    expect_err("server:\n  workers: 257\n", "seam.yaml:2: server.workers: must be auto or 1..256");
    expect_err("server:\n  workers: many\n", "seam.yaml:2: server.workers: must be auto or 1..256");
    seam_config *cfg = load_ok("server:\n  workers: auto\n");
    assert_int_equal(cfg->workers, online_cpus());
    seam_config_free(cfg);
}

/* ---- providers: region, tier, max_inflight, breaker ----------------------- */

static void check_breaker_defaults(const seam_breaker_conf *b)
{
    assert_int_equal(b->failures, 5);
    assert_int_equal(b->error_rate_pct, 0);
    assert_int_equal(b->min_requests, 20);
    assert_int_equal(b->window_ms, 10000);
    assert_int_equal(b->cooldown_ms, 10000);
}

static void test_provider_routing_defaults(void **state)
{
    seam_config *cfg = load_ok("providers:\n"
                               "  up: { type: openai }\n"
                               "  m: { type: mock, breaker: }\n"
                               "  a: { type: anthropic, breaker: {} }\n");
    for (size_t i = 0; i < cfg->nproviders; i++) {
        const seam_provider_conf *p = &cfg->providers[i];
        assert_null(p->region);
        assert_int_equal(p->tier, SEAM_TIER_VENDOR);
        assert_int_equal(p->max_inflight, 0);
        check_breaker_defaults(&p->breaker);
    }
    seam_config_free(cfg);
}

static const char provider_keys_yaml[] =
    "providers:\n"                                /* 1 */
    "  local:\n"                                  /* 2 */
    "    type: openai\n"                          /* 3 */
    "    base_url: \"http://10.0.0.5:8000/v1\"\n" /* 4 */
    "    region: on-prem-fra\n"                   /* 5 */
    "    tier: private\n"                         /* 6 */
    "    max_inflight: 64\n"                      /* 7 */
    "    breaker:\n"                              /* 8 */
    "      failures: 0\n"                         /* 9 */
    "      error_rate: 50%\n"                     /* 10 */
    "      min_requests: 100000\n"                /* 11 */
    "      window: 30s\n"                         /* 12 */
    "      cooldown: 1m\n"                        /* 13 */
    "  claude: { type: anthropic, region: eu, tier: vendor, max_inflight: 1000000,\n"
    "            breaker: { error_rate: 100, failures: 1000, min_requests: 1 } }\n"
    "  gem: { type: gemini, region: us, max_inflight: 1, breaker: { error_rate: \"1%\" } }\n"
    "  az: { type: azure-openai, base_url: \"https://r.openai.azure.com\", region: eu-west-1 }\n"
    "  m: { type: mock, tier: private, breaker: { window: 1, cooldown: 1ms } }\n";

static void test_provider_routing_keys(void **state)
{
    seam_config *cfg = load_ok(provider_keys_yaml);
    const seam_provider_conf *p = seam_config_provider(cfg, "local");
    assert_string_equal(p->region, "on-prem-fra");
    assert_int_equal(p->tier, SEAM_TIER_PRIVATE);
    assert_int_equal(p->max_inflight, 64);
    assert_int_equal(p->breaker.failures, 0);
    assert_int_equal(p->breaker.error_rate_pct, 50);
    assert_int_equal(p->breaker.min_requests, 100000);
    assert_int_equal(p->breaker.window_ms, 30000);
    assert_int_equal(p->breaker.cooldown_ms, 60000);

    p = seam_config_provider(cfg, "claude");
    assert_string_equal(p->region, "eu");
    assert_int_equal(p->tier, SEAM_TIER_VENDOR);
    assert_int_equal(p->max_inflight, 1000000);
    assert_int_equal(p->breaker.error_rate_pct, 100);
    assert_int_equal(p->breaker.failures, 1000);
    assert_int_equal(p->breaker.min_requests, 1);
    assert_int_equal(p->breaker.window_ms, 10000); /* the rest keep their defaults */

    p = seam_config_provider(cfg, "gem");
    assert_string_equal(p->region, "us");
    assert_int_equal(p->max_inflight, 1);
    assert_int_equal(p->breaker.error_rate_pct, 1);
    assert_int_equal(p->breaker.failures, 5);

    p = seam_config_provider(cfg, "az");
    assert_string_equal(p->region, "eu-west-1");
    assert_int_equal(p->tier, SEAM_TIER_VENDOR);

    p = seam_config_provider(cfg, "m");
    assert_null(p->region);
    assert_int_equal(p->tier, SEAM_TIER_PRIVATE);
    assert_int_equal(p->breaker.window_ms, 1);
    assert_int_equal(p->breaker.cooldown_ms, 1);
    assert_int_equal(p->breaker.min_requests, 20);
    seam_config_free(cfg);
}

static void test_health_check_keys(void **state)
{
    seam_config *cfg =
        load_ok("providers:\n"
                "  none: { type: openai }\n"
                "  dflt: { type: openai, base_url: \"http://h:1/v1\", health_check: {} }\n"
                "  vllm:\n"
                "    type: openai\n"
                "    base_url: \"http://h:8000/v1\"\n"
                "    health_check: { path: /health, interval: 5s, timeout: 500ms,\n"
                "                    unhealthy: 3, healthy: 2 }\n");
    const seam_health_check_conf *h = &seam_config_provider(cfg, "none")->health_check;
    assert_null(h->path);
    h = &seam_config_provider(cfg, "dflt")->health_check;
    assert_string_equal(h->path, "/models");
    assert_int_equal(h->interval_ms, 10000);
    assert_int_equal(h->timeout_ms, 2000);
    assert_int_equal(h->unhealthy, 2);
    assert_int_equal(h->healthy, 1);
    h = &seam_config_provider(cfg, "vllm")->health_check;
    assert_string_equal(h->path, "/health");
    assert_int_equal(h->interval_ms, 5000);
    assert_int_equal(h->timeout_ms, 500);
    assert_int_equal(h->unhealthy, 3);
    assert_int_equal(h->healthy, 2);
    seam_config_free(cfg);

    expect_err("providers:\n  v: { type: openai, health_check: { path: health } }\n",
               "seam.yaml:2: providers.v.health_check.path: must be a path starting with '/', "
               "e.g. /health");
    expect_err("providers:\n  v: { type: openai, health_check: { unhealthy: 0 } }\n",
               "seam.yaml:2: providers.v.health_check.unhealthy: must be 1..100");
    expect_err("providers:\n  v: { type: openai, health_check: { interval: 0 } }\n",
               "seam.yaml:2: providers.v.health_check.interval: must be greater than 0");
    expect_err("providers:\n  m: { type: mock, health_check: {} }\n",
               "seam.yaml:2: providers.m: health_check: a provider of type mock has no base_url "
               "to check");
}

/* A variable of the environment, put back as it was by env_restore(). */
struct saved_env {
    const char *name;
    char *value; /* NULL: was not set */
};

static void env_save(struct saved_env *e, const char *name)
{
    const char *v = getenv(name);
    e->name = name;
    e->value = v ? strdup(v) : NULL;
}

static void env_restore(struct saved_env *e)
{
    if (e->value)
        setenv(e->name, e->value, 1);
    else
        unsetenv(e->name);
    free(e->value);
}

/* bedrock's region comes from the environment at load, so that residency
 * rules see it; no other type reads the environment for it. */
static void test_bedrock_region_from_env(void **state)
{
    struct saved_env r, dr;
    env_save(&r, "AWS_REGION");
    env_save(&dr, "AWS_DEFAULT_REGION");
    static const char yaml[] = "providers:\n"
                               "  aws: { type: bedrock }\n"
                               "  pinned: { type: bedrock, region: us-west-2 }\n"
                               "  up: { type: openai }\n";

    setenv("AWS_REGION", "eu-central-1", 1);
    setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
    seam_config *cfg = load_ok(yaml);
    assert_string_equal(seam_config_provider(cfg, "aws")->region, "eu-central-1");
    assert_string_equal(seam_config_provider(cfg, "pinned")->region, "us-west-2");
    assert_null(seam_config_provider(cfg, "up")->region);
    /* A copy: changing the environment later changes nothing. */
    setenv("AWS_REGION", "ap-south-1", 1);
    assert_string_equal(seam_config_provider(cfg, "aws")->region, "eu-central-1");
    seam_config_free(cfg);

    unsetenv("AWS_REGION");
    cfg = load_ok(yaml);
    assert_string_equal(seam_config_provider(cfg, "aws")->region, "eu-west-3");
    seam_config_free(cfg);

    setenv("AWS_REGION", "", 1); /* empty counts as not set */
    cfg = load_ok(yaml);
    assert_string_equal(seam_config_provider(cfg, "aws")->region, "eu-west-3");
    seam_config_free(cfg);

    /* Neither: still loads; the adapter refuses to start without one. */
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    cfg = load_ok(yaml);
    assert_null(seam_config_provider(cfg, "aws")->region);
    assert_string_equal(seam_config_provider(cfg, "pinned")->region, "us-west-2");
    seam_config_free(cfg);

    env_restore(&r);
    env_restore(&dr);
}

static void test_provider_routing_errors(void **state)
{
    expect_err("providers:\n  up: { type: openai, tier: public }\n",
               "seam.yaml:2: providers.up.tier: unknown tier \"public\" (one of: private, "
               "vendor)");
    expect_err("providers:\n  up: { type: openai, tier: privat }\n",
               "seam.yaml:2: providers.up.tier: unknown tier \"privat\" (did you mean private?)");
    expect_err("providers:\n  up: { type: openai, tier: [private] }\n",
               "seam.yaml:2: providers.up.tier: must be a value, not a list");
    expect_err("providers:\n  up: { type: openai, teir: private }\n",
               "seam.yaml:2: providers.up.teir: unknown key (did you mean tier?)");
    expect_err("providers:\n  up: { type: openai, max_inflight: 0 }\n",
               "seam.yaml:2: providers.up.max_inflight: must be 1..1000000");
    expect_err("providers:\n  up: { type: openai, max_inflight: 1000001 }\n",
               "seam.yaml:2: providers.up.max_inflight: must be 1..1000000");
    expect_err("providers:\n  up: { type: openai, max_inflight: unlimited }\n",
               "seam.yaml:2: providers.up.max_inflight: must be 1..1000000");
    expect_err("providers:\n  up: { type: openai, max_inflight: }\n",
               "seam.yaml:2: providers.up.max_inflight: needs a value");
    expect_err("providers:\n  up: { type: openai, region: \"eu,us\" }\n",
               "seam.yaml:2: providers.up.region: must be one region name, without ','");
    expect_err("providers:\n  up: { type: openai, region: \"\" }\n",
               "seam.yaml:2: providers.up.region: must not be empty");
    expect_err("providers:\n  up: { type: openai, region: \"eu\\tx\" }\n",
               "seam.yaml:2: providers.up.region: must not contain control characters");
    expect_err("providers:\n  aws: { type: bedrock, region: \"us,eu\" }\n",
               "seam.yaml:2: providers.aws.region: must be one region name, without ','");

    static const char head[] = "providers:\n"           /* 1 */
                               "  up:\n"                /* 2 */
                               "    type: mock\n"       /* 3 */
                               "    breaker:\n"         /* 4 */
                               "      # tuned below\n"; /* 5 */
    static const struct {
        const char *line6, *want;
    } cases[] = {
        {"failures: 1001", "providers.up.breaker.failures: must be 0..1000"},
        {"failures: -1", "providers.up.breaker.failures: must be 0..1000"},
        {"error_rate: 0", "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"error_rate: 0%",
         "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"error_rate: 101%",
         "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"error_rate: 50%%",
         "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"error_rate: 0.5",
         "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"error_rate: \"50 %\"",
         "providers.up.breaker.error_rate: must be a percentage 1..100, like 50%"},
        {"min_requests: 0", "providers.up.breaker.min_requests: must be 1..100000"},
        {"min_requests: 100001", "providers.up.breaker.min_requests: must be 1..100000"},
        {"window: 0", "providers.up.breaker.window: must be greater than 0"},
        {"cooldown: 0s", "providers.up.breaker.cooldown: must be greater than 0"},
        {"cooldown: 25h", "providers.up.breaker.cooldown: must be at most 24h"},
        {"cooldown: soon", "providers.up.breaker.cooldown: must be a duration like 250ms, 10s or "
                           "2m (a plain number is ms)"},
        {"failure: 3", "providers.up.breaker.failure: unknown key (did you mean failures?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256], want[256];
        snprintf(yaml, sizeof yaml, "%s      %s\n", head, cases[i].line6);
        snprintf(want, sizeof want, "seam.yaml:6: %s", cases[i].want);
        expect_err(yaml, want);
    }
    expect_err(
        "providers:\n  up:\n    type: mock\n    breaker:\n      failures: 3\n      failures: 4\n",
        "seam.yaml:6: providers.up.breaker.failures: duplicate key (first on line 5)");
    expect_err("providers:\n  up: { type: openai, breaker: [ 5 ] }\n",
               "seam.yaml:2: providers.up.breaker: must be a map, not a list");
    expect_err("providers:\n  up: { type: openai, breaker: off }\n",
               "seam.yaml:2: providers.up.breaker: must be a map, not a string");
}

/* ---- routes: fallbacks, sticky, balance, retry, overflow, shadow ---------- */

static void test_route_routing_defaults(void **state)
{
    seam_config *cfg = load_ok("providers: { m: { type: mock } }\n"
                               "routes:\n"
                               "  a: { targets: [ { provider: m, model: x } ] }\n"
                               "  b:\n"
                               "    targets: [ { provider: m, model: x } ]\n"
                               "    fallbacks:\n"
                               "    retry:\n"
                               "    overflow:\n"
                               "    shadow:\n"
                               "  c: { targets: [ { provider: m, model: x } ], fallbacks: [], "
                               "retry: {} }\n");
    assert_int_equal(cfg->nroutes, 3);
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const seam_route_conf *r = &cfg->routes[i];
        assert_null(r->fallbacks);
        assert_int_equal(r->nfallbacks, 0);
        assert_int_equal(r->sticky, 0);
        assert_int_equal(r->balance, SEAM_BALANCE_WEIGHTED);
        assert_int_equal(r->retry.attempts, 3);
        assert_int_equal(r->retry.per_target, 2);
        assert_int_equal(r->retry.backoff_ms, 100);
        assert_int_equal(r->retry.max_backoff_ms, 2000);
        assert_int_equal(r->retry.on, SEAM_RETRY_DEFAULT_ON);
        assert_null(r->overflow);
        assert_int_equal(r->overflow_wait_ms, 0);
        assert_null(r->shadow);
        assert_true(r->shadow_sample == 1.0);
    }
    assert_int_equal(SEAM_RETRY_DEFAULT_ON, SEAM_RETRY_CONNECT | SEAM_RETRY_TIMEOUT |
                                                SEAM_RETRY_RESET | SEAM_RETRY_429 | SEAM_RETRY_5XX |
                                                SEAM_RETRY_FULL);
    seam_config_free(cfg);
}

static const char route_keys_yaml[] =
    "routes:\n"                                                              /* 1 */
    "  chat:\n"                                                              /* 2 */
    "    targets:\n"                                                         /* 3 */
    "      - { provider: local, model: llama, weight: 90 }\n"                /* 4 */
    "      - { provider: openai, model: gpt-4o-mini, weight: 10 }\n"         /* 5 */
    "    fallbacks:\n"                                                       /* 6 */
    "      - { provider: claude, model: claude-haiku }\n"                    /* 7 */
    "      - provider: openai\n"                                             /* 8 */
    "        model: gpt-4o\n"                                                /* 9 */
    "    sticky: true\n"                                                     /* 10 */
    "    balance: weighted\n"                                                /* 11 */
    "    retry:\n"                                                           /* 12 */
    "      attempts: 10\n"                                                   /* 13 */
    "      per_target: 1\n"                                                  /* 14 */
    "      backoff: 0\n"                                                     /* 15 */
    "      max_backoff: 0\n"                                                 /* 16 */
    "      on: [ connect, 429, 5xx ]\n"                                      /* 17 */
    "    overflow:\n"                                                        /* 18 */
    "      provider: openai\n"                                               /* 19 */
    "      model: gpt-4o-mini\n"                                             /* 20 */
    "      wait: 250ms\n"                                                    /* 21 */
    "    shadow: { provider: claude, model: claude-sonnet, sample: 0.05 }\n" /* 22 */
    "  fast:\n"                                                              /* 23 */
    "    targets: [ { provider: local, model: llama } ]\n"                   /* 24 */
    "    balance: latency\n"                                                 /* 25 */
    "    sticky: false\n"                                                    /* 26 */
    "    retry: { on: [], backoff: 1s, attempts: 1, per_target: 10 }\n"      /* 27 */
    "    overflow: { provider: claude, model: claude-haiku }\n"              /* 28 */
    "    shadow: { provider: openai, model: gpt-4o, sample: 5% }\n"          /* 29 */
    "providers:\n"                                                           /* 30 */
    "  local: { type: openai, base_url: \"http://127.0.0.1:8000/v1\", max_inflight: 8 }\n"
    "  openai: { type: openai }\n"
    "  claude: { type: anthropic }\n";

static void test_route_routing_keys(void **state)
{
    seam_config *cfg = load_ok(route_keys_yaml);
    const seam_route_conf *r = seam_config_route(cfg, "chat");
    assert_int_equal(r->nfallbacks, 2);
    assert_string_equal(r->fallbacks[0].provider, "claude");
    assert_string_equal(r->fallbacks[0].model, "claude-haiku");
    assert_int_equal(r->fallbacks[0].line, 7);
    assert_string_equal(r->fallbacks[1].provider, "openai");
    assert_string_equal(r->fallbacks[1].model, "gpt-4o");
    assert_int_equal(r->fallbacks[1].line, 8);
    assert_int_equal(r->fallbacks[1].weight, 100);
    assert_int_equal(r->sticky, 1);
    assert_int_equal(r->balance, SEAM_BALANCE_WEIGHTED);
    assert_int_equal(r->retry.attempts, 10);
    assert_int_equal(r->retry.per_target, 1);
    assert_int_equal(r->retry.backoff_ms, 0);
    assert_int_equal(r->retry.max_backoff_ms, 0);
    assert_int_equal(r->retry.on, SEAM_RETRY_CONNECT | SEAM_RETRY_429 | SEAM_RETRY_5XX);
    assert_non_null(r->overflow);
    assert_string_equal(r->overflow->provider, "openai");
    assert_string_equal(r->overflow->model, "gpt-4o-mini");
    assert_int_equal(r->overflow->weight, 100);
    assert_int_equal(r->overflow->line, 18);
    assert_int_equal(r->overflow_wait_ms, 250);
    assert_non_null(r->shadow);
    assert_string_equal(r->shadow->provider, "claude");
    assert_string_equal(r->shadow->model, "claude-sonnet");
    assert_int_equal(r->shadow->line, 22);
    assert_true(r->shadow_sample == 0.05);

    r = seam_config_route(cfg, "fast");
    assert_int_equal(r->nfallbacks, 0);
    assert_int_equal(r->balance, SEAM_BALANCE_LATENCY);
    assert_int_equal(r->sticky, 0);
    assert_int_equal(r->retry.on, 0); /* never retry or fall back */
    assert_int_equal(r->retry.backoff_ms, 1000);
    assert_int_equal(r->retry.max_backoff_ms, 2000);
    assert_int_equal(r->retry.attempts, 1);
    assert_int_equal(r->retry.per_target, 10);
    assert_string_equal(r->overflow->provider, "claude");
    assert_int_equal(r->overflow_wait_ms, 0);
    assert_true(r->shadow_sample == 0.05);
    seam_config_free(cfg);

    /* Every reason by name, in any order, repeats harmless. */
    cfg = load_ok("providers: { m: { type: mock } }\n"
                  "routes:\n"
                  "  a:\n"
                  "    targets: [ { provider: m, model: x } ]\n"
                  "    retry: { on: [ full, 5xx, \"429\", reset, timeout, connect, 5xx ], "
                  "backoff: 2s, max_backoff: 2s }\n");
    assert_int_equal(cfg->routes[0].retry.on, SEAM_RETRY_DEFAULT_ON);
    assert_int_equal(cfg->routes[0].retry.backoff_ms, 2000);
    seam_config_free(cfg);
}

/* shadow.sample: a number 0..1 or a percentage, read the same in any locale. */
static void test_shadow_sample(void **state)
{
    static const struct {
        const char *text;
        double want;
    } ok[] = {
        {"0", 0},        {"1", 1},         {"0.5", 0.5},          {"0.05", 0.05},
        {"1.000", 1},    {"5%", 0.05},     {"100%", 1},           {"0%", 0},
        {"2.5%", 0.025}, {"\"10%\"", 0.1}, {"0.000000001", 1e-9}, {"0.333", 0.333},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "providers: { m: { type: mock } }\n"
                 "routes:\n"
                 "  a:\n"
                 "    targets: [ { provider: m, model: x } ]\n"
                 "    shadow: { provider: m, model: y, sample: %s }\n",
                 ok[i].text);
        seam_config *cfg = load_ok(yaml);
        if (cfg->routes[0].shadow_sample != ok[i].want)
            fail_msg("%s read as %.17g", ok[i].text, cfg->routes[0].shadow_sample);
        seam_config_free(cfg);
    }
    static const char *const bad[] = {
        "1.5",     "101%", ".5",   "5.",      "-0.1", "0.0000000001",
        "\"5 %\"", "1e-2", "half", "\"0,5\"", "50%%", "\"%\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "providers: { m: { type: mock } }\n"
                 "routes:\n"
                 "  a:\n"
                 "    targets: [ { provider: m, model: x } ]\n"
                 "    shadow: { provider: m, model: y, sample: %s }\n",
                 bad[i]);
        expect_err(yaml, "seam.yaml:5: routes.a.shadow.sample: must be 0..1 (like 0.05) or a "
                         "percentage (like 5%)");
    }
}

static void test_route_routing_errors(void **state)
{
    static const char head[] = "providers:\n"                                  /* 1 */
                               "  m: { type: mock, max_inflight: 4 }\n"        /* 2 */
                               "  n: { type: mock }\n"                         /* 3 */
                               "routes:\n"                                     /* 4 */
                               "  chat:\n"                                     /* 5 */
                               "    targets: [ { provider: m, model: x } ]\n"; /* 6 */
    static const struct {
        const char *tail; /* from line 7 */
        const char *want;
    } cases[] = {
        /* fallbacks */
        {"    fallbacks:\n      - { provider: n, model: y, weight: 50 }\n",
         "seam.yaml:8: routes.chat.fallbacks[0].weight: not allowed in fallbacks (they are tried "
         "in order)"},
        {"    fallbacks:\n      - provider: n\n        model: y\n      - provider: m\n"
         "        weight: 0\n        model: z\n",
         "seam.yaml:11: routes.chat.fallbacks[1].weight: not allowed in fallbacks (they are "
         "tried in order)"},
        {"    fallbacks: { provider: n, model: y }\n",
         "seam.yaml:7: routes.chat.fallbacks: must be a list, not a map"},
        {"    fallbacks: [ n ]\n", "seam.yaml:7: routes.chat.fallbacks[0]: must be a map, not a "
                                   "string"},
        {"    fallbacks: [ { provider: n } ]\n",
         "seam.yaml:7: routes.chat.fallbacks[0].model: required"},
        {"    fallbacks: [ { model: y } ]\n",
         "seam.yaml:7: routes.chat.fallbacks[0].provider: required"},
        {"    fallbacks: [ { provider: n, model: y, modle: z } ]\n",
         "seam.yaml:7: routes.chat.fallbacks[0].modle: unknown key (did you mean model?)"},
        {"    fallbacks:\n      - { provider: n, model: y }\n      - { provider: nn, model: y }\n",
         "seam.yaml:9: routes.chat.fallbacks[1].provider: \"nn\" is not a configured provider"},
        {"    fallbacks: [ { provider: openai, model: y } ]\n",
         "seam.yaml:7: routes.chat.fallbacks[0].provider: \"openai\" is not a configured "
         "provider"},
        /* sticky, balance */
        {"    sticky: yes\n", "seam.yaml:7: routes.chat.sticky: must be true or false"},
        {"    balance: random\n",
         "seam.yaml:7: routes.chat.balance: unknown balance mode \"random\" (one of: weighted, "
         "latency)"},
        {"    balance: latncy\n",
         "seam.yaml:7: routes.chat.balance: unknown balance mode \"latncy\" (did you mean "
         "latency?)"},
        {"    sticky: true\n    balance: latency\n",
         "seam.yaml:7: routes.chat.sticky: sticky needs balance: weighted"},
        {"    balance: latency\n    sticky: true\n",
         "seam.yaml:8: routes.chat.sticky: sticky needs balance: weighted"},
        /* retry */
        {"    retry:\n      attempts: 0\n",
         "seam.yaml:8: routes.chat.retry.attempts: must be 1..10"},
        {"    retry:\n      attempts: 11\n",
         "seam.yaml:8: routes.chat.retry.attempts: must be 1..10"},
        {"    retry: { per_target: 0 }\n",
         "seam.yaml:7: routes.chat.retry.per_target: must be 1..10"},
        {"    retry: { per_target: 11 }\n",
         "seam.yaml:7: routes.chat.retry.per_target: must be 1..10"},
        {"    retry: { backoff: fast }\n",
         "seam.yaml:7: routes.chat.retry.backoff: must be a duration like 250ms, 10s or 2m (a "
         "plain number is ms)"},
        {"    retry: { max_backoff: 25h }\n",
         "seam.yaml:7: routes.chat.retry.max_backoff: must be at most 24h"},
        {"    retry:\n      backoff: 500ms\n      max_backoff: 200ms\n",
         "seam.yaml:9: routes.chat.retry.max_backoff: must be at least backoff (500ms)"},
        {"    retry:\n      max_backoff: 200ms\n      backoff: 1s\n",
         "seam.yaml:8: routes.chat.retry.max_backoff: must be at least backoff (1s)"},
        {"    retry:\n      max_backoff: 50ms\n",
         "seam.yaml:8: routes.chat.retry.max_backoff: must be at least backoff (100ms, the "
         "default)"},
        {"    retry:\n      attempts: 2\n      backoff: 3s\n",
         "seam.yaml:9: routes.chat.retry.backoff: must be at most max_backoff (2s, the default)"},
        {"    retry:\n      on: [ connect, 503 ]\n",
         "seam.yaml:8: routes.chat.retry.on[1]: unknown reason \"503\" (did you mean 5xx?)"},
        {"    retry:\n      on: [ 5XX ]\n",
         "seam.yaml:8: routes.chat.retry.on[0]: unknown reason \"5XX\" (did you mean 5xx?)"},
        {"    retry:\n      on: [ errors ]\n",
         "seam.yaml:8: routes.chat.retry.on[0]: unknown reason \"errors\" (one of: connect, "
         "timeout, reset, 429, 5xx, full)"},
        {"    retry:\n      on: 5xx\n", "seam.yaml:8: routes.chat.retry.on: must be a list, not a "
                                        "string"},
        {"    retry:\n      on:\n",
         "seam.yaml:8: routes.chat.retry.on: needs a list ([] means never retry or fall back)"},
        {"    retry:\n      on: [ [ 5xx ] ]\n",
         "seam.yaml:8: routes.chat.retry.on[0]: must be a value, not a list"},
        {"    retry: { attempt: 2 }\n",
         "seam.yaml:7: routes.chat.retry.attempt: unknown key (did you mean attempts?)"},
        {"    retry: 3\n", "seam.yaml:7: routes.chat.retry: must be a map, not a string"},
        /* overflow */
        {"    overflow: { provider: n, model: y, wait: -1 }\n",
         "seam.yaml:7: routes.chat.overflow.wait: must be a duration like 250ms, 10s or 2m (a "
         "plain number is ms)"},
        {"    overflow: { provider: n, model: y, weight: 10 }\n",
         "seam.yaml:7: routes.chat.overflow.weight: unknown key (expected one of: provider, "
         "model, wait)"},
        {"    overflow: { provider: n }\n", "seam.yaml:7: routes.chat.overflow.model: required"},
        {"    overflow:\n      model: y\n", "seam.yaml:8: routes.chat.overflow.provider: required"},
        {"    overflow: [ { provider: n, model: y } ]\n",
         "seam.yaml:7: routes.chat.overflow: must be a map, not a list"},
        {"    overflow:\n      provider: nope\n      model: y\n",
         "seam.yaml:7: routes.chat.overflow.provider: \"nope\" is not a configured provider"},
        /* shadow */
        {"    shadow: { provider: x, model: y }\n",
         "seam.yaml:7: routes.chat.shadow.provider: \"x\" is not a configured provider"},
        {"    shadow: { provider: n, model: y, sample: [1] }\n",
         "seam.yaml:7: routes.chat.shadow.sample: must be a value, not a list"},
        {"    shadow: { model: y }\n", "seam.yaml:7: routes.chat.shadow.provider: required"},
        {"    shadow: { provider: n, model: y, rate: 1 }\n",
         "seam.yaml:7: routes.chat.shadow.rate: unknown key (expected one of: provider, model, "
         "sample)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s%s", head, cases[i].tail);
        expect_err(yaml, cases[i].want);
    }
    /* A misspelt provider anywhere in a route gets the suggestion targets get. */
    static const char *const where[] = {"fallbacks: [ { provider: cluade, model: y } ]",
                                        "overflow: { provider: cluade, model: y }",
                                        "shadow: { provider: cluade, model: y }"};
    static const char *const path[] = {"fallbacks[0]", "overflow", "shadow"};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        char yaml[512], want[256];
        snprintf(yaml, sizeof yaml,
                 "providers: { claude: { type: anthropic, max_inflight: 1 } }\n"
                 "routes:\n"
                 "  chat:\n"
                 "    targets: [ { provider: claude, model: x } ]\n"
                 "    %s\n",
                 where[i]);
        snprintf(want, sizeof want,
                 "seam.yaml:5: routes.chat.%s.provider: \"cluade\" is not a configured provider "
                 "(did you mean claude?)",
                 path[i]);
        expect_err(yaml, want);
    }
}

/* Overflow waits for a slot under a provider's max_inflight, so a route
 * whose targets have none cannot overflow; the check sees providers
 * written after the routes. */
static void test_overflow_needs_max_inflight(void **state)
{
    expect_err("routes:\n"                                      /* 1 */
               "  chat:\n"                                      /* 2 */
               "    targets:\n"                                 /* 3 */
               "      - { provider: a, model: x }\n"            /* 4 */
               "      - { provider: b, model: x }\n"            /* 5 */
               "    fallbacks: [ { provider: c, model: x } ]\n" /* 6 */
               "    overflow:\n"                                /* 7 */
               "      provider: c\n"                            /* 8 */
               "      model: x\n"                               /* 9 */
               "providers:\n"                                   /* 10 */
               "  a: { type: mock }\n"                          /* 11 */
               "  b: { type: mock }\n"                          /* 12 */
               "  c: { type: mock, max_inflight: 2 }\n",        /* 13 */
               "seam.yaml:7: routes.chat.overflow: overflow needs max_inflight on a provider of "
               "the route's targets");
    seam_config *cfg = load_ok("routes:\n"
                               "  chat:\n"
                               "    targets:\n"
                               "      - { provider: a, model: x }\n"
                               "      - { provider: b, model: x, weight: 0 }\n"
                               "    overflow: { provider: c, model: x, wait: 2s }\n"
                               "providers:\n"
                               "  a: { type: mock }\n"
                               "  b: { type: mock, max_inflight: 2 }\n"
                               "  c: { type: mock }\n");
    assert_int_equal(cfg->routes[0].overflow_wait_ms, 2000);
    seam_config_free(cfg);
}

/* ---- tenants ---------------------------------------------------------------- */

static void test_tenants(void **state)
{
    seam_config *cfg = load_ok("tenants:\n"                                 /* 1 */
                               "  acme:\n"                                  /* 2 */
                               "    regions: [ eu, on-prem-fra ]\n"         /* 3 */
                               "    tiers: [ private ]\n"                   /* 4 */
                               "  Globex_2.0-test:\n"                       /* 5 */
                               "    tiers:\n"                               /* 6 */
                               "      - vendor\n"                           /* 7 */
                               "      - private\n"                          /* 8 */
                               "  initech:\n"                               /* 9 */
                               "  umbrella: { regions: [ us-east-1 ] }\n"); /* 10 */
    assert_int_equal(cfg->ntenants, 4);
    const seam_tenant_conf *t = seam_config_tenant(cfg, "acme");
    assert_ptr_equal(t, &cfg->tenants[0]);
    assert_string_equal(t->name, "acme");
    assert_int_equal(t->line, 2);
    assert_non_null(t->regions);
    assert_string_equal(t->regions[0], "eu");
    assert_string_equal(t->regions[1], "on-prem-fra");
    assert_null(t->regions[2]);
    assert_int_equal(t->tiers, SEAM_TIER_PRIVATE);

    t = seam_config_tenant(cfg, "Globex_2.0-test");
    assert_ptr_equal(t, &cfg->tenants[1]);
    assert_null(t->regions);
    assert_int_equal(t->tiers, SEAM_TIER_ALL);
    assert_int_equal(t->line, 5);

    t = seam_config_tenant(cfg, "initech"); /* an empty entry: no limits */
    assert_null(t->regions);
    assert_int_equal(t->tiers, SEAM_TIER_ALL);

    t = seam_config_tenant(cfg, "umbrella");
    assert_string_equal(t->regions[0], "us-east-1");
    assert_null(t->regions[1]);
    assert_int_equal(t->tiers, SEAM_TIER_ALL);

    assert_null(seam_config_tenant(cfg, "ACME"));
    assert_null(seam_config_tenant(cfg, "hooli"));
    assert_null(seam_config_tenant(cfg, NULL));
    assert_null(seam_config_tenant(NULL, "acme"));
    seam_config_free(cfg);

    /* None configured. */
    cfg = load_ok("tenants:\n");
    assert_int_equal(cfg->ntenants, 0);
    assert_null(cfg->tenants);
    assert_null(seam_config_tenant(cfg, "acme"));
    seam_config_free(cfg);

    /* The longest name a key's tenant field may hold. */
    char name[128], yaml[256];
    memset(name, 'a', 127);
    name[127] = '\0';
    snprintf(yaml, sizeof yaml, "tenants:\n  %s: { tiers: [vendor] }\n", name);
    cfg = load_ok(yaml);
    assert_int_equal(seam_config_tenant(cfg, name)->tiers, SEAM_TIER_VENDOR);
    seam_config_free(cfg);
}

static void test_tenant_errors(void **state)
{
    static const char *const name_rule =
        "tenant names must be 1..127 characters of A-Z a-z 0-9 . _ -";
    char want[256], yaml[512], name[129];
    static const char *const bad_names[] = {"\"a b\"", "a/b", "\"\"", "ümlaut", "a:b", "\"a,b\""};
    static const char *const shown[] = {"a b", "a/b", "\"\"", "ümlaut", "a:b", "a,b"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        snprintf(yaml, sizeof yaml, "tenants:\n  %s: {}\n", bad_names[i]);
        snprintf(want, sizeof want, "seam.yaml:2: tenants.%s: %s", shown[i], name_rule);
        expect_err(yaml, want);
    }
    memset(name, 'a', 128);
    name[128] = '\0';
    snprintf(yaml, sizeof yaml, "tenants:\n  %s: {}\n", name);
    snprintf(want, sizeof want, "seam.yaml:2: tenants.%s: %s", name, name_rule);
    expect_err(yaml, want);

    expect_err("tenants: [ acme ]\n", "seam.yaml:1: tenants: must be a map, not a list");
    expect_err("tenants:\n  acme: private\n",
               "seam.yaml:2: tenants.acme: must be a map, not a string");
    expect_err("tenants:\n  acme: {}\n  acme: {}\n",
               "seam.yaml:3: tenants.acme: duplicate key (first on line 2)");
    expect_err("tenants:\n  acme: { region: [eu] }\n",
               "seam.yaml:2: tenants.acme.region: unknown key (did you mean regions?)");
    expect_err("tenants:\n  acme: { zones: [eu] }\n",
               "seam.yaml:2: tenants.acme.zones: unknown key (expected one of: regions, tiers)");
    expect_err("tenants:\n  acme:\n    regions: []\n",
               "seam.yaml:3: tenants.acme.regions: needs at least one region (leave regions out "
               "to allow any)");
    expect_err("tenants:\n  acme:\n    regions:\n",
               "seam.yaml:3: tenants.acme.regions: needs at least one region (leave regions out "
               "to allow any)");
    expect_err("tenants:\n  acme:\n    regions: eu\n",
               "seam.yaml:3: tenants.acme.regions: must be a list, not a string");
    expect_err("tenants:\n  acme:\n    regions:\n      - eu\n      - \"eu,us\"\n",
               "seam.yaml:5: tenants.acme.regions[1]: must be one region name, without ','");
    expect_err("tenants:\n  acme:\n    regions: [ eu, \"\" ]\n",
               "seam.yaml:3: tenants.acme.regions[1]: must not be empty");
    expect_err("tenants:\n  acme:\n    regions: [ { name: eu } ]\n",
               "seam.yaml:3: tenants.acme.regions[0]: must be a value, not a map");
    expect_err("tenants:\n  acme:\n    tiers: []\n",
               "seam.yaml:3: tenants.acme.tiers: needs at least one tier (leave tiers out to "
               "allow both)");
    expect_err("tenants:\n  acme:\n    tiers:\n",
               "seam.yaml:3: tenants.acme.tiers: needs at least one tier (leave tiers out to "
               "allow both)");
    expect_err("tenants:\n  acme:\n    tiers: private\n",
               "seam.yaml:3: tenants.acme.tiers: must be a list, not a string");
    expect_err("tenants:\n  acme:\n    tiers: [ private, public ]\n",
               "seam.yaml:3: tenants.acme.tiers[1]: unknown tier \"public\" (one of: private, "
               "vendor)");
    expect_err("tenants:\n  acme:\n    tiers: [ vendr ]\n",
               "seam.yaml:3: tenants.acme.tiers[0]: unknown tier \"vendr\" (did you mean "
               "vendor?)");
    expect_err("tenant:\n  acme: {}\n", "seam.yaml:1: tenant: unknown key (did you mean tenants?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_weight),
        cmocka_unit_test(test_unknown_provider_in_target),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_bad_provider_type),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_secret_literal_refused),
        cmocka_unit_test(test_env_secret_missing),
        cmocka_unit_test(test_no_secrets_flag),
        cmocka_unit_test(test_file_secret),
        cmocka_unit_test(test_ca_file),
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_workers_range),
        cmocka_unit_test(test_provider_routing_defaults),
        cmocka_unit_test(test_provider_routing_keys),
        cmocka_unit_test(test_health_check_keys),
        cmocka_unit_test(test_bedrock_region_from_env),
        cmocka_unit_test(test_provider_routing_errors),
        cmocka_unit_test(test_route_routing_defaults),
        cmocka_unit_test(test_route_routing_keys),
        cmocka_unit_test(test_shadow_sample),
        cmocka_unit_test(test_route_routing_errors),
        cmocka_unit_test(test_overflow_needs_max_inflight),
        cmocka_unit_test(test_tenants),
        cmocka_unit_test(test_tenant_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
