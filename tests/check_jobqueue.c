/* The hook runners' shared queue: FIFO order, the bound and its drop count, slots against
 * max_concurrent and the list of jobs holding them, and the drain at close. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobqueue.h"
#include "support.h"

/* A runner's job as the runners lay theirs out: struct job first, its own fields after. */
struct tjob {
	struct job base;
	int id;
	char *extra;
};

static struct tjob *tjob_new(int id, size_t extra)
{
	char json[32];
	int n = snprintf(json, sizeof(json), "{\"n\":%d}\n", id);
	struct tjob *j = jobqueue_job_new(sizeof(*j), json, (size_t)n, extra);
	ck_assert_ptr_nonnull(j);
	j->id = id;
	j->extra = (char *)j->base.json + j->base.len;
	return j;
}

static uint64_t drops; /* the runner's counter that the queue adds its refusals to */
static struct jobqueue q;

/* A fresh queue with these limits (capacity waiting), no drops counted. */
static void queue_with(uint32_t max_concurrent, uint32_t capacity)
{
	drops = 0;
	jobqueue_init(&q, &drops);
	jobqueue_set_limits(&q, max_concurrent, capacity);
}

/* Admits, builds and queues alert id in q as a runner's submit does. 0, or -1 when refused. */
static int submit(int id)
{
	if (!jobqueue_admit(&q))
		return -1;
	jobqueue_push(&q, &tjob_new(id, 0)->base);
	return 0;
}

/* The job q lets out next, now holding a slot, or NULL. */
static struct tjob *start(void)
{
	return (struct tjob *)jobqueue_next(&q);
}

static int id_of(const struct tjob *j)
{
	return j != NULL ? j->id : -1;
}

/* j ended: its slot is free, and it is freed. */
static void finish(struct tjob *j)
{
	jobqueue_done(&q, &j->base);
	free(j);
}

/* The ids on the running list, in its order: "3 2 1". */
static const char *running_ids(void)
{
	static char buf[128];
	size_t w = 0;
	buf[0] = '\0';
	for (struct job *j = jobqueue_first_running(&q); j != NULL; j = j->next) {
		int n = snprintf(buf + w, sizeof(buf) - w, "%s%d", w > 0 ? " " : "",
		                 ((struct tjob *)j)->id);
		ck_assert(n > 0 && (size_t)n < sizeof(buf) - w);
		w += (size_t)n;
	}
	return buf;
}

START_TEST(job_holds_its_copy_and_extra_bytes)
{
	char json[] = "{\"verdict\":\"tls_failed\"}\n";
	struct tjob *j = jobqueue_job_new(sizeof(*j), json, strlen(json), 16);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(j->base.next);
	ck_assert_int_eq(j->id, 0); /* the runner's part starts zeroed */
	ck_assert_uint_eq(j->base.len, strlen(json));
	ck_assert_ptr_ne(j->base.json, json);
	memset(json, 'x', strlen(json)); /* the caller's buffer is reused for the next alert */
	ck_assert(memcmp(j->base.json, "{\"verdict\":\"tls_failed\"}\n", j->base.len) == 0);
	char *extra = (char *)j->base.json + j->base.len;
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(extra[i], 0);
	memset(extra, 'e', 16); /* all of it is usable (ASan checks the bound) */
	free(j);

	struct tjob *empty = jobqueue_job_new(sizeof(*empty), NULL, 0, 0);
	ck_assert_ptr_nonnull(empty);
	ck_assert_uint_eq(empty->base.len, 0);
	free(empty);
	ck_assert_ptr_null(jobqueue_job_new(sizeof(struct tjob), json, SIZE_MAX - 4, 0));
	ck_assert_ptr_null(jobqueue_job_new(sizeof(struct tjob), json, 8, SIZE_MAX - 8));
}
END_TEST

