/* Everything the daemon counts, defined once: each family's name, type, help text and role.
 * The same walk writes /metrics (Prometheus text), the USR1 log dump, the systemd STATUS= line
 * and the minute's summary of drops, so they never disagree. */
#ifndef ESATLSD_STATS_H
#define ESATLSD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct evbuffer;
struct engine;
struct listener;
struct output;
struct hooks;
struct feed;

/* Counters the daemon keeps itself. */
struct daemon_counters {
	uint64_t reloads, reload_failures;
	uint64_t encode_failures;
	uint64_t state_saves, state_save_failures, state_set_aside;
	uint64_t state_save_ms;       /* how long the latest save took */
	struct metrics_counters http; /* the metrics endpoint's */
};

/* What the counters are read from (a snapshot of the daemon's parts). */
struct stats_view {
	const struct engine *engine;
	struct listener *const *listeners;
	size_t n_listeners;
	struct output *const *outputs;
	size_t n_outputs;
	const struct hooks *hooks; /* may be NULL */
	int64_t start_time;
	const struct daemon_counters *daemon;
	const struct feed *feed; /* may be NULL */
};

/* The whole /metrics body. */
void stats_prometheus(const struct stats_view *v, struct evbuffer *out);

/* The same counters as log lines (USR1): one line per family ("name value", or
 * "name{labels} value, {labels} value ..." with a labelled family's zero samples left out),
 * long families continued on further lines. */
void stats_log(const struct stats_view *v);

/* Only the last line of stats_log, "counters: summary ..." with the STATUS= figures: at stop. */
void stats_log_summary(const struct stats_view *v);

/* The key few for systemd: "STATUS=..." into buf (always NUL-terminated). */
void stats_status(const struct stats_view *v, char *buf, size_t size);

/* Messages, lines, connections and records lost, cut or refused so far (the sum of every
 * counter defined as a loss). */
uint64_t stats_drops(const struct stats_view *v);

/* Turns Prometheus text into log lines as stats_log does, calling line(text, arg) for each
 * (exposed for tests). */
void stats_text_to_lines(const char *text, size_t len, void (*line)(const char *, void *),
                         void *arg);

#endif
