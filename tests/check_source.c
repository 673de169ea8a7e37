/* Source table: stable numbers for names, lookups that add nothing, names cut at SOURCE_NAME_MAX,
 * the limit, per-source
 * offsets, the empty name, binary names (NUL, bytes above 0x7f), names kept valid while the table
 * grows, and a long random run checked against a plain array. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logtime.h"
#include "source.h"

#include "support.h"

static struct source_table *table(uint32_t limit)
{
	struct source_table *st = source_table_new(limit);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* The stored name of id is exactly these bytes, in the table's own copy. */
static void expect_name(const struct source_table *st, uint32_t id, const char *p, size_t len)
{
	struct span got = source_name(st, id);
	require(span_present(got), "id %u: no name", id);
	require(got.len == len, "id %u: name of %zu bytes, want %zu", id, got.len, len);
	require(len == 0 || memcmp(got.p, p, len) == 0, "id %u: name bytes differ", id);
	require(got.p != p, "id %u: name points into the caller's buffer", id);
}

START_TEST(test_new_empty)
{
	struct source_table *st = table(10);
	ck_assert_uint_eq(source_count(st), 0);
	ck_assert_ptr_null(source_name(st, 0).p);
	ck_assert_uint_eq(source_name(st, 0).len, 0);
	ck_assert_ptr_null(source_name(st, SOURCE_NONE).p);
	ck_assert_int_eq(source_offset(st, 0), LOGTIME_NO_OFFSET);
	source_set_offset(st, 0, 60);
	ck_assert_int_eq(source_offset(st, 0), LOGTIME_NO_OFFSET);
	ck_assert_uint_eq(source_count(st), 0);
	source_table_free(st);
	source_table_free(NULL);
}
END_TEST

START_TEST(test_intern_stable_ids)
{
	struct source_table *st = table(10);
	ck_assert_uint_eq(source_intern(st, sp("esa1.example.com")), 0);
	ck_assert_uint_eq(source_intern(st, sp("esa2.example.com")), 1);
	ck_assert_uint_eq(source_intern(st, sp("esa1.example.com")), 0);
	ck_assert_uint_eq(source_intern(st, sp("192.0.2.7")), 2);
	ck_assert_uint_eq(source_intern(st, sp("esa2.example.com")), 1);
	ck_assert_uint_eq(source_count(st), 3);
	/* Bytes, not words: case, trailing dots and spaces make other names. */
	ck_assert_uint_eq(source_intern(st, sp("ESA1.example.com")), 3);
	ck_assert_uint_eq(source_intern(st, sp("esa1.example.com.")), 4);
	ck_assert_uint_eq(source_intern(st, sp("esa1.example.com ")), 5);
	ck_assert_uint_eq(source_intern(st, sp("esa1.example.co")), 6);
	ck_assert_uint_eq(source_count(st), 7);
	expect_name(st, 0, "esa1.example.com", 16);
	expect_name(st, 2, "192.0.2.7", 9);
	expect_name(st, 6, "esa1.example.co", 15);
	/* Only the span's bytes count, not what follows them. */
	ck_assert_uint_eq(source_intern(st, span_make("esa1.example.comXYZ", 16)), 0);
	ck_assert_uint_eq(source_intern(st, span_make("esa2.example.com", 4)), 7);
	expect_name(st, 7, "esa2", 4);
	ck_assert_uint_eq(source_name(st, 8).len, 0);
	ck_assert_ptr_null(source_name(st, 8).p);
	source_table_free(st);
}
END_TEST

