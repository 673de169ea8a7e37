/* Connection pool: every state transition the setter allows (a TLS failure is never taken
 * back), the state names, taking and giving back records across chunks with the lists and the
 * open count kept right, string fields (replace or keep, cut and counted, one value per field),
 * MID lists (deduplicated, capped with the newest overflow remembered) and the byte counts,
 * which return to the empty pool's once every record is given back. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connpool.h"

#include "support.h"

static struct track_counters counters;
static struct connpool pool;

static void setup(void)
{
	memset(&counters, 0, sizeof(counters));
	connpool_init(&pool, &counters);
}

static void teardown(void)
{
	connpool_free(&pool);
}

static struct conn *take(void)
{
	uint32_t i = connpool_take(&pool);
	ck_assert_uint_ne(i, CONN_NIL);
	connpool_link(&pool, i);
	return connpool_at(&pool, i);
}

static struct span str(const char *s)
{
	return span_make(s, strlen(s));
}

static void assert_str(const struct conn *c, enum verdict_str f, const char *want)
{
	struct span v = conn_str(c, f);
	if (want == NULL) {
		ck_assert(!span_present(v));
		return;
	}
	ck_assert(span_present(v));
	ck_assert_uint_eq(v.len, strlen(want));
	ck_assert(memcmp(v.p, want, v.len) == 0);
}

START_TEST(tls_lines_only_add_to_the_state)
{
	/* [from][asked] -> result, for the two TLS requests. */
	static const struct {
		enum conn_state from, asked, want;
	} steps[] = {
	    {CONN_NO_TLS_YET, CONN_TLS_OK, CONN_TLS_OK},
	    {CONN_NO_TLS_YET, CONN_TLS_FAILED, CONN_TLS_FAILED},
	    {CONN_TLS_OK, CONN_TLS_OK, CONN_TLS_OK},
	    {CONN_TLS_OK, CONN_TLS_FAILED, CONN_TLS_OK_AND_FAILED},
	    {CONN_TLS_FAILED, CONN_TLS_FAILED, CONN_TLS_FAILED},
	    {CONN_TLS_FAILED, CONN_TLS_OK, CONN_TLS_OK_AND_FAILED},
	    {CONN_TLS_OK_AND_FAILED, CONN_TLS_OK, CONN_TLS_OK_AND_FAILED},
	    {CONN_TLS_OK_AND_FAILED, CONN_TLS_FAILED, CONN_TLS_OK_AND_FAILED},
	};
	for (size_t k = 0; k < sizeof(steps) / sizeof(*steps); k++) {
		struct conn c = {.state = steps[k].from};
		conn_set_state(&c, steps[k].asked);
		ck_assert_msg(c.state == steps[k].want, "%s + %s gave %s",
		              conn_state_name(steps[k].from), conn_state_name(steps[k].asked),
		              conn_state_name((enum conn_state)c.state));
		ck_assert_int_eq(conn_tls_failed(&c), steps[k].want == CONN_TLS_FAILED ||
		                                          steps[k].want == CONN_TLS_OK_AND_FAILED);
		ck_assert_int_eq(conn_tls_succeeded(&c),
		                 steps[k].want == CONN_TLS_OK ||
		                     steps[k].want == CONN_TLS_OK_AND_FAILED);
	}
}
END_TEST

START_TEST(taking_and_giving_back_set_the_state_outright)
{
	for (int from = CONN_FREE; from <= CONN_TLS_OK_AND_FAILED; from++) {
		struct conn c = {.state = (uint8_t)from};
		conn_set_state(&c, CONN_FREE);
		ck_assert_int_eq(c.state, CONN_FREE);
		/* A restored connection goes from CONN_NO_TLS_YET to its saved state. */
		conn_set_state(&c, CONN_NO_TLS_YET);
		conn_set_state(&c, (enum conn_state)from);
		ck_assert_int_eq(c.state, from);
	}
}
END_TEST

START_TEST(every_state_has_its_own_name)
{
	for (int a = CONN_FREE; a <= CONN_TLS_OK_AND_FAILED; a++) {
		ck_assert_str_ne(conn_state_name((enum conn_state)a), "?");
		for (int b = CONN_FREE; b < a; b++)
			ck_assert_str_ne(conn_state_name((enum conn_state)a),
			                 conn_state_name((enum conn_state)b));
	}
	ck_assert_str_eq(conn_state_name(CONN_TLS_OK_AND_FAILED), "tls_ok_and_failed");
}
END_TEST

