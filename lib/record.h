/* Record types besides the connection verdict, and the feed record: what esatlsd says about an
 * appliance's feed (silent, resumed, missing, lines not recognised). Outputs and hooks choose
 * records by type (connection only by default), so a later type needs only its name here. */
#ifndef ESATLS_RECORD_H
#define ESATLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "logtime.h"
#include "span.h"
#include "verdict.h"

/* clang-format off */
#define RECORD_TYPES(X)                                                                            \
	X(CONNECTION, "connection")                                                                \
	X(FEED, "feed")                                                                            \
	X(MESSAGE, "message")                                                                      \
	X(DOWNGRADE, "downgrade")
/* clang-format on */

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

/* ---- message records: how one message travelled ---- */

/* How a message's record came to be written. */
#define MESSAGE_ENDS(X)                                                                            \
	X(DONE, "done")             /* "Message finished MID m done" */                            \
	X(ABORTED, "aborted")       /* "Message finished MID m aborted", "Message aborted" */      \
	X(RECIPIENTS, "recipients") /* every recipient delivered or bounced */                     \
	X(IDLE, "idle")             /* no news for the message time-out */                         \
	X(EVICTED, "evicted")       /* the message table was full */                               \
	X(SHUTDOWN, "shutdown") X(EOF, "eof")

enum message_end {
#define MESSAGE_END_ENUM(name, str) MESSAGE_END_##name,
	MESSAGE_ENDS(MESSAGE_END_ENUM)
#undef MESSAGE_END_ENUM
	    MESSAGE_END_COUNT
};

/* clang-format off */
#define DELIVERY_OUTCOMES(X)                                                                       \
	X(PENDING, "pending")                                                                      \
	X(DELIVERED, "delivered")                                                                  \
	X(BOUNCED, "bounced")                                                                      \
	X(DELAYED, "delayed")
/* clang-format on */

enum delivery_outcome {
#define DELIVERY_OUTCOME_ENUM(name, str) DELIVERY_##name,
	DELIVERY_OUTCOMES(DELIVERY_OUTCOME_ENUM)
#undef DELIVERY_OUTCOME_ENUM
	    DELIVERY_OUTCOME_COUNT
};

/* One delivery attempt: the DCID that carried (some recipients of) the message. */
struct message_delivery {
	uint64_t dcid;
	uint64_t rids; /* bit r: RID r (< 64) */
	enum verdict_kind verdict;
	enum delivery_outcome outcome;
	int after_failure;       /* sent on the DCID after its TLS failure: in the clear */
	struct span peer_domain; /* omitted when absent */
};

/* Most deliveries listed per message; "deliveries_total" counts them all. */
#define MESSAGE_DELIVERIES_MAX 8

struct message_record {
	struct span host;
	uint64_t mid;
	uint64_t icid; /* 0: omitted (the inbound connection is not known) */
	enum verdict_kind in_verdict;
	const struct message_delivery *deliveries;
	size_t n_deliveries;
	uint32_t deliveries_total;
	enum message_end end;
	struct logtime first_seen, last_seen; /* omitted when !valid */
};

/* A buffer this large always holds an encoded message record. */
#define MESSAGE_RECORD_MAX 8192

/* The message's end-to-end verdict (README "Message records"): tls_failed if any part failed,
 * else no_tls if any was plain, else unknown if any is unknown, else tls. */
enum verdict_kind message_end_to_end(const struct message_record *m);

/* Encodes m as one JSON object plus "\n" ({"v":1,"type":"message",...}) into buf[0..cap);
 * returns the length, or 0 if it does not fit (never with cap >= MESSAGE_RECORD_MAX and host
 * and domains of at most 255 bytes). */
size_t message_record_encode(const struct message_record *m, char *buf, size_t cap);

/* ---- downgrade records: a peer that used TLS stops, or drops its protocol ----
 */

/* clang-format off */
#define DOWNGRADE_KINDS(X)                                                                         \
	X(TLS_LOST, "tls_lost")  /* TLS within the window, now tls_failed or no_tls */             \
	X(PROTOCOL, "protocol")  /* TLS still, but an older protocol than the last time */         \
	X(RESTORED, "restored")  /* TLS again, at the earlier protocol, after a downgrade record */
/* clang-format on */

enum downgrade_kind {
#define DOWNGRADE_KIND_ENUM(name, str) DOWNGRADE_##name,
	DOWNGRADE_KINDS(DOWNGRADE_KIND_ENUM)
#undef DOWNGRADE_KIND_ENUM
	    DOWNGRADE_KIND_COUNT
};

/* One downgrade record: the peer's posture before, and the connection that changed it. */
struct downgrade_record {
	enum downgrade_kind kind;
	struct span peer;           /* the posture key (README "Downgrade records") */
	const struct verdict *conn; /* the new connection's final record */
	struct span last_tls_host;  /* appliance of the peer's last TLS success */
	struct logtime last_tls;    /* its last line, as logged; omitted when !valid */
	struct span last_protocol;  /* its protocol and cipher; omitted when absent */
	struct span last_cipher;
	uint64_t counts[VERDICT_KIND_COUNT]; /* the peer's connections by verdict, this one too */
	uint64_t held_back; /* this peer's records the throttle held back since its last one */
};

/* A buffer this large always holds an encoded downgrade record. */
#define DOWNGRADE_RECORD_MAX 20480

/* Encodes g as one JSON object plus "\n" ({"v":1,"type":"downgrade",...}) into buf[0..cap);
 * returns the length, or 0 if it does not fit (never with cap >= DOWNGRADE_RECORD_MAX and
 * strings of at most 255 bytes). */
size_t downgrade_record_encode(const struct downgrade_record *g, char *buf, size_t cap);

const char *downgrade_kind_name(enum downgrade_kind kind);

const char *message_end_name(enum message_end end);
const char *delivery_outcome_name(enum delivery_outcome outcome);

/* Names: "connection", "feed"; "silent", "resumed", ...; "?" out of range. */
const char *record_type_name(enum record_type type);
const char *feed_state_name(enum feed_state state);

#endif
