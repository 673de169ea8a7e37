/* The daemon's own log: one line per event on stderr (journald adds time and priority). */
#ifndef ESATLSD_LOG_H
#define ESATLSD_LOG_H

#include <stdarg.h>

/* verbosity: 0 = warnings and info, 1+ = debug too. */
void log_init(const char *progname, int verbosity);

/* Warning with ": strerror(errno)" appended; errno is preserved. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start-up only: log and exit with status 1 (fatal appends strerror). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