START_TEST(test_lookup)
{
	struct source_table *st = table(3);
	ck_assert_uint_eq(source_lookup(st, sp("a")), SOURCE_NONE);
	ck_assert_uint_eq(source_lookup(st, span_make("", 0)), SOURCE_NONE);
	ck_assert_uint_eq(source_count(st), 0);
	ck_assert_uint_eq(source_intern(st, sp("a")), 0);
	ck_assert_uint_eq(source_intern(st, span_make("b\0", 2)), 1);
	ck_assert_uint_eq(source_lookup(st, sp("a")), 0);
	ck_assert_uint_eq(source_lookup(st, span_make("b\0", 2)), 1);
	ck_assert_uint_eq(source_lookup(st, sp("b")), SOURCE_NONE);
	ck_assert_uint_eq(source_lookup(st, sp("A")), SOURCE_NONE);
	ck_assert_uint_eq(source_lookup(st, span_make("", 0)), SOURCE_NONE);
	/* A lookup that misses adds nothing: the next new name still gets number 2. */
	ck_assert_uint_eq(source_count(st), 2);
	ck_assert_uint_eq(source_intern(st, sp("c")), 2);
	ck_assert_uint_eq(source_lookup(st, sp("c")), 2);
	/* Full: known names are found, unknown ones are not. */
	ck_assert_uint_eq(source_lookup(st, sp("d")), SOURCE_NONE);
	ck_assert_uint_eq(source_lookup(st, sp("a")), 0);
	ck_assert_uint_eq(source_count(st), 3);
	source_table_free(st);

	/* Cut like intern: a long form finds the cut name. */
	char longname[SOURCE_NAME_MAX + 9];
	memset(longname, 'q', sizeof(longname));
	st = table(4);
	ck_assert_uint_eq(source_lookup(st, span_make(longname, sizeof(longname))), SOURCE_NONE);
	ck_assert_uint_eq(source_intern(st, span_make(longname, SOURCE_NAME_MAX)), 0);
	ck_assert_uint_eq(source_lookup(st, span_make(longname, sizeof(longname))), 0);
	ck_assert_uint_eq(source_lookup(st, span_make(longname, SOURCE_NAME_MAX - 1)), SOURCE_NONE);
	ck_assert_uint_eq(source_intern(st, span_make("", 0)), 1);
	ck_assert_uint_eq(source_lookup(st, span_make("x", 0)), 1);
	ck_assert_uint_eq(source_count(st), 2);
	source_table_free(st);
}
END_TEST

/* The table copies the name: the caller's buffer may change or go away. */
START_TEST(test_name_is_copied)
{
	struct source_table *st = table(4);
	char buf[32] = "mail.example.org";
	ck_assert_uint_eq(source_intern(st, sp(buf)), 0);
	memset(buf, 'x', sizeof(buf) - 1);
	expect_name(st, 0, "mail.example.org", 16);
	ck_assert_uint_eq(source_intern(st, span_make(buf, 16)), 1);
	ck_assert_uint_eq(source_intern(st, sp("mail.example.org")), 0);
	char *heap = malloc(8);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, "heap-nm", 8);
	ck_assert_uint_eq(source_intern(st, span_make(heap, 7)), 2);
	free(heap);
	expect_name(st, 2, "heap-nm", 7);
	source_table_free(st);
}
END_TEST

START_TEST(test_name_cut_at_max)
{
	char a[SOURCE_NAME_MAX + 64], b[SOURCE_NAME_MAX + 64];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (char)('a' + i % 26);
	b[SOURCE_NAME_MAX + 10] = '#';
	struct source_table *st = table(10);
	uint32_t id = source_intern(st, span_make(a, sizeof(a)));
	ck_assert_uint_eq(id, 0);
	expect_name(st, id, a, SOURCE_NAME_MAX);
	/* Anything agreeing in the first SOURCE_NAME_MAX bytes is the same source. */
	ck_assert_uint_eq(source_intern(st, span_make(a, SOURCE_NAME_MAX)), id);
	ck_assert_uint_eq(source_intern(st, span_make(a, SOURCE_NAME_MAX + 1)), id);
	ck_assert_uint_eq(source_intern(st, span_make(b, sizeof(b))), id);
	/* One byte shorter, or differing inside the kept part, is another. */
	ck_assert_uint_eq(source_intern(st, span_make(a, SOURCE_NAME_MAX - 1)), 1);
	expect_name(st, 1, a, SOURCE_NAME_MAX - 1);
	b[SOURCE_NAME_MAX - 1] = '#';
	ck_assert_uint_eq(source_intern(st, span_make(b, sizeof(b))), 2);
	expect_name(st, 2, b, SOURCE_NAME_MAX);
	ck_assert_uint_eq(source_count(st), 3);
	/* A very long name costs no more than the cut. */
	size_t huge_len = 1u << 20;
	char *huge = malloc(huge_len);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'h', huge_len);
	uint32_t h = source_intern(st, span_make(huge, huge_len));
	ck_assert_uint_eq(h, 3);
	expect_name(st, h, huge, SOURCE_NAME_MAX);
	ck_assert_uint_eq(source_intern(st, span_make(huge, SOURCE_NAME_MAX)), h);
	free(huge);
	source_table_free(st);
}
END_TEST

