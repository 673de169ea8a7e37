#include <event2/buffer.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "feed.h"
#include "hook.h"
#include "listen.h"
#include "log.h"
#include "output.h"
#include "stats.h"

/* Where a family's values come from: a uint64_t at `offset` in one of these structs (one
 * sample, or one per listener / output / hook), or code of its own (CUSTOM). */
enum stat_src {
	SRC_DAEMON,
	SRC_ENGINE,
	SRC_TRACK,
	SRC_MSG,
	SRC_POSTURE,
	SRC_LISTENER,
	SRC_OUTPUT,
	SRC_HOOK,
	SRC_CUSTOM
};

#define LOSS 1u /* a loss: counted in stats_drops and the minute's drop summary */

#define D(f) offsetof(struct daemon_counters, f)
#define E(f) offsetof(struct engine_counters, f)
#define T(f) offsetof(struct track_counters, f)
#define M(f) offsetof(struct msgtrack_counters, f)
#define P(f) offsetof(struct posture_counters, f)
#define L(f) offsetof(struct listen_counters, f)
#define O(f) offsetof(struct output_counters, f)
#define H(f) offsetof(struct hook_stats, f)

/* X(id, type, name, help, source, offset, flags, status key) */
#define STATS(X)                                                                                   \
	X(UP, GAUGE, "esatlsd_up", "1 while the daemon runs.", SRC_CUSTOM, 0, 0, NULL)             \
	X(START_TIME, GAUGE, "esatlsd_start_time_seconds",                                         \
	  "When the daemon started, in seconds since the epoch.", SRC_CUSTOM, 0, 0, NULL)          \
	X(RELOADS, COUNTER, "esatlsd_reloads_total", "Configuration reloads applied.", SRC_DAEMON, \
	  D(reloads), 0, NULL)                                                                     \
	X(RELOAD_FAILURES, COUNTER, "esatlsd_reload_failures_total",                               \
	  "Reloads refused; the running configuration stayed.", SRC_DAEMON, D(reload_failures), 0, \
	  NULL)                                                                                    \
	X(ENCODE_FAILURES, COUNTER, "esatlsd_encode_failures_total",                               \
	  "Records that could not be encoded.", SRC_DAEMON, D(encode_failures), LOSS, NULL)        \
	X(STATE_SAVES, COUNTER, "esatlsd_state_saves_total",                                       \
	  "State file writes (checkpoints and the one at stop).", SRC_DAEMON, D(state_saves), 0,   \
	  NULL)                                                                                    \
	X(STATE_SAVE_FAILURES, COUNTER, "esatlsd_state_save_failures_total",                       \
	  "State file writes that failed; the previous file stayed.", SRC_DAEMON,                  \
	  D(state_save_failures), 0, NULL)                                                         \
	X(STATE_SET_ASIDE, COUNTER, "esatlsd_state_set_aside_total",                               \
	  "Unreadable state files renamed aside at start.", SRC_DAEMON, D(state_set_aside), 0,     \
	  NULL)                                                                                    \
	X(STATE_SAVE_MS, GAUGE, "esatlsd_state_save_milliseconds",                                 \
	  "How long the latest state file write took.", SRC_DAEMON, D(state_save_ms), 0, NULL)     \
	X(HTTP_REQUESTS, COUNTER, "esatlsd_metrics_requests_total",                                \
	  "Requests the metrics endpoint answered.", SRC_DAEMON, D(http.requests), 0, NULL)        \
	X(HTTP_REFUSED, COUNTER, "esatlsd_metrics_refused_total",                                  \
	  "Metrics connections closed at once: max_connections were open.", SRC_DAEMON,            \
	  D(http.refused), 0, NULL)                                                                \
	X(HTTP_TIMEOUTS, COUNTER, "esatlsd_metrics_timeouts_total",                                \
	  "Metrics connections closed at their deadline.", SRC_DAEMON, D(http.timeouts), 0, NULL)  \
	X(HTTP_BAD, COUNTER, "esatlsd_metrics_bad_requests_total",                                 \
	  "Metrics requests that were not HTTP or too long.", SRC_DAEMON, D(http.bad), 0, NULL)    \
	X(HTTP_PAUSED, COUNTER, "esatlsd_metrics_accept_paused_total",                             \
	  "Times the metrics endpoint stopped accepting: no descriptor left.", SRC_DAEMON,         \
	  D(http.paused), 0, NULL)                                                                 \
	X(HTTP_OPEN, GAUGE, "esatlsd_metrics_connections", "Metrics connections open now.",        \
	  SRC_DAEMON, D(http.open), 0, NULL)                                                       \
	X(MESSAGES, COUNTER, "esatlsd_messages_total", "Log messages processed.", SRC_ENGINE,      \
	  E(messages), 0, "messages")                                                              \
	X(NO_TIMESTAMP, COUNTER, "esatlsd_messages_without_timestamp_total",                       \
	  "Messages whose time was taken from the clock.", SRC_ENGINE, E(no_timestamp), 0, NULL)   \
	X(SOURCE_OVERFLOW, COUNTER, "esatlsd_source_overflow_total",                               \
	  "Messages dropped: too many distinct appliances.", SRC_ENGINE, E(source_overflow), LOSS, \
	  NULL)                                                                                    \
	X(CONTINUATIONS, COUNTER, "esatlsd_continuation_lines_total",                              \
	  "Header-less fragments of a message split over lines, attached to nothing.", SRC_ENGINE, \
	  E(continuations), 0, NULL)                                                               \
	X(BY_FORMAT, COUNTER, "esatlsd_messages_by_format_total",                                  \
	  "Messages by the syslog header recognised (none: no header).", SRC_CUSTOM, 0, 0, NULL)   \
	X(LINES, COUNTER, "esatlsd_lines_total",                                                   \
	  "ESA log lines by the kind classified (unclassified: no known shape).", SRC_CUSTOM, 0,   \
	  0, NULL)                                                                                 \
	X(APPLIANCE_MESSAGES, COUNTER, "esatlsd_appliance_messages_total",                         \
	  "Messages by appliance (syslog host name, else sender address).", SRC_CUSTOM, 0, 0,      \
	  NULL)                                                                                    \
	X(APPLIANCE_LINES, COUNTER, "esatlsd_appliance_lines_total",                               \
	  "Lines by appliance, recognised as ESA mail_logs or unclassified.", SRC_CUSTOM, 0, 0,    \
	  NULL)                                                                                    \
	X(APPLIANCE_UP, GAUGE, "esatlsd_appliance_up",                                             \
	  "1 while an appliance sends, 0 once silent for silent_after or expected and unseen.",    \
	  SRC_CUSTOM, 0, 0, NULL)                                                                  \
	X(APPLIANCE_LAST_SEEN, GAUGE, "esatlsd_appliance_last_seen_seconds",                       \
	  "When each appliance's latest message arrived, in seconds since the epoch.", SRC_CUSTOM, \
	  0, 0, NULL)                                                                              \
	X(CONNECTIONS, COUNTER, "esatlsd_connections_total", "SMTP connections tracked.",          \
	  SRC_TRACK, T(connections), 0, NULL)                                                      \
	X(RESTORED, COUNTER, "esatlsd_connections_restored_total",                                 \
	  "Open connections loaded from the state file at start.", SRC_TRACK, T(restored), 0,      \
	  NULL)                                                                                    \
	X(LATE_LINES, COUNTER, "esatlsd_late_lines_total",                                         \
	  "Lines for an ID that ended within linger, attached to nothing.", SRC_TRACK,             \
	  T(late_lines), LOSS, NULL)                                                               \
	X(UNATTACHED, COUNTER, "esatlsd_unattached_lines_total",                                   \
	  "Lines with ID 0, or outcome lines for connections not tracked.", SRC_TRACK,             \
	  T(unattached_lines), 0, NULL)                                                            \
	X(ALLOC_FAILURES, COUNTER, "esatlsd_alloc_failures_total",                                 \
	  "Lines dropped because their state could not be allocated.", SRC_TRACK,                  \
	  T(alloc_failures), LOSS, NULL)                                                           \
	X(LINGER_DROPPED, COUNTER, "esatlsd_linger_dropped_total",                                 \
	  "Ended IDs forgotten early because the linger table was full.", SRC_TRACK,               \
	  T(linger_dropped), 0, NULL)                                                              \
	X(MID_LINKS_DROPPED, COUNTER, "esatlsd_mid_links_dropped_total",                           \
	  "Message links forgotten early because the table was full.", SRC_TRACK,                  \
	  T(mid_links_dropped), 0, NULL)                                                           \
	X(RECIPIENTS_DROPPED, COUNTER, "esatlsd_recipient_domains_dropped_total",                  \
	  "Messages whose recipient domains were forgotten early: the table was full.", SRC_TRACK, \
	  T(recipients_dropped), 0, NULL)                                                          \
	X(STRINGS_TRUNCATED, COUNTER, "esatlsd_strings_truncated_total",                           \
	  "Record field values cut to their maximum length.", SRC_TRACK, T(strings_truncated), 0,  \
	  NULL)                                                                                    \
	X(MIDS_CAPPED, COUNTER, "esatlsd_mids_capped_total",                                       \
	  "Message IDs counted but not listed in a record.", SRC_TRACK, T(mids_capped), 0, NULL)   \
	X(EARLY_ALERTS, COUNTER, "esatlsd_early_alerts_total",                                     \
	  "Alerts sent while the connection was still open.", SRC_TRACK, T(early_alerts), 0, NULL) \
	X(ALERTS_UNSCHEDULED, COUNTER, "esatlsd_alerts_unscheduled_total",                         \
	  "Early alerts dropped for a full table: sent at the end instead.", SRC_TRACK,            \
	  T(alerts_unscheduled), 0, NULL)                                                          \
	X(OPEN, GAUGE, "esatlsd_connections_open", "SMTP connections open now.", SRC_CUSTOM, 0, 0, \
	  "open")                                                                                  \
	X(ENDS, COUNTER, "esatlsd_connection_ends_total", "Connections ended, by how they ended.", \
	  SRC_CUSTOM, 0, 0, NULL)                                                                  \
	X(VERDICTS, COUNTER, "esatlsd_verdicts_total",                                             \
	  "Connection records, by verdict and direction.", SRC_CUSTOM, 0, 0, "")                   \
	X(MSG_TRACKED, COUNTER, "esatlsd_messages_tracked_total",                                  \
	  "Mail messages followed for message records.", SRC_MSG, M(messages), 0, NULL)            \
	X(MSG_OPEN, GAUGE, "esatlsd_messages_open",                                                \
	  "Mail messages followed now, their record not yet written.", SRC_CUSTOM, 0, 0, NULL)     \
	X(MSG_RECORDS, COUNTER, "esatlsd_messages_records_total",                                  \
	  "Message records, by end_to_end verdict.", SRC_CUSTOM, 0, 0, NULL)                       \
	X(MSG_ENDS, COUNTER, "esatlsd_messages_ends_total",                                        \
	  "Message records, by what ended the message (evicted: the table was full).", SRC_CUSTOM, \
	  0, 0, NULL)                                                                              \
	X(MSG_LATE, COUNTER, "esatlsd_messages_late_lines_total",                                  \
	  "Lines for a message written within linger, attached to nothing.", SRC_MSG,              \
	  M(late_lines), LOSS, NULL)                                                               \
	X(MSG_CAPPED, COUNTER, "esatlsd_messages_deliveries_capped_total",                         \
	  "Delivery attempts counted but not listed in a message record.", SRC_MSG,                \
	  M(deliveries_capped), 0, NULL)                                                           \
	X(MSG_ALLOC, COUNTER, "esatlsd_messages_alloc_failures_total",                             \
	  "Messages or deliveries not followed: memory ran out.", SRC_MSG, M(alloc_failures),      \
	  LOSS, NULL)                                                                              \
	X(POSTURE_PEERS, GAUGE, "esatlsd_posture_peers",                                           \
	  "Peers whose TLS posture is remembered for downgrade records.", SRC_CUSTOM, 0, 0, NULL)  \
	X(DOWNGRADES, COUNTER, "esatlsd_downgrades_total",                                         \
	  "Downgrade records, by kind (tls_lost, protocol, restored).", SRC_CUSTOM, 0, 0, NULL)    \
	X(DOWNGRADES_THROTTLED, COUNTER, "esatlsd_downgrades_throttled_total",                     \
	  "Downgrade records held back by the per-peer throttle.", SRC_POSTURE, P(throttled), 0,   \
	  NULL)                                                                                    \
	X(POSTURE_EVICTED, COUNTER, "esatlsd_posture_peers_evicted_total",                         \
	  "Peers forgotten to make room: posture.max_peers were remembered.", SRC_POSTURE,         \
	  P(evicted), 0, NULL)                                                                     \
	X(POSTURE_EXPIRED, COUNTER, "esatlsd_posture_peers_expired_total",                         \
	  "Peers forgotten: not seen for posture.window.", SRC_POSTURE, P(expired), 0, NULL)       \
	X(POSTURE_ALLOC, COUNTER, "esatlsd_posture_alloc_failures_total",                          \
	  "Peers not remembered: memory ran out.", SRC_POSTURE, P(alloc_failures), LOSS, NULL)     \
	X(L_MESSAGES, COUNTER, "esatlsd_listener_messages_total",                                  \
	  "Datagrams or frames delivered.", SRC_LISTENER, L(messages), 0, NULL)                    \
	X(L_BYTES, COUNTER, "esatlsd_listener_bytes_total", "Bytes received.", SRC_LISTENER,       \
	  L(bytes), 0, NULL)                                                                       \
	X(L_TRUNCATED, COUNTER, "esatlsd_listener_truncated_total",                                \
	  "Datagrams cut by MSG_TRUNC, LF lines cut at max_message_size.", SRC_LISTENER,           \
	  L(truncated), LOSS, NULL)                                                                \
	X(L_OVERSIZED, COUNTER, "esatlsd_listener_oversized_total",                                \
	  "Octet-counted frames over max_message_size, skipped whole.", SRC_LISTENER,              \
	  L(oversized), LOSS, NULL)                                                                \
	X(L_FRAMES_CUT, COUNTER, "esatlsd_listener_frames_cut_total",                              \
	  "Octet-counted frames cut short by the end of their connection, discarded.",             \
	  SRC_LISTENER, L(frames_cut), LOSS, NULL)                                                 \
	X(L_CUT_BYTES, COUNTER, "esatlsd_listener_cut_bytes_total",                                \
	  "Bytes of the frames cut short still buffered at the end, discarded.", SRC_LISTENER,     \
	  L(cut_bytes), 0, NULL)                                                                   \
	X(L_REJECTED, COUNTER, "esatlsd_listener_rejected_total",                                  \
	  "Datagrams or connections from senders outside allow_from.", SRC_LISTENER, L(rejected),  \
	  LOSS, NULL)                                                                              \
	X(L_ACCEPTED, COUNTER, "esatlsd_listener_accepted_connections_total",                      \
	  "TCP and TLS connections accepted.", SRC_LISTENER, L(accepted), 0, NULL)                 \
	X(L_REFUSED, COUNTER, "esatlsd_listener_refused_connections_total",                        \
	  "TCP connections closed at once: max_connections reached.", SRC_LISTENER, L(refused),    \
	  LOSS, NULL)                                                                              \
	X(L_EVICTED, COUNTER, "esatlsd_listener_evicted_connections_total",                        \
	  "Quiet connections closed to take a new sender's: the listener or its sender was full.", \
	  SRC_LISTENER, L(evicted), 0, NULL)                                                       \
	X(L_IDLE_CLOSED, COUNTER, "esatlsd_listener_idle_closed_total",                            \
	  "TCP connections closed for idle_timeout.", SRC_LISTENER, L(idle_closed), 0, NULL)       \
	X(L_ACCEPT_ERRORS, COUNTER, "esatlsd_listener_accept_errors_total",                        \
	  "Failed accept calls.", SRC_LISTENER, L(accept_errors), LOSS, NULL)                      \
	X(L_READ_ERRORS, COUNTER, "esatlsd_listener_read_errors_total", "Failed read calls.",      \
	  SRC_LISTENER, L(read_errors), 0, NULL)                                                   \
	X(L_KERNEL_DROPS, COUNTER, "esatlsd_listener_kernel_drops_total",                          \
	  "UDP datagrams the kernel dropped for a full receive buffer (SO_RXQ_OVFL).",             \
	  SRC_LISTENER, L(kernel_drops), LOSS, NULL)                                               \
	X(L_TLS_HANDSHAKES, COUNTER, "esatlsd_listener_tls_handshakes_total",                      \
	  "TLS handshakes completed.", SRC_LISTENER, L(tls_handshakes), 0, NULL)                   \
	X(L_TLS_FAILURES, COUNTER, "esatlsd_listener_tls_handshake_failures_total",                \
	  "TLS handshakes that failed: not TLS, a protocol error, closed or timed out.",           \
	  SRC_LISTENER, L(tls_failures), LOSS, NULL)                                               \
	X(L_TLS_CERT_REFUSED, COUNTER, "esatlsd_listener_tls_cert_refused_total",                  \
	  "TLS clients refused for their certificate: missing, not valid or no allowed name.",     \
	  SRC_LISTENER, L(tls_cert_refused), LOSS, NULL)                                           \
	X(L_OPEN, GAUGE, "esatlsd_listener_open_connections",                                      \
	  "TCP and TLS connections open now (0 for UDP).", SRC_CUSTOM, 0, 0, NULL)                 \
	X(O_RECORDS, COUNTER, "esatlsd_output_records_total",                                      \
	  "Records handed to the output (after its verdict filter).", SRC_OUTPUT, O(records), 0,   \
	  NULL)                                                                                    \
	X(O_WRITTEN, COUNTER, "esatlsd_output_written_total", "Records fully written.",            \
	  SRC_OUTPUT, O(written), 0, NULL)                                                         \
	X(O_WRITE_ERRORS, COUNTER, "esatlsd_output_write_errors_total", "Failed write calls.",     \
	  SRC_OUTPUT, O(write_errors), 0, NULL)                                                    \
	X(O_RETRIES, COUNTER, "esatlsd_output_retries_total", "Write attempts after an error.",    \
	  SRC_OUTPUT, O(retries), 0, NULL)                                                         \
	X(O_DROPPED, COUNTER, "esatlsd_output_dropped_total",                                      \
	  "Records lost because the queue was full.", SRC_OUTPUT, O(dropped), LOSS, NULL)          \
	X(O_REOPENS, COUNTER, "esatlsd_output_reopens_total", "Reopens of the file.", SRC_OUTPUT,  \
	  O(reopens), 0, NULL)                                                                     \
	X(O_UNLINKED, COUNTER, "esatlsd_output_unlinked_total",                                    \
	  "Times the file was found removed and could not be made again.", SRC_OUTPUT,             \
	  O(unlinked), LOSS, NULL)                                                                 \
	X(O_PENDING, GAUGE, "esatlsd_output_pending",                                              \
	  "Records buffered or queued, not yet written.", SRC_CUSTOM, 0, 0, NULL)                  \
	X(H_OFFERED, COUNTER, "esatlsd_hook_offered_total",                                        \
	  "Records that matched the hook's filters.", SRC_HOOK, H(offered), 0, NULL)               \
	X(H_THROTTLED, COUNTER, "esatlsd_hook_throttled_total",                                    \
	  "Alerts suppressed by the throttle.", SRC_HOOK, H(throttled), 0, NULL)                   \
	X(H_RUNS, COUNTER, "esatlsd_hook_runs_total",                                              \
	  "Programs started (exec) or requests sent (webhook, retries included).", SRC_HOOK,       \
	  H(runs), 0, NULL)                                                                        \
	X(H_OK, COUNTER, "esatlsd_hook_ok_total", "Runs that exited 0, requests answered 2xx.",    \
	  SRC_HOOK, H(ok), 0, NULL)                                                                \
	X(H_FAILED, COUNTER, "esatlsd_hook_failed_total", "Alerts that failed for good.",          \
	  SRC_HOOK, H(failed), 0, NULL)                                                            \
	X(H_TIMEOUTS, COUNTER, "esatlsd_hook_timeouts_total",                                      \
	  "Runs or requests stopped at the timeout.", SRC_HOOK, H(timeouts), 0, NULL)              \
	X(H_RETRIES, COUNTER, "esatlsd_hook_retries_total",                                        \
	  "Webhook requests sent again after an error.", SRC_HOOK, H(retries), 0, NULL)            \
	X(H_ERRORS, COUNTER, "esatlsd_hook_spawn_errors_total",                                    \
	  "Programs that could not be started.", SRC_HOOK, H(errors), 0, NULL)                     \
	X(H_TLS_ERRORS, COUNTER, "esatlsd_hook_tls_errors_total",                                  \
	  "Webhook attempts whose TLS handshake failed, certificate verification included.",       \
	  SRC_HOOK, H(tls_errors), 0, NULL)                                                        \
	X(H_DNS_ERRORS, COUNTER, "esatlsd_hook_dns_errors_total",                                  \
	  "Webhook attempts whose host name could not be resolved.", SRC_HOOK, H(dns_errors), 0,   \
	  NULL)                                                                                    \
	X(H_RATE_LIMITED, COUNTER, "esatlsd_hook_rate_limited_total",                              \
	  "Webhook answers 429 Too Many Requests (retried after Retry-After).", SRC_HOOK,          \
	  H(rate_limited), 0, NULL)                                                                \
	X(H_CLIENT_ERRORS, COUNTER, "esatlsd_hook_client_errors_total",                            \
	  "Webhook answers 4xx other than 408 and 429: the alert is given up at once.", SRC_HOOK,  \
	  H(client_errors), 0, NULL)                                                               \
	X(H_QUEUE_DROPS, COUNTER, "esatlsd_hook_queue_drops_total",                                \
	  "Alerts dropped because the queue was full.", SRC_HOOK, H(queue_drops), LOSS, NULL)      \
	X(H_RUNNING, GAUGE, "esatlsd_hook_running", "Programs running or requests in flight now.", \
	  SRC_HOOK, H(running), 0, NULL)                                                           \
	X(H_QUEUED, GAUGE, "esatlsd_hook_queued", "Alerts waiting now.", SRC_HOOK, H(queued), 0,   \
	  NULL)

