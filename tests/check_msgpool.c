/* Message pool: records found by (source, MID) across chunks, given back and reused, what they
 * hold counted and freed; and its ring, run side by side with a ringmap of the same limit under
 * long random sequences of puts, deletions and pops: the same order, the same record pushed out
 * when full, the same count. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgpool.h"
#include "ringmap.h"

#include "support.h"

static struct msgpool pool;

static void setup(void)
{
	msgpool_init(&pool, 100000);
}

static void teardown(void)
{
	msgpool_free(&pool);
}

static uint32_t take_put(uint32_t source, uint64_t mid, int64_t time)
{
	uint32_t pushed, i = msgpool_take(&pool, source, mid);
	ck_assert_uint_ne(i, MSG_NIL);
	ck_assert_int_eq(msgpool_put(&pool, i, time, &pushed), 0);
	ck_assert_uint_eq(pushed, MSG_NIL);
	return i;
}

START_TEST(records_across_chunks_are_found_by_source_and_mid)
{
	uint32_t n = 3 * MSG_CHUNK_SIZE + 5;
	for (uint32_t k = 0; k < n; k++)
		ck_assert_uint_eq(take_put(k % 3, 1000 + k, k), k);
	ck_assert_uint_eq(pool.live, n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = msgpool_find(&pool, k % 3, 1000 + k);
		require(i == k, "mid %u: record %u", 1000 + k, i);
		const struct msg *m = msgpool_at(&pool, i);
		require(m->mid == 1000 + k && m->source == k % 3 && m->put == k, "record %u", k);
	}
	ck_assert_uint_eq(msgpool_find(&pool, 1, 1000), MSG_NIL); /* another source */
	ck_assert_uint_eq(msgpool_oldest(&pool), 0);
}
END_TEST

START_TEST(given_back_records_are_reused_and_forgotten)
{
	msgpool_prefetch(&pool, 0, 1); /* hints on an empty pool read nothing */
	msgpool_prefetch_record(&pool, 0, 1);
	msgpool_prefetch_ring(&pool, 0);
	uint32_t a = take_put(0, 1, 10), b = take_put(0, 2, 11);
	msgpool_prefetch_ring(&pool, 1);
	msgpool_prefetch_ring(&pool, 2); /* past the last */
	msgpool_prefetch_record(&pool, 0, 2);
	msgpool_give_back(&pool, a);
	ck_assert_uint_eq(msgpool_find(&pool, 0, 1), MSG_NIL);
	ck_assert_uint_eq(pool.live, 1);
	ck_assert_uint_eq(msgpool_oldest(&pool), b); /* the hole is skipped */
	uint32_t c = take_put(0, 3, 12);
	ck_assert_uint_eq(c, a); /* the free list first */
	const struct msg *m = msgpool_at(&pool, c);
	ck_assert(m->mid == 3 && m->n_del == 0 && m->icid == 0 && m->cap_del == 1);
	ck_assert_uint_eq(msgpool_find(&pool, 0, 3), c);
}
END_TEST

/* A guess only saves a look in the index: wrong, stale or absent, the find is the same. */
START_TEST(a_guess_is_taken_only_when_it_names_the_record)
{
	ck_assert_uint_eq(msgpool_prefetch_record(&pool, 0, 5), MSG_NIL);
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, 0), MSG_NIL); /* past bump */
	uint32_t a = take_put(0, 5, 10), b = take_put(1, 6, 11);
	ck_assert_uint_eq(msgpool_prefetch_record(&pool, 0, 5), a);
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, a), a);
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, b), a);       /* wrong */
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, MSG_NIL), a); /* none */
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 1, 5, a), MSG_NIL); /* another source */
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 0, b + 1), MSG_NIL);
	msgpool_give_back(&pool, a);
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, a), MSG_NIL); /* stale */
	uint32_t c = take_put(0, 7, 12);
	ck_assert_uint_eq(c, a);
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 5, a), MSG_NIL); /* reused */
	ck_assert_uint_eq(msgpool_find_guessed(&pool, 0, 7, a), c);
}
END_TEST

START_TEST(deliveries_and_domains_are_counted_and_freed)
{
	uint32_t i = take_put(0, 7, 1);
	struct msg *m = msgpool_at(&pool, i);
	size_t base = msgpool_memory(&pool);
	char long_domain[300];
	memset(long_domain, 'a', sizeof(long_domain));
	msgpool_set_domain(&pool, &msg_dels(m)[0], "example.org", 11);
	m->n_del = 1;
	ck_assert_uint_eq(msgpool_memory(&pool), base + 11);
	for (unsigned k = 1; k < 8; k++) {
		if (m->n_del == m->cap_del)
			ck_assert_int_eq(msgpool_grow_deliveries(&pool, m), 0);
		msgpool_set_domain(&pool, &msg_dels(m)[k], long_domain, sizeof(long_domain));
		ck_assert_uint_eq(msg_dels(m)[k].domain_len, 254);
		m->n_del++;
	}
	ck_assert_uint_eq(m->cap_del, 8);
	ck_assert_mem_eq(msg_dels(m)[0].domain, "example.org", 11);
	ck_assert_uint_eq(msgpool_memory(&pool), base + 11 + 7 * 254 + 8 * sizeof(struct msg_del));
	msgpool_give_back(&pool, i);
	ck_assert_uint_eq(msgpool_memory(&pool), base);
}
END_TEST