START_TEST(test_limit)
{
	struct source_table *st = table(3);
	ck_assert_uint_eq(source_intern(st, sp("a")), 0);
	ck_assert_uint_eq(source_intern(st, sp("b")), 1);
	ck_assert_uint_eq(source_intern(st, sp("c")), 2);
	ck_assert_uint_eq(source_intern(st, sp("d")), SOURCE_NONE);
	ck_assert_uint_eq(source_intern(st, sp("")), SOURCE_NONE);
	ck_assert_uint_eq(source_count(st), 3);
	ck_assert_ptr_null(source_name(st, 3).p);
	/* Known names are still found when full, including a long form of one. */
	ck_assert_uint_eq(source_intern(st, sp("b")), 1);
	ck_assert_uint_eq(source_intern(st, sp("a")), 0);
	ck_assert_uint_eq(source_intern(st, sp("c")), 2);
	ck_assert_uint_eq(source_intern(st, sp("d")), SOURCE_NONE);
	ck_assert_uint_eq(source_count(st), 3);
	source_table_free(st);

	char longname[SOURCE_NAME_MAX + 1];
	memset(longname, 'L', sizeof(longname));
	st = table(1);
	ck_assert_uint_eq(source_intern(st, span_make(longname, SOURCE_NAME_MAX)), 0);
	ck_assert_uint_eq(source_intern(st, span_make(longname, sizeof(longname))), 0);
	ck_assert_uint_eq(source_intern(st, span_make(longname, 1)), SOURCE_NONE);
	ck_assert_uint_eq(source_count(st), 1);
	source_table_free(st);
}
END_TEST

START_TEST(test_offsets)
{
	struct source_table *st = table(8);
	uint32_t a = source_intern(st, sp("a")), b = source_intern(st, sp("b"));
	ck_assert_int_eq(source_offset(st, a), LOGTIME_NO_OFFSET);
	ck_assert_int_eq(source_offset(st, b), LOGTIME_NO_OFFSET);
	ck_assert_int_eq(LOGTIME_NO_OFFSET, INT16_MIN);
	source_set_offset(st, a, -300);
	ck_assert_int_eq(source_offset(st, a), -300);
	ck_assert_int_eq(source_offset(st, b), LOGTIME_NO_OFFSET);
	source_set_offset(st, b, 0);
	ck_assert_int_eq(source_offset(st, b), 0);
	source_set_offset(st, b, 840);
	ck_assert_int_eq(source_offset(st, b), 840);
	source_set_offset(st, b, INT16_MAX);
	ck_assert_int_eq(source_offset(st, b), INT16_MAX);
	/* Setting it back to unknown is allowed. */
	source_set_offset(st, a, LOGTIME_NO_OFFSET);
	ck_assert_int_eq(source_offset(st, a), LOGTIME_NO_OFFSET);
	source_set_offset(st, a, 330);
	/* Interning again keeps the offset; a new source starts unknown. */
	ck_assert_uint_eq(source_intern(st, sp("a")), a);
	ck_assert_int_eq(source_offset(st, a), 330);
	uint32_t c = source_intern(st, sp("c"));
	ck_assert_int_eq(source_offset(st, c), LOGTIME_NO_OFFSET);
	/* Numbers not handed out: ignored on set, unknown on get. */
	source_set_offset(st, 3, 60);
	source_set_offset(st, SOURCE_NONE, 60);
	ck_assert_int_eq(source_offset(st, 3), LOGTIME_NO_OFFSET);
	ck_assert_int_eq(source_offset(st, SOURCE_NONE), LOGTIME_NO_OFFSET);
	ck_assert_uint_eq(source_count(st), 3);
	uint32_t d = source_intern(st, sp("d"));
	ck_assert_uint_eq(d, 3);
	ck_assert_int_eq(source_offset(st, d), LOGTIME_NO_OFFSET);
	ck_assert_int_eq(source_offset(st, a), 330);
	ck_assert_int_eq(source_offset(st, b), INT16_MAX);
	source_table_free(st);
}
END_TEST

/* A message with neither host nor sender address is filed under the empty name. */
START_TEST(test_empty_name)
{
	struct source_table *st = table(4);
	ck_assert_uint_eq(source_intern(st, sp("x")), 0);
	uint32_t e = source_intern(st, span_make("", 0));
	ck_assert_uint_eq(e, 1);
	struct span name = source_name(st, e);
	ck_assert(span_present(name));
	ck_assert_uint_eq(name.len, 0);
	ck_assert_uint_eq(source_intern(st, span_make("abc", 0)), e);
	ck_assert_uint_eq(source_intern(st, span_make("", 0)), e);
	ck_assert_uint_eq(source_count(st), 2);
	source_set_offset(st, e, 120);
	ck_assert_int_eq(source_offset(st, e), 120);
	ck_assert_int_eq(source_offset(st, 0), LOGTIME_NO_OFFSET);
	source_table_free(st);
}
END_TEST

