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

static const char *const scratch[] = {"seam.yaml", "key.txt", "empty.txt", "big.txt"};

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
               "latency, chunk_delay)");
    expect_err("providers: { m: { type: mock } }\n"
               "routes:\n"
               "  chat:\n"
               "    targets: [ { provider: m, model: x } ]\n"
               "    fallback: []\n",
               "seam.yaml:5: routes.chat.fallback: unknown key (expected one of: targets)");
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
               "providers, routes), not a list");
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
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_workers_range),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
