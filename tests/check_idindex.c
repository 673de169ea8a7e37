/* Id index: the empty index, values at the edges of their range, keys that differ in one field
 * only, growth across many doublings, backward-shift deletion inside colliding and wrapping probe
 * runs (every removal order), and a long random run checked against a plain array. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idindex.h"

#include "support.h"

/* The largest value of every index under test: main runs the suite once with the widest range
 * (no tag bits) and once with a narrow one (12 tag bits per slot), then both again keeping
 * distances (the narrow one then gives 4 of its tag bits to them; the wide one has none). */
static uint32_t values_max = ID_INDEX_VALUE_MAX;
static int distances;
#define NARROW_VALUES_MAX ((1u << 20) - 1)

static void index_init(struct id_index *ix, id_key_fn key_of, const void *ctx)
{
	id_index_init(ix, key_of, ctx, values_max);
	if (distances)
		id_index_keep_distances(ix);
}

static void shuffle(struct rng *r, uint32_t *a, uint32_t n)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rng_below(r, i);
		uint32_t t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

static struct id_key key3(uint64_t id, uint32_t source, uint32_t kind)
{
	struct id_key k = {id, source, kind};
	return k;
}

/* The caller's records: value v names key[v]. */
struct records {
	struct id_key *key;
	uint32_t n;
};

static struct id_key records_key_of(const void *ctx, uint32_t value)
{
	const struct records *rec = ctx;
	if (value >= rec->n)
		ck_abort_msg("index asked for the key of value %u (only %u records)", value,
		             rec->n);
	return rec->key[value];
}

static struct records records_new(uint32_t n)
{
	struct records rec = {calloc(n, sizeof(struct id_key)), n};
	ck_assert_ptr_nonnull(rec.key);
	return rec;
}

/* A key nobody looks up: stands in for a record that was removed. */
static struct id_key poison_key(void)
{
	return key3(UINT64_MAX, UINT32_MAX, UINT32_MAX);
}

/* The value a used slot holds, whatever its tag bits. */
static uint32_t stored_value(const struct id_index *ix, uint32_t slot)
{
	return (slot & ix->value_mask) - 1;
}

static uint32_t occupied_slots(const struct id_index *ix)
{
	uint32_t n = 0;
	if (ix->slot == NULL)
		return 0;
	for (uint64_t i = 0; i <= ix->mask; i++)
		n += ix->slot[i] != 0;
	return n;
}

/* Tombstone-free: every used slot holds a live entry and the count agrees. */
static void assert_shape(const struct id_index *ix, uint32_t want_used)
{
	require(ix->used == want_used, "used %u, want %u", ix->used, want_used);
	uint32_t occupied = occupied_slots(ix);
	require(occupied == want_used, "%u slots occupied, want %u", occupied, want_used);
	if (ix->slot != NULL) {
		require(id_index_memory(ix) == ((size_t)ix->mask + 1) * sizeof(uint32_t),
		        "memory %zu for capacity %u", id_index_memory(ix), ix->mask + 1);
		require((uint64_t)ix->used * 2 <= (uint64_t)ix->mask + 1,
		        "load above one half: %u used of %u", ix->used, ix->mask + 1);
	}
}

START_TEST(test_empty)
{
	struct records rec = records_new(1);
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	ck_assert_ptr_null(ix.slot);
	ck_assert_uint_eq(ix.used, 0);
	ck_assert_uint_eq(id_index_memory(&ix), 0);
	ck_assert_uint_eq(id_index_find(&ix, key3(0, 0, 0)), ID_INDEX_NONE);
	ck_assert_uint_eq(id_index_find(&ix, key3(UINT64_MAX, UINT32_MAX, UINT32_MAX)),
	                  ID_INDEX_NONE);
	id_index_remove(&ix, key3(0, 0, 0));
	id_index_remove(&ix, key3(42, 1, 2));
	id_index_clear(&ix);
	ck_assert_ptr_null(ix.slot);
	ck_assert_uint_eq(ix.used, 0);
	ck_assert_uint_eq(id_index_memory(&ix), 0);
	id_index_free(&ix);
	id_index_free(&ix);
	ck_assert_uint_eq(id_index_memory(&ix), 0);
	ck_assert_uint_eq(id_index_find(&ix, key3(0, 0, 0)), ID_INDEX_NONE);
	free(rec.key);
}
END_TEST