START_TEST(test_binary_names)
{
	static const struct {
		const char *p;
		size_t len;
	} names[] = {
	    {"a\0b", 3},   {"a\0c", 3},     {"a", 1},        {"a\0", 2},     {"\0", 1},
	    {"\0\0", 2},   {"\xff\xfe", 2}, {"\xc3\x28", 2}, {"\"q\\", 3},   {"\r\n", 2},
	    {"host\0", 5}, {"host", 4},     {"\0host", 5},   {"h\x80st", 5}, {" ", 1},
	};
	const uint32_t n = sizeof(names) / sizeof(names[0]);
	struct source_table *st = table(n);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(source_intern(st, span_make(names[i].p, names[i].len)), i);
	ck_assert_uint_eq(source_count(st), n);
	for (uint32_t i = 0; i < n; i++) {
		ck_assert_uint_eq(source_intern(st, span_make(names[i].p, names[i].len)), i);
		expect_name(st, i, names[i].p, names[i].len);
	}
	/* A name of SOURCE_NAME_MAX NULs followed by more is cut like any other. */
	char zeros[SOURCE_NAME_MAX + 5];
	memset(zeros, 0, sizeof(zeros));
	source_table_free(st);
	st = table(4);
	ck_assert_uint_eq(source_intern(st, span_make(zeros, sizeof(zeros))), 0);
	ck_assert_uint_eq(source_intern(st, span_make(zeros, SOURCE_NAME_MAX)), 0);
	ck_assert_uint_eq(source_intern(st, span_make(zeros, SOURCE_NAME_MAX - 1)), 1);
	expect_name(st, 0, zeros, SOURCE_NAME_MAX);
	source_table_free(st);
}
END_TEST

/* Two names of one length with the same 32-bit FNV-1a hash (0x6299d2d7): whatever the table
 * hashes with, only comparing the bytes can tell such names apart. */
START_TEST(test_same_hash_names)
{
	struct source_table *st = table(4);
	ck_assert_uint_eq(source_intern(st, sp("0fpnm3p95t")), 0);
	ck_assert_uint_eq(source_intern(st, sp("n8zd9ansh5")), 1);
	ck_assert_uint_eq(source_intern(st, sp("0fpnm3p95t")), 0);
	ck_assert_uint_eq(source_intern(st, sp("n8zd9ansh5")), 1);
	ck_assert_uint_eq(source_lookup(st, sp("0fpnm3p95t")), 0);
	ck_assert_uint_eq(source_lookup(st, sp("n8zd9ansh5")), 1);
	expect_name(st, 0, "0fpnm3p95t", 10);
	expect_name(st, 1, "n8zd9ansh5", 10);
	ck_assert_uint_eq(source_count(st), 2);
	source_table_free(st);
}
END_TEST

/* Many names: ids stay dense and stable, and a name span taken early stays valid (and unchanged)
 * while the table grows around it. */
START_TEST(test_many_names_growth)
{
	const uint32_t n = 20000;
	struct source_table *st = table(n);
	char name[32];
	struct span first[8];
	for (uint32_t i = 0; i < n; i++) {
		size_t len = 0;
		for (uint32_t v = i;; v /= 10) {
			name[len++] = (char)('0' + v % 10);
			if (v < 10)
				break;
		}
		memcpy(name + len, ".esa", 4);
		len += 4;
		uint32_t id = source_intern(st, span_make(name, len));
		require(id == i, "name %u got id %u", i, id);
		if (i < 8)
			first[i] = source_name(st, i);
	}
	ck_assert_uint_eq(source_count(st), n);
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_uint_eq(first[i].len, 5);
		ck_assert_int_eq(first[i].p[0], '0' + (int)i);
		ck_assert_int_eq(memcmp(first[i].p + 1, ".esa", 4), 0);
		ck_assert_ptr_eq(source_name(st, i).p, first[i].p);
	}
	for (uint32_t i = 0; i < n; i += 7) {
		struct span s = source_name(st, i);
		require(source_intern(st, s) == i, "name %u not found again", i);
	}
	ck_assert_uint_eq(source_intern(st, sp("one-more")), SOURCE_NONE);
	source_table_free(st);
}
END_TEST

