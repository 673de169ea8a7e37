/* When the state file is written, and when an old one must go. A checkpoint bounds what a crash
 * loses: it is written every tracking.checkpoint_interval while something changed, at stop, and
 * at once for a newly configured path. A file that no longer matches what was reported (an
 * older checkpoint, a path no longer configured) is removed, because the next start would
 * resume connections that already have their records. */
#ifndef ESATLSD_CHECKPOINT_H
#define ESATLSD_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "stats.h"

struct checkpoint {
	struct engine *engine;
	struct daemon_counters *count; /* state_saves, state_save_failures, ... */
	uint64_t last_ms;              /* clock_now_ms() of the last write (or load) */
	uint64_t changes;              /* checkpoint_changes() then: unchanged, no write */
	int due;                       /* a new state_file: write it at the next tick */
	size_t open;                   /* open connections in the last file written */
};

void checkpoint_init(struct checkpoint *cp, struct engine *engine, struct daemon_counters *count);

/* At start, before any line: resumes the connections of cfg->state_file, if any. */
void checkpoint_load(struct checkpoint *cp, const struct config *cfg, int64_t now);

/* The daemon's tick: writes a checkpoint when one is due and something changed. */
void checkpoint_tick(struct checkpoint *cp, const struct config *cfg, int64_t now);

/* At stop: writes the open connections for the next start. Returns 0, or -1 (logged; the old
 * file removed) when the caller must end them instead. */
int checkpoint_at_stop(struct checkpoint *cp, const struct config *cfg, int64_t now);

/* A reload from old to new: removes a file that the new settings leave behind, and makes a
 * checkpoint due for a new path. */
void checkpoint_reconfigure(struct checkpoint *cp, const struct config *old,
                            const struct config *new_cfg);

#endif