START_TEST(test_single_entry)
{
	struct records rec = records_new(4);
	rec.key[2] = key3(12345, 3, 1);
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	ck_assert_int_eq(id_index_insert(&ix, 2), 0);
	assert_shape(&ix, 1);
	ck_assert_uint_gt(id_index_memory(&ix), 0);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 3, 1)), 2);
	/* One field off is another key. */
	ck_assert_uint_eq(id_index_find(&ix, key3(12346, 3, 1)), ID_INDEX_NONE);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 4, 1)), ID_INDEX_NONE);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 3, 0)), ID_INDEX_NONE);
	/* Removing an absent key leaves the entry alone. */
	id_index_remove(&ix, key3(12345, 3, 0));
	id_index_remove(&ix, key3(1, 1, 1));
	assert_shape(&ix, 1);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 3, 1)), 2);
	id_index_remove(&ix, key3(12345, 3, 1));
	assert_shape(&ix, 0);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 3, 1)), ID_INDEX_NONE);
	id_index_remove(&ix, key3(12345, 3, 1));
	assert_shape(&ix, 0);
	/* The same key again, now under another value. */
	rec.key[0] = key3(12345, 3, 1);
	ck_assert_int_eq(id_index_insert(&ix, 0), 0);
	ck_assert_uint_eq(id_index_find(&ix, key3(12345, 3, 1)), 0);
	assert_shape(&ix, 1);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

START_TEST(test_insert_none_refused)
{
	struct records rec = records_new(2);
	rec.key[0] = key3(7, 0, 0);
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	/* records_key_of aborts if the index asks about the refused value. */
	ck_assert_int_eq(id_index_insert(&ix, ID_INDEX_NONE), -1);
	ck_assert_uint_eq(ix.used, 0);
	ck_assert_int_eq(id_index_insert(&ix, 0), 0);
	ck_assert_int_eq(id_index_insert(&ix, ID_INDEX_NONE), -1);
	assert_shape(&ix, 1);
	ck_assert_uint_eq(id_index_find(&ix, key3(7, 0, 0)), 0);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

/* Keys computed from the value, so values anywhere in the 32-bit range can be stored. */
static struct id_key arithmetic_key_of(const void *ctx, uint32_t value)
{
	(void)ctx;
	return key3((uint64_t)value * 0x9e3779b97f4a7c15ULL, value ^ 0x5a5a5a5au, value & 3u);
}

START_TEST(test_values_at_range_edges)
{
	static const uint32_t values[] = {
	    0,           1,       UINT32_MAX - 1, UINT32_MAX - 2,    0x80000000u,
	    0x7fffffffu, 0xffffu, 0x10000u,       NARROW_VALUES_MAX, NARROW_VALUES_MAX + 1};
	const uint32_t n = sizeof(values) / sizeof(values[0]);
	uint32_t kept = 0, largest = 0;
	struct id_index ix;
	index_init(&ix, arithmetic_key_of, NULL);
	for (uint32_t i = 0; i < n; i++) {
		/* A value above the index's largest is refused, never stored truncated. */
		ck_assert_int_eq(id_index_insert(&ix, values[i]), values[i] <= values_max ? 0 : -1);
		if (values[i] <= values_max) {
			kept++;
			largest = values[i] > largest ? values[i] : largest;
		}
	}
	assert_shape(&ix, kept);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, values[i])),
		                  values[i] <= values_max ? values[i] : ID_INDEX_NONE);
	ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, 2)), ID_INDEX_NONE);
	/* The largest storable value fills every value bit of its slot; removing it must work. */
	ck_assert_uint_eq(largest, values_max);
	uint32_t found = 0;
	for (uint32_t i = 0; i <= ix.mask; i++)
		if (ix.slot[i] != 0 && stored_value(&ix, ix.slot[i]) == largest)
			found++;
	ck_assert_uint_eq(found, 1);
	id_index_remove(&ix, arithmetic_key_of(NULL, largest));
	ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, largest)), ID_INDEX_NONE);
	assert_shape(&ix, kept - 1);
	for (uint32_t i = 0; i < n; i++)
		if (values[i] < largest)
			ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, values[i])),
			                  values[i]);
	id_index_free(&ix);
}
END_TEST

