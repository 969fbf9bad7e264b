/* cli.h — the seam subcommands.  Each takes its own argv (argv[0] is the
 * subcommand's name) and returns the process exit status. */
#ifndef SEAM_CLI_CLI_H
#define SEAM_CLI_CLI_H

int seam_cmd_serve(int argc, char **argv);
int seam_cmd_mock(int argc, char **argv);
/* storage_url comes from the config file; --storage overrides it. */
int seam_cmd_keys(int argc, char **argv, const char *storage_url);

/* The config path: --config, else $SEAM_CONFIG, else ./seam.yaml. */
const char *seam_cli_config_path(const char *flag_value);

#endif
