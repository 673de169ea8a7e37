/* The engine: one log message in (a syslog frame or a log-file line), through the syslog header
 * parser, the ESA classifier and the tracker, verdict records out through a callback. The daemon
 * and replay share this path. Pure: the caller passes the clock. */
#ifndef ESATLS_ENGINE_H
#define ESATLS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "esa.h"
#include "posture.h"
#include "source.h"
#include "span.h"
#include "syslog.h"
#include "track.h"

/* Passed as `arrival` when replaying: the clock is then the newest timestamp of the log itself. */
#define ENGINE_LOG_CLOCK INT64_MIN

struct engine_config {
	struct track_config track;
	struct posture_config posture; /* used once downgrade records are on */
	uint32_t max_sources;          /* distinct appliances (host names / sender addresses) */
};

/* The defaults of DESIGN.md. */
void engine_config_defaults(struct engine_config *cfg);

struct engine_counters {
	uint64_t messages; /* messages fed */
	uint64_t by_format[SYSLOG_FMT_COUNT];
	uint64_t by_kind[ESA_KIND_COUNT]; /* [ESA_UNCLASSIFIED] = unclassified lines */
	uint64_t no_timestamp;            /* messages whose time was taken from the clock */
	uint64_t continuations;   /* header-less fragments (an embedded newline split a message):
	                           * counted, never classified nor attached */
	uint64_t source_overflow; /* messages dropped: too many distinct sources */
};

struct engine;

/* An engine emitting records through emit(record, arg). `now` (seconds since the epoch, UTC) is
 * where year-less timestamps take their year from until the log supplies its own. NULL if
 * memory ran out. */
struct engine *engine_new(const struct engine_config *cfg, track_verdict_fn emit, void *arg,
                          int64_t now);

/* Applies new tracking limits (reload); open connections are kept. */
void engine_reconfigure(struct engine *e, const struct engine_config *cfg);

/* Emits nothing; call engine_flush first to end open connections. */
void engine_free(struct engine *e);

/* Feeds one message. `sender` names the source when the message carries no HOSTNAME (the
 * sender's address; an empty span for log files). `arrival` is the receive time in seconds since
 * the epoch, or ENGINE_LOG_CLOCK to run on the log's own timestamps (replay). */
void engine_feed(struct engine *e, const char *msg, size_t len, struct span sender,
                 int64_t arrival);

/* Ends connections idle or past their lifetime at arrival time `now` (daemon timer). */
void engine_expire(struct engine *e, int64_t now);

/* Ends every open connection with reason `end` (VERDICT_END_EOF, VERDICT_END_SHUTDOWN). */
void engine_flush(struct engine *e, enum verdict_end end);

/* Turns message records on (track_enable_messages); 0, or -1 if memory ran out. */
int engine_enable_messages(struct engine *e, msgtrack_emit_fn emit, void *arg);

/* Turns downgrade records on: from now on every final record also goes to a posture table
 * (posture.h, configured by cfg->posture) writing through emit(record, arg). Off by default.
 * 0, or -1 if memory ran out; a second call changes nothing. */
int engine_enable_posture(struct engine *e, posture_emit_fn emit, void *arg);

/* The posture table's counters and peers; zero while downgrade records are off. */
const struct posture_counters *engine_posture_counters(const struct engine *e);
size_t engine_posture_peers(const struct engine *e);

/* Saved peers (posture_export, posture_import) while downgrade records are on: export calls
 * nothing and import refuses (-1) while they are off. */
int engine_export_peers(const struct engine *e, posture_state_fn fn, void *arg);
int engine_import_peer(struct engine *e, const struct posture_peer_state *s);

/* The message tracker's counters and open messages; zero while message records are off. */
const struct msgtrack_counters *engine_message_counters(const struct engine *e);
size_t engine_open_messages(const struct engine *e);

const struct engine_counters *engine_counters(const struct engine *e);
const struct track_counters *engine_track_counters(const struct engine *e);
size_t engine_open_connections(const struct engine *e);

/* Appliances seen (at most max_sources), and for appliance i (0-based): its name (a host name,
 * a sender address, or empty for log files without one; NUL-terminated), its messages and the
 * clock time of its latest. Returns 0, or -1 past the end. */
size_t engine_appliances(const struct engine *e);
int engine_appliance(const struct engine *e, size_t i, struct span *name, uint64_t *messages,
                     int64_t *last_seen);

/* Of appliance i's messages, those the ESA classifier did not know (0 past the end). */
uint64_t engine_appliance_unclassified(const struct engine *e, size_t i);

/* The first unclassified line of appliance i since its example was last dropped, or NULL;
 * engine_appliance_drop_example makes room for the next one. Held lines are raw input. */
const struct source_example *engine_appliance_example(const struct engine *e, size_t i);
void engine_appliance_drop_example(struct engine *e, size_t i);

/* The index of the appliance called name: 0 and *i set, or -1 when it has not been seen. */
int engine_appliance_find(const struct engine *e, struct span name, size_t *i);

/* ---- saved state (see track.h) ---- */

/* Calls fn for every open connection, oldest first, with s->host naming its appliance. Returns
 * what fn returned to stop early, else 0. */
int engine_export(const struct engine *e, track_conn_state_fn fn, void *arg);

/* Whether a saved connection could be imported (track_conn_state_check and a valid host name):
 * 0 if so, -1 if not. Imports nothing. */
int engine_import_check(const struct track_conn_state *s);

/* Imports a saved connection (s->source is ignored: s->host names its appliance, added to the
 * table of appliances if new) at arrival clock `now`. 0, or -1 if it was refused (invalid, a
 * connection with its key already open, the table of appliances full, or memory ran out). Call
 * engine_import_done after the last one. */
int engine_import(struct engine *e, const struct track_conn_state *s, int64_t now);
/* The same for followed messages (message records on; else none are exported and every import
 * is refused). */
int engine_export_messages(const struct engine *e, msgtrack_state_fn fn, void *arg);
int engine_import_message_check(const struct msg_state *s);
int engine_import_message(struct engine *e, const struct msg_state *s);

void engine_import_done(struct engine *e);

/* The ICID that carried message `mid` of appliance `host`, if known; 0 on success. */
int engine_mid_icid(const struct engine *e, struct span host, uint64_t mid, uint64_t *icid);

#endif
