/* `esatlsd explain FILE|- [--json]`: what esatlsd sees in a log before an appliance is pointed
 * at it. The lines (native file, syslog, relay shapes; gzip too) go through the same framing,
 * header parser, classifier and engine as the daemon, and a report says how many lines had each
 * header shape, which sources and tags were found, how many lines of each ESA event kind, how
 * many connections would get each verdict, and up to 5 distinct lines that were not recognised,
 * each with the reason. */
#ifndef ESATLSD_EXPLAIN_H
#define ESATLSD_EXPLAIN_H

#include <stdio.h>

/* Runs the subcommand on argv (argv[0] is "explain"). Returns the exit status: 0 when at least
 * one ESA line was recognised, 1 when none was, 2 on a usage or read error (reported). */
int explain_main(int argc, char **argv);

/* The report of the input on fd (any file; gzip is read through) as text or JSON on out; name
 * labels it. Returns the exit status as explain_main does. */
int explain_fd(int fd, const char *name, int json, FILE *out);

#endif
