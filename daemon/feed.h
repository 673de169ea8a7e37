/* The health of each appliance's feed, checked on the daemon's tick from the engine's
 * per-appliance counters (the per-line work stays a counter increment in lib/):
 * - most of a source's lines not recognised as ESA mail_logs (>= 90 % of its first 1000, or of
 *   a 10-minute window of >= 100): a warning naming it, its header shape, one example line and
 *   the likely cause; another line when it recovers;
 * - a source silent for appliances.silent_after: a warning and a "silent" feed record, then
 *   "resumed" when it sends again; an expected appliance unseen that long after start: "missing".
 * Feed records go out through a callback. Warnings are rate-limited. The clock is arrival time
 * in seconds, passed in. */
#ifndef ESATLSD_FEED_H
#define ESATLSD_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "record.h"

#define FEED_FIRST_LINES 1000 /* a new source is judged on this many lines ... */
#define FEED_WINDOW 600       /* ... and after that on windows of this many seconds ... */
#define FEED_WINDOW_LINES 100 /* ... holding at least this many lines */
#define FEED_BAD_PERCENT 90   /* unrecognised when this share or more is unclassified */

typedef void (*feed_record_fn)(const struct feed_record *r, void *arg);

struct feed;

/* A feed monitor started at clock time `start`. NULL if memory ran out. */
struct feed *feed_new(int64_t start, feed_record_fn emit, void *arg);

/* Takes (copies) silent_after and the expected names. A name newly expected has silent_after
 * from `now` to appear. Returns 0, or -1 if memory ran out (the old settings stay). */
int feed_configure(struct feed *f, int64_t silent_after, char *const *expected, size_t n_expected,
                   int64_t now);

/* Checks every appliance of e at clock time now: logs and emits what changed. */
void feed_tick(struct feed *f, struct engine *e, int64_t now);

/* Whether appliance i of the engine is up (not reported silent): 1 or 0. */
int feed_appliance_up(const struct feed *f, size_t i);

/* The expected appliances not seen yet: their count and names (for esatlsd_appliance_up 0). */
size_t feed_unseen_count(const struct feed *f);
const char *feed_unseen_name(const struct feed *f, size_t j);

void feed_free(struct feed *f);

#endif
