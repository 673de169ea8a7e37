/* Between the hook dispatcher (hook.c) and the runners that deliver its alerts: one table of
 * operations per kind of hook, exported by its runner (hook_exec_ops in hook_exec.h,
 * hook_webhook_ops in hook_http.h) and picked by enum hook_kind when a hook is opened. The
 * dispatcher holds a runner as a void * and reaches it only through its table, so another kind
 * of delivery is a runner with its own table and one line in the dispatcher's. */
#ifndef ESATLSD_HOOK_RUNNER_H
#define ESATLSD_HOOK_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"

struct event_base;

/* One hook's counters for /metrics, the exec and webhook runners' folded into one shape. */
struct hook_stats {
	const char *name;
	const char *kind;   /* "exec" or "webhook" */
	uint64_t offered;   /* records that matched the filters */
	uint64_t throttled; /* suppressed by the throttle */
	uint64_t runs;      /* exec: children started; webhook: requests sent, retries included */
	uint64_t ok;
	uint64_t failed;
	uint64_t timeouts;
	uint64_t retries;         /* webhook only */
	uint64_t errors;          /* exec: fork/pipe/exec failures; webhook: 0 */
	uint64_t queue_drops;     /* alerts dropped: queue full */
	uint64_t tls_errors;      /* webhook: TLS handshakes failed, verification included */
	uint64_t dns_errors;      /* webhook: host names not resolved */
	uint64_t rate_limited;    /* webhook: 429 answers */
	uint64_t client_errors;   /* webhook: other 4xx answers, given up at once */
	uint64_t running, queued; /* children running or requests in flight; alerts waiting */
};

struct hook_runner_ops {
	const char *kind; /* the kind label of the hook's metrics: "exec", "webhook" */

	/* A runner for cfg (of this kind), with its own copy of what it uses. NULL (logged) if it
	 * cannot be set up. */
	void *(*open)(struct event_base *base, const struct hook_config *cfg);

	/* Delivers a (copied), or queues it while every slot is taken. Returns 0, or -1 when it
	 * was dropped (queue full, counted and logged by the runner). */
	int (*submit)(void *runner, const struct alert *a);

	/* Takes a reloaded configuration of the same hook: it applies to later deliveries, the
	 * running ones keep going. A configuration it cannot take is logged and the old kept. */
	void (*update)(void *runner, const struct hook_config *cfg);

	/* Slots taken (children running, requests in flight or waiting to retry) and alerts
	 * waiting for one. */
	size_t (*running)(const void *runner);
	size_t (*queued)(const void *runner);

	/* Fills the runner's counters in *s: runs, ok, failed, timeouts, retries, errors,
	 * queue_drops and the webhook ones; the dispatcher fills the rest. */
	void (*stats)(const void *runner, struct hook_stats *s);

	/* Ends the runner now: what still runs is stopped, what waits is logged as lost; frees
	 * it. Must not run the event loop (it is called from inside it). */
	void (*close)(void *runner);
};

#endif
