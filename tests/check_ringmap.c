/* Ring map: put/get/del on exact entries, first-in-first-out dropping when full, the holes that
 * deletions leave (squeezed out at a quarter of the ring, so a full map keeps at least 3/4 of its
 * limit live), expiry in and out of time order, memory accounting, and long random runs at many
 * limits checked against a model of "the oldest live entry is dropped when full". */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringmap.h"

#include "support.h"

static struct id_key key3(uint64_t id, uint32_t source, uint32_t kind)
{
	struct id_key k = {id, source, kind};
	return k;
}

/* Key number n of the tests that need many: sequential IDs over two sources and two kinds. */
static struct id_key nkey(uint32_t n)
{
	return key3(0xa000000000ULL + n / 4, n % 2, (n / 2) % 2);
}

static void expect_entry(const struct ringmap *rm, struct id_key k, uint64_t value, int64_t time)
{
	const struct ringmap_entry *e = ringmap_get(rm, k);
	require(e != NULL, "key %llu/%u/%u missing", (unsigned long long)k.id, k.source, k.kind);
	require(e->id == k.id && e->source == k.source && e->kind == k.kind,
	        "key %llu/%u/%u: entry holds %llu/%u/%u", (unsigned long long)k.id, k.source,
	        k.kind, (unsigned long long)e->id, e->source, e->kind);
	require(e->value == value, "key %llu: value %llu, want %llu", (unsigned long long)k.id,
	        (unsigned long long)e->value, (unsigned long long)value);
	require(e->time == time, "key %llu: time %lld, want %lld", (unsigned long long)k.id,
	        (long long)e->time, (long long)time);
	require(e->live, "key %llu: entry not live", (unsigned long long)k.id);
}

static void expect_absent(const struct ringmap *rm, struct id_key k)
{
	require(ringmap_get(rm, k) == NULL, "key %llu/%u/%u present", (unsigned long long)k.id,
	        k.source, k.kind);
}

/* Key numbers [0, n) present exactly where `present` says so, with value = 1000 + n, time = n. */
static void expect_set(const struct ringmap *rm, const char *present)
{
	uint32_t live = 0;
	for (uint32_t n = 0; present[n] != '\0'; n++) {
		if (present[n] == '1') {
			expect_entry(rm, nkey(n), 1000 + n, n);
			live++;
		} else {
			expect_absent(rm, nkey(n));
		}
	}
	require(rm->live == live, "live %u, want %u", rm->live, live);
}

static int put_n(struct ringmap *rm, uint32_t n)
{
	return ringmap_put(rm, nkey(n), 1000 + n, n);
}

static size_t memory_formula(const struct ringmap *rm)
{
	return (size_t)rm->size * sizeof(struct ringmap_entry) + id_index_memory(&rm->index);
}

START_TEST(test_empty)
{
	struct ringmap rm;
	ringmap_init(&rm, 10);
	ck_assert_uint_eq(rm.limit, 10);
	ck_assert_uint_eq(rm.live, 0);
	ck_assert_uint_eq(ringmap_memory(&rm), 0);
	ck_assert_ptr_null(ringmap_get(&rm, key3(0, 0, 0)));
	ringmap_del(&rm, key3(0, 0, 0));
	ringmap_expire(&rm, INT64_MAX);
	ck_assert_uint_eq(rm.live, 0);
	ck_assert_uint_eq(ringmap_memory(&rm), 0);
	ringmap_free(&rm);
	ringmap_free(&rm);
	ck_assert_uint_eq(ringmap_memory(&rm), 0);
}
END_TEST

