/* client.c — upstream targets, and the choice of transport per target; see
 * client.h. */
#include "http/client_impl.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

struct seam_http_client {
    h1_client *h1;
    curl_client *curl;
};

static char *dup_printf(const char *fmt, const char *a, int port)
{
    int n = snprintf(NULL, 0, fmt, a, port);
    char *s = malloc((size_t)n + 1);
    if (s) snprintf(s, (size_t)n + 1, fmt, a, port);
    return s;
}

/* Fills the native fields when url is plain HTTP to a host that resolves
 * now; otherwise the target stays with curl. */
static void try_native(seam_http_target *t)
{
    struct evhttp_uri *u = evhttp_uri_parse_with_flags(t->url, 0);
    if (!u) return;
    const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u);
    if (!scheme || strcmp(scheme, "http") != 0 || !host || !*host || evhttp_uri_get_userinfo(u))
        goto out;
    int port = evhttp_uri_get_port(u);
    if (port < 0) port = 80;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    if (getaddrinfo(host, ports, &hints, &res) != 0 || !res) goto out;
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    if (!path || !*path) path = "/";
    size_t n = strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    t->path = malloc(n);
    if (t->path) snprintf(t->path, n, "%s%s%s", path, query ? "?" : "", query ? query : "");
    t->origin =
        strchr(host, ':') ? dup_printf("[%s]:%d", host, port) : dup_printf("%s:%d", host, port);
    t->native = t->path && t->origin;
out:
    evhttp_uri_free(u);
}

seam_http_target *seam_http_target_new(const char *url, char *err, size_t errlen)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "'%s' is not an http:// or https:// URL", url);
        return NULL;
    }
    seam_http_target *t = calloc(1, sizeof *t);
    if (!t || !(t->url = strdup(url))) {
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    try_native(t);
    return t;
}

seam_http_target *seam_http_target_derive(const seam_http_target *base, const char *path_and_query)
{
    seam_http_target *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    /* the origin is the URL up to the third '/' (after "scheme://host:port") */
    const char *host = strstr(base->url, "://");
    const char *slash = host ? strchr(host + 3, '/') : NULL;
    size_t olen = slash ? (size_t)(slash - base->url) : strlen(base->url);
    size_t n = olen + strlen(path_and_query) + 1;
    t->url = malloc(n);
    if (!t->url) goto fail;
    snprintf(t->url, n, "%.*s%s", (int)olen, base->url, path_and_query);
    t->ca_file = base->ca_file;
    if (base->native) {
        t->native = 1;
        t->addr = base->addr;
        t->addrlen = base->addrlen;
        t->origin = strdup(base->origin);
        t->path = strdup(path_and_query);
        if (!t->origin || !t->path) goto fail;
    }
    return t;
fail:
    seam_http_target_free(t);
    return NULL;
}

void seam_http_target_free(seam_http_target *t)
{
    if (!t) return;
    free(t->url);
    free(t->origin);
    free(t->path);
    free(t);
}

void seam_http_target_set_ca_file(seam_http_target *t, const char *ca_file)
{
    t->ca_file = ca_file;
}

const char *seam_http_target_url(const seam_http_target *t)
{
    return t->url;
}

seam_http_client *seam_http_client_new(struct event_base *base)
{
    seam_http_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->h1 = seam_h1_client_new(base);
    c->curl = seam_curl_client_new(base);
    if (!c->h1 || !c->curl) {
        seam_http_client_free(c);
        return NULL;
    }
    return c;
}

void seam_http_client_free(seam_http_client *c)
{
    if (!c) return;
    seam_h1_client_free(c->h1);
    seam_curl_client_free(c->curl);
    free(c);
}

seam_http_call *seam_http_client_start(seam_http_client *c, const seam_http_target *t,
                                       const seam_http_call_opts *o)
{
    return t->native ? seam_h1_start(c->h1, t, o) : seam_curl_start(c->curl, t, o);
}

void seam_http_call_cancel(seam_http_call *call)
{
    if (call) call->cancel(call);
}
