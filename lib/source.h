/* Appliance identities: each distinct source name (a syslog HOSTNAME or a sender address) gets a
 * small number, so per-connection state stores 4 bytes instead of a string. Bounded. */
#ifndef ESATLS_SOURCE_H
#define ESATLS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define SOURCE_NONE UINT32_MAX
#define SOURCE_NAME_MAX 255

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

/* Counts one message of source id, seen at clock time now. */
void source_note_message(struct source_table *st, uint32_t id, int64_t now);

/* Messages counted for id, and the clock time of its latest (0 before any). */
uint64_t source_messages(const struct source_table *st, uint32_t id);
int64_t source_last_seen(const struct source_table *st, uint32_t id);

#endif
