/* Connection tracker: follows every ICID/DCID of every appliance through its log events and
 * emits exactly one verdict record per connection when it ends (DESIGN.md "Which lines create,
 * update and end a connection" and "Emission contract"). Pure: the caller passes `now` and
 * receives records through a callback. Bounded: at most max_connections open (the least
 * recently active is evicted), idle timeout, hard lifetime, bounded linger and MID tables. */
#ifndef ESATLS_TRACK_H
#define ESATLS_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "esa.h"
#include "logtime.h"
#include "msgtrack.h"
#include "verdict.h"

struct track_config {
	int64_t idle_timeout; /* seconds without a line before a connection ends as idle; 0 off */
	int64_t lifetime;     /* seconds since its first line before it ends as lifetime; 0 off */
	int64_t linger;       /* seconds an ended ID keeps absorbing late lines */
	uint32_t max_connections; /* open connections at once (>= 1) */
	uint32_t max_linger;      /* ended IDs remembered for linger */
	uint32_t max_mid_links;   /* MID -> ICID links remembered */
	int64_t alert_delay;      /* seconds from a TLS failure line to its early alert */
	uint32_t max_alerts;      /* early alerts waiting for their delay */
	uint32_t max_recipients;  /* messages whose recipient domains are remembered */
	uint32_t max_messages;    /* messages followed for message records */
	int64_t message_timeout;  /* seconds without news before a message record is written */
};

/* The defaults of DESIGN.md: idle 10 min, lifetime 24 h, linger 60 s, 1 000 000 connections,
 * alert delay 2 s; message records: 100 000 messages, 30 min without news. */
void track_config_defaults(struct track_config *cfg);

/* Receives each record; v and everything it points to are valid only during the call.
 * v->purpose says where it goes: every connection yields exactly one record with
 * VERDICT_FOR_FILES (when it ends) and exactly one with VERDICT_FOR_HOOKS: for a TLS failure
 * still open alert_delay after its failure line, an early record with end "open" (emitted by
 * track_expire), else the final record itself. */
typedef void (*track_verdict_fn)(const struct verdict *v, void *arg);

struct track_counters {
	uint64_t connections; /* connections created */
	uint64_t ends[VERDICT_END_COUNT];
	uint64_t verdicts[VERDICT_KIND_COUNT];
	uint64_t verdicts_by_dir[ESA_DIR_OUT + 1][VERDICT_KIND_COUNT]; /* [enum esa_dir][kind] */
	uint64_t late_lines; /* lines for an ID that ended within linger, attached to nothing */
	uint64_t unattached_lines; /* ID 0, or outcome lines for connections not tracked */
	uint64_t alloc_failures;   /* state that could not be allocated: the line was dropped */
	uint64_t linger_dropped;   /* ended IDs forgotten early because the linger table was full */
	uint64_t mid_links_dropped;  /* MID links forgotten early because the table was full */
	uint64_t recipients_dropped; /* messages whose recipient domains were forgotten early */
	uint64_t strings_truncated;  /* field values cut to VERDICT_FIELD_MAX */
	uint64_t mids_capped;        /* MIDs counted but not listed (over VERDICT_MIDS_MAX) */
	uint64_t early_alerts;       /* alerts sent while the connection was still open */
	uint64_t alerts_unscheduled; /* early alerts dropped for a full table: sent at the end */
	uint64_t restored;           /* connections loaded from saved state (not in connections) */
};

struct tracker;

/* A tracker calling emit(record, arg) for every ended connection. NULL if memory ran out. */
struct tracker *track_new(const struct track_config *cfg, track_verdict_fn emit, void *arg);

/* Applies new time limits and max_connections to a running tracker (reload). Open connections
 * are kept; when max_connections shrinks, the least recently active are evicted as new ones
 * arrive. The linger and MID table sizes stay as created. */
void track_reconfigure(struct tracker *t, const struct track_config *cfg);

/* Frees everything without emitting (call track_flush first to emit open connections). */
void track_free(struct tracker *t);

/* Applies one classified line from appliance `source` (a source_table number; the tracker never
 * interprets it) logged at `when`, at clock time `now` (seconds). Events that name no connection
 * are counted or used for MID links only. */
void track_event(struct tracker *t, uint32_t source, const struct esa_event *ev,
                 const struct logtime *when, int64_t now);

/* Ends connections idle or past their lifetime at `now`, sends the early alerts that are due,
 * and forgets ended IDs past linger. */