/* The pool's ring against a ringmap of the same limit: a record's MID is its ringmap key. */
struct side_by_side {
	struct ringmap rm;
	uint64_t pushed_mid; /* the ringmap's last drop, 0 if none */
	uint64_t moving;     /* the key being put: its own replacement is no drop */
};

static void note_drop(void *ctx, const struct ringmap_entry *e)
{
	struct side_by_side *s = ctx;
	if (e->id != s->moving)
		s->pushed_mid = e->id;
}

static struct id_key mid_key(uint64_t mid)
{
	struct id_key k = {mid, 0, 0};
	return k;
}

static void expect_same_order(struct side_by_side *s)
{
	const struct ringmap *rm = &s->rm;
	uint32_t k = 0;
	require(pool.live == rm->live, "live %u, ringmap %u", pool.live, rm->live);
	for (uint32_t r = 0; r < rm->len; r++) {
		const struct ringmap_entry *e = &rm->ring[(rm->tail + r) % rm->size];
		if (!e->live)
			continue;
		while (k < pool.len && pool.ring[(pool.tail + k) % pool.size] == MSG_NIL)
			k++;
		require(k < pool.len, "ring shorter than the ringmap");
		const struct msg *m = msgpool_at(&pool, pool.ring[(pool.tail + k) % pool.size]);
		require(m->mid == e->id && m->put == e->time, "mid %llu where the ringmap has %llu",
		        (unsigned long long)m->mid, (unsigned long long)e->id);
		k++;
	}
}

static void run_side_by_side(uint32_t limit, uint64_t seed, uint32_t steps)
{
	struct side_by_side s;
	struct rng rng = {seed};
	uint64_t next_mid = 1;
	msgpool_free(&pool);
	msgpool_init(&pool, limit);
	s.moving = 0;
	ringmap_init(&s.rm, limit);
	ringmap_set_drop(&s.rm, note_drop, &s);
	for (uint32_t step = 0; step < steps; step++) {
		uint32_t op = rng_below(&rng, 10), i, pushed;
		uint64_t mid = next_mid > 1 ? 1 + rng_below(&rng, (uint32_t)(next_mid - 1)) : 0;
		i = mid ? msgpool_find(&pool, 0, mid) : MSG_NIL;
		if (op < 7) { /* a new message, or one put again */
			if (op < 5 || i == MSG_NIL) {
				mid = next_mid++;
				i = msgpool_take(&pool, 0, mid);
				require(i != MSG_NIL, "take");
			}
			s.pushed_mid = 0;
			s.moving = mid;
			require(ringmap_put(&s.rm, mid_key(mid), mid, step) >= 0, "ringmap_put");
			require(msgpool_put(&pool, i, step, &pushed) == 0, "msgpool_put");
			uint64_t got = pushed == MSG_NIL ? 0 : msgpool_at(&pool, pushed)->mid;
			require(got == s.pushed_mid, "step %u: pushed out %llu, ringmap %llu", step,
			        (unsigned long long)got, (unsigned long long)s.pushed_mid);
			if (pushed != MSG_NIL)
				msgpool_give_back(&pool, pushed);
		} else if (op < 9) { /* written: deleted */
			ringmap_del(&s.rm, mid_key(mid));
			if (i != MSG_NIL)
				msgpool_give_back(&pool, i);
		} else { /* the oldest written */
			i = msgpool_oldest(&pool);
			const struct ringmap_entry *e = ringmap_oldest(&s.rm);
			require((i == MSG_NIL) == (e == NULL), "oldest");
			if (i != MSG_NIL) {
				require(msgpool_at(&pool, i)->mid == e->id, "oldest differs");
				ringmap_pop_oldest(&s.rm);
				msgpool_give_back(&pool, i);
			}
		}
		if (step % 97 == 0 || step + 1 == steps)
			expect_same_order(&s);
	}
	ringmap_free(&s.rm);
}

START_TEST(ring_follows_the_ringmap_rules)
{
	static const uint32_t limits[] = {1, 2, 3, 7, 64, 255, 256, 257, 1000, 5000};
	for (size_t k = 0; k < sizeof(limits) / sizeof(*limits); k++)
		run_side_by_side(limits[k], 0x5eed0000 + k, 40000);
}
END_TEST

static Suite *msgpool_suite(void)
{
	Suite *s = suite_create("msgpool");
	TCase *tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, records_across_chunks_are_found_by_source_and_mid);
	tcase_add_test(tc, given_back_records_are_reused_and_forgotten);
	tcase_add_test(tc, a_guess_is_taken_only_when_it_names_the_record);
	tcase_add_test(tc, deliveries_and_domains_are_counted_and_freed);
	tcase_add_test(tc, ring_follows_the_ringmap_rules);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(msgpool_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
