/* Message tracker: follows each message (appliance, MID) from its "Start MID" line through its
 * delivery attempts and writes one message record when it is finished ("Message finished MID m
 * done|aborted", or every recipient delivered or bounced) and the verdicts of the connections
 * that carried it are known, or when it had no news for idle_timeout (README "Message
 * records"). The connection tracker feeds it: each event naming a message, with what it knows
 * of that event's connection, and each connection's verdict as the connection ends. Pure, and
 * bounded: at most max_messages (the one taken in first is written out as evicted). */
#ifndef ESATLS_MSGTRACK_H
#define ESATLS_MSGTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "esa.h"
#include "logtime.h"
#include "record.h"
#include "ringmap.h"

struct msgtrack_config {
	uint32_t max_messages; /* messages followed at once (>= 1) */
	int64_t idle_timeout;  /* seconds without news before a message is written anyway */
	int64_t linger;        /* seconds a written MID keeps absorbing late lines */
};

typedef void (*msgtrack_emit_fn)(const struct message_record *m, void *arg);
typedef struct span (*msgtrack_name_fn)(const void *arg, uint32_t source);

struct msgtrack_counters {
	uint64_t messages; /* messages followed */
	uint64_t ends[MESSAGE_END_COUNT];
	uint64_t e2e[VERDICT_KIND_COUNT]; /* records by end_to_end */
	uint64_t late_lines;              /* lines for a MID written within linger */
	uint64_t deliveries_capped;       /* delivery attempts counted but not listed */
	uint64_t alloc_failures;          /* messages or deliveries not stored: memory ran out */
};

/* What the connection tracker knows of the connection an event names. */
enum msg_conn_state {
	MSG_CONN_NONE,  /* no connection: its part of the verdict is unknown */
	MSG_CONN_OPEN,  /* open: its verdict comes with msgtrack_conn_ended */
	MSG_CONN_ENDED, /* ended recently with `verdict` */
};

struct msg_conn {
	enum msg_conn_state state;
	enum verdict_kind verdict; /* MSG_CONN_ENDED */
	int after_failure;         /* outbound: its TLS had already failed (final: its verdict will
	                            * be tls_failed whatever follows) */
	struct span peer_domain;   /* outbound: the domain it delivers to, if known */
};

struct msgtrack;

/* NULL if memory ran out. */
struct msgtrack *msgtrack_new(const struct msgtrack_config *cfg, msgtrack_emit_fn emit, void *arg);

/* Frees everything without writing. */
void msgtrack_free(struct msgtrack *mt);

/* New idle_timeout and linger (reload); the table size stays. */
void msgtrack_reconfigure(struct msgtrack *mt, const struct msgtrack_config *cfg);

void msgtrack_set_source_names(struct msgtrack *mt, msgtrack_name_fn name, const void *arg);

/* Start loading what an event naming (source, mid) will read (hints: nothing changes), so that
 * the loads overlap the caller's work on the event's connection: first the index slot, then,
 * once that has had time to come, the message it names. */
void msgtrack_prefetch(const struct msgtrack *mt, uint32_t source, uint64_t mid);
void msgtrack_prefetch_message(struct msgtrack *mt, uint32_t source, uint64_t mid);

/* Applies one event of `source` that names a message (others are ignored); conn describes the
 * connection the event names (ignored for events that name none). */
void msgtrack_event(struct msgtrack *mt, uint32_t source, const struct esa_event *ev,
                    const struct msg_conn *conn, const struct logtime *when, int64_t now);

/* Connection (source, dir, id) ended with verdict `kind`: the messages it listed learn it
 * (msgtrack_prefetch for each of them a little before lets their loads overlap). When it
 * carried more messages than it could list (mids_total > n_mids), the followed messages that
 * name it are looked for among all of them. */
void msgtrack_conn_ended(struct msgtrack *mt, uint32_t source, enum esa_dir dir, uint64_t id,
                         const uint64_t *mids, size_t n_mids, uint64_t mids_total,
                         enum verdict_kind kind, int64_t now);

/* Writes messages without news for idle_timeout; forgets written MIDs past linger. */
void msgtrack_expire(struct msgtrack *mt, int64_t now);

/* Writes every message, oldest first; unfinished ones end with `end` (eof, shutdown). */
void msgtrack_flush(struct msgtrack *mt, enum message_end end);

/* ---- state that outlives the process (the state file keeps messages too) ---- */

/* A part's verdict not known yet (its connection is open): in_verdict and verdict below. */
#define MSG_VERDICT_PENDING 0xff
#define MSG_NO_END 0xff

struct msg_state_delivery {
	uint64_t dcid, rids;
	uint8_t verdict; /* enum verdict_kind or MSG_VERDICT_PENDING */
	uint8_t outcome; /* enum delivery_outcome */
	uint8_t after_failure;
	struct span domain; /* absent: none */
};

/* One followed message as the tracker would rebuild it. Strings point into storage owned by
 * whoever filled the struct. */
struct msg_state {
	uint64_t mid, icid, parent;
	uint32_t source;    /* the tracker's source number */
	struct span host;   /* the source's name, for whoever stores it (<= 255 bytes) */
	int64_t news;       /* clock seconds of its latest news */
	uint8_t in_verdict; /* enum verdict_kind or MSG_VERDICT_PENDING */
	uint8_t end;        /* enum message_end once finished, else MSG_NO_END */
	uint32_t del_total;
	uint64_t rcpts, rcpts_done;
	struct logtime first, last;
	uint8_t n_del; /* <= MESSAGE_DELIVERIES_MAX */
	struct msg_state_delivery del[MESSAGE_DELIVERIES_MAX];
};

/* Whether s describes a message the tracker could hold: 0 if so, -1 if not. */
int msgtrack_state_check(const struct msg_state *s);

/* Calls fn for every followed message, oldest first (host left empty); stops early when fn
 * returns non-zero and returns that. */
typedef int (*msgtrack_state_fn)(const struct msg_state *s, void *arg);
int msgtrack_export(const struct msgtrack *mt, msgtrack_state_fn fn, void *arg);

/* Adds one saved message (s must pass msgtrack_state_check). A message already followed under
 * the same key is kept and s ignored. Returns 0, or -1 if it was ignored or memory ran out. */
int msgtrack_import(struct msgtrack *mt, const struct msg_state *s);

size_t msgtrack_open_count(const struct msgtrack *mt);
const struct msgtrack_counters *msgtrack_counters(const struct msgtrack *mt);
size_t msgtrack_memory(const struct msgtrack *mt);

#endif