static unsigned key_of_calls;

static struct id_key counting_key_of_records(const void *ctx, uint32_t value)
{
	key_of_calls++;
	return records_key_of(ctx, value);
}

static struct id_key counting_key_of(const void *ctx, uint32_t value)
{
	key_of_calls++;
	return arithmetic_key_of(ctx, value);
}

/* Looking up keys that are absent: with tag bits in the slots the records are almost never
 * asked for their keys; without them every probed slot is. */
START_TEST(test_tags_spare_records)
{
	const uint32_t n = 4096, lookups = 20000;
	struct id_index ix;
	index_init(&ix, counting_key_of, NULL);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, v), 0);
	key_of_calls = 0;
	for (uint32_t v = n; v < n + lookups; v++)
		ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, v)), ID_INDEX_NONE);
	if (values_max == NARROW_VALUES_MAX) /* 12 bits, or 8 and the distance */
		ck_assert_uint_lt(key_of_calls, distances ? 200 : 100);
	else
		ck_assert_uint_gt(key_of_calls, lookups / 4);
	/* Present keys are still found, each with one call when the tags tell them apart. */
	key_of_calls = 0;
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, arithmetic_key_of(NULL, v)), v);
	if (values_max == NARROW_VALUES_MAX)
		ck_assert_uint_lt(key_of_calls, n + 100);
	id_index_free(&ix);
}
END_TEST

/* Keeping distances, removing entries asks only the removed ones' records for their keys (and
 * the rare entry 15 or more places past its home); without, every entry after a hole in its
 * probe run is asked. */
START_TEST(test_distances_spare_records_on_removal)
{
	const uint32_t n = 8192;
	struct records rec = records_new(n);
	for (uint32_t v = 0; v < n; v++)
		rec.key[v] = key3(9000000 + v, v % 3, 0);
	struct id_index ix;
	index_init(&ix, counting_key_of_records, &rec);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, v), 0);
	key_of_calls = 0;
	for (uint32_t v = 0; v < n; v += 2)
		id_index_remove(&ix, rec.key[v]);
	if (ix.dist_mask != 0)
		ck_assert_uint_lt(key_of_calls, n / 2 + n / 64);
	else
		ck_assert_uint_gt(key_of_calls, n / 2 + n / 8);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, rec.key[v]), v % 2 ? v : ID_INDEX_NONE);
	assert_shape(&ix, n / 2);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

/* A guess reads tags only: right for nearly every present key, nothing for nearly every absent
 * one, nothing on an index that has no slots yet, and it never asks a record for its key. */
START_TEST(test_guess_reads_tags_only)
{
	const uint32_t n = 4096;
	struct records rec = records_new(2 * n);
	for (uint32_t v = 0; v < 2 * n; v++)
		rec.key[v] = key3(3000000 + v, v % 5, 1);
	struct id_index ix;
	index_init(&ix, counting_key_of_records, &rec);
	ck_assert_uint_eq(id_index_guess(&ix, rec.key[0]), ID_INDEX_NONE);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, v), 0);
	key_of_calls = 0;
	uint32_t right = 0, wrong_absent = 0;
	for (uint32_t v = 0; v < n; v++)
		right += id_index_guess(&ix, rec.key[v]) == v;
	for (uint32_t v = n; v < 2 * n; v++)
		wrong_absent += id_index_guess(&ix, rec.key[v]) != ID_INDEX_NONE;
	ck_assert_uint_eq(key_of_calls, 0);
	if (values_max == NARROW_VALUES_MAX) {        /* tags tell the keys apart */
		ck_assert_uint_gt(right, n - n / 16); /* a few sit past the slots looked at */
		ck_assert_uint_lt(wrong_absent, n / 64);
	}
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

