#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "hook.h"
#include "listen.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "output.h"
#include "verdict.h"

#define TICK_MS 250             /* expiry, due alerts, status and drop reports run on this tick */
#define STATUS_EVERY_TICKS 20   /* STATUS= to systemd every 5 s */
#define DROPS_EVERY_TICKS 240   /* one summary line of counted drops a minute, if any */
#define DRAIN_ATTEMPTS 10       /* at shutdown, tries to write what outputs still hold ... */
#define DRAIN_PAUSE_MS 500      /* ... this far apart */
#define HOOK_STOP_GRACE_MS 3000 /* at shutdown, hooks get their timeout plus this to finish */
#define HOOK_STOP_POLL_MS 100
/* ... but never longer than this, which stays under the unit's TimeoutStopSec=30s. */
#define HOOK_STOP_MAX_MS 25000

struct daemon {
	struct event_base *base;
	struct config *cfg;
	const char *config_path;
	struct engine *engine;
	struct listener **listeners;
	size_t n_listeners;
	struct output **outputs;
	size_t n_outputs;
	struct notifier *notify;
	struct hooks *hooks;
	struct metrics *metrics;
	int64_t start_time;
	struct event *signals[4];
	struct event *stop_wait; /* after TERM: polls until the hooks are done or the deadline */
	int stopping;            /* TERM/INT came: no reload, no second stop */
	uint64_t stop_deadline_ms;
	struct event *tick, *watchdog;
	unsigned ticks;
	uint64_t reloads, reload_failures, encode_failures;
	uint64_t reported_drops; /* sum of drop counters at the last summary */
	char line[VERDICT_LINE_MAX];
};

static int64_t daemon_now(struct daemon *d)
{
	struct timeval tv;
	event_base_gettimeofday_cached(d->base, &tv);
	return (int64_t)tv.tv_sec;
}

/* ---- engine <-> outputs ---- */

/* Each record is encoded once: the files take final records, the hooks the one alert of each
 * connection (an early one for a failure still open, else the final record). */
static void daemon_record_cb(const struct verdict *v, void *arg)
{
	struct daemon *d = arg;
	int to_hooks = (v->purpose & VERDICT_FOR_HOOKS) && d->hooks != NULL;
	if (!(v->purpose & VERDICT_FOR_FILES) && !to_hooks)
		return;
	size_t len = verdict_encode(v, d->line, sizeof(d->line));
	if (len == 0) {
		d->encode_failures++;
		return;
	}
	if (v->purpose & VERDICT_FOR_FILES)
		for (size_t i = 0; i < d->n_outputs; i++)
			output_record(d->outputs[i], v->kind, d->line, len);
	if (to_hooks)
		hooks_offer(d->hooks, v, d->line, len, clock_now_ms());
}

static void daemon_flush_outputs(struct daemon *d)
{
	for (size_t i = 0; i < d->n_outputs; i++)
		output_flush(d->outputs[i]);
}

/* ---- listeners ---- */

static void daemon_message_cb(void *arg, const char *msg, size_t len, struct span sender)
{
	struct daemon *d = arg;
	engine_feed(d->engine, msg, len, sender, daemon_now(d));
}

static void daemon_batch_done_cb(void *arg)
{
	daemon_flush_outputs(arg);
}

static int daemon_allowed_cb(void *arg, const uint8_t addr[16])
{
	const struct config *cfg = ((struct daemon *)arg)->cfg;
	return !cfg->allow_from_set || cidr_match_any(cfg->allow_from, cfg->n_allow, addr);
}

static struct listener *daemon_open_listener(struct daemon *d, const struct listen_config *lc,
                                             size_t max_message)
{
	struct listen_sink sink = {daemon_message_cb, daemon_batch_done_cb, daemon_allowed_cb, d};
	return listener_open(lc, max_message, d->base, &sink);
}

/* ---- counters ---- */

static uint64_t daemon_drops(const struct daemon *d)
{
	const struct track_counters *tc = engine_track_counters(d->engine);
	uint64_t sum = tc->ends[VERDICT_END_EVICTED] + tc->late_lines + tc->alloc_failures +
	               engine_counters(d->engine)->source_overflow + d->encode_failures;
	for (size_t i = 0; i < d->n_listeners; i++) {
		const struct listen_counters *lc = listener_counters(d->listeners[i]);
		sum += lc->truncated + lc->oversized + lc->rejected + lc->refused +
		       lc->accept_errors + lc->kernel_drops;
	}
	for (size_t i = 0; i < d->n_outputs; i++)
		sum += output_counters(d->outputs[i])->dropped;
	return sum;
}