void track_expire(struct tracker *t, int64_t now);

/* Ends every open connection with reason `end` (eof, shutdown), oldest first. */
void track_flush(struct tracker *t, enum verdict_end end);

/* The ICID that carried message `mid` of `source`, if still remembered; 0 on success, -1 if not. */
int track_mid_icid(const struct tracker *t, uint32_t source, uint64_t mid, uint64_t *icid);

/* The DCID that last carried (a delivery of) message `mid` of `source`, if still remembered;
 * 0 on success, -1 if not. Links go when the message's "Message finished" line comes. */
int track_mid_dcid(const struct tracker *t, uint32_t source, uint64_t mid, uint64_t *dcid);

/* ---- state that outlives the process (a restart resumes open connections) ---- */

#define TRACK_NO_ALERT INT64_MIN

/* One open connection as the tracker would rebuild it. Times are clock seconds (absolute, like
 * `now`). Strings and MIDs point into storage owned by whoever filled the struct. */
struct track_conn_state {
	uint64_t id;
	uint32_t source;     /* the tracker's source number */
	struct span host;    /* the source's name, for whoever stores it (<= 255 bytes) */
	uint8_t dir;         /* ESA_DIR_IN or ESA_DIR_OUT */
	uint8_t pending_end; /* 0, VERDICT_END_LOST or VERDICT_END_DISCONNECTED */
	uint8_t err_rank;    /* 0..3: which sentence set tls_error */
	uint16_t flags;      /* tracker-private bits, checked by track_conn_state_check */
	uint16_t peer_port;
	int64_t born, touched;         /* clock seconds of its first and latest line */
	int64_t alert_due;             /* clock second its early alert is due, or TRACK_NO_ALERT */
	int64_t first_wall, last_wall; /* logged times, when flags say they are known */
	int16_t first_off, last_off;
	uint32_t lines, mids_total, fail_total;
	struct span str[VERDICT_STR_COUNT]; /* absent fields: span_none() */
	const uint64_t *mids;               /* n_mids (<= VERDICT_MIDS_MAX) listed MIDs, none 0 */
	uint32_t n_mids;
	uint64_t
	    mid_overflow; /* the newest MID past the list (0 if none): repeats are not recounted */
};

/* Whether s describes a connection the tracker could hold: 0 if so, -1 if not. */
int track_conn_state_check(const struct track_conn_state *s);

/* Calls fn for every open connection, oldest first; s is valid during the call only. `host` is
 * left empty (the caller names sources). Stops early when fn returns non-zero and returns that. */
typedef int (*track_conn_state_fn)(const struct track_conn_state *s, void *arg);
int track_export(const struct tracker *t, track_conn_state_fn fn, void *arg);

/* Adds one saved connection (s must pass track_conn_state_check) at clock `now`. A connection
 * already open under the same key is kept and s ignored. Returns 0, or -1 if it was ignored or
 * memory ran out (counted as alloc_failures). Call track_import_done after the last one. */
int track_import(struct tracker *t, const struct track_conn_state *s, int64_t now);

/* Puts imported connections back in the order of their latest activity (idle expiry walks it). */
void track_import_done(struct tracker *t);

/* Turns message records on: from now on every message is followed (msgtrack.h) and its record
 * goes to emit(record, arg). Off by default, when the tracker pays nothing for them. Returns 0,
 * or -1 if memory ran out. Calling it again changes the callback only. */
int track_enable_messages(struct tracker *t, msgtrack_emit_fn emit, void *arg);

/* Saved messages (msgtrack_export, msgtrack_import) while message records are on: export
 * calls fn for none and returns 0 when off, import returns -1. */
int track_export_messages(const struct tracker *t, msgtrack_state_fn fn, void *arg);
int track_import_message(struct tracker *t, const struct msg_state *s);

/* The message tracker, NULL while message records are off. */
const struct msgtrack *track_messages(const struct tracker *t);

/* Names source numbers for records: the callback gets host = name(arg, source). */
typedef struct span (*track_source_name_fn)(const void *arg, uint32_t source);
void track_set_source_names(struct tracker *t, track_source_name_fn name, const void *arg);

size_t track_open_count(const struct tracker *t);
const struct track_counters *track_counters(const struct tracker *t);

/* Bytes the tracker holds on the heap (tables and per-connection storage, excluding malloc's
 * own overhead). */
size_t track_memory(const struct tracker *t);

#endif
