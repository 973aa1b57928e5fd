/*
 * cli.h - the `parley` commands. Each returns the process exit status:
 * 0 success, 1 failure at run time, 2 a usage error (with help on stderr).
 */
#ifndef PARLEY_CLI_CLI_H
#define PARLEY_CLI_CLI_H

int cli_serve(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_sentiment(int argc, char **argv);
int cli_export(int argc, char **argv);  /* export.c: a report as CSV */
int cli_reports(int argc, char **argv); /* export.c: reports verify | rebuild */
/* `parley mail-in` answers an MTA: sysexits(3) codes, not the 0/1/2 above. */
int cli_mailin(int argc, char **argv);
int cli_demo(int argc, char **argv);     /* demo.c: the demo inboxes, agents, catalog */
int cli_simulate(int argc, char **argv); /* simulate.c: signed traffic, fake platform */

/* Reads a password from stdin when it is not a terminal; NULL otherwise or
 * when stdin is empty. The result is heap memory. */
char *cli_read_password_stdin(void);

#endif