START_TEST(records_across_chunks_keep_lists_and_count)
{
	const uint32_t n = CONN_CHUNK_SIZE + 10;
	for (uint32_t k = 0; k < n; k++)
		take()->id = k + 1;
	ck_assert_uint_eq(pool.open, n);
	ck_assert_uint_eq(pool.n_chunks, 2);
	ck_assert_uint_eq(connpool_at(&pool, pool.age.tail)->id, 1);
	ck_assert_uint_eq(connpool_at(&pool, pool.lru.head)->id, n);
	ck_assert_int_eq(connpool_at(&pool, pool.age.head)->state, CONN_NO_TLS_YET);

	/* The oldest becomes the most recently active; the next one is now the LRU tail. */
	uint32_t oldest = pool.age.tail;
	connpool_touch(&pool, oldest);
	ck_assert_uint_eq(pool.lru.head, oldest);
	ck_assert_uint_eq(connpool_at(&pool, pool.lru.tail)->id, 2);
	ck_assert_uint_eq(pool.age.tail, oldest);

	connpool_unlink(&pool, oldest);
	connpool_give_back(&pool, oldest);
	ck_assert_uint_eq(pool.open, n - 1);
	ck_assert_int_eq(connpool_at(&pool, oldest)->state, CONN_FREE);
	ck_assert_uint_eq(connpool_at(&pool, pool.age.tail)->id, 2);
	/* A given-back record is the next one taken, zeroed. */
	ck_assert_uint_eq(connpool_take(&pool), oldest);
	ck_assert_uint_eq(connpool_at(&pool, oldest)->id, 0);
	ck_assert_int_eq(connpool_at(&pool, oldest)->state, CONN_NO_TLS_YET);
	connpool_give_back(&pool, oldest);
}
END_TEST

START_TEST(sort_lru_orders_by_latest_activity)
{
	static const uint32_t touched[] = {50, 10, 30, 10, 40};
	for (size_t k = 0; k < 5; k++) {
		struct conn *c = take();
		c->id = k + 1;
		c->touched = touched[k];
	}
	connpool_sort_lru(&pool);
	/* Oldest activity at the tail; equal times keep creation order (older nearer the tail). */
	static const uint64_t want_from_tail[] = {2, 4, 3, 5, 1};
	uint32_t i = pool.lru.tail;
	for (size_t k = 0; k < 5; k++) {
		ck_assert_uint_ne(i, CONN_NIL);
		ck_assert_uint_eq(connpool_at(&pool, i)->id, want_from_tail[k]);
		i = connpool_at(&pool, i)->lru_prev;
	}
	ck_assert_uint_eq(i, CONN_NIL);
}
END_TEST

START_TEST(string_fields_replace_keep_and_cut)
{
	struct conn *c = take();
	struct str_update u[] = {
	    {VERDICT_S_PEER_IP, str("10.0.0.1"), 0},
	    {VERDICT_S_POLICY, str("ACCEPT"), 1},
	    {VERDICT_S_SBRS, str(""), 1},
	    {VERDICT_S_COUNTRY, span_none(), 1},
	};
	connpool_set_strs(&pool, c, u, sizeof(u) / sizeof(*u));
	assert_str(c, VERDICT_S_PEER_IP, "10.0.0.1");
	assert_str(c, VERDICT_S_POLICY, "ACCEPT");
	assert_str(c, VERDICT_S_SBRS, NULL);
	assert_str(c, VERDICT_S_COUNTRY, NULL);

	connpool_set_str(&pool, c, VERDICT_S_PEER_IP, str("10.0.0.2"), 0);
	assert_str(c, VERDICT_S_PEER_IP, "10.0.0.1");
	connpool_set_str(&pool, c, VERDICT_S_POLICY, str("RELAY"), 1);
	assert_str(c, VERDICT_S_POLICY, "RELAY");

	char long_value[VERDICT_FIELD_MAX + 40];
	memset(long_value, 'x', sizeof(long_value));
	connpool_set_str(&pool, c, VERDICT_S_TLS_ERROR, span_make(long_value, sizeof(long_value)),
	                 1);
	ck_assert_uint_eq(conn_str(c, VERDICT_S_TLS_ERROR).len, VERDICT_FIELD_MAX);
	ck_assert_uint_eq(counters.strings_truncated, 1);

	struct span all[VERDICT_STR_COUNT];
	conn_strs(c, all);
	int present = 0;
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		present += span_present(all[f]);
	ck_assert_int_eq(present, 3);
	ck_assert_uint_eq(pool.blob_bytes, c->blob_len);
	ck_assert_uint_eq(c->blob_len, (2 + 8) + (2 + 5) + (2 + VERDICT_FIELD_MAX));
}
END_TEST

