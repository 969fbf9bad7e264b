/* client_impl.h — what client.c shares with its two transports (internal
 * to http/). */
#ifndef SEAM_HTTP_CLIENT_IMPL_H
#define SEAM_HTTP_CLIENT_IMPL_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "http/client.h"

struct seam_http_target {
    char *url;
    int native;                   /* plain HTTP through h1client.c */
    struct sockaddr_storage addr; /* native: resolved at load */
    socklen_t addrlen;
    char *origin;        /* native: "host:port", the pool key and Host header */
    char *path;          /* native: path and query, e.g. "/v1/chat/completions" */
    const char *ca_file; /* https: the CAs its peer is verified against, or NULL: the system's */
};

/* Every call starts with this, so cancel can find its transport. */
struct seam_http_call {
    void (*cancel)(seam_http_call *call);
};

typedef struct h1_client h1_client;
typedef struct curl_client curl_client;

h1_client *seam_h1_client_new(struct event_base *base);
void seam_h1_client_free(h1_client *c);
seam_http_call *seam_h1_start(h1_client *c, const seam_http_target *t,
                              const seam_http_call_opts *o);

curl_client *seam_curl_client_new(struct event_base *base);
void seam_curl_client_free(curl_client *c);
seam_http_call *seam_curl_start(curl_client *c, const seam_http_target *t,
                                const seam_http_call_opts *o);

#endif