START_TEST(test_put_get_exact)
{
	struct ringmap rm;
	ringmap_init(&rm, 16);
	const struct id_key a = key3(1, 2, 3), b = key3(1, 2, 4), c = key3(1, 3, 3),
	                    d = key3(2, 2, 3), e = key3(UINT64_MAX, UINT32_MAX, 65535),
	                    z = key3(0, 0, 0);
	ck_assert_int_eq(ringmap_put(&rm, a, 10, 100), 0);
	ck_assert_int_eq(ringmap_put(&rm, b, 0, INT64_MIN), 0);
	ck_assert_int_eq(ringmap_put(&rm, c, UINT64_MAX, INT64_MAX), 0);
	ck_assert_int_eq(ringmap_put(&rm, e, 7, -1), 0);
	ck_assert_int_eq(ringmap_put(&rm, z, 9, 0), 0);
	ck_assert_uint_eq(rm.live, 5);
	expect_entry(&rm, a, 10, 100);
	expect_entry(&rm, b, 0, INT64_MIN);
	expect_entry(&rm, c, UINT64_MAX, INT64_MAX);
	expect_entry(&rm, e, 7, -1);
	expect_entry(&rm, z, 9, 0);
	expect_absent(&rm, d);
	expect_absent(&rm, key3(1, 2, 2));
	expect_absent(&rm, key3(UINT64_MAX, UINT32_MAX, 65534));
	ck_assert_uint_eq(ringmap_memory(&rm), memory_formula(&rm));
	ck_assert_uint_gt(ringmap_memory(&rm), 0);
	ringmap_free(&rm);
	ck_assert_uint_eq(ringmap_memory(&rm), 0);
}
END_TEST

/* A put on a present key replaces it in place of count and makes it the newest. */
START_TEST(test_replace_moves_to_newest)
{
	struct ringmap rm;
	ringmap_init(&rm, 3);
	ck_assert_int_eq(put_n(&rm, 0), 0);
	ck_assert_int_eq(put_n(&rm, 1), 0);
	ck_assert_int_eq(put_n(&rm, 2), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(0), 55, 66), 0);
	ck_assert_uint_eq(rm.live, 3);
	expect_entry(&rm, nkey(0), 55, 66);
	/* 1 is now the oldest. */
	ck_assert_int_eq(put_n(&rm, 3), 1);
	expect_absent(&rm, nkey(1));
	expect_entry(&rm, nkey(0), 55, 66);
	ck_assert_int_eq(put_n(&rm, 4), 1);
	expect_absent(&rm, nkey(2));
	ck_assert_int_eq(put_n(&rm, 5), 1);
	expect_absent(&rm, nkey(0));
	expect_set(&rm, "000111");
	/* Replacing the only entry of a map of one. */
	ringmap_free(&rm);
	ringmap_init(&rm, 1);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(ringmap_put(&rm, nkey(7), (uint64_t)i, i), 0);
		expect_entry(&rm, nkey(7), (uint64_t)i, i);
		ck_assert_uint_eq(rm.live, 1);
	}
	ringmap_free(&rm);
}
END_TEST

START_TEST(test_del)
{
	struct ringmap rm;
	ringmap_init(&rm, 8);
	for (uint32_t n = 0; n < 5; n++)
		ck_assert_int_eq(put_n(&rm, n), 0);
	ringmap_del(&rm, nkey(9));
	ringmap_del(&rm, key3(nkey(2).id, nkey(2).source, nkey(2).kind + 2));
	expect_set(&rm, "11111");
	ringmap_del(&rm, nkey(2));
	expect_set(&rm, "11011");
	ringmap_del(&rm, nkey(2));
	expect_set(&rm, "11011");
	ringmap_del(&rm, nkey(0));
	ringmap_del(&rm, nkey(4));
	expect_set(&rm, "01010");
	ck_assert_int_eq(put_n(&rm, 2), 0);
	expect_set(&rm, "01110");
	ringmap_del(&rm, nkey(1));
	ringmap_del(&rm, nkey(2));
	ringmap_del(&rm, nkey(3));
	expect_set(&rm, "00000");
	ck_assert_int_eq(put_n(&rm, 4), 0);
	expect_set(&rm, "00001");
	ringmap_free(&rm);
}
END_TEST