/* Keys equal in two fields, and keys whose fields combine to the same bits (so a hash that mixes
 * the fields together cannot tell them apart): only the full comparison separates them. */
START_TEST(test_keys_differ_in_one_field)
{
	struct records rec = records_new(64);
	uint32_t n = 0;
	const uint64_t base = 0x0123456789abcdefULL;
	for (uint32_t s = 0; s < 4; s++)
		for (uint32_t k = 0; k < 4; k++)
			rec.key[n++] = key3(base ^ ((uint64_t)s << 32 | k), s, k);
	for (uint32_t s = 0; s < 4; s++)
		for (uint32_t k = 0; k < 4; k++)
			if (s != 0 || k != 0)
				rec.key[n++] = key3(base, s, k);
	rec.key[n++] = key3(0, 0, 0);
	rec.key[n++] = key3(UINT64_MAX, 0, 0);
	rec.key[n++] = key3(0, UINT32_MAX, 0);
	rec.key[n++] = key3(0, 0, UINT32_MAX);
	rec.key[n++] = key3(1ULL << 32, 0, 0);
	rec.key[n++] = key3(0, 1, 0);
	rec.key[n++] = key3(1, 0, 0);
	rec.key[n++] = key3(0, 0, 1);
	rec.n = n;

	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, v), 0);
	assert_shape(&ix, n);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, rec.key[v]), v);
	for (uint32_t v = 0; v < n; v += 2)
		id_index_remove(&ix, rec.key[v]);
	assert_shape(&ix, n / 2);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, rec.key[v]), v % 2 ? v : ID_INDEX_NONE);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

/* Inserts many sequential IDs (as the appliance hands them out): the index doubles again and
 * again, never goes above half full, and keeps every entry through each rehash. */
START_TEST(test_growth_many_doublings)
{
	const uint32_t n = 1u << 18;
	struct records rec = records_new(n);
	for (uint32_t v = 0; v < n; v++)
		rec.key[v] = key3(1000000 + v / 4, v % 2, (v / 2) % 2);
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	size_t memory = 0;
	unsigned doublings = 0;
	for (uint32_t v = 0; v < n; v++) {
		require(id_index_insert(&ix, v) == 0, "insert %u failed", v);
		size_t now = id_index_memory(&ix);
		require(now == ((size_t)ix.mask + 1) * sizeof(uint32_t), "memory %zu", now);
		require((((uint64_t)ix.mask + 1) & ix.mask) == 0, "capacity %u not a power of two",
		        ix.mask + 1);
		require((uint64_t)(v + 1) * 2 <= (uint64_t)ix.mask + 1, "load above half");
		if (memory != 0 && now != memory) {
			require(now == memory * 2, "memory %zu after %zu", now, memory);
			doublings++;
			/* Rehashing moved everything: spot-check the oldest and newest. */
			require(id_index_find(&ix, rec.key[0]) == 0, "lost value 0");
			require(id_index_find(&ix, rec.key[v]) == v, "lost value %u", v);
		}
		memory = now;
	}
	ck_assert_uint_eq(ix.used, n);
	ck_assert_uint_ge(doublings, 10);
	for (uint32_t v = 0; v < n; v++)
		require(id_index_find(&ix, rec.key[v]) == v, "value %u not found", v);
	for (uint32_t v = 0; v < 1000; v++)
		require(id_index_find(&ix, key3(1000000 + n / 4 + v, 0, 0)) == ID_INDEX_NONE,
		        "absent key %u found", v);

	/* Remove a random half; the rest stays found and the slots do not shrink. */
	struct rng r = {0x1d1d};
	uint32_t *order = malloc(n * sizeof(*order));
	ck_assert_ptr_nonnull(order);
	for (uint32_t v = 0; v < n; v++)
		order[v] = v;
	shuffle(&r, order, n);
	for (uint32_t i = 0; i < n / 2; i++)
		id_index_remove(&ix, rec.key[order[i]]);
	assert_shape(&ix, n / 2);
	ck_assert_uint_eq(id_index_memory(&ix), memory);
	for (uint32_t i = 0; i < n; i++)
		require(id_index_find(&ix, rec.key[order[i]]) ==
		            (i < n / 2 ? ID_INDEX_NONE : order[i]),
		        "value %u after removing half", order[i]);
	free(order);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

START_TEST(test_clear_keeps_slots)
{
	const uint32_t n = 1000;
	struct records rec = records_new(n);
	for (uint32_t v = 0; v < n; v++)
		rec.key[v] = key3(v * 7919ULL, 1, 0);
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, v), 0);
	size_t memory = id_index_memory(&ix);
	id_index_clear(&ix);
	assert_shape(&ix, 0);
	ck_assert_uint_eq(id_index_memory(&ix), memory);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, rec.key[v]), ID_INDEX_NONE);
	/* Filling it again needs no growth. */
	for (uint32_t v = 0; v < n; v++)
		ck_assert_int_eq(id_index_insert(&ix, n - 1 - v), 0);
	ck_assert_uint_eq(id_index_memory(&ix), memory);
	for (uint32_t v = 0; v < n; v++)
		ck_assert_uint_eq(id_index_find(&ix, rec.key[v]), v);
	/* Free, then use again: the key function is kept. */
	id_index_free(&ix);
	ck_assert_uint_eq(id_index_memory(&ix), 0);
	ck_assert_uint_eq(id_index_find(&ix, rec.key[5]), ID_INDEX_NONE);
	ck_assert_int_eq(id_index_insert(&ix, 5), 0);
	ck_assert_uint_eq(id_index_find(&ix, rec.key[5]), 5);
	assert_shape(&ix, 1);
	id_index_free(&ix);
	free(rec.key);
}
END_TEST

