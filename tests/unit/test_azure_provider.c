/* test_azure_provider.c — azure-openai: the deployment URL, the api-key
 * header, the body untouched, refusals and missing base_url. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/azure_xlate.h"

static seam_provider *make(const char *base_url, const char *key, const char *version, char *err,
                           size_t errlen)
{
    static seam_provider_conf conf;
    memset(&conf, 0, sizeof conf);
    conf.name = "az";
    conf.type = "azure-openai";
    conf.base_url = base_url;
    conf.api_key = key;
    conf.api_version = version;
    seam_provider *p = NULL;
    if (seam_provider_azure.create(&conf, &p, err, errlen) != 0) return NULL;
    return p;
}

static int build(seam_provider *p, seam_op op, const char *model, int stream, const char *body,
                 seam_adapter_out *out, char *refuse, size_t refuse_len)
{
    seam_call_req req = {.op = op,
                         .model = model,
                         .body = body,
                         .body_len = strlen(body),
                         .stream = stream,
                         .refuse = refuse,
                         .refuse_len = refuse_len};
    memset(out, 0, sizeof *out);
    seam_buf_init(&out->body, 1 << 20);
    return seam_azure_ops.build(p, &req, NULL, out);
}

static void out_free(seam_adapter_out *out)
{
    seam_adapter_out_free(out);
}

static int has_header(const seam_adapter_out *out, const char *line)
{
    for (int i = 0; i < out->nheaders; i++)
        if (strcmp(out->headers[i], line) == 0) return 1;
    return 0;
}

static void test_chat_url_headers_and_body(void **state)
{
    char err[256] = "", refuse[256] = "";
    seam_provider *p = make("http://127.0.0.1:9/prefix", "k-123", NULL, err, sizeof err);
    assert_non_null(p);
    const char *body = "{\"model\":\"gpt-4o\",\"messages\":[],\"future_field\":1}";
    seam_adapter_out out;
    assert_int_equal(build(p, SEAM_OP_CHAT, "gpt-4o", 0, body, &out, refuse, sizeof refuse), 0);
    assert_string_equal(seam_http_target_url(out.target),
                        "http://127.0.0.1:9/prefix/openai/deployments/gpt-4o/chat/completions"
                        "?api-version=2024-10-21");
    assert_true(has_header(&out, "api-key: k-123"));
    assert_true(has_header(&out, "Accept: application/json"));
    assert_int_equal(out.body.len, strlen(body));
    assert_memory_equal(out.body.data, body, strlen(body)); /* every field passes through */
    out_free(&out);
    seam_provider_azure.destroy(p);
}

static void test_stream_embeddings_and_version(void **state)
{
    char err[256] = "", refuse[256] = "";
    seam_provider *p =
        make("https://res.openai.azure.com", NULL, "2025-01-01-preview", err, sizeof err);
    assert_non_null(p);
    seam_adapter_out out;
    assert_int_equal(build(p, SEAM_OP_EMBEDDINGS, "embed-1", 0, "{}", &out, refuse, sizeof refuse),
                     0);
    assert_string_equal(seam_http_target_url(out.target),
                        "https://res.openai.azure.com/openai/deployments/embed-1/embeddings"
                        "?api-version=2025-01-01-preview");
    for (int i = 0; i < out.nheaders; i++)
        assert_null(strstr(out.headers[i], "api-key"));
    out_free(&out);
    assert_int_equal(build(p, SEAM_OP_CHAT, "d", 1, "{}", &out, refuse, sizeof refuse), 0);
    assert_true(has_header(&out, "Accept: text/event-stream"));
    out_free(&out);
    seam_provider_azure.destroy(p);
}

static void test_bad_deployment_refused(void **state)
{
    char err[256] = "", refuse[256] = "";
    seam_provider *p = make("http://127.0.0.1:9", NULL, NULL, err, sizeof err);
    seam_adapter_out out;
    assert_int_equal(build(p, SEAM_OP_CHAT, "../../admin", 0, "{}", &out, refuse, sizeof refuse),
                     -1);
    assert_non_null(strstr(refuse, "provider 'az' (azure-openai) cannot take model"));
    out_free(&out);
    seam_provider_azure.destroy(p);
}

static void test_base_url_required(void **state)
{
    char err[256] = "";
    assert_null(make(NULL, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "base_url: required"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_url_headers_and_body),
        cmocka_unit_test(test_stream_embeddings_and_version),
        cmocka_unit_test(test_bad_deployment_refused),
        cmocka_unit_test(test_base_url_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