START_TEST(test_limit_one)
{
	struct ringmap rm;
	ringmap_init(&rm, 1);
	ck_assert_int_eq(put_n(&rm, 0), 0);
	for (uint32_t n = 1; n < 50; n++) {
		ck_assert_int_eq(put_n(&rm, n), 1);
		expect_absent(&rm, nkey(n - 1));
		expect_entry(&rm, nkey(n), 1000 + n, n);
		ck_assert_uint_eq(rm.live, 1);
		ck_assert_uint_le(rm.size, 1);
	}
	/* A deleted entry frees the only place. */
	ringmap_del(&rm, nkey(49));
	ck_assert_uint_eq(rm.live, 0);
	ck_assert_int_eq(put_n(&rm, 50), 0);
	expect_entry(&rm, nkey(50), 1050, 50);
	ringmap_expire(&rm, 50);
	expect_entry(&rm, nkey(50), 1050, 50);
	ringmap_expire(&rm, 51);
	expect_absent(&rm, nkey(50));
	ck_assert_uint_eq(rm.live, 0);
	ck_assert_int_eq(put_n(&rm, 51), 0);
	ck_assert_uint_eq(ringmap_memory(&rm), memory_formula(&rm));
	ringmap_free(&rm);
}
END_TEST

/* Full, no holes: each put drops exactly the oldest. */
START_TEST(test_fifo_drop)
{
	struct ringmap rm;
	ringmap_init(&rm, 5);
	for (uint32_t n = 0; n < 5; n++)
		ck_assert_int_eq(put_n(&rm, n), 0);
	for (uint32_t n = 5; n < 40; n++) {
		ck_assert_int_eq(put_n(&rm, n), 1);
		expect_absent(&rm, nkey(n - 5));
		for (uint32_t m = n - 4; m <= n; m++)
			expect_entry(&rm, nkey(m), 1000 + m, m);
		ck_assert_uint_eq(rm.live, 5);
	}
	ringmap_free(&rm);
}
END_TEST

/* Deleting the oldest entries frees room at once: no live entry has to go. */
START_TEST(test_deleting_oldest_frees_room)
{
	struct ringmap rm;
	ringmap_init(&rm, 4);
	for (uint32_t n = 0; n < 4; n++)
		ck_assert_int_eq(put_n(&rm, n), 0);
	ringmap_del(&rm, nkey(0));
	ck_assert_int_eq(put_n(&rm, 4), 0);
	expect_set(&rm, "01111");
	ringmap_del(&rm, nkey(1));
	ringmap_del(&rm, nkey(2));
	ck_assert_int_eq(put_n(&rm, 5), 0);
	ck_assert_int_eq(put_n(&rm, 6), 0);
	expect_set(&rm, "0001111");
	ck_assert_int_eq(put_n(&rm, 7), 1);
	expect_set(&rm, "00001111");
	ringmap_free(&rm);
}
END_TEST

/* Holes in the middle that make a quarter of the ring are squeezed out: nothing live is dropped,
 * and the order of the survivors is kept for later drops. */
START_TEST(test_holes_at_a_quarter_squeezed)
{
	struct ringmap rm;
	ringmap_init(&rm, 8);
	for (uint32_t n = 0; n < 8; n++)
		ck_assert_int_eq(put_n(&rm, n), 0);
	ringmap_del(&rm, nkey(3));
	ringmap_del(&rm, nkey(5));
	size_t memory = ringmap_memory(&rm);
	ck_assert_int_eq(put_n(&rm, 8), 0);
	expect_set(&rm, "111010111");
	ck_assert_int_eq(put_n(&rm, 9), 0);
	expect_set(&rm, "1110101111");
	/* Full with no holes: the oldest go in put order, skipping the deleted. */
	ck_assert_int_eq(put_n(&rm, 10), 1);
	expect_set(&rm, "01101011111");
	ck_assert_int_eq(put_n(&rm, 11), 1);
	ck_assert_int_eq(put_n(&rm, 12), 1);
	expect_set(&rm, "0000101111111");
	ck_assert_int_eq(put_n(&rm, 13), 1);
	expect_set(&rm, "00000011111111");
	ck_assert_uint_eq(ringmap_memory(&rm), memory);
	ck_assert_uint_eq(ringmap_memory(&rm), memory_formula(&rm));
	ringmap_free(&rm);
}
END_TEST

/* Fewer holes than a quarter: the oldest live entry goes, until the hole reaches the oldest end
 * of the ring and frees its place. */