/* Collision runs. The hash cannot be steered from outside, so the home slot of each candidate key
 * is observed: alone in a fresh index, a key sits in its home slot. Keys are then picked by home to
 * build probe runs that collide, interleave and wrap past the last slot. */
#define CANDIDATES 4096u

struct homes {
	struct records rec;
	uint32_t home[CANDIDATES];
	uint32_t cap; /* capacity of a fresh index with one entry */
};

static void homes_observe(struct homes *h)
{
	h->rec = records_new(CANDIDATES);
	for (uint32_t v = 0; v < CANDIDATES; v++)
		h->rec.key[v] = key3(5000000 + v, 2, 1);
	for (uint32_t v = 0; v < CANDIDATES; v++) {
		struct id_index ix;
		index_init(&ix, records_key_of, &h->rec);
		require(id_index_insert(&ix, v) == 0, "insert %u failed", v);
		h->cap = ix.mask + 1;
		h->home[v] = UINT32_MAX;
		for (uint32_t i = 0; i < h->cap; i++)
			if (ix.slot[i] != 0)
				h->home[v] = i;
		require(h->home[v] != UINT32_MAX, "value %u not in any slot", v);
		id_index_free(&ix);
	}
}

/* A candidate at home `home` not yet taken. */
static uint32_t homes_pick(const struct homes *h, uint32_t home, uint8_t *taken)
{
	for (uint32_t v = 0; v < CANDIDATES; v++) {
		if (h->home[v] == home && !taken[v]) {
			taken[v] = 1;
			return v;
		}
	}
	ck_abort_msg("no candidate key with home %u", home);
	return 0;
}

static int next_permutation(uint32_t *a, uint32_t n)
{
	uint32_t i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return 0;
	uint32_t j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	uint32_t t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (uint32_t lo = i, hi = n - 1; lo < hi; lo++, hi--) {
		t = a[lo];
		a[lo] = a[hi];
		a[hi] = t;
	}
	return 1;
}

/* Inserts values (in the given order), removes them in order[], and after each removal checks
 * that every remaining value is found and every removed one is not. */
