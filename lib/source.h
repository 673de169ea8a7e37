/* Appliance identities: each distinct source name (a syslog HOSTNAME or a sender address) gets a
 * small number, so per-connection state stores 4 bytes instead of a string. Bounded. */
#ifndef ESATLS_SOURCE_H
#define ESATLS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define SOURCE_NONE UINT32_MAX
#define SOURCE_NAME_MAX 255
#define SOURCE_EXAMPLE_MAX 200 /* bytes kept of an example line */

/* One unclassified line of a source, as it came (the first SOURCE_EXAMPLE_MAX bytes: never
 * trusted, escape it before showing it), with how it was read. */
struct source_example {
	int format; /* enum syslog_format */
	int cause;  /* enum diag_cause */
	size_t len;
	char line[SOURCE_EXAMPLE_MAX];
};

struct source_table;

/* An empty table that will hold at most limit names. NULL if memory ran out. */
struct source_table *source_table_new(uint32_t limit);

void source_table_free(struct source_table *st);

/* The number of name (longer names are cut to SOURCE_NAME_MAX bytes), adding it if new.
 * SOURCE_NONE when the table is full or memory ran out. */
uint32_t source_intern(struct source_table *st, struct span name);

/* The number of name if it is known, else SOURCE_NONE (adds nothing). */
uint32_t source_lookup(const struct source_table *st, struct span name);

/* The name of number id (valid while the table lives). */
struct span source_name(const struct source_table *st, uint32_t id);

/* Per-source UTC offset in minutes as announced by the log ("Time offset from UTC"), or
 * INT16_MIN when unknown. */
int16_t source_offset(const struct source_table *st, uint32_t id);
void source_set_offset(struct source_table *st, uint32_t id, int16_t minutes);

uint32_t source_count(const struct source_table *st);

/* What is counted per message of a source. The engine keeps a pointer to the current source's
 * and counts in place: one message costs three stores, no call. */
struct source_counts {
	uint64_t lines;        /* messages */
	uint64_t unclassified; /* ... that the ESA classifier did not know */
	int64_t last_seen;     /* clock of the latest */
	unsigned want_example; /* 1 while no example of an unclassified line is held */
};

/* id's counts (NULL past the end), valid until the next source_intern, which may move them. */
struct source_counts *source_counts(struct source_table *st, uint32_t id);

/* Counts one message seen at clock time now; unclassified is 1 when the ESA classifier did not
 * know it, else 0. Returns 1 when the source wants it as its example (it is unclassified and none
 * is held): then call source_keep_example. */
static inline int source_count_message(struct source_counts *c, int64_t now, unsigned unclassified)
{
	c->lines++;
	c->unclassified += unclassified;
	c->last_seen = now;
	return (int)(unclassified & c->want_example);
}

/* Keeps line[0..len) (cut to SOURCE_EXAMPLE_MAX) as id's example. */
void source_keep_example(struct source_table *st, uint32_t id, const char *line, size_t len,
                         int format, int cause);

/* id's example, or NULL when none is held; source_drop_example lets the next unclassified line
 * be kept instead. */
const struct source_example *source_example(const struct source_table *st, uint32_t id);
void source_drop_example(struct source_table *st, uint32_t id);

/* Messages counted for id, the unclassified among them, and the clock time of its latest (0
 * before any). */
uint64_t source_messages(const struct source_table *st, uint32_t id);
uint64_t source_unclassified(const struct source_table *st, uint32_t id);
int64_t source_last_seen(const struct source_table *st, uint32_t id);

#endif
