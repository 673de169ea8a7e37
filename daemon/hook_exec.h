/* exec hooks: run a program per alert with fork + execve (never a shell, never the log's text
 * in argv). The record's JSON line is written to its standard input; key fields are in
 * ESATLSD_* environment variables. Never blocks the event loop: children are watched through
 * pidfds, their stdin and stderr are non-blocking pipes. Bounded: max_concurrent children, a
 * queue of waiting alerts (overflow dropped and counted), a timeout (SIGTERM to the child's
 * process group, SIGKILL after a grace of 2 s), the first 4 KiB of stderr logged. */
#ifndef ESATLSD_HOOK_EXEC_H
#define ESATLSD_HOOK_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "hook_runner.h"

struct event_base;

struct exec_counters {
	uint64_t submitted;
	uint64_t runs;         /* children started */
	uint64_t ok;           /* exited 0 */
	uint64_t failed;       /* exited non-zero or killed by a signal other than our timeout */
	uint64_t timeouts;     /* killed at the timeout */
	uint64_t spawn_errors; /* fork/pipe/exec failures */
	uint64_t queue_drops;  /* alerts dropped: queue full */
};

struct exec_runner;

/* A runner for cfg (kind HOOK_EXEC); keeps its own copy of cfg. NULL if memory ran out. */
struct exec_runner *exec_runner_new(struct event_base *base, const struct hook_config *cfg);

/* Runs the hook for a (copied), or queues it when max_concurrent children run. Returns 0, or
 * -1 when the queue is full (counted in queue_drops). */
int exec_runner_submit(struct exec_runner *r, const struct alert *a);

/* Takes a reloaded configuration of the same hook: argv, limits and timeout apply to the next
 * runs; running children keep going. */
void exec_runner_update(struct exec_runner *r, const struct hook_config *cfg);

/* Children running and alerts queued. */
size_t exec_runner_running(const struct exec_runner *r);
size_t exec_runner_queued(const struct exec_runner *r);

const char *exec_runner_name(const struct exec_runner *r);
const struct exec_counters *exec_runner_counters(const struct exec_runner *r);

/* Ends the runner now (the daemon calls it once the runner is idle or its shutdown deadline
 * passed): children still running are killed (SIGKILL to their process group) and reaped,
 * queued alerts are logged as lost. Frees r.
 * Must not run the event loop (it is called from inside it). */
void exec_runner_close(struct exec_runner *r);

/* The dispatcher's table for exec hooks: the functions above, and their counters folded into
 * struct hook_stats. */
extern const struct hook_runner_ops hook_exec_ops;

#endif
