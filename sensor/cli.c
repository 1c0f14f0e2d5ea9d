/*
 * cli.c - command-line parsing and help text.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum long_only {
    OPT_LOG_EVENTS = 256,
    OPT_STATS,
    OPT_SET,
    OPT_SHOW_CONFIG,
    OPT_NO_CLASSIFY,
    OPT_POLICY,
    OPT_KEYS,
    OPT_BASELINE,
    OPT_LEARN,
};

void gs_cli_usage(FILE *out)
{
    fputs("Usage: gridsensor [options] -r FILE [FILE ...]   replay pcap/pcapng files (one clock)\n"
          "       gridsensor [options] -i IFACE             capture live, read-only, from a SPAN "
          "port\n"
          "\n"
          "Passive monitor and intrusion-detection sensor for power-grid OT networks: DNP3,\n"
          "IEC 60870-5-104, IEC 61850 MMS, GOOSE and Sampled Values. Writes one JSON record\n"
          "per line (EVE-compatible, with a Community ID).\n"
          "\n"
          "Input:\n"
          "  -r, --read FILE        read a pcap or pcapng file; more files may follow\n"
          "  -i, --interface IFACE  capture from IFACE (promiscuous, never transmits)\n"
          "\n"
          "Output:\n"
          "  -o, --output SINK      where records go; repeatable; default stdout. SINK is\n"
          "                           stdout | file:PATH              JSON lines, appended\n"
          "                           syslog                          local /dev/log\n"
          "                           syslog+udp://HOST:PORT          RFC 5424 over UDP\n"
          "                           syslog+tcp://HOST:PORT          RFC 5424, octet counting\n"
          "                           redis://HOST:PORT/list/KEY      RPUSH\n"
          "                           redis://HOST:PORT/stream/KEY    XADD\n"
          "                           redis://HOST:PORT/channel/NAME  PUBLISH\n"
          "      --log-events       also write one protocol event record per request/response\n"
          "      --stats            write an event_type \"stats\" record at the end\n"
          "                         (and every 60 s during live capture)\n"
          "\n"
          "Detection:\n"
          "      --policy FILE      conduit policy (JSON): which endpoints talk which protocol\n"
          "                         and what each conduit requires (e.g. TLS, a TLS profile)\n"
          "      --keys FILE        key store (JSON, mode 0600): DNP3 and IEC 104 secure\n"
          "                         authentication update keys, to verify every SA MAC, and\n"
          "                         GOOSE/SV group keys, to verify IEC 62351-6 tags\n"
          "      --baseline FILE    poll-rate baseline (JSON) to enforce: missed polls, rates far\n"
          "                         off, new talkers; with --learn, where the baseline is written\n"
          "      --learn            learn the poll-rate baseline instead of enforcing it\n"
          "\n"
          "Tuning:\n"
          "      --set NAME=VALUE   change a limit, e.g. --set flow.max_flows=100000\n"
          "      --show-config      list every limit with its value and range, then exit\n"
          "      --no-classify      do not run nDPI on flows no dissector claims\n"
          "\n"
          "  -h, --help             show this help and exit\n"
          "  -V, --version          show the version and exit\n"
          "\n"
          "Exit status: 0 success; 1 runtime failure; 2 bad usage, configuration or input file.\n",
          out);
}

void gs_cli_show_config(FILE *out, const struct gs_config *cfg)
{
    for (const struct gs_config_key *key = gs_config_keys; key->name != NULL; key++) {
        uint32_t v = 0;
        gs_config_get(cfg, key->name, &v);
        fprintf(out, "%-28s %10u  (%u..%u, default %u)  %s\n", key->name, v, key->min, key->max,
                key->def, key->help);
    }
}

int gs_cli_parse(int argc, char **argv, struct gs_options *opts, char *errbuf)
{
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"log-events", no_argument, NULL, OPT_LOG_EVENTS},
        {"stats", no_argument, NULL, OPT_STATS},
        {"set", required_argument, NULL, OPT_SET},
        {"show-config", no_argument, NULL, OPT_SHOW_CONFIG},
        {"no-classify", no_argument, NULL, OPT_NO_CLASSIFY},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"learn", no_argument, NULL, OPT_LEARN},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(opts, 0, sizeof(*opts));
    gs_config_defaults(&opts->cfg);
    opts->classify = true;
    opts->files = calloc((size_t)argc + 1, sizeof(*opts->files));
    if (opts->files == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    bool reading = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":r:i:o:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            reading = true;
            opts->files[opts->n_files++] = optarg;
            break;
        case 'i':
            if (opts->iface != NULL) {
                snprintf(errbuf, GS_ERRBUF_SIZE, "only one -i interface per sensor");
                return -1;
            }
            opts->iface = optarg;
            break;
        case 'o':
            if (opts->n_outputs == GS_CLI_MAX_OUTPUTS) {
                snprintf(errbuf, GS_ERRBUF_SIZE, "at most %d -o outputs", GS_CLI_MAX_OUTPUTS);
                return -1;
            }
            opts->outputs[opts->n_outputs++] = optarg;
            break;
        case OPT_LOG_EVENTS:
            opts->log_events = true;
            break;
        case OPT_STATS:
            opts->stats = true;
            break;
        case OPT_SET:
            if (gs_config_set(&opts->cfg, optarg, errbuf) != 0)
                return -1;
            break;
        case OPT_SHOW_CONFIG:
            opts->show_config = true;
            break;
        case OPT_NO_CLASSIFY:
            opts->classify = false;
            break;
        case OPT_POLICY:
            if (opts->policy_file != NULL) {
                snprintf(errbuf, GS_ERRBUF_SIZE, "only one --policy file");
                return -1;
            }
            opts->policy_file = optarg;
            break;
        case OPT_KEYS:
            if (opts->keys_file != NULL) {
                snprintf(errbuf, GS_ERRBUF_SIZE, "only one --keys file");
                return -1;
            }
            opts->keys_file = optarg;
            break;
        case OPT_BASELINE:
            if (opts->baseline_file != NULL) {
                snprintf(errbuf, GS_ERRBUF_SIZE, "only one --baseline file");
                return -1;
            }
            opts->baseline_file = optarg;
            break;
        case OPT_LEARN:
            opts->learn = true;
            break;
        case 'h':
            opts->help = true;
            break;
        case 'V':
            opts->version = true;
            break;
        case ':':
            snprintf(errbuf, GS_ERRBUF_SIZE, "option '%s' needs an argument", argv[optind - 1]);
            return -1;
        default:
            snprintf(errbuf, GS_ERRBUF_SIZE, "unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    /* Operands after the options are more input files: -r a.pcap b.pcap c.pcapng */
    for (int i = optind; i < argc; i++) {
        if (!reading) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "unexpected argument '%s' (input files follow -r)",
                     argv[i]);
            return -1;
        }
        opts->files[opts->n_files++] = argv[i];
    }
    if (opts->help || opts->version || opts->show_config)
        return 0;
    if (opts->learn && opts->baseline_file == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE,
                 "--learn needs --baseline FILE, where the baseline is written");
        return -1;
    }
    if (opts->iface != NULL && opts->n_files != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "use either -r FILE... or -i IFACE, not both");
        return -1;
    }
    if (opts->iface == NULL && opts->n_files == 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "no input: give -r FILE or -i IFACE");
        return -1;
    }
    return 0;
}

void gs_cli_free(struct gs_options *opts)
{
    free(opts->files);
    opts->files = NULL;
}
