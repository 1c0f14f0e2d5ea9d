/*
 * cli.h - the command line (docs/DESIGN.md "Command line").
 */
#ifndef GS_SENSOR_CLI_H
#define GS_SENSOR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define GS_CLI_MAX_OUTPUTS 8

struct gs_options {
    const char **files; /* offline inputs in order (points into argv), n_files of them */
    size_t n_files;
    const char *iface;
    const char *outputs[GS_CLI_MAX_OUTPUTS];
    size_t n_outputs;
    const char *policy_file;   /* --policy, NULL without */
    const char *keys_file;     /* --keys: the key store, or NULL */
    const char *baseline_file; /* --baseline: loaded, or written with --learn */
    bool learn;
    bool log_events;
    bool stats;
    bool classify;
    bool show_config;
    bool help;
    bool version;
    struct gs_config cfg;
};

/*
 * Parses argv into *opts (files points into a heap array the caller frees with
 * gs_cli_free). Returns 0, or -1 with a one-line reason in errbuf for bad usage.
 */
int gs_cli_parse(int argc, char **argv, struct gs_options *opts, char *errbuf);

void gs_cli_free(struct gs_options *opts);

/* Prints --help. */
void gs_cli_usage(FILE *out);

/* Prints every setting with its value, range and meaning, as --show-config does. */
void gs_cli_show_config(FILE *out, const struct gs_config *cfg);

#endif
