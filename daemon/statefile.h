/* The state file on disk (lib/state.h is its format): the engine's open connections written
 * atomically (a temporary file beside it, fsync, rename, fsync of the directory) at stop and as
 * checkpoints, and loaded at start. A file that cannot be loaded whole is renamed aside and the
 * daemon starts empty: never fatal, never half-loaded. */
#ifndef ESATLSD_STATEFILE_H
#define ESATLSD_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

struct engine;

/* Writes every open connection of e to path. Returns 0, or -1 after logging why (the previous
 * file, if any, is left as it was). */
int statefile_save(const char *path, const struct engine *e, int64_t now);

enum statefile_load {
	STATEFILE_LOADED,    /* connections restored (maybe none) */
	STATEFILE_ABSENT,    /* no file: a first start */
	STATEFILE_SET_ASIDE, /* unreadable as state: renamed to PATH.bad-TIME[.N] */
	STATEFILE_FAILED     /* could not be read or renamed: left where it is */
};

/* Loads path into e at arrival clock now; *restored gets the connections restored. Logs what
 * happened. */
enum statefile_load statefile_load(const char *path, struct engine *e, int64_t now,
                                   size_t *restored);

#endif