START_TEST(mids_deduplicated_and_capped)
{
	struct conn *c = take();
	connpool_add_mid(&pool, c, 0);
	for (uint64_t m = 1; m <= VERDICT_MIDS_MAX + 5; m++) {
		connpool_add_mid(&pool, c, m);
		connpool_add_mid(&pool, c, m); /* a repeat counts once */
	}
	ck_assert_uint_eq(c->n_mids, VERDICT_MIDS_MAX);
	ck_assert_uint_eq(c->mids_total, VERDICT_MIDS_MAX + 5);
	ck_assert_uint_eq(c->mids[VERDICT_MIDS_MAX], VERDICT_MIDS_MAX + 5);
	ck_assert_uint_eq(counters.mids_capped, 5);
	ck_assert_uint_eq(pool.mid_bytes, (VERDICT_MIDS_MAX + 1) * sizeof(uint64_t));
}
END_TEST

START_TEST(restored_storage_is_counted_and_freed)
{
	size_t empty = connpool_memory(&pool);
	uint32_t i = connpool_take(&pool);
	ck_assert_uint_ne(i, CONN_NIL);
	size_t one_chunk = connpool_memory(&pool);
	ck_assert_uint_gt(one_chunk, empty);

	struct conn *c = connpool_at(&pool, i);
	struct span s[VERDICT_STR_COUNT];
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		s[f] = span_none();
	s[VERDICT_S_PEER_IP] = str("192.0.2.1");
	s[VERDICT_S_ERROR] = str("");
	uint64_t mids[VERDICT_MIDS_MAX];
	for (uint32_t k = 0; k < VERDICT_MIDS_MAX; k++)
		mids[k] = 100 + k;
	ck_assert_int_eq(connpool_restore_strs(&pool, c, s), 0);
	ck_assert_int_eq(connpool_restore_mids(&pool, c, mids, VERDICT_MIDS_MAX, 999), 0);
	assert_str(c, VERDICT_S_PEER_IP, "192.0.2.1");
	assert_str(c, VERDICT_S_ERROR, NULL);
	ck_assert_uint_eq(c->mids[VERDICT_MIDS_MAX], 999);
	ck_assert_uint_eq(connpool_memory(&pool),
	                  one_chunk + 2 + 9 + (VERDICT_MIDS_MAX + 1) * sizeof(uint64_t));

	connpool_give_back(&pool, i);
	ck_assert_uint_eq(connpool_memory(&pool), one_chunk);
	ck_assert_uint_eq(pool.blob_bytes + pool.mid_bytes, 0);
}
END_TEST

static Suite *connpool_suite(void)
{
	Suite *s = suite_create("connpool");
	TCase *st = tcase_create("state");
	tcase_add_test(st, tls_lines_only_add_to_the_state);
	tcase_add_test(st, taking_and_giving_back_set_the_state_outright);
	tcase_add_test(st, every_state_has_its_own_name);
	suite_add_tcase(s, st);
	TCase *pl = tcase_create("pool");
	tcase_add_checked_fixture(pl, setup, teardown);
	tcase_add_test(pl, records_across_chunks_keep_lists_and_count);
	tcase_add_test(pl, sort_lru_orders_by_latest_activity);
	tcase_add_test(pl, string_fields_replace_keep_and_cut);
	tcase_add_test(pl, mids_deduplicated_and_capped);
	tcase_add_test(pl, restored_storage_is_counted_and_freed);
	suite_add_tcase(s, pl);
	return s;
}

int main(void)
{
	return suite_failures(connpool_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