START_TEST(test_holes_below_a_quarter_drop)
{
	struct ringmap rm;
	ringmap_init(&rm, 8);
	for (uint32_t n = 0; n < 8; n++)
		ck_assert_int_eq(put_n(&rm, n), 0);
	ringmap_del(&rm, nkey(4));
	ck_assert_int_eq(put_n(&rm, 8), 1);
	expect_set(&rm, "011101111");
	ck_assert_int_eq(put_n(&rm, 9), 1);
	expect_set(&rm, "0011011111");
	ck_assert_int_eq(put_n(&rm, 10), 1);
	ck_assert_int_eq(put_n(&rm, 11), 1);
	expect_set(&rm, "000001111111");
	ck_assert_uint_eq(rm.live, 7);
	ck_assert_int_eq(put_n(&rm, 12), 0);
	expect_set(&rm, "0000011111111");
	ck_assert_int_eq(put_n(&rm, 13), 1);
	expect_set(&rm, "00000011111111");
	ringmap_free(&rm);
}
END_TEST

/* Below a limit of 4, a map with one hole is under 3/4 live: the hole must be squeezed out,
 * wherever it is. */
START_TEST(test_small_limits_any_hole_squeezed)
{
	for (uint32_t limit = 1; limit <= 3; limit++) {
		for (uint32_t victim = 0; victim < limit; victim++) {
			struct ringmap rm;
			ringmap_init(&rm, limit);
			for (uint32_t n = 0; n < limit; n++)
				ck_assert_int_eq(put_n(&rm, n), 0);
			ringmap_del(&rm, nkey(victim));
			ck_assert_int_eq(put_n(&rm, limit), 0);
			ck_assert_uint_eq(rm.live, limit);
			for (uint32_t n = 0; n <= limit; n++) {
				if (n == victim)
					expect_absent(&rm, nkey(n));
				else
					expect_entry(&rm, nkey(n), 1000 + n, n);
			}
			ringmap_free(&rm);
		}
	}
}
END_TEST

/* Every pattern of deletions in a full map of 12, then puts until something is dropped: the map
 * holds at least 3/4 of its limit live whenever it drops, and always drops when all are live. */
START_TEST(test_three_quarters_live_when_full)
{
	const uint32_t limit = 12;
	for (uint32_t pattern = 0; pattern < (1u << limit); pattern++) {
		struct ringmap rm;
		ringmap_init(&rm, limit);
		for (uint32_t n = 0; n < limit; n++)
			require(put_n(&rm, n) == 0, "pattern %x: fill dropped", pattern);
		for (uint32_t n = 0; n < limit; n++)
			if (pattern & (1u << n))
				ringmap_del(&rm, nkey(n));
		uint32_t n = limit;
		for (;; n++) {
			uint32_t live = rm.live;
			int r = put_n(&rm, n);
			require(r == 0 || r == 1, "put returned %d", r);
			require(r == 0 || live * 4 >= limit * 3,
			        "pattern %x: dropped with %u of %u live", pattern, live, limit);
			require(live < limit || r == 1, "pattern %x: full map did not drop",
			        pattern);
			if (r == 1)
				break;
			require(rm.live == live + 1, "pattern %x: live %u after put", pattern,
			        rm.live);
		}
		require(rm.live == limit || rm.live * 4 >= limit * 3, "pattern %x", pattern);
		require(ringmap_memory(&rm) == memory_formula(&rm), "memory accounting");
		ringmap_free(&rm);
	}
}
END_TEST

