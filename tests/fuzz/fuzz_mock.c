/* fuzz_mock.c — the mock vendor reads request bodies from anywhere: any
 * bytes must give a plan, and every plan must be valid JSON (whole, or
 * event by event for streams). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "providers/mock_reply.h"

static void must_parse(const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, 0, NULL);
    if (!j) __builtin_trap();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    seam_mock_opts o = {.echo = (int)(size & 1), .fail_rate = 0.2, .rng = size + 1};
    seam_mock_plan p;
    if (seam_mock_plan_chat(body, size, &o, &p) == 0) {
        if (p.body.len && !p.stream) must_parse(p.body.data, p.body.len);
        /* every event but the final "data: [DONE]" is "data: {json}\n\n" */
        for (size_t i = 0; p.stream && i + 1 < p.nevents; i++) {
            size_t len;
            const char *e = seam_mock_event(&p, i, &len);
            must_parse(e + 6, len - 8);
        }
        seam_mock_plan_free(&p);
    }
    if (seam_mock_plan_embeddings(body, size, &o, &p) == 0) {
        if (p.body.len) must_parse(p.body.data, p.body.len);
        seam_mock_plan_free(&p);
    }
    return 0;
}
