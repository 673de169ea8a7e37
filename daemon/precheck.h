/* What `esatlsd -t` checks beyond the file itself: that the system can run the configuration.
 * The `user` it names exists, and every output file and the state file can be created by the
 * user that will write them (that user, or whoever runs -t when there is none). */
#ifndef ESATLSD_PRECHECK_H
#define ESATLSD_PRECHECK_H

#include "config.h"

/* Reports each problem as "SOURCE: message" through report; returns how many there were. */
unsigned precheck_run(const struct config *cfg, config_report_fn report, void *arg);

#endif