static void daemon_log_listener_counters(const struct daemon *d)
{
	for (size_t i = 0; i < d->n_listeners; i++) {
		const struct listen_counters *lc = listener_counters(d->listeners[i]);
		log_info("%s: messages %" PRIu64 ", bytes %" PRIu64 ", truncated %" PRIu64
		         ", oversized %" PRIu64 ", rejected %" PRIu64 ", accepted %" PRIu64
		         ", refused %" PRIu64 ", idle closed %" PRIu64 ", accept errors %" PRIu64
		         ", kernel drops %" PRIu64 ", open %zu",
		         listener_name(d->listeners[i]), lc->messages, lc->bytes, lc->truncated,
		         lc->oversized, lc->rejected, lc->accepted, lc->refused, lc->idle_closed,
		         lc->accept_errors, lc->kernel_drops,
		         listener_open_connections(d->listeners[i]));
	}
}

static void daemon_log_counters(const struct daemon *d)
{
	const struct engine_counters *ec = engine_counters(d->engine);
	const struct track_counters *tc = engine_track_counters(d->engine);
	log_info("messages %" PRIu64 " (unclassified %" PRIu64 "), connections open %zu, "
	         "records tls %" PRIu64 " tls_failed %" PRIu64 " no_tls %" PRIu64
	         " unknown %" PRIu64 "; evicted %" PRIu64 ", idle %" PRIu64 ", late lines %" PRIu64
	         ", too many appliances %" PRIu64 ", reloads %" PRIu64 " (failed %" PRIu64 ")",
	         ec->messages, ec->by_kind[ESA_UNCLASSIFIED], engine_open_connections(d->engine),
	         tc->verdicts[VERDICT_TLS], tc->verdicts[VERDICT_TLS_FAILED],
	         tc->verdicts[VERDICT_NO_TLS], tc->verdicts[VERDICT_UNKNOWN],
	         tc->ends[VERDICT_END_EVICTED], tc->ends[VERDICT_END_IDLE], tc->late_lines,
	         ec->source_overflow, d->reloads, d->reload_failures);
	daemon_log_listener_counters(d);
	if (d->hooks)
		hooks_log_counters(d->hooks);
	for (size_t i = 0; i < d->n_outputs; i++) {
		const struct output_counters *oc = output_counters(d->outputs[i]);
		log_info("output %s: records %" PRIu64 ", written %" PRIu64
		         ", write errors %" PRIu64 ", retries %" PRIu64 ", dropped %" PRIu64
		         ", pending %zu",
		         output_name(d->outputs[i]), oc->records, oc->written, oc->write_errors,
		         oc->retries, oc->dropped, output_pending(d->outputs[i]));
	}
}

/* ---- /metrics ---- */

struct counter_field {
	const char *name, *help;
	size_t offset; /* of a uint64_t in the counters struct */
};

#define AT(type, field) offsetof(struct type, field)

static const struct counter_field listener_fields[] = {
    {"esatlsd_listener_messages_total", "Datagrams or frames delivered.",
     AT(listen_counters, messages)},
    {"esatlsd_listener_bytes_total", "Bytes received.", AT(listen_counters, bytes)},
    {"esatlsd_listener_truncated_total",
     "Datagrams cut by MSG_TRUNC, LF lines cut at max_message_size.",
     AT(listen_counters, truncated)},
    {"esatlsd_listener_oversized_total",
     "Octet-counted frames over max_message_size, skipped whole.", AT(listen_counters, oversized)},
    {"esatlsd_listener_rejected_total", "Datagrams or connections from senders outside allow_from.",
     AT(listen_counters, rejected)},
    {"esatlsd_listener_accepted_connections_total", "TCP connections accepted.",
     AT(listen_counters, accepted)},
    {"esatlsd_listener_refused_connections_total",
     "TCP connections closed at once: max_connections reached.", AT(listen_counters, refused)},
    {"esatlsd_listener_idle_closed_total", "TCP connections closed for idle_timeout.",
     AT(listen_counters, idle_closed)},
    {"esatlsd_listener_accept_errors_total", "Failed accept calls.",
     AT(listen_counters, accept_errors)},
    {"esatlsd_listener_read_errors_total", "Failed read calls.", AT(listen_counters, read_errors)},
    {"esatlsd_listener_kernel_drops_total",
     "UDP datagrams the kernel dropped for a full receive buffer (SO_RXQ_OVFL).",
     AT(listen_counters, kernel_drops)},
};

static const struct counter_field output_fields[] = {
    {"esatlsd_output_records_total", "Records handed to the output (after its verdict filter).",
     AT(output_counters, records)},
    {"esatlsd_output_written_total", "Records fully written.", AT(output_counters, written)},
    {"esatlsd_output_write_errors_total", "Failed write calls.", AT(output_counters, write_errors)},
    {"esatlsd_output_retries_total", "Write attempts after an error.",
     AT(output_counters, retries)},
    {"esatlsd_output_dropped_total", "Records lost because the queue was full.",
     AT(output_counters, dropped)},
    {"esatlsd_output_reopens_total", "Reopens of the file.", AT(output_counters, reopens)},
};

