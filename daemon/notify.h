/* The systemd notification protocol (sd_notify(3)), spoken directly: one datagram per message to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * Without $NOTIFY_SOCKET every call is a no-op. */
#ifndef ESATLSD_NOTIFY_H
#define ESATLSD_NOTIFY_H

#include <stdint.h>

struct notifier;

/* Opens the socket named by $NOTIFY_SOCKET. Returns NULL when the variable is unset (not an
 * error) or unusable (logged). The variable is left in place for reloads. */
struct notifier *notify_open(void);

/* Sends one message such as "READY=1" or "STATUS=...". Never blocks. Returns 0 or -1. */
int notify_send(struct notifier *n, const char *message);

/* Sends "RELOADING=1" with "MONOTONIC_USEC=" of now, as systemd's Type=notify-reload expects. */
int notify_reloading(struct notifier *n);

/* The watchdog interval in microseconds from $WATCHDOG_USEC when it is meant for this process
 * ($WATCHDOG_PID unset or equal to our pid), else 0. */
uint64_t notify_watchdog_usec(void);

void notify_close(struct notifier *n);

#endif