START_TEST(fifo_order)
{
	queue_with(1, 10);
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(submit(i), 0);
	ck_assert_uint_eq(jobqueue_queued(&q), 5);
	for (int i = 1; i <= 5; i++) {
		struct tjob *j = start();
		ck_assert_int_eq(id_of(j), i);
		ck_assert_uint_eq(jobqueue_running(&q), 1);
		ck_assert_uint_eq(jobqueue_queued(&q), (size_t)(5 - i));
		finish(j);
	}
	ck_assert_ptr_null(start());
	/* Emptied, the queue takes new jobs in order again (head and tail reset). */
	ck_assert_int_eq(submit(6), 0);
	ck_assert_int_eq(submit(7), 0);
	struct tjob *j = start();
	ck_assert_int_eq(id_of(j), 6);
	finish(j);
	j = start();
	ck_assert_int_eq(id_of(j), 7);
	finish(j);
	ck_assert_uint_eq(drops, 0);
}
END_TEST

/* max_concurrent 1, queue 3: with the slot taken 3 wait and the rest are dropped, counted in
 * the runner's counter; a free slot or room in the queue takes alerts again. */
START_TEST(bound_and_drop_count)
{
	queue_with(1, 3);
	ck_assert_int_eq(submit(0), 0);
	struct tjob *running = start();
	ck_assert_int_eq(id_of(running), 0);
	int accepted = 0, refused = 0;
	for (int i = 1; i < 10; i++) {
		if (submit(i) == 0)
			accepted++;
		else
			refused++;
	}
	ck_assert_int_eq(accepted, 3);
	ck_assert_int_eq(refused, 6);
	ck_assert_uint_eq(drops, 6);
	ck_assert_uint_eq(jobqueue_queued(&q), 3);
	ck_assert_ptr_null(start());
	/* The slot frees: one waiting job leaves, room for one more. */
	finish(running);
	running = start();
	ck_assert_int_eq(id_of(running), 1);
	ck_assert_int_eq(submit(10), 0);
	ck_assert_int_eq(submit(11), -1);
	ck_assert_uint_eq(drops, 7);
	ck_assert_uint_eq(jobqueue_drain(&q), 3);
	finish(running);
}
END_TEST

/* queue 0: an alert is taken only when a slot is free. */
START_TEST(queue_zero_takes_only_with_a_free_slot)
{
	queue_with(2, 0);
	ck_assert_int_eq(submit(1), 0);
	struct tjob *a = start();
	ck_assert_int_eq(submit(2), 0);
	struct tjob *b = start();
	ck_assert_int_eq(id_of(a), 1);
	ck_assert_int_eq(id_of(b), 2);
	ck_assert_int_eq(submit(3), -1);
	ck_assert_uint_eq(drops, 1);
	ck_assert_uint_eq(jobqueue_queued(&q), 0);
	finish(a);
	ck_assert_int_eq(submit(4), 0);
	ck_assert_uint_eq(drops, 1);
	ck_assert_uint_eq(jobqueue_drain(&q), 1);
	finish(b);
}
END_TEST