static const struct counter_field engine_fields[] = {
    {"esatlsd_messages_total", "Log messages processed.", AT(engine_counters, messages)},
    {"esatlsd_messages_without_timestamp_total", "Messages whose time was taken from the clock.",
     AT(engine_counters, no_timestamp)},
    {"esatlsd_source_overflow_total", "Messages dropped: too many distinct appliances.",
     AT(engine_counters, source_overflow)},
};

static const struct counter_field track_fields[] = {
    {"esatlsd_connections_total", "SMTP connections tracked.", AT(track_counters, connections)},
    {"esatlsd_late_lines_total", "Lines for an ID that ended within linger, attached to nothing.",
     AT(track_counters, late_lines)},
    {"esatlsd_unattached_lines_total",
     "Lines with ID 0, or outcome lines for connections not tracked.",
     AT(track_counters, unattached_lines)},
    {"esatlsd_alloc_failures_total", "Lines dropped because their state could not be allocated.",
     AT(track_counters, alloc_failures)},
    {"esatlsd_linger_dropped_total", "Ended IDs forgotten early because the linger table was full.",
     AT(track_counters, linger_dropped)},
    {"esatlsd_mid_links_dropped_total", "Message links forgotten early because the table was full.",
     AT(track_counters, mid_links_dropped)},
    {"esatlsd_strings_truncated_total", "Record field values cut to their maximum length.",
     AT(track_counters, strings_truncated)},
    {"esatlsd_mids_capped_total", "Message IDs counted but not listed in a record.",
     AT(track_counters, mids_capped)},
    {"esatlsd_early_alerts_total", "Alerts sent while the connection was still open.",
     AT(track_counters, early_alerts)},
    {"esatlsd_alerts_unscheduled_total",
     "Early alerts dropped for a full table: sent at the end instead.",
     AT(track_counters, alerts_unscheduled)},
};

#undef AT

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t field_value(const void *counters, const struct counter_field *f)
{
	uint64_t v;
	memcpy(&v, (const char *)counters + f->offset, sizeof(v));
	return v;
}

/* Counters of a struct without labels. */
static void metrics_put_fields(struct evbuffer *out, const void *counters,
                               const struct counter_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct metrics_family f =
		    metrics_family(out, METRICS_COUNTER, fields[i].name, fields[i].help);
		metrics_value(&f, field_value(counters, &fields[i]));
	}
}

static const char *syslog_format_name(enum syslog_format fmt)
{
	static const char *const names[] = {"none", "native", "rfc3164", "rfc5424", "partial"};
	return (size_t)fmt < COUNT_OF(names) ? names[fmt] : "invalid";
}

static void metrics_put_engine(struct evbuffer *out, const struct daemon *d)
{
	const struct engine_counters *ec = engine_counters(d->engine);
	metrics_put_fields(out, ec, engine_fields, COUNT_OF(engine_fields));
	struct metrics_family f =
	    metrics_family(out, METRICS_COUNTER, "esatlsd_messages_by_format_total",
	                   "Messages by the syslog header recognised (none: no header).");
	for (int i = 0; i <= SYSLOG_FMT_PARTIAL; i++)
		metrics_value1(&f, "format", syslog_format_name(i), ec->by_format[i]);
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_lines_total",
	                   "ESA log lines by the kind classified (unclassified: no known shape).");
	for (int i = 0; i < ESA_KIND_COUNT; i++)
		metrics_value1(&f, "kind", esa_kind_name(i), ec->by_kind[i]);
}

/* Per appliance (bounded by the engine's table of appliances): messages and the latest. */
static void metrics_put_appliances(struct evbuffer *out, const struct daemon *d)
{
	struct span name;
	uint64_t messages;
	int64_t last;
	struct metrics_family f =
	    metrics_family(out, METRICS_COUNTER, "esatlsd_appliance_messages_total",
	                   "Messages by appliance (syslog host name, else sender address).");
	for (size_t i = 0; engine_appliance(d->engine, i, &name, &messages, &last) == 0; i++)
		metrics_value1(&f, "host", name.p, messages);
	f = metrics_family(
	    out, METRICS_GAUGE, "esatlsd_appliance_last_seen_seconds",
	    "When each appliance's latest message arrived, in seconds since the epoch.");
	for (size_t i = 0; engine_appliance(d->engine, i, &name, &messages, &last) == 0; i++)
		metrics_value1(&f, "host", name.p, last > 0 ? (uint64_t)last : 0);
}

