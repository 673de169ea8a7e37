/* One descriptor held in reserve, so that when the process runs out (EMFILE) a listener can
 * still take the waiting connection off its queue and close it, instead of leaving it there
 * and waking up for it again and again. */
#ifndef ESATLSD_FDRESERVE_H
#define ESATLSD_FDRESERVE_H

/* Opens the reserve (/dev/null) if it is not held. */
void fd_reserve_hold(void);

/* Spends the reserve on accepting one connection of listen_fd and closing it, then takes the
 * reserve back. Returns 0 when a connection was refused that way, -1 if not. */
int fd_reserve_refuse(int listen_fd);

#endif