START_TEST(test_expire_in_order)
{
	struct ringmap rm;
	ringmap_init(&rm, 100);
	for (uint32_t n = 0; n < 50; n++)
		ck_assert_int_eq(ringmap_put(&rm, nkey(n), n, 10 * (int64_t)n), 0);
	size_t memory = ringmap_memory(&rm);
	ringmap_expire(&rm, INT64_MIN);
	ringmap_expire(&rm, 0);
	ck_assert_uint_eq(rm.live, 50);
	ringmap_expire(&rm, 100);
	ck_assert_uint_eq(rm.live, 40);
	for (uint32_t n = 0; n < 50; n++) {
		if (n < 10)
			expect_absent(&rm, nkey(n));
		else
			expect_entry(&rm, nkey(n), n, 10 * (int64_t)n);
	}
	/* An entry at exactly `before` stays; one tick later it goes. */
	ringmap_expire(&rm, 100);
	expect_entry(&rm, nkey(10), 10, 100);
	ringmap_expire(&rm, 101);
	expect_absent(&rm, nkey(10));
	expect_entry(&rm, nkey(11), 11, 110);
	/* Deleted entries on the way are passed over. */
	ringmap_del(&rm, nkey(11));
	ringmap_del(&rm, nkey(13));
	ringmap_del(&rm, nkey(20));
	ringmap_expire(&rm, 150);
	ck_assert_uint_eq(rm.live, 34);
	for (uint32_t n = 0; n < 50; n++) {
		if (n < 15 || n == 20)
			expect_absent(&rm, nkey(n));
		else
			expect_entry(&rm, nkey(n), n, 10 * (int64_t)n);
	}
	ringmap_expire(&rm, INT64_MAX);
	ck_assert_uint_eq(rm.live, 0);
	for (uint32_t n = 0; n < 50; n++)
		expect_absent(&rm, nkey(n));
	ck_assert_uint_eq(ringmap_memory(&rm), memory);
	/* Empty after expiry, and usable. */
	ck_assert_int_eq(ringmap_put(&rm, nkey(3), 3, 5), 0);
	expect_entry(&rm, nkey(3), 3, 5);
	ck_assert_uint_eq(rm.live, 1);
	ringmap_free(&rm);
}
END_TEST

START_TEST(test_expire_out_of_order_stops_early)
{
	struct ringmap rm;
	ringmap_init(&rm, 16);
	ck_assert_int_eq(ringmap_put(&rm, nkey(0), 0, 10), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(1), 1, 1), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(2), 2, 20), 0);
	/* The oldest is not yet due: the sweep stops there, even though the next one is. */
	ringmap_expire(&rm, 5);
	expect_entry(&rm, nkey(0), 0, 10);
	expect_entry(&rm, nkey(1), 1, 1);
	ringmap_expire(&rm, 15);
	expect_absent(&rm, nkey(0));
	expect_absent(&rm, nkey(1));
	expect_entry(&rm, nkey(2), 2, 20);
	/* A deleted entry never stops the sweep, whatever its time. */
	ck_assert_int_eq(ringmap_put(&rm, nkey(3), 3, 1000), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(4), 4, 30), 0);
	ringmap_del(&rm, nkey(2));
	ringmap_del(&rm, nkey(3));
	ringmap_expire(&rm, 50);
	expect_absent(&rm, nkey(4));
	ck_assert_uint_eq(rm.live, 0);
	/* Nor does a replaced one: its old place is a hole, its time the new one. */
	ck_assert_int_eq(ringmap_put(&rm, nkey(5), 5, 1000), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(6), 6, 40), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(5), 5, 2000), 0);
	ringmap_expire(&rm, 100);
	expect_absent(&rm, nkey(6));
	expect_entry(&rm, nkey(5), 5, 2000);
	ringmap_free(&rm);
}
END_TEST

/* Memory grows while the ring does, never falls, matches its parts, and stays put once the ring
 * has reached its limit (drops, deletions, squeezes and expiry reuse the same ring). */
START_TEST(test_memory_accounting)
{
	static const uint32_t limits[] = {1, 255, 256, 257, 300, 512, 1000, 5000};
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		const uint32_t limit = limits[l];
		struct ringmap rm;
		ringmap_init(&rm, limit);
		size_t memory = ringmap_memory(&rm);
		uint32_t size = 0;
		for (uint32_t n = 0; n < limit; n++) {
			require(put_n(&rm, n) == 0, "limit %u: put %u dropped", limit, n);
			size_t now = ringmap_memory(&rm);
			require(now == memory_formula(&rm), "limit %u: memory %zu", limit, now);
			require(now >= memory, "limit %u: memory fell from %zu to %zu", limit,
			        memory, now);
			require(rm.size >= size && rm.size <= limit && rm.len <= rm.size,
			        "limit %u: size %u len %u", limit, rm.size, rm.len);
			if (rm.size != size) {
				/* The ring was laid out again: everything is still there. */
				for (uint32_t m = 0; m <= n; m++)
					expect_entry(&rm, nkey(m), 1000 + m, m);
			}
			memory = now;
			size = rm.size;
		}
		require(rm.size == limit, "limit %u: size %u when full", limit, rm.size);
		require(memory >= (size_t)limit * sizeof(struct ringmap_entry),
		        "limit %u: memory %zu", limit, memory);
		/* The index grows with the entries it holds, not without bound. */
		require(id_index_memory(&rm.index) <= 16 * (size_t)limit + 256,
		        "limit %u: index memory %zu", limit, id_index_memory(&rm.index));
		struct rng r = {limit};
		for (uint32_t n = limit; n < 4 * limit + 100; n++) {
			uint32_t roll = rng_below(&r, 10);
			if (roll < 3)
				ringmap_del(&rm, nkey(n - 1 - rng_below(&r, limit)));
			else if (roll == 3)
				ringmap_expire(&rm, (int64_t)n - limit / 2);
			put_n(&rm, n);
			require(ringmap_memory(&rm) == memory, "limit %u: memory changed at %u",
			        limit, n);
		}
		ringmap_free(&rm);
		require(ringmap_memory(&rm) == 0, "memory after free");
	}
}
END_TEST

