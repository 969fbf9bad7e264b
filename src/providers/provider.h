/* provider.h — the interface every upstream adapter implements.
 *
 * A provider is built once per loaded config from its seam_provider_conf and
 * is then read-only, shared by all workers.  A call is one upstream request
 * on one worker's event loop.  The gateway speaks OpenAI's wire format to
 * every provider; an adapter for another vendor translates both ways inside
 * its own file, so adding a vendor is adding one file here.
 *
 * Callback contract: after a successful start(), on_head is called at most
 * once, then on_data any number of times, then on_done exactly once — unless
 * the call is cancelled first, after which nothing is called.  A start()
 * that fails returns NULL and calls nothing. */
#ifndef SEAM_PROVIDERS_PROVIDER_H
#define SEAM_PROVIDERS_PROVIDER_H

#include <stddef.h>

#include "api/json_scan.h" /* seam_usage */
#include "config/config.h"

struct event_base;
struct seam_http_client;

typedef enum seam_op { SEAM_OP_CHAT, SEAM_OP_EMBEDDINGS } seam_op;

/* How a call ended; anything but SEAM_CALL_OK is an upstream failure. */
enum seam_call_err {
    SEAM_CALL_OK = 0,
    SEAM_CALL_CONNECT,  /* could not connect (refused, DNS) */
    SEAM_CALL_TIMEOUT,  /* the connect timeout passed */
    SEAM_CALL_RESET,    /* the connection closed before the reply was complete */
    SEAM_CALL_PROTOCOL, /* the reply was not valid HTTP / not what the vendor documents */
    SEAM_CALL_TOOBIG,   /* the reply exceeded a size cap */
    SEAM_CALL_NOMEM,
    SEAM_CALL_TLS, /* the TLS handshake failed or the server's certificate was not verified */
};

/* What a worker lends a call. */
typedef struct seam_io {
    struct event_base *base;
    struct seam_http_client *http;
    /* translated calls kept for reuse (adapter.h); may be NULL */
    struct seam_call_cache *call_cache;
} seam_io;

/* The pointers stay valid until the call ends (on_done) or is cancelled:
 * a provider borrows them instead of copying. */
typedef struct seam_call_req {
    seam_op op;
    const char *model; /* the upstream's model name (also in body) */
    const char *body;  /* OpenAI-format request JSON, model already the upstream's */
    size_t body_len;
    int stream;
    int connect_timeout_ms;
    /* A request the vendor cannot take (a field with no equivalent) is
     * refused: start() returns NULL and writes here a message that names the
     * field and the provider; the client gets a 400. */
    char *refuse;
    size_t refuse_len;
} seam_call_req;

typedef struct seam_call_cbs {
    void (*on_head)(void *ud, int status, const char *retry_after);
    void (*on_data)(void *ud, const char *p, size_t n);
    void (*on_done)(void *ud, int err);
    /* Optional (may be NULL): the token counts of a whole answer, from a
     * provider that wrote them itself (a translating one), before the
     * answer's bytes.  Without it the gateway reads them from the body. */
    void (*on_usage)(void *ud, const seam_usage *usage);
} seam_call_cbs;

typedef struct seam_provider seam_provider;
typedef struct seam_call seam_call;

typedef struct seam_provider_vt {
    const char *type;
    /* Builds the adapter; a config it cannot serve is refused with a message. */
    int (*create)(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen);
    seam_call *(*start)(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud);
    void (*cancel)(seam_call *call);
    void (*destroy)(seam_provider *p);
    /* Optional: the header lines ("Name: value", NULL-terminated) a health
     * check of the provider sends — its credentials, so that a server that
     * wants a key answers the check.  Absent or NULL: none. */
    const char *const *(*check_headers)(const seam_provider *p);
} seam_provider_vt;

/* Every provider starts with this header. */
struct seam_provider {
    const seam_provider_vt *vt;
    const seam_provider_conf *conf;
};

extern const seam_provider_vt seam_provider_openai;
extern const seam_provider_vt seam_provider_mock;
extern const seam_provider_vt seam_provider_anthropic;
extern const seam_provider_vt seam_provider_gemini;
extern const seam_provider_vt seam_provider_azure;
extern const seam_provider_vt seam_provider_bedrock;

/* The adapter for a type name, or NULL. */
const seam_provider_vt *seam_provider_find(const char *type);

/* A target for one of conf's URLs, with conf's TLS settings (ca_file):
 * every provider makes its targets with this.  NULL with err when url is
 * not one seam can call. */
struct seam_http_target;
struct seam_http_target *seam_provider_target_new(const seam_provider_conf *conf, const char *url,
                                                  char *err, size_t errlen);

#endif
