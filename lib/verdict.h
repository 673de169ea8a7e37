/* Verdict records: one per connection, encoded as one JSON line (schema "v":1, DESIGN.md).
 * The encoder always produces valid UTF-8 JSON whatever bytes the log carried: control bytes
 * are escaped, invalid UTF-8 sequences become U+FFFD. */
#ifndef ESATLS_VERDICT_H
#define ESATLS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "esa.h"
#include "logtime.h"
#include "span.h"

#define VERDICT_KINDS(X)                                                                           \
	X(TLS, "tls") X(TLS_FAILED, "tls_failed") X(NO_TLS, "no_tls") X(UNKNOWN, "unknown")

enum verdict_kind {
#define VERDICT_KIND_ENUM(name, str) VERDICT_##name,
	VERDICT_KINDS(VERDICT_KIND_ENUM)
#undef VERDICT_KIND_ENUM
	    VERDICT_KIND_COUNT
};

#define VERDICT_ENDS(X)                                                                            \
	X(OPEN, "open")                                                                            \
	X(CLOSE, "close")                                                                          \
	X(LOST, "lost")                                                                            \
	X(DISCONNECTED, "disconnected")                                                            \
	X(ERROR, "error")                                                                          \
	X(SUPERSEDED, "superseded")                                                                \
	X(IDLE, "idle")                                                                            \
	X(LIFETIME, "lifetime") X(EVICTED, "evicted") X(SHUTDOWN, "shutdown") X(EOF, "eof")

enum verdict_end {
#define VERDICT_END_ENUM(name, str) VERDICT_END_##name,
	VERDICT_ENDS(VERDICT_END_ENUM)
#undef VERDICT_END_ENUM
	    VERDICT_END_COUNT
};

/* Longest string kept per field; longer log values are cut (at a UTF-8 boundary is not
 * guaranteed: the encoder repairs a cut sequence). */
#define VERDICT_FIELD_MAX 255
/* Most MIDs listed in "mids" (and "mids_after_failure"); "mids_total" counts them all. */
#define VERDICT_MIDS_MAX 64
/* A buffer this large always holds an encoded record. */
#define VERDICT_LINE_MAX 32768

/* String fields of a record, in output order. (clang-format runs a list this long together.) */
/* clang-format off */
#define VERDICT_STRINGS(X)                                                                         \
	X(PEER_IP, "peer_ip")                                                                      \
	X(PEER_RDNS, "peer_rdns")                                                                  \
	X(PEER_DOMAIN, "peer_domain")                                                              \
	X(INTERFACE, "interface")                                                                  \
	X(LOCAL_IP, "local_ip")                                                                    \
	X(POLICY, "policy")                                                                        \
	X(SENDER_GROUP, "sender_group")                                                            \
	X(SBRS, "sbrs")                                                                            \
	X(COUNTRY, "country")                                                                      \
	X(TLS_PROTOCOL, "tls_protocol")                                                            \
	X(TLS_CIPHER, "tls_cipher")                                                                \
	X(TLS_CN, "tls_cn")                                                                        \
	X(TLS_DOMAIN, "tls_domain")                                                                \
	X(TLS_ERROR, "tls_error")                                                                  \
	X(ERROR, "error")
/* clang-format on */

enum verdict_str {
#define VERDICT_STR_ENUM(name, str) VERDICT_S_##name,
	VERDICT_STRINGS(VERDICT_STR_ENUM)
#undef VERDICT_STR_ENUM
	    VERDICT_STR_COUNT
};

/* What a record is for (struct verdict.purpose). */
#define VERDICT_FOR_FILES 0x1 /* the connection's one final record */
#define VERDICT_FOR_HOOKS                                                                          \
	0x2 /* the connection's one alert: an early record (end "open") for a                      \
	     * TLS failure still open after alert_delay, else its final record */

/* A record ready to encode. Spans point at the tracker's storage (or anywhere); absent spans
 * and zero numbers marked absent below are omitted from the JSON. */
struct verdict {
	enum verdict_kind kind;
	enum esa_dir dir; /* ESA_DIR_IN ("inbound", "icid") or ESA_DIR_OUT ("outbound", "dcid") */
	struct span host; /* source appliance; omitted when absent or empty */
	uint64_t conn_id;
	struct logtime first_seen, last_seen; /* omitted when !valid */
	enum verdict_end end;
	struct span str[VERDICT_STR_COUNT];
	int peer_rdns_verified; /* -1 omitted, else false/true */
	int tls_required;       /* 1 emits "tls_required":true, 0 omits it */
	uint32_t peer_port;     /* 0 omitted */
	const uint64_t *mids;   /* n_mids listed (at most VERDICT_MIDS_MAX are printed) */
	size_t n_mids;
	uint64_t mids_total;  /* emitted as "mids_total" when larger than the printed list */
	int has_failure_mark; /* outbound TLS failure seen: emit "mids_after_failure" */
	size_t mids_after_failure_from;    /* index into mids of the first MID delivered after it */
	uint64_t mids_after_failure_total; /* emitted as "mids_after_failure_total" when larger
	                                    * than the printed mids_after_failure list */
	uint32_t lines;
	unsigned purpose; /* VERDICT_FOR_* bits; not encoded */
};

/* Encodes v as one JSON object plus "\n" into buf[0..cap). Returns the length written (no NUL
 * added), or 0 if cap is too small (never with cap >= VERDICT_LINE_MAX). */
size_t verdict_encode(const struct verdict *v, char *buf, size_t cap);

/* Writes the JSON string form of s ("..." with escapes, invalid UTF-8 replaced by U+FFFD) at
 * buf[0..cap). Returns the length written, or 0 if it does not fit. */
size_t verdict_json_string(struct span s, char *buf, size_t cap);

const char *verdict_kind_name(enum verdict_kind kind);
const char *verdict_end_name(enum verdict_end end);
const char *verdict_str_name(enum verdict_str field);

#endif