/* The model: a log of puts in order, each live until deleted, replaced, dropped or expired. */
struct model_put {
	uint32_t key;
	uint64_t value;
	int64_t time;
	uint8_t live;
};

struct model {
	struct model_put *log;
	size_t n, oldest; /* log[oldest..n) may hold live puts */
	size_t *at;       /* key number -> its live put in log, or SIZE_MAX */
	uint32_t live;
};

static void model_init(struct model *m, uint32_t keys, size_t ops)
{
	m->log = malloc(ops * sizeof(*m->log));
	m->at = malloc(keys * sizeof(*m->at));
	ck_assert_ptr_nonnull(m->log);
	ck_assert_ptr_nonnull(m->at);
	for (uint32_t k = 0; k < keys; k++)
		m->at[k] = SIZE_MAX;
	m->n = m->oldest = 0;
	m->live = 0;
}

static void model_free(struct model *m)
{
	free(m->log);
	free(m->at);
}

static void model_kill(struct model *m, size_t i)
{
	m->log[i].live = 0;
	m->at[m->log[i].key] = SIZE_MAX;
	m->live--;
}

static void model_del(struct model *m, uint32_t key)
{
	if (m->at[key] != SIZE_MAX)
		model_kill(m, m->at[key]);
}

static void model_skip_dead(struct model *m)
{
	while (m->oldest < m->n && !m->log[m->oldest].live)
		m->oldest++;
}

static void model_drop_oldest(struct model *m)
{
	model_skip_dead(m);
	require(m->oldest < m->n, "model has nothing to drop");
	model_kill(m, m->oldest);
}

static void model_add(struct model *m, uint32_t key, uint64_t value, int64_t time)
{
	struct model_put p = {key, value, time, 1};
	m->log[m->n] = p;
	m->at[key] = m->n++;
	m->live++;
}

/* Oldest first; the first live put not yet due stops the sweep. */
static void model_expire(struct model *m, int64_t before)
{
	for (model_skip_dead(m); m->oldest < m->n; model_skip_dead(m)) {
		if (m->log[m->oldest].time >= before)
			break;
		model_kill(m, m->oldest);
	}
}

static void model_expect_key(const struct ringmap *rm, const struct model *m, uint32_t key)
{
	if (m->at[key] == SIZE_MAX) {
		expect_absent(rm, nkey(key));
	} else {
		const struct model_put *p = &m->log[m->at[key]];
		expect_entry(rm, nkey(key), p->value, p->time);
	}
}

struct model_run {
	uint32_t limit, keys, ops;
	unsigned put, del, expire; /* percent; the rest are gets */
	int jitter;                /* times step by one per op, plus or minus this much */
	uint64_t seed;
};

