/* One descriptor held in reserve for when the process runs out (EMFILE): the syslog listener
 * spends it on accepting an appliance, the metrics endpoint on taking a scraper off its queue
 * and closing it. The daemon's tick takes it back once descriptors are free. */
#ifndef ESATLSD_FDRESERVE_H
#define ESATLSD_FDRESERVE_H

/* Opens the reserve (/dev/null) if it is not held (again, once descriptors are free). */
void fd_reserve_hold(void);

/* Gives the reserve up so that the next accept can take an appliance's connection. Returns 0
 * when it was held, -1 when it is already spent. */
int fd_reserve_release(void);

/* Spends the reserve on accepting one connection of listen_fd and closing it, then takes the
 * reserve back. Returns 0 when a connection was refused that way, -1 if not. */
int fd_reserve_refuse(int listen_fd);

#endif