static void metrics_put_tracker(struct evbuffer *out, const struct daemon *d)
{
	static const enum esa_dir dirs[2] = {ESA_DIR_IN, ESA_DIR_OUT};
	static const char *const dir_names[2] = {"inbound", "outbound"};
	const struct track_counters *tc = engine_track_counters(d->engine);
	metrics_put_fields(out, tc, track_fields, COUNT_OF(track_fields));
	struct metrics_family f = metrics_family(out, METRICS_GAUGE, "esatlsd_connections_open",
	                                         "SMTP connections open now.");
	metrics_value(&f, engine_open_connections(d->engine));
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_connection_ends_total",
	                   "Connections ended, by how they ended.");
	for (int i = 0; i < VERDICT_END_COUNT; i++)
		metrics_value1(&f, "end", verdict_end_name(i), tc->ends[i]);
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_verdicts_total",
	                   "Connection records, by verdict and direction.");
	for (int i = 0; i < VERDICT_KIND_COUNT; i++) {
		for (int j = 0; j < 2; j++) {
			struct metrics_label l[2] = {{"verdict", verdict_kind_name(i)},
			                             {"direction", dir_names[j]}};
			metrics_sample(&f, l, 2, tc->verdicts_by_dir[dirs[j]][i]);
		}
	}
}

static void metrics_put_listeners(struct evbuffer *out, const struct daemon *d)
{
	for (size_t k = 0; k < COUNT_OF(listener_fields); k++) {
		struct metrics_family f = metrics_family(
		    out, METRICS_COUNTER, listener_fields[k].name, listener_fields[k].help);
		for (size_t i = 0; i < d->n_listeners; i++)
			metrics_value1(
			    &f, "listener", listener_name(d->listeners[i]),
			    field_value(listener_counters(d->listeners[i]), &listener_fields[k]));
	}
	struct metrics_family f =
	    metrics_family(out, METRICS_GAUGE, "esatlsd_listener_open_connections",
	                   "TCP connections open now (0 for UDP).");
	for (size_t i = 0; i < d->n_listeners; i++)
		metrics_value1(&f, "listener", listener_name(d->listeners[i]),
		               listener_open_connections(d->listeners[i]));
}

static void metrics_put_outputs(struct evbuffer *out, const struct daemon *d)
{
	for (size_t k = 0; k < COUNT_OF(output_fields); k++) {
		struct metrics_family f = metrics_family(
		    out, METRICS_COUNTER, output_fields[k].name, output_fields[k].help);
		for (size_t i = 0; i < d->n_outputs; i++)
			metrics_value1(
			    &f, "output", output_name(d->outputs[i]),
			    field_value(output_counters(d->outputs[i]), &output_fields[k]));
	}
	struct metrics_family f = metrics_family(out, METRICS_GAUGE, "esatlsd_output_pending",
	                                         "Records buffered or queued, not yet written.");
	for (size_t i = 0; i < d->n_outputs; i++)
		metrics_value1(&f, "output", output_name(d->outputs[i]),
		               output_pending(d->outputs[i]));
}

enum hook_stat {
	HS_OFFERED,
	HS_THROTTLED,
	HS_RUNS,
	HS_OK,
	HS_FAILED,
	HS_TIMEOUTS,
	HS_RETRIES,
	HS_ERRORS,
	HS_QUEUE_DROPS,
	HS_RUNNING,
	HS_QUEUED,
	HS_COUNT
};

static uint64_t hook_stat_value(const struct hook_stats *s, enum hook_stat k)
{
	switch (k) {
	case HS_OFFERED:
		return s->offered;
	case HS_THROTTLED:
		return s->throttled;
	case HS_RUNS:
		return s->runs;
	case HS_OK:
		return s->ok;
	case HS_FAILED:
		return s->failed;
	case HS_TIMEOUTS:
		return s->timeouts;
	case HS_RETRIES:
		return s->retries;
	case HS_ERRORS:
		return s->errors;
	case HS_QUEUE_DROPS:
		return s->queue_drops;
	case HS_RUNNING:
		return s->running;
	case HS_QUEUED:
		return s->queued;
	case HS_COUNT:
		break;
	}
	return 0;
}

static void metrics_put_hooks(struct evbuffer *out, const struct daemon *d)
{
	static const char *const names[HS_COUNT][2] = {
	    {"esatlsd_hook_offered_total", "Records that matched the hook's filters."},
	    {"esatlsd_hook_throttled_total", "Alerts suppressed by the throttle."},
	    {"esatlsd_hook_runs_total", "Programs started (exec) or requests sent (webhook, "
	                                "retries included)."},
	    {"esatlsd_hook_ok_total", "Runs that exited 0, requests answered 2xx."},
	    {"esatlsd_hook_failed_total", "Alerts that failed for good."},
	    {"esatlsd_hook_timeouts_total", "Runs or requests stopped at the timeout."},
	    {"esatlsd_hook_retries_total", "Webhook requests sent again after an error."},
	    {"esatlsd_hook_spawn_errors_total", "Programs that could not be started."},
	    {"esatlsd_hook_queue_drops_total", "Alerts dropped because the queue was full."},
	    {"esatlsd_hook_running", "Programs running or requests in flight now."},
	    {"esatlsd_hook_queued", "Alerts waiting now."},
	};
	size_t n = d->hooks ? hooks_count(d->hooks) : 0;
	for (int k = 0; k < HS_COUNT; k++) {
		struct metrics_family f =
		    metrics_family(out, k >= HS_RUNNING ? METRICS_GAUGE : METRICS_COUNTER,
		                   names[k][0], names[k][1]);
		for (size_t i = 0; i < n; i++) {
			struct hook_stats hs;
			hooks_stats(d->hooks, i, &hs);
			struct metrics_label l[2] = {{"hook", hs.name}, {"kind", hs.kind}};
			metrics_sample(&f, l, 2, hook_stat_value(&hs, (enum hook_stat)k));
		}
	}
}

