/* The long-running daemon: one libevent event base holding the listeners, the engine, the
 * outputs, the signal handlers (HUP reload, USR1 counters, TERM/INT graceful stop), the expiry,
 * status and watchdog timers, and the systemd notifications. */
#ifndef ESATLSD_DAEMON_H
#define ESATLSD_DAEMON_H

#include "config.h"

/* Runs until SIGTERM/SIGINT. Takes ownership of cfg. config_path (NULL for the built-in
 * defaults) is read again on SIGHUP. Returns the process exit status: 0 after a graceful stop,
 * 1 when it could not start (bind, outputs, privileges; logged). */
int daemon_run(struct config *cfg, const char *config_path);

#endif
