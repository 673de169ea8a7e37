/* The syslog header parser's insides, shared by the files behind syslog.h: syslog.c reads the
 * PRI, the timestamps, the ESA level marker and the header formats; syslog_prefix.c reads the
 * tokens between a timestamp and the level marker. Not for other modules. */
#ifndef ESATLS_SYSLOG_INT_H
#define ESATLS_SYSLOG_INT_H

#include "syslog.h"

/* What follows a timestamp (or stands alone in a PARTIAL line): [HOST] [TAG:] [Level:], and
 * the ESA's own stamp when a forwarder wrapped a log-file line in its header. */
struct syslog_tail {
	struct span host;
	struct span tag;
	enum syslog_level level;
	const char *text; /* first byte after the header */
	int inner;        /* inner_time holds the wrapped line's own timestamp */
	struct civil inner_time;
	int inner_offset;
};

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII lower case for letters; other bytes map to non-letters, so comparing the result with a
 * lower-case letter is exact. */
static inline unsigned lower(char c)
{
	return (unsigned char)c | 0x20u;
}

static inline const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

static inline const char *token_end(const char *p, const char *end)
{
	while (p < end && !is_blank(*p))
		p++;
	return p;
}

/* No host, no tag, no level, no inner stamp. */
static inline void tail_clear(struct syslog_tail *tail)
{
	tail->host = span_none();
	tail->tag = span_none();
	tail->level = SYSLOG_LEVEL_NONE;
	tail->inner = 0;
}

/* syslog.c */

/* An ESA level marker "Level:" at p, ending the token. Returns the byte after ':' and sets
 * *level, or NULL. */
const char *syslog_take_level(const char *p, const char *end, enum syslog_level *level);

/* A timestamp with a year and the level marker behind it at p, as a log-file line a forwarder
 * wrapped in its header begins: fills tail's level and inner stamp and returns the byte after the
 * level marker, or NULL. */
const char *syslog_take_inner_stamp(const char *p, const char *end, struct syslog_tail *tail);

/* syslog_prefix.c */

/* The header tokens between a timestamp (or the start of a PARTIAL line) and the first ESA
 * level marker, each of which must fit the prefix grammar, with an inner stamp allowed just
 * before the level. Fills *tail and returns 1 only when a level marker was found behind such a
 * prefix; else clears *tail and returns 0. */
int syslog_scan_prefix(const char *p, const char *end, struct syslog_tail *tail);

/* The plain reading [HOST] [TAG:] [Level:] after a timestamp; never fails; tail->text is where
 * the text starts. */
void syslog_parse_tail(const char *p, const char *end, struct syslog_tail *tail);

#endif
