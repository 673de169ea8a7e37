/* Alert hooks: the dispatcher between the tracker's alert records and the exec and webhook
 * runners. Each record meant for hooks is offered to every hook; a hook takes it when its
 * filters match (on.type, then on.verdict and on.direction for connections, on.state for
 * feed records, on.kind and on.direction for downgrade records, and on.host) and its throttle
 * lets it through (at most one
 * alert per key per interval; the suppressed ones are counted and the next alert carries the
 * count as "suppressed" in its JSON and ESATLSD_SUPPRESSED). */
#ifndef ESATLSD_HOOK_H
#define ESATLSD_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hook_runner.h"
#include "record.h"
#include "verdict.h"

struct event_base;

struct hook_counters {
	uint64_t offered;   /* records that matched the filters */
	uint64_t throttled; /* suppressed by the throttle */
	uint64_t submitted; /* handed to the runner */
	uint64_t rejected;  /* the runner's queue was full */
};

struct hooks;

/* Runners for the n hooks of cfgs. NULL (logged) if one cannot be set up. */
struct hooks *hooks_new(struct event_base *base, const struct hook_config *cfgs, size_t n);

/* Offers one record (v->purpose has VERDICT_FOR_HOOKS; json is its encoded line) to every hook.
 * now_ms is a monotonic clock for the throttle. */
void hooks_offer(struct hooks *h, const struct verdict *v, const char *json, size_t len,
                 uint64_t now_ms);

/* Offers one message record to every hook whose on.type takes message records and whose
 * on.verdict (matched against end_to_end) and on.host match. */
void hooks_offer_message(struct hooks *h, const struct message_record *m, const char *json,
                         size_t len, uint64_t now_ms);

/* Offers one downgrade record (json its encoded line) to every hook whose on.type takes
 * downgrade records and whose on.kind, on.direction and on.host match the record and its
 * connection g->conn; on.verdict does not apply. The throttle's peer_ip is the connection's. */
void hooks_offer_downgrade(struct hooks *h, const struct downgrade_record *g, const char *json,
                           size_t len, uint64_t now_ms);

/* Offers one feed record (json its encoded line) to every hook whose on.type takes feed records
 * and whose on.state and on.host match. */
void hooks_offer_feed(struct hooks *h, const struct feed_record *f, const char *json, size_t len,
                      uint64_t now_ms);

/* Applies a reloaded hook list: a hook with the same name and kind keeps its runner (new limits
 * apply to later alerts; its throttle state stays); a new one gets a runner; a removed one stops
 * taking alerts, and finishes its running and queued ones before it is closed. Returns 0, or -1
 * (logged, nothing changed) if a new runner cannot be set up. */
int hooks_reload(struct hooks *h, const struct hook_config *cfgs, size_t n);

/* Closes the removed hooks that have finished (the daemon's tick). */
void hooks_tick(struct hooks *h);

/* True when no hook has anything running, in flight or queued. */
int hooks_idle(const struct hooks *h);

/* The longest timeout of any hook, for the shutdown deadline. */
uint64_t hooks_max_timeout_ms(const struct hooks *h);

/* Hooks, retiring ones included; hooks_stats fills *s (struct hook_stats: hook_runner.h) for
 * hook i < hooks_count (name and kind valid until the next reload or tick). */
size_t hooks_count(const struct hooks *h);
void hooks_stats(const struct hooks *h, size_t i, struct hook_stats *s);

/* Closes every runner now (children killed, queued alerts logged as lost) and frees h. */
void hooks_free(struct hooks *h);

#endif
