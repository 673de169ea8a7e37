/* webhook hooks: an HTTP POST of the record's JSON line (Content-Type: application/json) per
 * alert, with libevent's evhttp client. Never blocks the event loop. Bounded: max_concurrent
 * requests, a queue of waiting alerts (overflow dropped and counted), a timeout per request,
 * and up to `retries` further attempts on 5xx answers or connection errors, with back-off 1 s,
 * 2 s, 4 s... (4xx answers are not retried). The host must be a numeric address: no DNS. */
#ifndef ESATLSD_HOOK_HTTP_H
#define ESATLSD_HOOK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "hook_runner.h"

struct event_base;

struct webhook_counters {
	uint64_t submitted;
	uint64_t posts;  /* requests sent, retries included */
	uint64_t ok;     /* 2xx answers */
	uint64_t failed; /* alerts given up: 4xx, or 5xx/errors after every retry */
	uint64_t retries;
	uint64_t timeouts;
	uint64_t queue_drops;
};

struct webhook_runner;

/* A runner for cfg (kind HOOK_WEBHOOK, url "http://IP:PORT/path"); own copy of cfg. NULL (logged)
 * if the URL cannot be used or memory ran out. */
struct webhook_runner *webhook_runner_new(struct event_base *base, const struct hook_config *cfg);

/* Posts a's JSON (copied), or queues it. Returns 0, or -1 when the queue is full (counted). */
int webhook_runner_submit(struct webhook_runner *r, const struct alert *a);

/* Takes a reloaded configuration of the same hook (the URL may change: next requests use it). */
void webhook_runner_update(struct webhook_runner *r, const struct hook_config *cfg);

size_t webhook_runner_in_flight(const struct webhook_runner *r);
size_t webhook_runner_queued(const struct webhook_runner *r);

const char *webhook_runner_name(const struct webhook_runner *r);
const struct webhook_counters *webhook_runner_counters(const struct webhook_runner *r);

/* Ends the runner now (the daemon calls it once the runner is idle or its shutdown deadline
 * passed): requests still in flight are stopped, queued alerts are logged as lost. Frees r.
 * Must not run the event loop (it is called from inside it). */
void webhook_runner_close(struct webhook_runner *r);

/* The dispatcher's table for webhooks: the functions above, and their counters folded into
 * struct hook_stats. */
extern const struct hook_runner_ops hook_webhook_ops;

#endif
