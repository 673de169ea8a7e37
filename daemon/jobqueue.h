/* The alerts of one hook runner: a bounded FIFO of those waiting for a slot, and the list of
 * those holding one, bounded by max_concurrent. Each job holds its own copy of the alert's JSON
 * line, in one allocation with the runner's per-job data. Past the bound an alert is refused and
 * counted as dropped; at close the waiting ones are freed and counted for the runner's log line. No
 * libevent, no logging, no clock: the runner does those.
 *
 * A runner embeds a struct jobqueue and puts a struct job first in its own job struct, so that
 * a struct job * from the queue converts back to the runner's job. */
#ifndef ESATLSD_JOBQUEUE_H
#define ESATLSD_JOBQUEUE_H

#include <stddef.h>
#include <stdint.h>

struct job {
	/* While the job waits: the queue's link (next). While it holds a slot: the running list's
	 * (next, prev). */
	struct job *next, *prev;
	const char *json; /* the alert's JSON line: the job's own copy */
	size_t len;
};

/* Read through the functions below; a zeroed struct is not ready: use jobqueue_init. */
struct jobqueue {
	struct job *head, *tail; /* waiting, oldest first */
	size_t n_queued;
	struct job *running; /* holding a slot, the latest started first */
	size_t n_running;
	uint32_t max_concurrent; /* slots */
	uint32_t capacity;       /* jobs waiting at most */
	uint64_t *drops;         /* the runner's counter of alerts dropped: queue full */
};

/* An empty queue, one slot, no room to wait; refusals are added to *drops (the runner's
 * published counter, which must outlive q). */
void jobqueue_init(struct jobqueue *q, uint64_t *drops);

/* Slots and bound from a hook's configuration (max_concurrent, queue); they apply to the next
 * decisions, the jobs already waiting or running stay. 0 slots would never run anything: one at
 * a time is the least that works. */
void jobqueue_set_limits(struct jobqueue *q, uint32_t max_concurrent, uint32_t capacity);

/* Whether one more alert may be taken: a slot is free or the queue has room. When not, it is
 * counted in *drops and 0 is returned. Queued jobs only wait while every slot is taken (the
 * runner takes them out as slots free), so "full" needs both. */
int jobqueue_admit(struct jobqueue *q);

/* A zeroed job of size bytes (the runner's struct, a struct job first) followed in the same
 * allocation by a copy of the len bytes of json (job->json points at it) and by extra bytes for
 * the runner at job->json + len. Freed with free() (a waiting job by jobqueue_drain), so what
 * it holds while it waits must be inside it. NULL if memory ran out. */
void *jobqueue_job_new(size_t size, const char *json, size_t len, size_t extra);

/* Appends j (taken) to the queue. */
void jobqueue_push(struct jobqueue *q, struct job *j);

/* The oldest waiting job, taken out, when a slot is free; the job then holds the slot, on the
 * running list, until jobqueue_done. NULL when every slot is taken or nothing waits. */
struct job *jobqueue_next(struct jobqueue *q);

/* j (from jobqueue_next) ended, or never started: off the running list, its slot free again.
 * j itself is the caller's to free. */
void jobqueue_done(struct jobqueue *q, struct job *j);

/* The jobs holding a slot, the latest started first, each linked to the next by j->next (read
 * it before jobqueue_done(q, j)). NULL when none does. */
struct job *jobqueue_first_running(struct jobqueue *q);

/* Slots taken and jobs waiting. */
size_t jobqueue_running(const struct jobqueue *q);
size_t jobqueue_queued(const struct jobqueue *q);

/* Takes every waiting job out and frees it: the runner is closing. Returns how many there were,
 * the alerts lost, for the runner's log line. */
size_t jobqueue_drain(struct jobqueue *q);

#endif
