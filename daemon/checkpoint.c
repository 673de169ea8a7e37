/* The state file's write policy (checkpoint.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "clock.h"
#include "log.h"
#include "statefile.h"

/* Grows with everything a state file holds: lines applied, connections and messages ended,
 * alerts sent. */
static uint64_t checkpoint_changes(const struct engine *e)
{
	const struct track_counters *tc = engine_track_counters(e);
	uint64_t n = engine_counters(e)->messages + tc->early_alerts + tc->restored;
	for (int i = 0; i < VERDICT_END_COUNT; i++)
		n += tc->ends[i];
	for (int i = 0; i < MESSAGE_END_COUNT; i++)
		n += engine_message_counters(e)->ends[i];
	return n;
}

void checkpoint_init(struct checkpoint *cp, struct engine *engine, struct daemon_counters *count)
{
	memset(cp, 0, sizeof(*cp));
	cp->engine = engine;
	cp->count = count;
}

static int checkpoint_save(struct checkpoint *cp, const char *path, int64_t now)
{
	uint64_t start = clock_now_ms();
	int r = statefile_save(path, cp->engine, now);
	cp->last_ms = clock_now_ms();
	cp->count->state_save_ms = cp->last_ms - start;
	if (r != 0) {
		cp->count->state_save_failures++;
		return -1;
	}
	cp->count->state_saves++;
	cp->changes = checkpoint_changes(cp->engine);
	cp->open = engine_open_connections(cp->engine);
	log_debug("state file %s: %zu open connections written in %" PRIu64 " ms", path, cp->open,
	          cp->count->state_save_ms);
	return 0;
}

/* Removes a state file that no longer matches what was reported (an older checkpoint): the
 * next start would resume connections that already have their records. */
static void checkpoint_forget(const char *path, const char *why)
{
	if (unlink(path) == 0)
		log_warnx("state file %s: removed, %s", path, why);
	else if (errno != ENOENT)
		log_warn("state file %s: cannot remove it (%s); the next start may report "
		         "connections twice",
		         path, why);
}

void checkpoint_load(struct checkpoint *cp, const struct config *cfg, int64_t now)
{
	size_t restored;

	cp->last_ms = clock_now_ms();
	if (cfg->state_file == NULL)
		return;
	enum statefile_load r = statefile_load(cfg->state_file, cp->engine, now, &restored);
	if (r == STATEFILE_SET_ASIDE)
		cp->count->state_set_aside++;
	/* Without checkpoints the file holds the last stop only: once loaded it would, after a
	 * crash, resume connections that have ended since. */
	if (r == STATEFILE_LOADED && cfg->checkpoint_ms == 0)
		checkpoint_forget(cfg->state_file,
		                  "loaded; with checkpoint_interval 0 the next is written at stop");
	cp->changes = checkpoint_changes(cp->engine);
	cp->open = engine_open_connections(cp->engine);
}

void checkpoint_tick(struct checkpoint *cp, const struct config *cfg, int64_t now)
{
	if (cfg->state_file == NULL || cfg->checkpoint_ms == 0)
		return;
	int due = cp->due;
	cp->due = 0; /* one try: a failure waits for the interval like any other */
	if (!due && clock_now_ms() - cp->last_ms < cfg->checkpoint_ms)
		return;
	if (!due && checkpoint_changes(cp->engine) == cp->changes) {
		cp->last_ms = clock_now_ms();
		return;
	}
	/* An older file left in place would, after a crash, resume connections that ended since:
	 * without a fresh one, none is better. */
	if (checkpoint_save(cp, cfg->state_file, now) != 0)
		checkpoint_forget(cfg->state_file, "a checkpoint could not replace it");
}

int checkpoint_at_stop(struct checkpoint *cp, const struct config *cfg, int64_t now)
{
	if (checkpoint_save(cp, cfg->state_file, now) != 0) {
		checkpoint_forget(cfg->state_file, "its connections ended as shutdown");
		return -1;
	}
	log_info("state file %s: %zu open connections saved", cfg->state_file, cp->open);
	return 0;
}

void checkpoint_reconfigure(struct checkpoint *cp, const struct config *old,
                            const struct config *new_cfg)
{
	const char *old_path = old->state_file, *new_path = new_cfg->state_file;
	int moved = (old_path == NULL) != (new_path == NULL) ||
	            (old_path != NULL && strcmp(old_path, new_path) != 0);

	if (moved && old_path != NULL)
		checkpoint_forget(old_path, "no longer the configured state_file");
	else if (old_path != NULL && new_cfg->checkpoint_ms == 0 && old->checkpoint_ms != 0)
		checkpoint_forget(old_path, "checkpoints are off: the next is written at stop");
	cp->due = moved && new_path != NULL;
}
