/* `esatlsd report`: the TLS posture of every peer, from the verdict files esatlsd wrote. */
#ifndef ESATLS_REPORT_H
#define ESATLS_REPORT_H

/* Runs `esatlsd report ARGS` (argv[0] is "report"). Returns the exit status: 0 done, 1 an
 * input could not be read, 2 usage. */
int report_main(int argc, char **argv);

#endif