static void daemon_metrics_cb(struct evbuffer *out, void *arg)
{
	const struct daemon *d = arg;
	struct metrics_family f =
	    metrics_family(out, METRICS_GAUGE, "esatlsd_up", "1 while the daemon runs.");
	metrics_value(&f, 1);
	f = metrics_family(out, METRICS_GAUGE, "esatlsd_start_time_seconds",
	                   "When the daemon started, in seconds since the epoch.");
	metrics_value(&f, (uint64_t)d->start_time);
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_reloads_total",
	                   "Configuration reloads applied.");
	metrics_value(&f, d->reloads);
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_reload_failures_total",
	                   "Reloads refused; the running configuration stayed.");
	metrics_value(&f, d->reload_failures);
	f = metrics_family(out, METRICS_COUNTER, "esatlsd_encode_failures_total",
	                   "Records that could not be encoded.");
	metrics_value(&f, d->encode_failures);
	metrics_put_engine(out, d);
	metrics_put_appliances(out, d);
	metrics_put_tracker(out, d);
	metrics_put_listeners(out, d);
	metrics_put_outputs(out, d);
	metrics_put_hooks(out, d);
}

static struct metrics *daemon_open_metrics(struct daemon *d, const struct config *cfg)
{
	struct metrics *m = metrics_open(d->base, (const struct sockaddr *)&cfg->metrics_addr,
	                                 cfg->metrics_addrlen, daemon_metrics_cb, d);
	if (m != NULL)
		log_info("metrics on http://%s/metrics", metrics_name(m));
	return m;
}

static int metrics_addr_same(const struct config *a, const struct config *b)
{
	if ((a->metrics_address == NULL) != (b->metrics_address == NULL))
		return 0;
	return a->metrics_address == NULL ||
	       (a->metrics_addrlen == b->metrics_addrlen &&
	        memcmp(&a->metrics_addr, &b->metrics_addr, a->metrics_addrlen) == 0);
}

static void daemon_send_status(struct daemon *d)
{
	char msg[256];
	const struct engine_counters *ec = engine_counters(d->engine);
	const struct track_counters *tc = engine_track_counters(d->engine);
	snprintf(msg, sizeof(msg),
	         "STATUS=%" PRIu64 " messages, %zu connections open, %" PRIu64 " tls, %" PRIu64
	         " tls_failed, %" PRIu64 " no_tls, %" PRIu64 " unknown",
	         ec->messages, engine_open_connections(d->engine), tc->verdicts[VERDICT_TLS],
	         tc->verdicts[VERDICT_TLS_FAILED], tc->verdicts[VERDICT_NO_TLS],
	         tc->verdicts[VERDICT_UNKNOWN]);
	notify_send(d->notify, msg);
}

/* A flood of bad input becomes one line a minute, not one line per message. */
static void daemon_report_drops(struct daemon *d)
{
	uint64_t drops = daemon_drops(d);
	if (drops == d->reported_drops)
		return;
	log_warnx("%" PRIu64 " messages, connections or records dropped, cut or refused in the "
	          "last minute; counters follow",
	          drops - d->reported_drops);
	daemon_log_counters(d);
	d->reported_drops = drops;
}

static void daemon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	engine_expire(d->engine, daemon_now(d));
	daemon_flush_outputs(d);
	if (d->hooks)
		hooks_tick(d->hooks);
	d->ticks++;
	if (d->ticks % STATUS_EVERY_TICKS == 0)
		daemon_send_status(d);
	if (d->ticks % DROPS_EVERY_TICKS == 0)
		daemon_report_drops(d);
}

static void daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notify_send(((struct daemon *)arg)->notify, "WATCHDOG=1");
}

/* ---- reload ---- */

static void config_report_to_log(const char *message, void *arg)
{
	(void)arg;
	log_warnx("%s", message);
}

static struct config *daemon_read_config(const struct daemon *d)
{
	if (d->config_path == NULL)
		return config_default();
	return config_load(d->config_path, config_report_to_log, NULL);
}

/* Listeners for ncfg: the running ones that bind the same socket are kept, the others are
 * opened now. Returns the new array, or NULL (everything newly opened closed again). */