/* The model: a pool of names, some equal after the cut, interned and looked up at random against a
 * table with a smaller limit; known[] holds the number each distinct name got. */
#define POOL 2400u
#define LIMIT 1500u
#define OPS 200000u

struct pool {
	char *p[POOL];
	size_t len[POOL];
	uint32_t same_as[POOL]; /* first pool entry with the same name after the cut */
};

static size_t cut(size_t len)
{
	return len > SOURCE_NAME_MAX ? SOURCE_NAME_MAX : len;
}

static void pool_fill(struct pool *pl, struct rng *r)
{
	for (uint32_t i = 0; i < POOL; i++) {
		uint32_t shape = rng_below(r, 10);
		size_t len;
		if (shape < 6)
			len = rng_below(r, 24);
		else if (shape < 8)
			len = 200 + rng_below(r, 120);
		else
			len = SOURCE_NAME_MAX - 2 + rng_below(r, 5);
		pl->p[i] = malloc(len + 1);
		ck_assert_ptr_nonnull(pl->p[i]);
		pl->len[i] = len;
		if (len > 0 && i > 0 && rng_below(r, 4) == 0) {
			/* A relative of an earlier name: its prefix, cut or extended. */
			uint32_t j = rng_below(r, i);
			size_t keep = pl->len[j] < len ? pl->len[j] : len;
			memcpy(pl->p[i], pl->p[j], keep);
			for (size_t k = keep; k < len; k++)
				pl->p[i][k] = (char)rng_below(r, 256);
		} else {
			/* Short alphabets for the short names, so some repeat outright. */
			uint32_t alphabet = len < 3 ? 3 : 256;
			for (size_t k = 0; k < len; k++)
				pl->p[i][k] = (char)rng_below(r, alphabet);
		}
	}
	for (uint32_t i = 0; i < POOL; i++) {
		pl->same_as[i] = i;
		for (uint32_t j = 0; j < i; j++) {
			if (cut(pl->len[j]) == cut(pl->len[i]) &&
			    memcmp(pl->p[j], pl->p[i], cut(pl->len[i])) == 0) {
				pl->same_as[i] = j;
				break;
			}
		}
	}
}

static void pool_free(struct pool *pl)
{
	for (uint32_t i = 0; i < POOL; i++)
		free(pl->p[i]);
}

START_TEST(test_random_against_model)
{
	struct rng r = {0x50c0de};
	struct pool *pl = malloc(sizeof(*pl));
	uint32_t *known = malloc(POOL * sizeof(*known));
	uint32_t *owner = malloc(LIMIT * sizeof(*owner)); /* id -> pool entry that got it */
	int16_t *offset = malloc(LIMIT * sizeof(*offset));
	ck_assert_ptr_nonnull(pl);
	ck_assert_ptr_nonnull(known);
	ck_assert_ptr_nonnull(owner);
	ck_assert_ptr_nonnull(offset);
	pool_fill(pl, &r);
	uint32_t distinct = 0, cut_twins = 0;
	for (uint32_t i = 0; i < POOL; i++) {
		known[i] = SOURCE_NONE;
		distinct += pl->same_as[i] == i;
		cut_twins += pl->same_as[i] != i && pl->len[i] > SOURCE_NAME_MAX;
	}
	/* The pool is worth running: more names than the limit, and names equal only after the cut.
	 */
	ck_assert_uint_gt(distinct, LIMIT);
	ck_assert_uint_gt(cut_twins, 10);

	struct source_table *st = table(LIMIT);
	uint32_t count = 0, refused = 0;
	for (uint32_t op = 0; op < OPS; op++) {
		uint32_t roll = rng_below(&r, 100);
		if (roll < 80) {
			/* Early on, favour the first half of the pool so the table fills gradually.
			 */
			uint32_t span_of_pool = op < OPS / 4 ? POOL / 2 : POOL;
			uint32_t i = rng_below(&r, span_of_pool);
			uint32_t canon = pl->same_as[i];
			uint32_t got = source_intern(st, span_make(pl->p[i], pl->len[i]));
			if (known[canon] != SOURCE_NONE) {
				require(got == known[canon], "op %u: pool %u got %u, want %u", op,
				        i, got, known[canon]);
			} else if (count < LIMIT) {
				require(got == count, "op %u: new name got %u, want %u", op, got,
				        count);
				known[canon] = got;
				owner[got] = canon;
				offset[got] = LOGTIME_NO_OFFSET;
				count++;
			} else {
				require(got == SOURCE_NONE, "op %u: table full, got %u", op, got);
				refused++;
			}
		} else if (roll < 85) {
			uint32_t i = rng_below(&r, POOL);
			uint32_t got = source_lookup(st, span_make(pl->p[i], pl->len[i]));
			require(got == known[pl->same_as[i]],
			        "op %u: lookup of pool %u got %u, want %u", op, i, got,
			        known[pl->same_as[i]]);
		} else if (roll < 92 && count > 0) {
			uint32_t id = rng_below(&r, count);
			int16_t minutes = (int16_t)((int32_t)rng_below(&r, 1681) - 840);
			source_set_offset(st, id, minutes);
			offset[id] = minutes;
		} else if (count > 0) {
			uint32_t id = rng_below(&r, count + 2);
			if (id >= count) {
				require(source_offset(st, id) == LOGTIME_NO_OFFSET,
				        "unknown id offset");
				require(!span_present(source_name(st, id)),
				        "unknown id %u has a name", id);
			} else {
				require(source_offset(st, id) == offset[id],
				        "op %u: id %u offset %d, want %d", op, id,
				        source_offset(st, id), offset[id]);
				uint32_t o = owner[id];
				expect_name(st, id, pl->p[o], cut(pl->len[o]));
			}
		}
		require(source_count(st) == count, "op %u: count %u, want %u", op, source_count(st),
		        count);
	}
	ck_assert_uint_eq(count, LIMIT);
	ck_assert_uint_gt(refused, 0);
	for (uint32_t id = 0; id < count; id++) {
		uint32_t o = owner[id];
		expect_name(st, id, pl->p[o], cut(pl->len[o]));
		require(source_offset(st, id) == offset[id], "id %u offset", id);
	}
	source_table_free(st);
	pool_free(pl);
	free(offset);
	free(owner);
	free(known);
	free(pl);
}
END_TEST

