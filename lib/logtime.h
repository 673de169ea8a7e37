/* Log timestamps: civil date-time as the log wrote it, plus an optional UTC offset. Pure
 * arithmetic. */
#ifndef ESATLS_LOGTIME_H
#define ESATLS_LOGTIME_H

#include <stdint.h>

#define LOGTIME_NO_OFFSET INT16_MIN

/* A point in time as logged: seconds since 1970-01-01T00:00:00 of the log's own wall clock
 * (no time zone applied) and the offset from UTC in minutes when the line carried one. */
struct logtime {
	int64_t wall;   /* 0 with valid == 0 when unknown */
	int16_t offset; /* minutes east of UTC, or LOGTIME_NO_OFFSET */
	uint8_t valid;
};

struct civil {
	int year; /* 0 when the line carried none */
	int mon;  /* 1..12 */
	int mday; /* 1..31 */
	int hour, min, sec;
};

/* Seconds since the epoch for a civil date (proleptic Gregorian, no time zone). */
int64_t logtime_from_civil(const struct civil *c);

/* Inverse of logtime_from_civil. */
void logtime_to_civil(int64_t wall, struct civil *c);

/* Gives a year-less date c the year that puts it nearest before ref (the newest time known):
 * no later than 31 days after ref, so "Dec 31" read on Jan 1 is last year and "Jan 1" read on
 * Dec 31 is next year. Returns the resulting wall time. */
int64_t logtime_resolve_year(struct civil *c, int64_t ref);

/* Gives a year-less date c the year (ref's, the one before or the one after) that puts it
 * nearest to ref: consecutive lines of a log rarely lie months apart, so this follows a log
 * across new year in either direction. Returns the resulting wall time. */
int64_t logtime_resolve_year_nearest(struct civil *c, int64_t ref);

/* Writes "YYYY-MM-DDTHH:MM:SS" plus "+HH:MM" when the offset is known; buf needs 32 bytes.
 * Returns the length written. */
int logtime_format_iso(const struct logtime *t, char *buf);

#endif
