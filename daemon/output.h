/* Verdict files: JSON Lines, opened append-only, each record written whole. A file that cannot
 * be written (full disk, I/O error) keeps records in a bounded queue and retries once a second;
 * records past the bound are dropped and counted, and the loss is logged at most every 10 s.
 * Reopened on SIGHUP, for logrotate without copytruncate. */
#ifndef ESATLSD_OUTPUT_H
#define ESATLSD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "verdict.h"

struct event_base;
struct output_config;

struct output_counters {
	uint64_t records;      /* records handed to the output (after its verdict filter) */
	uint64_t written;      /* records fully written */
	uint64_t write_errors; /* failed write calls */
	uint64_t retries;      /* retry attempts after an error */
	uint64_t dropped;      /* records lost because the queue was full */
	uint64_t reopens;
	uint64_t unlinked; /* times its file was found removed and could not be made again */
};

struct output;

/* Opens cfg->file (O_WRONLY|O_APPEND|O_CREAT, mode 0640; "-" = standard output). The output keeps
 * its own copy of cfg. Returns NULL after logging why it cannot be opened. */
struct output *output_open(const struct output_config *cfg, struct event_base *base);

/* Hands one encoded connection record (ending in "\n") of verdict kind `kind` to the output;
 * ignored when the output's filters (types, verdicts) exclude it. Buffered: call output_flush
 * before going idle. */
void output_record(struct output *o, enum verdict_kind kind, const char *line, size_t len);

/* The same for a record of any type (ignored when the output's `types` exclude it): connection
 * records come through output_record, the others straight here. */
void output_typed(struct output *o, enum record_type type, const char *line, size_t len);

/* Writes out what is buffered, whole records at a time. On an error the records stay queued and
 * a retry is scheduled. Returns 0 when nothing is left pending. */
int output_flush(struct output *o);

/* Closes and reopens the file by its path (after a rename by logrotate). Pending records are
 * written to the new file. Returns 0, or -1 (logged) if it cannot be reopened: the old
 * descriptor is then kept. */
int output_reopen(struct output *o);

/* Takes a reloaded configuration for the same file: the verdict filter and the queue bound
 * (records already queued stay, even past a smaller bound). */
void output_update(struct output *o, const struct output_config *cfg);

/* The path as configured. */
/* Finds a file removed while open (st_nlink 0: its records would go nowhere) and opens a new
 * one, making its directory again if that is gone too. Returns 0, or -1 when it cannot (logged
 * once at error level and counted in unlinked until it can). */
int output_check(struct output *o);

const char *output_name(const struct output *o);

/* Records still pending (buffered or queued after an error). */
size_t output_pending(const struct output *o);

const struct output_counters *output_counters(const struct output *o);

/* Flushes what it can (one attempt), then closes and frees. */
void output_close(struct output *o);

#endif
