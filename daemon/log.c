#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_progname = "esatlsd";
static int log_verbosity;

void log_init(const char *progname, int verbosity)
{
	if (progname != NULL) {
		const char *slash = strrchr(progname, '/');
		log_progname = slash ? slash + 1 : progname;
	}
	log_verbosity = verbosity;
}

/* One whole line per call, so concurrent writers to the journal never interleave mid-line. */
static void log_emit(const char *level, const char *fmt, va_list ap, int with_errno, int saved)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s: %s%s: %s\n", log_progname, level, msg, strerror(saved));
	else
		fprintf(stderr, "%s: %s%s\n", log_progname, level, msg);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap, 1, saved);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap, 0, saved);
	va_end(ap);
	errno = saved;
}

void log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit("", fmt, ap, 0, saved);
	va_end(ap);
	errno = saved;
}

void log_debug(const char *fmt, ...)
{
	int saved = errno;
	if (log_verbosity < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_emit("debug: ", fmt, ap, 0, saved);
	va_end(ap);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit("fatal: ", fmt, ap, 1, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit("fatal: ", fmt, ap, 0, saved);
	va_end(ap);
	exit(1);
}
