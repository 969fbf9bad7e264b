/* mock_wire.h — the vendor wire formats `seam mock` speaks, chosen by the
 * path a request arrives on.  Each wire plans its reply (mock_reply.h) in
 * its vendor's own format, written from that vendor's API reference and not
 * from seam's translators, so an adapter is tested against a server that
 * talks like the vendor. */
#ifndef SEAM_PROVIDERS_MOCK_WIRE_H
#define SEAM_PROVIDERS_MOCK_WIRE_H

#include <stddef.h>

#include "providers/mock_reply.h"

typedef struct seam_mock_wire {
    const char *name;
    /* Does this wire serve a POST to path (query may be NULL)? */
    int (*match)(const char *path, const char *query);
    /* As seam_mock_plan_chat: 0 with a plan (possibly an error reply), -1
     * only when out of memory. */
    int (*plan)(const char *path, const char *query, const char *body, size_t n, seam_mock_opts *o,
                seam_mock_plan *out);
} seam_mock_wire;

/* Anthropic's wire (mock_anthropic.c). */
int seam_mock_anthropic_match(const char *path, const char *query);
int seam_mock_anthropic_plan(const char *path, const char *query, const char *body, size_t n,
                             seam_mock_opts *o, seam_mock_plan *out);

/* Gemini's wire (mock_gemini.c). */
int seam_mock_gemini_match(const char *path, const char *query);
int seam_mock_gemini_plan(const char *path, const char *query, const char *body, size_t n,
                          seam_mock_opts *o, seam_mock_plan *out);

/* Bedrock's Converse wire (mock_bedrock.c). */
int seam_mock_bedrock_match(const char *path, const char *query);
int seam_mock_bedrock_plan(const char *path, const char *query, const char *body, size_t n,
                           seam_mock_opts *o, seam_mock_plan *out);

/* The wire for a POST to path, or NULL. */
const seam_mock_wire *seam_mock_wire_find(const char *path, const char *query);

#endif