static struct listener **daemon_new_listeners(struct daemon *d, const struct config *ncfg,
                                              unsigned char *kept)
{
	struct listener **ls = calloc(ncfg->n_listen ? ncfg->n_listen : 1, sizeof(*ls));
	unsigned char *reused = calloc(ncfg->n_listen ? ncfg->n_listen : 1, 1);
	if (ls == NULL || reused == NULL)
		goto fail;
	for (size_t i = 0; i < ncfg->n_listen; i++) {
		for (size_t j = 0; j < d->n_listeners && ls[i] == NULL; j++) {
			if (!kept[j] && config_listen_same(listener_config(d->listeners[j]),
			                                   &ncfg->listen[i])) {
				ls[i] = d->listeners[j];
				kept[j] = 1;
				reused[i] = 1;
			}
		}
		if (ls[i] == NULL) {
			ls[i] = daemon_open_listener(d, &ncfg->listen[i], ncfg->max_message_size);
			if (ls[i] == NULL)
				goto fail;
		}
	}
	free(reused);
	return ls;
fail:
	for (size_t i = 0; ls != NULL && i < ncfg->n_listen; i++)
		if (ls[i] != NULL && !reused[i])
			listener_close(ls[i]);
	memset(kept, 0, d->n_listeners);
	free(reused);
	free(ls);
	return NULL;
}

/* Outputs for ncfg. A file that stays configured keeps its output, reopened by path (the
 * reopen logrotate needs), so records it still queues are not lost; others are opened anew.
 * Returns NULL (nothing newly opened left open) if one cannot be opened. */
static struct output **daemon_new_outputs(struct daemon *d, const struct config *ncfg,
                                          unsigned char *kept)
{
	struct output **os = calloc(ncfg->n_outputs ? ncfg->n_outputs : 1, sizeof(*os));
	unsigned char *reused = calloc(ncfg->n_outputs ? ncfg->n_outputs : 1, 1);
	if (os == NULL || reused == NULL)
		goto fail;
	for (size_t i = 0; i < ncfg->n_outputs; i++) {
		for (size_t j = 0; j < d->n_outputs && os[i] == NULL; j++) {
			if (!kept[j] &&
			    strcmp(output_name(d->outputs[j]), ncfg->outputs[i].file) == 0) {
				os[i] = d->outputs[j];
				kept[j] = 1;
				reused[i] = 1;
			}
		}
		if (os[i] == NULL && (os[i] = output_open(&ncfg->outputs[i], d->base)) == NULL)
			goto fail;
	}
	free(reused);
	return os;
fail:
	for (size_t i = 0; os != NULL && i < ncfg->n_outputs; i++)
		if (os[i] != NULL && !reused[i])
			output_close(os[i]);
	memset(kept, 0, d->n_outputs ? d->n_outputs : 1);
	free(reused);
	free(os);
	return NULL;
}

/* Closes what a failed reload had opened (listeners and outputs the running set does not own). */
static void daemon_undo_reload(struct daemon *d, const struct config *ncfg, struct listener **ls,
                               struct output **os)
{
	for (size_t i = 0; ls != NULL && i < ncfg->n_listen; i++) {
		int reused = 0;
		for (size_t j = 0; j < d->n_listeners; j++)
			reused |= ls[i] == d->listeners[j];
		if (!reused)
			listener_close(ls[i]);
	}
	for (size_t i = 0; os != NULL && i < ncfg->n_outputs; i++) {
		int reused = 0;
		for (size_t j = 0; j < d->n_outputs; j++)
			reused |= os[i] == d->outputs[j];
		if (!reused)
			output_close(os[i]);
	}
	free(ls);
	free(os);
}