static void run_removal(const struct homes *h, const uint32_t *values, uint32_t n,
                        const uint32_t *order)
{
	struct id_index ix;
	index_init(&ix, records_key_of, &h->rec);
	for (uint32_t i = 0; i < n; i++)
		require(id_index_insert(&ix, values[i]) == 0, "insert %u failed", values[i]);
	require(ix.mask + 1 == h->cap, "capacity %u, homes observed at %u", ix.mask + 1, h->cap);
	uint8_t gone[16] = {0};
	for (uint32_t step = 0; step < n; step++) {
		id_index_remove(&ix, h->rec.key[values[order[step]]]);
		gone[order[step]] = 1;
		assert_shape(&ix, n - step - 1);
		for (uint32_t i = 0; i < n; i++)
			require(id_index_find(&ix, h->rec.key[values[i]]) ==
			            (gone[i] ? ID_INDEX_NONE : values[i]),
			        "value %u after %u removals", values[i], step + 1);
	}
	id_index_free(&ix);
}

static void every_removal_order(const struct homes *h, const uint32_t *wanted_home, uint32_t n)
{
	uint8_t taken[CANDIDATES] = {0};
	uint32_t values[16], order[16];
	ck_assert_uint_le(n, 16);
	ck_assert_uint_le(n * 2, h->cap);
	for (uint32_t i = 0; i < n; i++) {
		values[i] = homes_pick(h, wanted_home[i] % h->cap, taken);
		order[i] = i;
	}
	do
		run_removal(h, values, n, order);
	while (next_permutation(order, n));
}

START_TEST(test_backward_shift_every_order)
{
	struct homes *h = malloc(sizeof(*h));
	ck_assert_ptr_nonnull(h);
	homes_observe(h);
	const uint32_t c = h->cap;
	/* One run of seven keys from three homes. */
	const uint32_t run[] = {5, 5, 5, 6, 6, 8, 8};
	every_removal_order(h, run, 7);
	/* A run that wraps from the last slots into the first, with keys homed on both sides. */
	const uint32_t wrap[] = {c - 2, c - 2, c - 2, c - 1, 0, 0, 1};
	every_removal_order(h, wrap, 7);
	/* Keys whose home lies after the hole must stay put while later ones move. */
	const uint32_t mixed[] = {c - 1, 0, c - 1, 1, 1, c - 1, 2};
	every_removal_order(h, mixed, 7);

	/* The wrapping run really wraps: its seven keys fill slots c-2 .. 4. */
	uint8_t taken[CANDIDATES] = {0};
	struct id_index ix;
	index_init(&ix, records_key_of, &h->rec);
	for (uint32_t i = 0; i < 7; i++)
		ck_assert_int_eq(id_index_insert(&ix, homes_pick(h, wrap[i], taken)), 0);
	for (uint32_t i = 0; i < 7; i++)
		ck_assert_uint_ne(ix.slot[(c - 2 + i) % c], 0);
	ck_assert_uint_eq(occupied_slots(&ix), 7);
	id_index_free(&ix);
	free(h->rec.key);
	free(h);
}
END_TEST

/* Dense clusters of random size in a few neighbouring homes (some wrapping), removed in random
 * orders. */
START_TEST(test_backward_shift_random_clusters)
{
	struct homes *h = malloc(sizeof(*h));
	ck_assert_ptr_nonnull(h);
	homes_observe(h);
	struct rng r = {0xc0115105};
	for (unsigned round = 0; round < 3000; round++) {
		uint8_t taken[CANDIDATES] = {0};
		uint32_t n = 2 + rng_below(&r, 15);
		uint32_t first = rng_below(&r, h->cap);
		uint32_t width = 1 + rng_below(&r, 6);
		uint32_t values[16], order[16];
		for (uint32_t i = 0; i < n; i++) {
			values[i] = homes_pick(h, (first + rng_below(&r, width)) % h->cap, taken);
			order[i] = i;
		}
		shuffle(&r, order, n);
		run_removal(h, values, n, order);
	}
	free(h->rec.key);
	free(h);
}
END_TEST

/* The model: want[k] is the value stored under key number k, or ID_INDEX_NONE. */
#define MODEL_KEYS 8192u
#define MODEL_OPS 200000u

static struct id_key model_key(uint32_t k)
{
	return key3(0x100000000ULL + k / 8, (k / 2) % 4, k % 2);
}

static void model_check_all(const struct id_index *ix, const uint32_t *want, uint32_t present)
{
	for (uint32_t k = 0; k < MODEL_KEYS; k++)
		require(id_index_find(ix, model_key(k)) == want[k], "key %u: %u, want %u", k,
		        id_index_find(ix, model_key(k)), want[k]);
	assert_shape(ix, present);
}

