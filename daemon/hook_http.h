/* webhook hooks: an HTTP POST per alert (Content-Type: application/json; the body in the hook's
 * format, hook_format.h; the configured headers) with libevent's evhttp client, over TLS for
 * https (tls_client.h), host names looked up with evdns (resolver.h). Never blocks the event
 * loop. Bounded: max_concurrent requests, a queue of waiting alerts (overflow dropped and
 * counted), a timeout per request, and up to `retries` further attempts on connection, DNS and
 * TLS errors, 408, 429 and 5xx answers, after the answer's Retry-After (at most 300 s) or a
 * back-off of 1 s, 2 s, 4 s...; other 4xx answers are not retried. */
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
	uint64_t tls_errors;    /* attempts whose TLS handshake failed (verification included) */
	uint64_t dns_errors;    /* attempts whose host name could not be resolved */
	uint64_t rate_limited;  /* 429 answers */
	uint64_t client_errors; /* other 4xx answers: the alert is given up at once */
};

struct webhook_runner;

/* A runner for cfg (kind HOOK_WEBHOOK, url "http[s]://HOST[:PORT]/path"); own copy of cfg. NULL
 * (logged) if the URL or its TLS settings cannot be used or memory ran out. */
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