static void daemon_reload(struct daemon *d)
{
	log_info("reloading %s", d->config_path ? d->config_path : "built-in defaults");
	notify_reloading(d->notify);
	struct config *ncfg = daemon_read_config(d);
	unsigned char *kept_l = calloc(d->n_listeners ? d->n_listeners : 1, 1);
	unsigned char *kept_o = calloc(d->n_outputs ? d->n_outputs : 1, 1);
	struct listener **ls = NULL;
	struct output **os = NULL;
	struct metrics *nm = NULL;
	if (ncfg == NULL || kept_l == NULL || kept_o == NULL)
		goto fail;
	int metrics_moved = !metrics_addr_same(d->cfg, ncfg);
	if ((ls = daemon_new_listeners(d, ncfg, kept_l)) == NULL)
		goto fail;
	daemon_flush_outputs(d);
	/* The endpoint is rebound only when its address changed: a scrape in progress on the old
	 * socket is cut, and a new address that cannot be bound fails the reload. */
	if ((os = daemon_new_outputs(d, ncfg, kept_o)) == NULL ||
	    (metrics_moved && ncfg->metrics_address != NULL &&
	     (nm = daemon_open_metrics(d, ncfg)) == NULL) ||
	    hooks_reload(d->hooks, ncfg->hooks, ncfg->n_hooks) != 0) {
		metrics_close(nm);
		daemon_undo_reload(d, ncfg, ls, os);
		goto fail;
	}
	if (metrics_moved) {
		metrics_close(d->metrics);
		d->metrics = nm;
		if (nm == NULL)
			log_info("metrics endpoint closed");
	}

	for (size_t j = 0; j < d->n_listeners; j++)
		if (!kept_l[j])
			listener_close(d->listeners[j]);
	for (size_t i = 0; i < ncfg->n_listen; i++) {
		listener_update(ls[i], &ncfg->listen[i], ncfg->max_message_size);
		listener_start(ls[i]); /* adding an added event again is harmless */
	}
	for (size_t j = 0; j < d->n_outputs; j++)
		if (!kept_o[j])
			output_close(d->outputs[j]);
	for (size_t i = 0; i < ncfg->n_outputs; i++) {
		output_update(os[i], &ncfg->outputs[i]);
		output_reopen(os[i]);
	}
	free(d->listeners);
	free(d->outputs);
	d->listeners = ls;
	d->n_listeners = ncfg->n_listen;
	d->outputs = os;
	d->n_outputs = ncfg->n_outputs;
	engine_reconfigure(d->engine, &ncfg->engine);
	if ((d->cfg->user == NULL) != (ncfg->user == NULL) ||
	    (ncfg->user && strcmp(d->cfg->user, ncfg->user) != 0))
		log_warnx("reload: a new 'user' takes effect only at the next start");
	config_free(d->cfg);
	d->cfg = ncfg;
	d->reloads++;
	free(kept_l);
	free(kept_o);
	for (size_t i = 0; i < d->n_listeners; i++)
		log_info("listening on %s", listener_name(d->listeners[i]));
	log_info("reloaded");
	notify_send(d->notify, "READY=1");
	return;
fail:
	d->reload_failures++;
	log_warnx("reload failed; the running configuration stays in force");
	free(kept_l);
	free(kept_o);
	config_free(ncfg);
	notify_send(d->notify, "READY=1");
}

/* ---- signals and shutdown ---- */

static void daemon_stop_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)fd;
	(void)what;
	if (!hooks_idle(d->hooks) && clock_now_ms() < d->stop_deadline_ms)
		return;
	daemon_log_counters(d);
	hooks_free(d->hooks); /* kills what still runs and logs what is lost */
	d->hooks = NULL;
	event_base_loopbreak(d->base);
}

/* Stops reading, ends every open connection as "shutdown" and writes out what the outputs
 * hold, retrying a few times when a write fails. */
static void daemon_stop(struct daemon *d)
{
	d->stopping = 1;
	notify_send(d->notify, "STOPPING=1");
	log_info("stopping");
	metrics_close(d->metrics);
	d->metrics = NULL;
	daemon_log_listener_counters(d);
	for (size_t i = 0; i < d->n_listeners; i++)
		listener_close(d->listeners[i]); /* delivers unterminated last TCP lines */
	d->n_listeners = 0;
	engine_flush(d->engine, VERDICT_END_SHUTDOWN);
	for (int attempt = 0; attempt < DRAIN_ATTEMPTS; attempt++) {
		int pending = 0;
		for (size_t i = 0; i < d->n_outputs; i++)
			pending |= output_flush(d->outputs[i]) != 0;
		if (!pending)
			break;
		usleep(DRAIN_PAUSE_MS * 1000);
	}
	for (size_t i = 0; i < d->n_outputs; i++)
		if (output_pending(d->outputs[i]) > 0)
			log_warnx("output %s: %zu records could not be written before exit",
			          output_name(d->outputs[i]), output_pending(d->outputs[i]));
	if (d->hooks == NULL || hooks_idle(d->hooks)) {
		daemon_log_counters(d);
		event_base_loopbreak(d->base);
		return;
	}
	/* Alerts of the last records are still running: give them their timeout, from the loop. */
	struct timeval poll = {0, HOOK_STOP_POLL_MS * 1000};
	uint64_t wait = hooks_max_timeout_ms(d->hooks) + HOOK_STOP_GRACE_MS;
	if (wait > HOOK_STOP_MAX_MS)
		wait = HOOK_STOP_MAX_MS;
	d->stop_deadline_ms = clock_now_ms() + wait;
	d->stop_wait = event_new(d->base, -1, EV_PERSIST, daemon_stop_wait_cb, d);
	if (d->stop_wait == NULL || event_add(d->stop_wait, &poll) != 0) {
		daemon_log_counters(d);
		event_base_loopbreak(d->base);
	}
}

static void daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	switch (sig) {
	case SIGHUP:
		if (d->stopping)
			log_info("stopping: reload ignored");
		else
			daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_log_counters(d);
		break;
	default:
		if (!d->stopping)
			daemon_stop(d);
		break;
	}
}

/* ---- start-up ---- */

/* Started as root with `user:` set: become that user, with its group and no others. */
static int daemon_drop_privileges(const struct config *cfg)
{
	if (cfg->user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL) {
		if (errno)
			log_warn("user %s", cfg->user);
		else
			log_warnx("user %s: no such user", cfg->user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) != 0) {
		log_warn("setgroups");
		return -1;
	}
	if (setgid(pw->pw_gid) != 0) {
		log_warn("setgid %u", (unsigned)pw->pw_gid);
		return -1;
	}
	if (setuid(pw->pw_uid) != 0) {
		log_warn("setuid %u", (unsigned)pw->pw_uid);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		log_warnx("could not drop root privileges");
		return -1;
	}
	log_info("running as user %s", cfg->user);
	return 0;
}

