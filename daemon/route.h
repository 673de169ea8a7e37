/* Where records go: each record the engine or the feed watcher makes is encoded once and
 * handed to the outputs that take its type and to the hooks. The daemon owns the outputs and
 * hooks and keeps this route pointing at the current ones (they change at a reload). */
#ifndef ESATLSD_ROUTE_H
#define ESATLSD_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "record.h"
#include "verdict.h"

struct output;
struct hooks;

struct route {
	struct output **outputs;
	size_t n_outputs;
	struct hooks *hooks;       /* NULL: none configured */
	uint64_t *encode_failures; /* counted here: a record that could not be encoded */
	char line[VERDICT_LINE_MAX];
};

/* The callbacks, each with the route as arg: a connection's verdict (track_verdict_fn), and the
 * other record types. */
void route_connection(const struct verdict *v, void *route);
void route_feed(const struct feed_record *r, void *route);
void route_message(const struct message_record *m, void *route);
void route_downgrade(const struct downgrade_record *g, void *route);

/* Message records and the posture table cost memory and time: turned on in e once an output
 * or hook of cfg asks for their records (and then until exit: a reload that drops them just
 * routes them nowhere). 0, or -1 if memory ran out. */
int route_enable_records(struct route *r, struct engine *e, const struct config *cfg);

/* Writes what the outputs hold (after each batch of input). */
void route_flush(const struct route *r);

#endif
