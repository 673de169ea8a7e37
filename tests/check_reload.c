/* The reload policy: running objects that serve a new entry are kept (each at most once), new
 * entries are opened, a failed open closes only what this reload opened, and a commit closes
 * the running objects left out. Objects here are plain records of who opened and closed them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reload.h"
#include "support.h"

struct obj {
	int key;
	int closed;
};

struct world {
	struct obj *running[8];
	size_t n_running;
	const int *wanted; /* the new entries' keys */
	int fail_key;      /* opening this key fails */
	struct obj *opened[8];
	size_t n_opened;
};

static void *running_at(void *ctx, size_t j)
{
	return ((struct world *)ctx)->running[j];
}

static int keeps(void *ctx, void *o, size_t i)
{
	return ((struct obj *)o)->key == ((struct world *)ctx)->wanted[i];
}

static void *open_entry(void *ctx, size_t i)
{
	struct world *w = ctx;
	if (w->wanted[i] == w->fail_key)
		return NULL;
	struct obj *o = calloc(1, sizeof(*o));
	o->key = w->wanted[i];
	w->opened[w->n_opened++] = o;
	return o;
}

static void close_obj(void *o)
{
	((struct obj *)o)->closed++;
}

static const struct reload_ops ops = {running_at, keeps, open_entry, close_obj};

static void world_init(struct world *w, const int *keys, size_t n)
{
	memset(w, 0, sizeof(*w));
	w->fail_key = -1;
	for (size_t j = 0; j < n; j++) {
		w->running[j] = calloc(1, sizeof(struct obj));
		w->running[j]->key = keys[j];
	}
	w->n_running = n;
}

static void world_free(struct world *w)
{
	for (size_t j = 0; j < w->n_running; j++)
		free(w->running[j]);
	for (size_t i = 0; i < w->n_opened; i++)
		free(w->opened[i]);
}

START_TEST(test_keep_open_commit)
{
	static const int old_keys[] = {1, 2, 2, 3};
	static const int new_keys[] = {2, 4, 1, 2, 2};
	struct world w;
	struct reload_set rs;

	world_init(&w, old_keys, 4);
	w.wanted = new_keys;
	ck_assert_int_eq(reload_prepare(&rs, &ops, &w, 4, 5), 0);
	ck_assert_ptr_eq(rs.next[0], w.running[1]); /* the first 2 */
	ck_assert_ptr_eq(rs.next[2], w.running[0]);
	ck_assert_ptr_eq(rs.next[3], w.running[2]); /* the second 2, not the first again */
	ck_assert_uint_eq(w.n_opened, 2);           /* 4, and a third 2 */
	ck_assert_ptr_eq(rs.next[1], w.opened[0]);
	ck_assert_ptr_eq(rs.next[4], w.opened[1]);
	reload_commit(&rs, &ops, &w);
	for (size_t j = 0; j < 3; j++)
		ck_assert_int_eq(w.running[j]->closed, 0);
	ck_assert_int_eq(w.running[3]->closed, 1); /* 3 is no longer wanted */
	ck_assert_int_eq(w.opened[0]->closed + w.opened[1]->closed, 0);
	reload_done(&rs);
	world_free(&w);
}
END_TEST

START_TEST(test_failed_open_rolls_back)
{
	static const int old_keys[] = {1, 2};
	static const int new_keys[] = {5, 1, 6, 7};
	struct world w;
	struct reload_set rs;

	world_init(&w, old_keys, 2);
	w.wanted = new_keys;
	w.fail_key = 7;
	ck_assert_int_eq(reload_prepare(&rs, &ops, &w, 2, 4), -1);
	ck_assert_uint_eq(w.n_opened, 2);
	ck_assert_int_eq(w.opened[0]->closed, 1); /* what this reload opened is closed */
	ck_assert_int_eq(w.opened[1]->closed, 1);
	ck_assert_int_eq(w.running[0]->closed, 0); /* the running set is untouched */
	ck_assert_int_eq(w.running[1]->closed, 0);
	ck_assert_ptr_null(rs.next);
	reload_abandon(&rs, &ops); /* harmless on a failed prepare */
	world_free(&w);
}
END_TEST

START_TEST(test_abandon_after_prepare)
{
	static const int old_keys[] = {1};
	static const int new_keys[] = {1, 2};
	struct world w;
	struct reload_set rs;

	world_init(&w, old_keys, 1);
	w.wanted = new_keys;
	ck_assert_int_eq(reload_prepare(&rs, &ops, &w, 1, 2), 0);
	reload_abandon(&rs, &ops); /* something else failed */
	ck_assert_int_eq(w.running[0]->closed, 0);
	ck_assert_int_eq(w.opened[0]->closed, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_empty_sets)
{
	struct world w;
	struct reload_set rs;

	world_init(&w, NULL, 0);
	ck_assert_int_eq(reload_prepare(&rs, &ops, &w, 0, 0), 0);
	reload_commit(&rs, &ops, &w);
	reload_done(&rs);
	static const int old_keys[] = {1, 2};
	world_free(&w);
	world_init(&w, old_keys, 2);
	ck_assert_int_eq(reload_prepare(&rs, &ops, &w, 2, 0), 0);
	reload_commit(&rs, &ops, &w); /* everything goes */
	ck_assert_int_eq(w.running[0]->closed + w.running[1]->closed, 2);
	reload_done(&rs);
	world_free(&w);
}
END_TEST

static Suite *reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *t = tcase_create("reload");
	tcase_add_test(t, test_keep_open_commit);
	tcase_add_test(t, test_failed_open_rolls_back);
	tcase_add_test(t, test_abandon_after_prepare);
	tcase_add_test(t, test_empty_sets);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(reload_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