/* distances: the map's index keeps distances (ringmap_keep_distances). */
static void model_run_index(const struct model_run *cfg, int distances)
{
	struct rng r = {cfg->seed};
	struct model m;
	struct ringmap rm;
	model_init(&m, cfg->keys, cfg->ops);
	ringmap_init(&rm, cfg->limit);
	if (distances)
		ringmap_keep_distances(&rm);
	unsigned drops = 0, reuses = 0; /* puts into a full ring with holes that dropped nothing */
	size_t memory = 0;
	for (uint32_t op = 0; op < cfg->ops; op++) {
		uint32_t key = rng_below(&r, cfg->keys);
		unsigned roll = rng_below(&r, 100);
		int64_t time = (int64_t)op;
		if (cfg->jitter)
			time += (int64_t)rng_below(&r, 2 * (uint32_t)cfg->jitter + 1) - cfg->jitter;
		if (roll < cfg->put) {
			uint64_t value = rng_next(&r);
			model_del(&m, key);
			uint32_t live = m.live, len = rm.len, size = rm.size;
			int got = ringmap_put(&rm, nkey(key), value, time);
			require(got == 0 || got == 1, "op %u: put returned %d", op, got);
			/* The 3/4 rule, both ways: never drop below it, always drop when all live.
			 */
			require(got == 0 || live * 4 >= cfg->limit * 3,
			        "op %u: dropped with %u of %u live", op, live, cfg->limit);
			require(live < cfg->limit || got == 1, "op %u: full map did not drop", op);
			if (got == 1) {
				model_drop_oldest(&m);
				drops++;
			} else if (len == size && size == cfg->limit && live < len) {
				reuses++;
			}
			model_add(&m, key, value, time);
		} else if (roll < cfg->put + cfg->del) {
			model_del(&m, key);
			ringmap_del(&rm, nkey(key));
		} else if (roll < cfg->put + cfg->del + cfg->expire) {
			/* Windows from one to five limits' worth of ops: the map fills between
			 * sweeps. */
			int64_t before =
			    time - cfg->limit - (int64_t)rng_below(&r, 4 * cfg->limit + 2);
			model_expire(&m, before);
			ringmap_expire(&rm, before);
		}
		model_expect_key(&rm, &m, key);
		require(rm.live == m.live, "op %u: live %u, model %u", op, rm.live, m.live);
		require(rm.live <= rm.len && rm.len <= rm.size && rm.size <= cfg->limit,
		        "op %u: live %u len %u size %u limit %u", op, rm.live, rm.len, rm.size,
		        cfg->limit);
		size_t now = ringmap_memory(&rm);
		require(now == memory_formula(&rm), "op %u: memory %zu", op, now);
		require(now >= memory, "op %u: memory fell from %zu to %zu", op, memory, now);
		memory = now;
		if (op % 4096 == 4095 || op + 1 == cfg->ops)
			for (uint32_t k = 0; k < cfg->keys; k++)
				model_expect_key(&rm, &m, k);
	}
	/* The run must have reached the interesting paths. */
	require(drops > 0, "limit %u: no put dropped", cfg->limit);
	require(reuses > 0, "limit %u: holes never reused", cfg->limit);
	ringmap_free(&rm);
	model_free(&m);
}

static void model_run(const struct model_run *cfg)
{
	model_run_index(cfg, 0);
}

START_TEST(test_model_main)
{
	/* Crosses the first ring growth (256) and many fills, deletes and expiries. */
	const struct model_run cfg = {300, 900, 200000, 50, 15, 5, 0, 0x7157};
	model_run(&cfg);
}
END_TEST

START_TEST(test_model_jittered_times)
{
	const struct model_run cfg = {300, 900, 100000, 50, 15, 5, 40, 0x717e};
	model_run(&cfg);
}
END_TEST

START_TEST(test_model_small_limits)
{
	for (uint32_t limit = 1; limit <= 16; limit++) {
		const struct model_run cfg = {limit, 3 * limit + 2, 12000, 50, 15, 5, 0, limit};
		model_run(&cfg);
		const struct model_run holes = {limit, limit + 3, 12000, 45, 35, 0, 0, 100 + limit};
		model_run(&holes);
		const struct model_run jitter = {limit, 2 * limit + 1, 8000, 50, 15, 10,
		                                 5,     200 + limit};
		model_run(&jitter);
	}
}
END_TEST

START_TEST(test_model_large_limit)
{
	const struct model_run cfg = {1000, 4000, 60000, 60, 10, 2, 0, 0x1a46e};
	model_run(&cfg);
}
END_TEST