START_TEST(test_unclassified_counts_and_example)
{
	/* Two counters per line, and an example asked for only while none is held. */
	struct source_table *st = table(4);
	uint32_t a = source_intern(st, sp("a"));
	struct source_counts *c = source_counts(st, a);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(source_counts(st, 1));
	ck_assert_int_eq(source_count_message(c, 10, 0), 0);
	ck_assert_int_eq(source_count_message(c, 11, 1), 1);
	source_keep_example(st, a, "bad line", 8, 2, 3);
	ck_assert_int_eq(source_count_message(c, 12, 1), 0);
	ck_assert_uint_eq(source_messages(st, a), 3);
	ck_assert_uint_eq(source_unclassified(st, a), 2);
	ck_assert_int_eq(source_last_seen(st, a), 12);
	const struct source_example *x = source_example(st, a);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->len, 8);
	ck_assert(memcmp(x->line, "bad line", 8) == 0);
	ck_assert_int_eq(x->format, 2);
	ck_assert_int_eq(x->cause, 3);
	source_drop_example(st, a);
	ck_assert_ptr_null(source_example(st, a));
	ck_assert_int_eq(source_count_message(c, 13, 1), 1);
	ck_assert_uint_eq(source_unclassified(st, 7), 0);
	ck_assert_ptr_null(source_example(st, 7));
	source_drop_example(st, 7);
	source_keep_example(st, 7, "x", 1, 0, 0);
	source_table_free(st);
}
END_TEST

static Suite *source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *n = tcase_create("names");
	tcase_add_test(n, test_new_empty);
	tcase_add_test(n, test_intern_stable_ids);
	tcase_add_test(n, test_lookup);
	tcase_add_test(n, test_name_is_copied);
	tcase_add_test(n, test_name_cut_at_max);
	tcase_add_test(n, test_limit);
	tcase_add_test(n, test_empty_name);
	tcase_add_test(n, test_binary_names);
	tcase_add_test(n, test_same_hash_names);
	tcase_add_test(n, test_many_names_growth);
	suite_add_tcase(s, n);
	TCase *o = tcase_create("offsets");
	tcase_add_test(o, test_offsets);
	tcase_add_test(o, test_unclassified_counts_and_example);
	suite_add_tcase(s, o);
	TCase *m = tcase_create("model");
	tcase_add_test(m, test_random_against_model);
	suite_add_tcase(s, m);
	return s;
}

int main(void)
{
	return suite_failures(source_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
