/* Syslog header parsing: one message in, spans out. Accepts what ESA appliances and relays
 * write: RFC 3164 with or without PRI, hostname and tag (tag[pid]: too); RFC 5424; relay-written
 * file lines; the ESA native log-file format "Www Mmm dd HH:MM:SS YYYY Level: text"; and lines
 * whose header was stripped down to "HOST TAG: Level: text". Allocates nothing. */
#ifndef ESATLS_SYSLOG_H
#define ESATLS_SYSLOG_H

#include "logtime.h"
#include "span.h"

/* Header shapes, as counted per message. */
#define SYSLOG_FORMATS(X)                                                                          \
	X(NONE, "none")           /* no header recognised: the whole input is text */              \
	X(NATIVE, "native")       /* ESA log file: weekday, date, time, year, level */             \
	X(RFC3164, "rfc3164")     /* [<PRI>][Www ]Mmm dd HH:MM:SS[ YYYY] [HOST] [TAG:] [Level:] */ \
	X(RFC5424, "rfc5424")     /* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */              \
	X(PARTIAL, "partial")     /* no timestamp, but a level marker: [HOST] [TAG:] Level: */     \
	X(COLLECTOR, "collector") /* YYYY Mmm dd HH:MM:SS HOST [FACILITY] [[sev]] TAG Level: */    \
	X(WRAPPED, "wrapped")     /* a header around a log-file line: ... TAG: Www Mmm dd          \
	                           * HH:MM:SS YYYY Level: (the inner stamp is the time) */

enum syslog_format {
#define SYSLOG_FORMAT_ENUM(name, str) SYSLOG_FMT_##name,
	SYSLOG_FORMATS(SYSLOG_FORMAT_ENUM)
#undef SYSLOG_FORMAT_ENUM
	    SYSLOG_FMT_COUNT
};

enum syslog_level {
	SYSLOG_LEVEL_NONE, /* no ESA level marker */
	SYSLOG_LEVEL_INFO,
	SYSLOG_LEVEL_WARNING,
	SYSLOG_LEVEL_CRITICAL,
	SYSLOG_LEVEL_DEBUG,
	SYSLOG_LEVEL_TRACE
};

struct syslog_msg {
	enum syslog_format format;
	int pri;           /* 0..191, or -1 when absent */
	int has_time;      /* time holds a timestamp */
	struct civil time; /* time.year == 0 when the timestamp had no year */
	int offset_min;    /* RFC 5424 offset in minutes east of UTC, or LOGTIME_NO_OFFSET */
	struct span host;  /* absent, or the HOSTNAME ("-" in RFC 5424 is absent) */
	struct span tag;   /* absent, or the tag without ":" and without "[pid]" */
	enum syslog_level level;
	struct span text; /* after "Level: " (or after the header when no level), trailing white
	                   * space removed; may be empty, never absent */
};

/* Parses buf[0..len) into *msg. Never fails: unrecognised input yields SYSLOG_FMT_NONE with the
 * whole (trimmed) input as text. */
void syslog_parse(const char *buf, size_t len, struct syslog_msg *msg);

/* Name of a header shape ("rfc3164", ...) for counters. */
const char *syslog_format_name(enum syslog_format format);

/* Name of a level for output, "" for SYSLOG_LEVEL_NONE. */
const char *syslog_level_name(enum syslog_level level);

#endif
