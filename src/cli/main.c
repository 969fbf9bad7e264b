/* main.c — the seam command: dispatches to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"

#ifndef SEAM_VERSION
#define SEAM_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: seam <command> [options]\n\n"
               "commands:\n"
               "  serve [--config FILE]   run the gateway (default ./seam.yaml or $SEAM_CONFIG)\n"
               "  mock --listen HOST:PORT run a mock LLM provider (see seam mock --help)\n"
               "  keys create|list|revoke manage virtual keys (see seam keys --help)\n"
               "  version                 print the version\n");
}

const char *seam_cli_config_path(const char *flag_value)
{
    if (flag_value && *flag_value) return flag_value;
    const char *env = getenv("SEAM_CONFIG");
    if (env && *env) return env;
    return "seam.yaml";
}

/* seam keys: the storage URL comes from the config when there is one; the
 * --config flag is taken out before the keys command sees its arguments. */
static int run_keys(int argc, char **argv)
{
    const char *config_flag = NULL;
    int k = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_flag = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_flag = argv[i] + 9;
        } else {
            argv[k++] = argv[i];
        }
    }
    argv[k] = NULL;
    const char *path = seam_cli_config_path(config_flag);
    const char *url = "sqlite://./seam-data/seam.db";
    seam_config *cfg = NULL;
    if (config_flag || access(path, F_OK) == 0) {
        char err[512];
        if (seam_config_load_flags(path, SEAM_CONFIG_NO_SECRETS, &cfg, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        url = cfg->storage_url;
    }
    int rc = seam_cmd_keys(k, argv, url);
    seam_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0) return seam_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "mock") == 0) return seam_cmd_mock(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0) return run_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("seam %s\n", SEAM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "seam: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
