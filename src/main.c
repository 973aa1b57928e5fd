/*
 * main.c - `parley`: dispatches to a command.
 */
#include "cli/cli.h"

#include "core/crypto.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: parley COMMAND [options]\n\n"
                 "Parley, a social customer care server.\n\n"
                 "commands:\n"
                 "  serve      run the server (parley serve --help for its settings)\n"
                 "  init       create the database, an account and its first admin\n"
                 "  user       add, list or disable users\n"
                 "  token      create an API token\n"
                 "  audit      verify the tamper-evident event log\n"
                 "  sentiment  score texts on stdin with VADER, one JSON line each\n"
                 "  export     a report as CSV (summary, agents, conversations, ...)\n"
                 "  reports    verify or rebuild the report rollups from the event log\n"
                 "  mail-in    store one e-mail from stdin in an e-mail inbox (for an MTA)\n"
                 "  demo       add demo inboxes of every channel, agents and canned responses\n"
                 "  simulate   send realistic signed traffic of every channel to a server\n"
                 "  version    print the version\n\n"
                 "`parley COMMAND --help` explains each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("parley %s\n", PARLEY_VERSION);
        return 0;
    }
    if (crypto_init() != 0) {
        fprintf(stderr, "parley: libsodium could not start\n");
        return 1;
    }
    if (!strcmp(cmd, "serve")) return cli_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "init")) return cli_init(argc - 1, argv + 1);
    if (!strcmp(cmd, "user")) return cli_user(argc - 1, argv + 1);
    if (!strcmp(cmd, "token")) return cli_token(argc - 1, argv + 1);
    if (!strcmp(cmd, "audit")) return cli_audit(argc - 1, argv + 1);
    if (!strcmp(cmd, "sentiment")) return cli_sentiment(argc - 1, argv + 1);
    if (!strcmp(cmd, "export")) return cli_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "reports")) return cli_reports(argc - 1, argv + 1);
    if (!strcmp(cmd, "mail-in")) return cli_mailin(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo")) return cli_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "simulate")) return cli_simulate(argc - 1, argv + 1);
    fprintf(stderr, "parley: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