enum stat_id {
#define STAT_ENUM(id, type, name, help, src, off, flags, status) STAT_##id,
	STATS(STAT_ENUM)
#undef STAT_ENUM
	    STAT_COUNT
};

struct stat_def {
	enum metrics_type type;
	const char *name, *help;
	enum stat_src src;
	size_t offset;
	unsigned flags;
	const char *status; /* shown in STATUS= under this name ("" = by its first label) */
};

static const struct stat_def stat_defs[STAT_COUNT] = {
#define STAT_DEF(id, type, name, help, src, off, flags, status)                                    \
	{METRICS_##type, name, help, src, off, flags, status},
    STATS(STAT_DEF)
#undef STAT_DEF
};

#undef D
#undef E
#undef T
#undef L
#undef O
#undef H

/* ---- sinks: what a walk over the families writes to ---- */

struct sink {
	void (*family)(struct sink *s, const struct stat_def *def);
	void (*sample)(struct sink *s, const struct metrics_label *l, size_t n, uint64_t value);
	void (*done)(struct sink *s);
};

static uint64_t u64_at(const void *counters, size_t offset)
{
	uint64_t v;
	memcpy(&v, (const char *)counters + offset, sizeof(v));
	return v;
}

static void put(struct sink *s, const char *label, const char *value, uint64_t v)
{
	struct metrics_label l = {label, value};
	s->sample(s, &l, label != NULL, v);
}

static void walk_verdicts(const struct stats_view *v, struct sink *s)
{
	static const enum esa_dir dirs[2] = {ESA_DIR_IN, ESA_DIR_OUT};
	static const char *const dir_names[2] = {"inbound", "outbound"};
	const struct track_counters *tc = engine_track_counters(v->engine);
	for (int i = 0; i < VERDICT_KIND_COUNT; i++) {
		for (int j = 0; j < 2; j++) {
			struct metrics_label l[2] = {{"verdict", verdict_kind_name(i)},
			                             {"direction", dir_names[j]}};
			s->sample(s, l, 2, tc->verdicts_by_dir[dirs[j]][i]);
		}
	}
}

static void walk_appliances(const struct stats_view *v, struct sink *s, int last_seen)
{
	struct span name;
	uint64_t messages;
	int64_t last;
	for (size_t i = 0; engine_appliance(v->engine, i, &name, &messages, &last) == 0; i++)
		put(s, "host", name.p, last_seen ? (last > 0 ? (uint64_t)last : 0) : messages);
}

static void walk_appliance_lines(const struct stats_view *v, struct sink *s)
{
	struct span name;
	uint64_t messages;
	int64_t last;
	for (size_t i = 0; engine_appliance(v->engine, i, &name, &messages, &last) == 0; i++) {
		uint64_t unclassified = engine_appliance_unclassified(v->engine, i);
		struct metrics_label l[2] = {{"host", name.p}, {"kind", "recognised"}};
		s->sample(s, l, 2, messages - unclassified);
		l[1].value = "unclassified";
		s->sample(s, l, 2, unclassified);
	}
}

static void walk_appliance_up(const struct stats_view *v, struct sink *s)
{
	struct span name;
	uint64_t messages;
	int64_t last;
	for (size_t i = 0; engine_appliance(v->engine, i, &name, &messages, &last) == 0; i++)
		if (messages > 0)
			put(s, "host", name.p, v->feed == NULL || feed_appliance_up(v->feed, i));
	for (size_t j = 0; v->feed != NULL && j < feed_unseen_count(v->feed); j++)
		put(s, "host", feed_unseen_name(v->feed, j), 0);
}

static void walk_custom(const struct stats_view *v, enum stat_id id, struct sink *s)
{
	const struct engine_counters *ec = engine_counters(v->engine);
	switch (id) {
	case STAT_UP:
		put(s, NULL, NULL, 1);
		break;
	case STAT_START_TIME:
		put(s, NULL, NULL, v->start_time > 0 ? (uint64_t)v->start_time : 0);
		break;
	case STAT_BY_FORMAT:
		for (int i = 0; i < SYSLOG_FMT_COUNT; i++)
			put(s, "format", syslog_format_name(i), ec->by_format[i]);
		break;
	case STAT_LINES:
		for (int i = 0; i < ESA_KIND_COUNT; i++)
			put(s, "kind", esa_kind_name(i), ec->by_kind[i]);
		break;
	case STAT_APPLIANCE_MESSAGES:
	case STAT_APPLIANCE_LAST_SEEN:
		walk_appliances(v, s, id == STAT_APPLIANCE_LAST_SEEN);
		break;
	case STAT_APPLIANCE_LINES:
		walk_appliance_lines(v, s);
		break;
	case STAT_APPLIANCE_UP:
		walk_appliance_up(v, s);
		break;
	case STAT_OPEN:
		put(s, NULL, NULL, engine_open_connections(v->engine));
		break;
	case STAT_ENDS:
		for (int i = 0; i < VERDICT_END_COUNT; i++)
			put(s, "end", verdict_end_name(i),
			    engine_track_counters(v->engine)->ends[i]);
		break;
	case STAT_VERDICTS:
		walk_verdicts(v, s);
		break;
	case STAT_MSG_OPEN:
		put(s, NULL, NULL, engine_open_messages(v->engine));
		break;
	case STAT_MSG_RECORDS:
		for (int i = 0; i < VERDICT_KIND_COUNT; i++)
			put(s, "end_to_end", verdict_kind_name(i),
			    engine_message_counters(v->engine)->e2e[i]);
		break;
	case STAT_MSG_ENDS:
		for (int i = 0; i < MESSAGE_END_COUNT; i++)
			put(s, "end", message_end_name(i),
			    engine_message_counters(v->engine)->ends[i]);
		break;
	case STAT_POSTURE_PEERS:
		put(s, NULL, NULL, engine_posture_peers(v->engine));
		break;
	case STAT_DOWNGRADES:
		for (int i = 0; i < DOWNGRADE_KIND_COUNT; i++)
			put(s, "kind", downgrade_kind_name(i),
			    engine_posture_counters(v->engine)->records[i]);
		break;
	case STAT_L_OPEN:
		for (size_t i = 0; i < v->n_listeners; i++)
			put(s, "listener", listener_name(v->listeners[i]),
			    listener_open_connections(v->listeners[i]));
		break;
	case STAT_O_PENDING:
		for (size_t i = 0; i < v->n_outputs; i++)
			put(s, "output", output_name(v->outputs[i]), output_pending(v->outputs[i]));
		break;
	default:
		break;
	}
}

static void walk_hooks(const struct stats_view *v, const struct stat_def *def, struct sink *s)
{
	size_t n = v->hooks ? hooks_count(v->hooks) : 0;
	for (size_t i = 0; i < n; i++) {
		struct hook_stats hs;
		hooks_stats(v->hooks, i, &hs);
		struct metrics_label l[2] = {{"hook", hs.name}, {"kind", hs.kind}};
		s->sample(s, l, 2, u64_at(&hs, def->offset));
	}
}

static void walk_family(const struct stats_view *v, enum stat_id id, struct sink *s)
{
	const struct stat_def *def = &stat_defs[id];
	s->family(s, def);
	switch (def->src) {
	case SRC_DAEMON:
		put(s, NULL, NULL, u64_at(v->daemon, def->offset));
		break;
	case SRC_ENGINE:
		put(s, NULL, NULL, u64_at(engine_counters(v->engine), def->offset));
		break;
	case SRC_TRACK:
		put(s, NULL, NULL, u64_at(engine_track_counters(v->engine), def->offset));
		break;
	case SRC_MSG:
		put(s, NULL, NULL, u64_at(engine_message_counters(v->engine), def->offset));
		break;
	case SRC_POSTURE:
		put(s, NULL, NULL, u64_at(engine_posture_counters(v->engine), def->offset));
		break;
	case SRC_LISTENER:
		for (size_t i = 0; i < v->n_listeners; i++)
			put(s, "listener", listener_name(v->listeners[i]),
			    u64_at(listener_counters(v->listeners[i]), def->offset));
		break;
	case SRC_OUTPUT:
		for (size_t i = 0; i < v->n_outputs; i++)
			put(s, "output", output_name(v->outputs[i]),
			    u64_at(output_counters(v->outputs[i]), def->offset));
		break;
	case SRC_HOOK:
		walk_hooks(v, def, s);
		break;
	case SRC_CUSTOM:
		walk_custom(v, id, s);
		break;
	}
}

static void walk(const struct stats_view *v, struct sink *s)
{
	for (int id = 0; id < STAT_COUNT; id++)
		walk_family(v, (enum stat_id)id, s);
	if (s->done)
		s->done(s);
}

/* ---- Prometheus text ---- */

struct prom_sink {
	struct sink base;
	struct evbuffer *out;
	struct metrics_family f;
};

static void prom_family(struct sink *s, const struct stat_def *def)
{
	struct prom_sink *p = (struct prom_sink *)s;
	p->f = metrics_family(p->out, def->type, def->name, def->help);
}

static void prom_sample(struct sink *s, const struct metrics_label *l, size_t n, uint64_t value)
{
	metrics_sample(&((struct prom_sink *)s)->f, l, n, value);
}

void stats_prometheus(const struct stats_view *v, struct evbuffer *out)
{
	struct prom_sink p = {{prom_family, prom_sample, NULL}, out, {0}};
	walk(v, &p.base);
}

/* ---- losses ---- */

struct loss_sink {
	struct sink base;
	const struct stat_def *def;
	uint64_t sum;
};

static void loss_family(struct sink *s, const struct stat_def *def)
{
	((struct loss_sink *)s)->def = def;
}

static void loss_sample(struct sink *s, const struct metrics_label *l, size_t n, uint64_t value)
{
	struct loss_sink *x = (struct loss_sink *)s;
	/* Of the ways a connection ends, eviction alone is a loss (its lines stopped counting). */
	int evicted = x->def == &stat_defs[STAT_ENDS] && n == 1 &&
	              strcmp(l[0].value, verdict_end_name(VERDICT_END_EVICTED)) == 0;
	if ((x->def->flags & LOSS) || evicted)
		x->sum += value;
}

uint64_t stats_drops(const struct stats_view *v)
{
	struct loss_sink x = {{loss_family, loss_sample, NULL}, NULL, 0};
	walk(v, &x.base);
	return x.sum;
}

/* ---- STATUS= ---- */

#define STATUS_GROUPS 8

struct status_sink {
	struct sink base;
	const struct stat_def *def;
	const char *group[STATUS_GROUPS]; /* first-label values of the family being summed */
	uint64_t sum[STATUS_GROUPS];
	size_t n_groups;
	char *buf;
	size_t size, len;
};

static void status_append(struct status_sink *x, uint64_t value, const char *what)
{
	if (x->len >= x->size)
		return;
	int n = snprintf(x->buf + x->len, x->size - x->len, "%s%" PRIu64 " %s",
	                 x->len > strlen("STATUS=") ? ", " : "", value, what);
	if (n > 0)
		x->len += (size_t)n;
}

static void status_end_family(struct status_sink *x)
{
	for (size_t i = 0; i < x->n_groups; i++)
		status_append(x, x->sum[i], x->group[i]);
	x->n_groups = 0;
}

static void status_family(struct sink *s, const struct stat_def *def)
{
	struct status_sink *x = (struct status_sink *)s;
	status_end_family(x);
	x->def = def;
}

static void status_sample(struct sink *s, const struct metrics_label *l, size_t n, uint64_t value)
{
	struct status_sink *x = (struct status_sink *)s;
	if (x->def->status == NULL)
		return;
	if (n == 0) {
		status_append(x, value, x->def->status);
		return;
	}
	size_t g = 0;
	while (g < x->n_groups && strcmp(x->group[g], l[0].value) != 0)
		g++;
	if (g == x->n_groups) {
		if (g == STATUS_GROUPS)
			return;
		x->group[x->n_groups] = l[0].value;
		x->sum[x->n_groups++] = 0;
	}
	x->sum[g] += value;
}

static void status_done(struct sink *s)
{
	status_end_family((struct status_sink *)s);
}

void stats_status(const struct stats_view *v, char *buf, size_t size)
{
	if (size == 0)
		return;
	struct status_sink x = {
	    {status_family, status_sample, status_done}, NULL, {0}, {0}, 0, buf, size, 0};
	x.len = (size_t)snprintf(buf, size, "STATUS=");
	walk(v, &x.base);
	status_append(&x, stats_drops(v), "lost or refused");
}

/* ---- the log (USR1) ---- */

#define LOG_LINE_MAX 900 /* under the log's own line limit */

struct line_builder {
	char line[LOG_LINE_MAX + 1];
	size_t len;
	char family[128]; /* the family's name, repeated on a continued line */
	void (*emit)(const char *, void *);
	void *arg;
};

static void line_flush(struct line_builder *b)
{
	if (b->len > 0) {
		b->line[b->len] = '\0';
		b->emit(b->line, b->arg);
	}
	b->len = 0;
}

static void line_add(struct line_builder *b, const char *p, size_t n)
{
	if (n > LOG_LINE_MAX - b->len)
		n = LOG_LINE_MAX - b->len;
	memcpy(b->line + b->len, p, n);
	b->len += n;
}

/* One sample line "name{labels} value" of the current family. Samples of a labelled family
 * join one line ("name{a} 1, {b} 2", continued on a new line with the name again when long);
 * zeros among them are left out. */
static void line_sample(struct line_builder *b, const char *p, size_t n)
{
	const char *brace = memchr(p, '{', n);
	const char *space = memchr(p, ' ', n);
	if (brace == NULL || (space != NULL && space < brace)) {
		line_flush(b);
		line_add(b, p, n);
		line_flush(b);
		return;
	}
	if (n >= 2 && p[n - 1] == '0' && p[n - 2] == ' ')
		return;
	size_t name_len = (size_t)(brace - p);
	if (b->family[0] == '\0') {
		size_t keep = name_len < sizeof(b->family) ? name_len : sizeof(b->family) - 1;
		memcpy(b->family, p, keep);
		b->family[keep] = '\0';
	}
	if (b->len > 0 && b->len + 2 + (n - name_len) > LOG_LINE_MAX)
		line_flush(b);
	if (b->len == 0)
		line_add(b, b->family, strlen(b->family));
	else
		line_add(b, ", ", 2);
	line_add(b, brace, n - name_len);
}

void stats_text_to_lines(const char *text, size_t len, void (*emit)(const char *, void *),
                         void *arg)
{
	struct line_builder b = {.len = 0, .family = "", .emit = emit, .arg = arg};
	const char *end = text + len;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		if (n > 0 && text[0] == '#') { /* a new family */
			line_flush(&b);
			b.family[0] = '\0';
		} else if (n > 0)
			line_sample(&b, text, n);
		text += n + (nl != NULL);
	}
	line_flush(&b);
}

static void log_counter_line(const char *line, void *arg)
{
	(void)arg;
	log_info("counters: %s", line);
}

void stats_log(const struct stats_view *v)
{
	struct evbuffer *out = evbuffer_new();
	if (out == NULL)
		return;
	stats_prometheus(v, out);
	size_t len = evbuffer_get_length(out);
	const char *text = (const char *)evbuffer_pullup(out, -1);
	if (text != NULL)
		stats_text_to_lines(text, len, log_counter_line, NULL);
	evbuffer_free(out);
	stats_log_summary(v);
}

void stats_log_summary(const struct stats_view *v)
{
	char status[256];
	stats_status(v, status, sizeof(status));
	log_info("counters: summary %s", status + strlen("STATUS="));
}