/* An index that keeps distances finds, moves and removes the same entries. */
START_TEST(test_model_keep_distances)
{
	const struct model_run main = {300, 900, 200000, 50, 15, 5, 0, 0xd157};
	model_run_index(&main, 1);
	const struct model_run large = {1000, 4000, 60000, 60, 10, 2, 0, 0xd1a4};
	model_run_index(&large, 1);
	for (uint32_t limit = 1; limit <= 16; limit++) {
		const struct model_run small = {limit, 3 * limit + 2, 12000, 50, 15, 5, 0, limit};
		model_run_index(&small, 1);
	}
}
END_TEST

/* Every live entry that leaves is reported once, whichever way it leaves; holes are not. */
struct drops {
	uint64_t sum; /* of the values reported */
	unsigned n;
};

static void count_drop(void *ctx, const struct ringmap_entry *e)
{
	struct drops *d = ctx;
	require(e->live, "a hole reported as dropped");
	d->sum += e->value;
	d->n++;
}

START_TEST(test_drop_callback)
{
	struct ringmap rm;
	struct drops d = {0, 0};
	ringmap_init(&rm, 4);
	ringmap_set_drop(&rm, count_drop, &d);
	for (uint32_t n = 0; n < 4; n++)
		ck_assert_int_eq(ringmap_put(&rm, nkey(n), 1u << n, n), 0);
	ck_assert_uint_eq(d.n, 0);
	/* Replacing reports the old value. */
	ck_assert_int_eq(ringmap_put(&rm, nkey(1), 100, 4), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.sum, 2);
	/* Deleting reports; deleting a missing key does not. */
	ringmap_del(&rm, nkey(2));
	ringmap_del(&rm, nkey(2));
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_eq(d.sum, 2 + 4);
	/* Full: the oldest live one (key 0) is dropped and reported. */
	ck_assert_int_eq(ringmap_put(&rm, nkey(5), 1000, 5), 0);
	ck_assert_int_eq(ringmap_put(&rm, nkey(6), 2000, 6), 1);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_uint_eq(d.sum, 2 + 4 + 1);
	/* Expiry and popping report too. */
	ringmap_expire(&rm, 5);
	ck_assert_uint_eq(d.sum, 2 + 4 + 1 + 8 + 100);
	ringmap_pop_oldest(&rm);
	ck_assert_uint_eq(d.sum, 2 + 4 + 1 + 8 + 100 + 1000);
	/* Freeing reports what is left, once. */
	ringmap_free(&rm);
	ck_assert_uint_eq(d.n, 7);
	ck_assert_uint_eq(d.sum, 2 + 4 + 1 + 8 + 100 + 1000 + 2000);
}
END_TEST

static Suite *ringmap_suite(void)
{
	Suite *s = suite_create("ringmap");
	TCase *b = tcase_create("basic");
	tcase_add_test(b, test_empty);
	tcase_add_test(b, test_put_get_exact);
	tcase_add_test(b, test_replace_moves_to_newest);
	tcase_add_test(b, test_del);
	tcase_add_test(b, test_limit_one);
	tcase_add_test(b, test_drop_callback);
	suite_add_tcase(s, b);
	TCase *f = tcase_create("full");
	tcase_add_test(f, test_fifo_drop);
	tcase_add_test(f, test_deleting_oldest_frees_room);
	tcase_add_test(f, test_holes_at_a_quarter_squeezed);
	tcase_add_test(f, test_holes_below_a_quarter_drop);
	tcase_add_test(f, test_small_limits_any_hole_squeezed);
	tcase_add_test(f, test_three_quarters_live_when_full);
	suite_add_tcase(s, f);
	TCase *e = tcase_create("expire");
	tcase_add_test(e, test_expire_in_order);
	tcase_add_test(e, test_expire_out_of_order_stops_early);
	suite_add_tcase(s, e);
	TCase *m = tcase_create("memory");
	tcase_add_test(m, test_memory_accounting);
	suite_add_tcase(s, m);
	TCase *r = tcase_create("model");
	tcase_add_test(r, test_model_main);
	tcase_add_test(r, test_model_jittered_times);
	tcase_add_test(r, test_model_small_limits);
	tcase_add_test(r, test_model_large_limit);
	tcase_add_test(r, test_model_keep_distances);
	suite_add_tcase(s, r);
	return s;
}

int main(void)
{
	return suite_failures(ringmap_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
