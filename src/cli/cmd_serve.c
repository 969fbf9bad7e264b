/* cmd_serve.c — seam serve: load the config, start the workers, and turn
 * signals into reloads (SIGHUP) and graceful shutdowns (SIGTERM, SIGINT).
 *
 * Signals are blocked in every thread and taken with sigwait() here, so no
 * handler ever runs inside a worker's loop. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"

static int load(const char *path, seam_health *health, seam_runtime **out, char *err, size_t errlen)
{
    seam_config *cfg;
    if (seam_config_load(path, &cfg, err, errlen) != 0) return -1;
    return seam_runtime_new(cfg, health, out, err, errlen);
}

/* SIGHUP: a config that does not load is refused and the old one serves on. */
static void reload(seam_gateway *gw, seam_runtime **current, seam_auth *auth, const char *path)
{
    char err[1024];
    seam_runtime *rt;
    if (load(path, (*current)->health, &rt, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        seam_log(SEAM_LOG_ERROR, "reload refused; the previous config keeps serving", NULL);
        return;
    }
    const seam_config *a = (*current)->cfg, *b = rt->cfg;
    if (strcmp(a->listen_host, b->listen_host) != 0 || a->listen_port != b->listen_port ||
        a->workers != b->workers || a->max_body != b->max_body ||
        strcmp(a->storage_url, b->storage_url) != 0)
        seam_log(SEAM_LOG_WARN,
                 "server.listen, server.workers, server.max_body and storage.url take effect "
                 "on restart",
                 NULL);
    seam_gateway_reload(gw, rt);
    seam_auth_reload_now(auth);
    seam_runtime_unref(*current);
    *current = rt;
    seam_log(SEAM_LOG_INFO, "config reloaded", NULL);
}

int seam_cmd_serve(int argc, char **argv)
{
    const char *flag = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            flag = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            flag = argv[i] + 9;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(
                "usage: seam serve [--config FILE]\n"
                "Serves the gateway described by FILE (default $SEAM_CONFIG, else ./seam.yaml).\n"
                "SIGHUP reloads the config; SIGTERM drains in-flight requests and exits.\n");
            return 0;
        } else {
            fprintf(stderr, "seam serve: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    const char *path = seam_cli_config_path(flag);

    char err[1024];
    seam_runtime *rt;
    /* Breakers and in-flight counts outlive config generations. */
    seam_health *health = seam_health_new();
    if (!health) {
        fprintf(stderr, "seam serve: out of memory\n");
        return 1;
    }
    if (load(path, health, &rt, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        seam_health_free(health);
        return 1;
    }
    seam_auth *auth;
    if (seam_auth_new(rt->cfg->storage_url, &auth, err, sizeof err) != 0) {
        fprintf(stderr, "%s: storage.url: %s\n", path, err);
        seam_runtime_unref(rt);
        seam_health_free(health);
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */

    seam_gateway *gw = seam_gateway_start(rt, auth, err, sizeof err);
    if (!gw) {
        fprintf(stderr, "%s\n", err);
        seam_auth_free(auth);
        seam_runtime_unref(rt);
        seam_health_free(health);
        return 1;
    }
    seam_log(SEAM_LOG_INFO, "seam serving", "\"listen\":\"%s:%d\",\"workers\":%d,\"config\":\"%s\"",
             rt->cfg->listen_host, rt->cfg->listen_port, rt->cfg->workers, path);

    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reload(gw, &rt, auth, path);
        } else if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
    }
    seam_log(SEAM_LOG_INFO, "draining", "\"grace_ms\":%d", rt->cfg->grace_ms);
    seam_gateway_shutdown(gw, rt->cfg->grace_ms);
    seam_gateway_free(gw);
    seam_auth_free(auth);
    seam_runtime_unref(rt); /* the last generation: the workers are gone */
    seam_health_free(health);
    seam_log(SEAM_LOG_INFO, "stopped", NULL);
    return 0;
}