static int daemon_add_events(struct daemon *d)
{
	static const int sigs[4] = {SIGHUP, SIGUSR1, SIGTERM, SIGINT};
	for (int i = 0; i < 4; i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], daemon_signal_cb, d);
		if (d->signals[i] == NULL || evsignal_add(d->signals[i], NULL) != 0)
			return -1;
	}
	struct timeval tick = {TICK_MS / 1000, TICK_MS % 1000 * 1000};
	d->tick = event_new(d->base, -1, EV_PERSIST, daemon_tick_cb, d);
	if (d->tick == NULL || event_add(d->tick, &tick) != 0)
		return -1;
	uint64_t wd = notify_watchdog_usec();
	if (wd > 0) {
		/* Pet at half the interval, from the event loop itself: a stuck loop stops it. */
		struct timeval half = {(time_t)(wd / 2 / 1000000), (suseconds_t)(wd / 2 % 1000000)};
		d->watchdog = event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb, d);
		if (d->watchdog == NULL || event_add(d->watchdog, &half) != 0)
			return -1;
	}
	return 0;
}

/* libevent's own warnings (a failed connect of a webhook, say) go through our log. */
static void daemon_libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_debug("libevent: %s", msg);
}

static int daemon_start(struct daemon *d)
{
	event_set_log_callback(daemon_libevent_log_cb);
	d->base = event_base_new();
	if (d->base == NULL) {
		log_warnx("cannot create the event base");
		return -1;
	}
	d->notify = notify_open();
	d->engine = engine_new(&d->cfg->engine, daemon_record_cb, d, (int64_t)time(NULL));
	d->listeners = calloc(d->cfg->n_listen ? d->cfg->n_listen : 1, sizeof(*d->listeners));
	if (d->engine == NULL || d->listeners == NULL)
		return -1;
	for (size_t i = 0; i < d->cfg->n_listen; i++) {
		d->listeners[i] =
		    daemon_open_listener(d, &d->cfg->listen[i], d->cfg->max_message_size);
		if (d->listeners[i] == NULL)
			return -1;
		d->n_listeners++;
	}
	/* Bound with the listeners, before privileges are dropped, so that any port works. */
	if (d->cfg->metrics_address != NULL &&
	    (d->metrics = daemon_open_metrics(d, d->cfg)) == NULL)
		return -1;
	if (daemon_drop_privileges(d->cfg) != 0)
		return -1;
	/* Outputs are opened as the user the daemon runs as, so that a file it creates stays
	 * its own and reopening after log rotation works. */
	unsigned char none = 0;
	d->outputs = daemon_new_outputs(d, d->cfg, &none);
	if (d->outputs == NULL)
		return -1;
	d->n_outputs = d->cfg->n_outputs;
	d->hooks = hooks_new(d->base, d->cfg->hooks, d->cfg->n_hooks);
	if (d->hooks == NULL)
		return -1;
	for (size_t i = 0; i < d->n_listeners; i++) {
		if (listener_start(d->listeners[i]) != 0)
			return -1;
		log_info("listening on %s", listener_name(d->listeners[i]));
	}
	if (daemon_add_events(d) != 0) {
		log_warnx("cannot set up signals and timers");
		return -1;
	}
	return 0;
}

static void daemon_free(struct daemon *d)
{
	metrics_close(d->metrics);
	for (size_t i = 0; i < d->n_listeners; i++)
		listener_close(d->listeners[i]);
	for (size_t i = 0; d->outputs != NULL && i < d->n_outputs; i++)
		output_close(d->outputs[i]);
	for (int i = 0; i < 4; i++)
		if (d->signals[i])
			event_free(d->signals[i]);
	if (d->tick)
		event_free(d->tick);
	if (d->watchdog)
		event_free(d->watchdog);
	if (d->stop_wait)
		event_free(d->stop_wait);
	hooks_free(d->hooks);
	engine_free(d->engine);
	notify_close(d->notify);
	if (d->base)
		event_base_free(d->base);
	free(d->listeners);
	free(d->outputs);
	config_free(d->cfg);
}

int daemon_run(struct config *cfg, const char *config_path)
{
	struct daemon d;
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.config_path = config_path;
	d.start_time = (int64_t)time(NULL);
	signal(SIGPIPE, SIG_IGN);
	int status = 0;
	if (daemon_start(&d) != 0) {
		log_warnx("could not start");
		status = 1;
	} else {
		notify_send(d.notify, "READY=1");
		daemon_send_status(&d);
		log_info("ready");
		event_base_dispatch(d.base);
	}
	daemon_free(&d);
	return status;
}
