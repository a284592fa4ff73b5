/* SPDX-License-Identifier: MIT */
/* cli.h - what the command line (main.c) shares with the batch commands (batch.c): the
 * operands after the command, the usage checks and the error naming a command as typed.
 *
 * Files: applets/ftp/main.c, applets/ftp/batch.c    Tests: tests/integration/ftp_batch.sh
 */
#ifndef NT_FTP_CLI_H
#define NT_FTP_CLI_H

#include "ftp.h"
#include "nt_err.h"

extern int cli_nargs;   /* the operands after the command */
extern char **cli_args;

/* Exit 2 unless there are min..max operands (max -1: no upper bound). */
void cli_need_args(const char *cmd, int min, int max);
/* A failed operation, named as the user typed it ("mkdir host:x: ... (server: 550 ...)"). */
void cli_die_cmd(CURLcode rc, const char *cmd, const char *arg, const struct ftp_site *s) NT_NORETURN;
/* The site of a remote operand (exit 2 when arg is not one); *path gets its path. */
struct ftp_site *cli_remote(const char *arg, char **path);

/* The batch commands (batch.c). */
int cmd_get(const char *cmd);
int cmd_put(const char *cmd);
int cmd_rm(const char *cmd);
int cmd_copy(const char *cmd);

#endif