START_TEST(slots_against_max_concurrent)
{
	drops = 0;
	jobqueue_init(&q, &drops);
	ck_assert_int_eq(submit(1), 0); /* before any limits: one slot, no room to wait */
	struct tjob *a = start();
	ck_assert_int_eq(submit(2), -1);
	finish(a);

	jobqueue_set_limits(&q, 2, 10);
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(submit(i), 0);
	a = start();
	struct tjob *b = start();
	ck_assert_int_eq(id_of(a), 1);
	ck_assert_int_eq(id_of(b), 2);
	ck_assert_ptr_null(start()); /* both slots taken */
	ck_assert_uint_eq(jobqueue_running(&q), 2);
	ck_assert_uint_eq(jobqueue_queued(&q), 3);
	finish(a);
	ck_assert_uint_eq(jobqueue_running(&q), 1);
	struct tjob *c = start();
	ck_assert_int_eq(id_of(c), 3);
	ck_assert_ptr_null(start());

	/* A reload with more slots lets more out at once; running jobs keep theirs. */
	jobqueue_set_limits(&q, 4, 10);
	struct tjob *d = start(), *e = start();
	ck_assert_int_eq(id_of(d), 4);
	ck_assert_int_eq(id_of(e), 5);
	ck_assert_uint_eq(jobqueue_running(&q), 4);
	/* Fewer slots: nothing more starts until enough have ended. */
	ck_assert_int_eq(submit(6), 0);
	jobqueue_set_limits(&q, 0, 10); /* 0 means one at a time */
	finish(b);
	finish(c);
	finish(d);
	ck_assert_ptr_null(start());
	finish(e);
	ck_assert_uint_eq(jobqueue_running(&q), 0);
	struct tjob *f = start();
	ck_assert_int_eq(id_of(f), 6);
	finish(f);
	ck_assert_uint_eq(jobqueue_running(&q), 0);
	ck_assert_uint_eq(drops, 1);
}
END_TEST

/* The running list holds exactly the jobs with a slot, the latest started first, whichever
 * of them ends. */
START_TEST(running_list)
{
	queue_with(3, 10);
	ck_assert_ptr_null(jobqueue_first_running(&q));
	for (int i = 1; i <= 3; i++)
		ck_assert_int_eq(submit(i), 0);
	struct tjob *a = start(), *b = start(), *c = start();
	ck_assert_str_eq(running_ids(), "3 2 1");
	finish(b); /* in the middle */
	ck_assert_str_eq(running_ids(), "3 1");
	finish(c); /* the first */
	ck_assert_str_eq(running_ids(), "1");
	ck_assert_int_eq(submit(4), 0);
	ck_assert_int_eq(submit(5), 0);
	struct tjob *d = start(), *e = start();
	ck_assert_str_eq(running_ids(), "5 4 1");
	finish(a); /* the last */
	ck_assert_str_eq(running_ids(), "5 4");
	finish(e);
	finish(d);
	ck_assert_str_eq(running_ids(), "");
	ck_assert_uint_eq(jobqueue_running(&q), 0);
}
END_TEST

/* At close the waiting jobs are freed (ASan's leak check holds it to that) and counted; the
 * running ones are the runner's and stay on the running list. */
START_TEST(drain_at_close)
{
	queue_with(1, 100);
	ck_assert_uint_eq(jobqueue_drain(&q), 0);
	for (int i = 0; i < 4; i++)
		jobqueue_push(&q, &tjob_new(i, 64)->base);
	struct tjob *running = start();
	ck_assert_int_eq(id_of(running), 0);
	ck_assert_uint_eq(jobqueue_drain(&q), 3);
	ck_assert_uint_eq(jobqueue_queued(&q), 0);
	ck_assert_uint_eq(jobqueue_running(&q), 1);
	ck_assert_str_eq(running_ids(), "0");
	ck_assert_ptr_null(start());
	ck_assert_uint_eq(jobqueue_drain(&q), 0);
	finish(running);
	/* Drained, the queue still works. */
	ck_assert_int_eq(submit(9), 0);
	running = start();
	ck_assert_int_eq(id_of(running), 9);
	finish(running);
	ck_assert_uint_eq(drops, 0);
}
END_TEST

static Suite *jobqueue_suite(void)
{
	Suite *s = suite_create("jobqueue");
	TCase *tc = tcase_create("queue");
	tcase_add_test(tc, job_holds_its_copy_and_extra_bytes);
	tcase_add_test(tc, fifo_order);
	tcase_add_test(tc, bound_and_drop_count);
	tcase_add_test(tc, queue_zero_takes_only_with_a_free_slot);
	tcase_add_test(tc, slots_against_max_concurrent);
	tcase_add_test(tc, running_list);
	tcase_add_test(tc, drain_at_close);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(jobqueue_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
