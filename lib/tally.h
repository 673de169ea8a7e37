/* The aggregation behind `esatlsd report`: connection records (JSON Lines, as esatlsd writes
 * them) counted per direction and peer, by verdict, with the most frequent TLS failure
 * reasons and the latest time seen. Pure; bounded: at most TALLY_PEERS_MAX peers (records of
 * further peers are counted in peers_dropped), TALLY_REASONS reasons kept per peer (the rest
 * counted together). */
#ifndef ESATLS_TALLY_H
#define ESATLS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

#define TALLY_PEERS_MAX 1000000u
#define TALLY_REASONS 3       /* reasons listed per peer */
#define TALLY_REASONS_KEPT 16 /* distinct reasons counted per peer before "other" */
#define TALLY_TEXT_MAX 256    /* longest peer name, reason or time kept (longer are cut) */

enum tally_by { TALLY_BY_DOMAIN, TALLY_BY_IP, TALLY_BY_APPLIANCE };

/* What tally_add made of a line. */
enum tally_line {
	TALLY_COUNTED,
	TALLY_OTHER_TYPE, /* a record of another type (feed, message) */
	TALLY_TOO_OLD,    /* last_seen before `since` */
	TALLY_MALFORMED,  /* not a JSON object, or a connection record without its verdict */
	TALLY_DROPPED     /* a new peer past TALLY_PEERS_MAX */
};

struct tally_reason {
	char *text;
	uint64_t count;
};

struct tally_row {
	enum esa_dir dir; /* ESA_DIR_IN or ESA_DIR_OUT */
	char *peer;
	uint64_t total;
	uint64_t by_verdict[VERDICT_KIND_COUNT];
	char last_seen[TALLY_TEXT_MAX]; /* "" when no record had one */
	struct tally_reason reasons[TALLY_REASONS_KEPT];
	size_t n_reasons;
	uint64_t other_reasons; /* failures whose reason did not fit in reasons[] */
};

struct tally_counts {
	uint64_t lines, counted, other_type, too_old, malformed, dropped;
	uint64_t days_dropped; /* records whose day did not fit the timeline */
};

/* The timeline: connections and TLS failures per day (the first 10 bytes of last_seen,
 * "YYYY-MM-DD", as logged), for records with a time; at most TALLY_DAYS_MAX days. */
#define TALLY_DAYS_MAX 3700u

struct tally_day {
	char day[11];
	uint64_t connections, failed;
};

struct tally;

/* A tally grouping by `by`; `since` (NULL: none) keeps only records whose last_seen sorts at
 * or after it as a string (ISO 8601 prefixes: "2026-12", "2026-12-04T09:00"). NULL if memory
 * ran out. */
struct tally *tally_new(enum tally_by by, const char *since);
void tally_free(struct tally *t);

/* Counts one line (with or without its "\n"). */
enum tally_line tally_add(struct tally *t, const char *line, size_t len);

/* Sorts the rows: most connections first, then by direction and peer. Call before reading
 * them; rows stay valid until the next tally_add or tally_free. */
void tally_sort(struct tally *t);
size_t tally_rows(const struct tally *t);
const struct tally_row *tally_row(const struct tally *t, size_t i);

/* The most frequent reasons of a row, at most TALLY_REASONS, into out; returns how many. */
size_t tally_top_reasons(const struct tally_row *r, const struct tally_reason **out);

const struct tally_counts *tally_counts(const struct tally *t);

/* The timeline's days in order, and how many there are. */
const struct tally_day *tally_days(const struct tally *t, size_t *n);

/* "domain", "ip", "appliance"; tally_by_parse returns 0 and sets *by, or -1. */
const char *tally_by_name(enum tally_by by);
int tally_by_parse(const char *name, enum tally_by *by);

#endif