START_TEST(test_random_against_model)
{
	/* Per phase, the share of inserts and removes in percent: fill, drain, refill, churn. */
	static const unsigned mix[][2] = {{60, 10}, {15, 55}, {55, 20}, {35, 35}, {10, 70}};
	struct rng r = {0x5eed1d};
	struct records rec = records_new(MODEL_KEYS);
	uint32_t *want = malloc(MODEL_KEYS * sizeof(*want));
	uint32_t *free_values = malloc(MODEL_KEYS * sizeof(*free_values));
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(free_values);
	for (uint32_t k = 0; k < MODEL_KEYS; k++) {
		want[k] = ID_INDEX_NONE;
		free_values[k] = k;
		rec.key[k] = poison_key();
	}
	uint32_t nfree = MODEL_KEYS, present = 0;
	struct id_index ix;
	index_init(&ix, records_key_of, &rec);
	for (uint32_t op = 0; op < MODEL_OPS; op++) {
		const unsigned *m = mix[op / (MODEL_OPS / 5) % 5];
		uint32_t k = rng_below(&r, MODEL_KEYS);
		unsigned roll = rng_below(&r, 100);
		if (roll < m[0] && want[k] == ID_INDEX_NONE) {
			/* Values are unrelated to keys: a random free record. */
			uint32_t i = rng_below(&r, nfree);
			uint32_t v = free_values[i];
			free_values[i] = free_values[--nfree];
			rec.key[v] = model_key(k);
			require(id_index_insert(&ix, v) == 0, "op %u: insert failed", op);
			want[k] = v;
			present++;
		} else if (roll < m[0] + m[1]) {
			id_index_remove(&ix, model_key(k));
			if (want[k] != ID_INDEX_NONE) {
				rec.key[want[k]] = poison_key();
				free_values[nfree++] = want[k];
				want[k] = ID_INDEX_NONE;
				present--;
			}
			require(ix.used == present, "op %u: used %u, want %u", op, ix.used,
			        present);
		}
		require(id_index_find(&ix, model_key(k)) == want[k], "op %u key %u", op, k);
		if (op % 10000 == 9999)
			model_check_all(&ix, want, present);
	}
	model_check_all(&ix, want, present);
	id_index_free(&ix);
	free(free_values);
	free(want);
	free(rec.key);
}
END_TEST

static Suite *idindex_suite(void)
{
	Suite *s = suite_create("idindex");
	TCase *b = tcase_create("basic");
	tcase_add_test(b, test_empty);
	tcase_add_test(b, test_single_entry);
	tcase_add_test(b, test_insert_none_refused);
	tcase_add_test(b, test_values_at_range_edges);
	tcase_add_test(b, test_tags_spare_records);
	tcase_add_test(b, test_keys_differ_in_one_field);
	tcase_add_test(b, test_clear_keeps_slots);
	tcase_add_test(b, test_guess_reads_tags_only);
	suite_add_tcase(s, b);
	TCase *g = tcase_create("growth");
	tcase_add_test(g, test_growth_many_doublings);
	suite_add_tcase(s, g);
	TCase *d = tcase_create("deletion");
	tcase_add_test(d, test_backward_shift_every_order);
	tcase_add_test(d, test_backward_shift_random_clusters);
	tcase_add_test(d, test_distances_spare_records_on_removal);
	suite_add_tcase(s, d);
	TCase *m = tcase_create("model");
	tcase_add_test(m, test_random_against_model);
	suite_add_tcase(s, m);
	return s;
}

static int run_suite(uint32_t max, int keep_distances)
{
	values_max = max;
	distances = keep_distances;
	return suite_failures(idindex_suite());
}

int main(void)
{
	int failed = run_suite(ID_INDEX_VALUE_MAX, 0) + run_suite(NARROW_VALUES_MAX, 0) +
	             run_suite(ID_INDEX_VALUE_MAX, 1) + run_suite(NARROW_VALUES_MAX, 1);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
