#include <stdlib.h>
#include <string.h>

#include "jobqueue.h"

void jobqueue_init(struct jobqueue *q, uint64_t *drops)
{
	memset(q, 0, sizeof(*q));
	q->drops = drops;
	q->max_concurrent = 1;
}

void jobqueue_set_limits(struct jobqueue *q, uint32_t max_concurrent, uint32_t capacity)
{
	q->max_concurrent = max_concurrent > 0 ? max_concurrent : 1;
	q->capacity = capacity;
}

int jobqueue_admit(struct jobqueue *q)
{
	if (q->n_running >= q->max_concurrent && q->n_queued >= q->capacity) {
		(*q->drops)++;
		return 0;
	}
	return 1;
}

void *jobqueue_job_new(size_t size, const char *json, size_t len, size_t extra)
{
	if (size < sizeof(struct job) || len > SIZE_MAX - size || extra > SIZE_MAX - size - len)
		return NULL;
	struct job *j = calloc(1, size + len + extra);
	if (j == NULL)
		return NULL;
	char *copy = (char *)j + size;
	if (len > 0)
		memcpy(copy, json, len);
	j->json = copy;
	j->len = len;
	return j;
}

void jobqueue_push(struct jobqueue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n_queued++;
}

static struct job *jobqueue_pop(struct jobqueue *q)
{
	struct job *j = q->head;
	if (j == NULL)
		return NULL;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n_queued--;
	j->next = NULL;
	return j;
}

struct job *jobqueue_next(struct jobqueue *q)
{
	if (q->n_running >= q->max_concurrent)
		return NULL;
	struct job *j = jobqueue_pop(q);
	if (j == NULL)
		return NULL;
	j->prev = NULL;
	j->next = q->running;
	if (q->running != NULL)
		q->running->prev = j;
	q->running = j;
	q->n_running++;
	return j;
}

void jobqueue_done(struct jobqueue *q, struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		q->running = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	q->n_running--;
}

struct job *jobqueue_first_running(struct jobqueue *q)
{
	return q->running;
}

size_t jobqueue_running(const struct jobqueue *q)
{
	return q->n_running;
}

size_t jobqueue_queued(const struct jobqueue *q)
{
	return q->n_queued;
}

size_t jobqueue_drain(struct jobqueue *q)
{
	size_t lost = 0;
	struct job *j;
	while ((j = jobqueue_pop(q)) != NULL) {
		free(j);
		lost++;
	}
	return lost;
}
