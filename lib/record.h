/* Record types besides the connection verdict, and the feed record: what esatlsd says about an
 * appliance's feed (silent, resumed, missing, lines not recognised). Outputs and hooks choose
 * records by type (connection only by default), so a later type needs only its name here. */
#ifndef ESATLS_RECORD_H
#define ESATLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define RECORD_TYPES(X) X(CONNECTION, "connection") X(FEED, "feed")

enum record_type {
#define RECORD_TYPE_ENUM(name, str) RECORD_##name,
	RECORD_TYPES(RECORD_TYPE_ENUM)
#undef RECORD_TYPE_ENUM
	    RECORD_TYPE_COUNT
};

#define FEED_STATES(X)                                                                             \
	X(SILENT, "silent")             /* nothing from it for silent_after */                     \
	X(RESUMED, "resumed")           /* lines again after silent or missing */                  \
	X(MISSING, "missing")           /* expected, never seen within silent_after of start */    \
	X(UNRECOGNISED, "unrecognised") /* most of its lines are not ESA mail_logs */              \
	X(RECOGNISED, "recognised")     /* ... and now they are again */

enum feed_state {
#define FEED_STATE_ENUM(name, str) FEED_##name,
	FEED_STATES(FEED_STATE_ENUM)
#undef FEED_STATE_ENUM
	    FEED_STATE_COUNT
};

/* One feed record. Times are seconds since the epoch (UTC), written as ISO 8601. */
struct feed_record {
	enum feed_state state;
	struct span host;   /* the appliance (host name or sender address) */
	int64_t time;       /* when the record was made */
	int64_t last_seen;  /* its latest line before this record; 0: omitted (never seen) */
	int64_t silent_for; /* seconds without a line (silent, resumed, missing); -1: omitted */
	uint64_t lines;     /* unrecognised/recognised: lines counted, and the unclassified */
	uint64_t unclassified;
	const char *shape;   /* header shape of the example ("rfc3164"); NULL: omitted */
	const char *cause;   /* why it was not recognised ("no_level"); NULL: omitted */
	struct span example; /* one such line, raw (escaped here); absent: omitted */
};

/* A buffer this large always holds an encoded feed record. */
#define FEED_RECORD_MAX 4096

/* Encodes r as one JSON object plus "\n" ({"v":1,"type":"feed",...}) into buf[0..cap); returns
 * the length, or 0 if it does not fit (never with cap >= FEED_RECORD_MAX and host and example
 * of at most 255 bytes). */
size_t feed_record_encode(const struct feed_record *r, char *buf, size_t cap);

/* Names: "connection", "feed"; "silent", "resumed", ...; "?" out of range. */
const char *record_type_name(enum record_type type);
const char *feed_state_name(enum feed_state state);

#endif
