/* State file: every field of a saved connection round-trips (absent strings stay absent, empty
 * ones empty, hostile bytes exact); the byte layout is the documented one; a file cut at any
 * length, with any single bit flipped, of another version, with trailing bytes or structurally
 * impossible contents is refused before the callback sees any record; the writer stays within
 * its buffer and stops at the first failed write. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "support.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define MANY 1000

/* ---- a connection with its own storage ---- */

struct owned_conn {
	struct track_conn_state s;
	char text[STATE_FIELD_COUNT][VERDICT_FIELD_MAX];
	uint64_t mids[VERDICT_MIDS_MAX];
};

static void owned_set(struct owned_conn *c, int field, const void *p, size_t n)
{
	memcpy(c->text[field], p, n);
	struct span v = span_make(c->text[field], n);
	if (field == 0)
		c->s.host = v;
	else
		c->s.str[field - 1] = v;
}

static void owned_init(struct owned_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->s.host = span_none();
	for (int i = 0; i < VERDICT_STR_COUNT; i++)
		c->s.str[i] = span_none();
	c->s.alert_due = TRACK_NO_ALERT;
}

/* Every field set, at the edges of its type where that is a risk for the encoding. */
static void fill_full(struct owned_conn *c)
{
	owned_init(c);
	c->s.id = UINT64_MAX - 1;
	c->s.source = 77;
	c->s.dir = ESA_DIR_OUT;
	c->s.pending_end = VERDICT_END_DISCONNECTED;
	c->s.err_rank = 3;
	c->s.flags = 0xa5c3;
	c->s.peer_port = 65535;
	c->s.born = -1;
	c->s.touched = INT64_MAX;
	c->s.alert_due = INT64_MIN;
	c->s.first_wall = 1119985729;
	c->s.last_wall = -1119985729;
	c->s.first_off = -720;
	c->s.last_off = INT16_MIN;
	c->s.lines = UINT32_MAX;
	c->s.mids_total = 0x80000001u;
	c->s.fail_total = 7;
	c->s.mid_overflow = 0x0102030405060708ULL;
	for (int i = 0; i < VERDICT_MIDS_MAX; i++)
		c->mids[i] = 0x8000000000000000ULL + (uint64_t)i * 0x0101010101ULL + 1;
	c->s.mids = c->mids;
	c->s.n_mids = VERDICT_MIDS_MAX;
	char big[VERDICT_FIELD_MAX];
	for (int f = 0; f < STATE_FIELD_COUNT; f++) {
		for (int i = 0; i < VERDICT_FIELD_MAX; i++)
			big[i] = (char)(f * 31 + i);
		owned_set(c, f, big, (size_t)VERDICT_FIELD_MAX - (size_t)f);
	}
}

static void fill_random(struct owned_conn *c, struct rng *r)
{
	char bytes[VERDICT_FIELD_MAX];

	owned_init(c);
	c->s.id = rng_next(r);
	c->s.dir = (uint8_t)rng_below(r, 256);
	c->s.pending_end = (uint8_t)rng_next(r);
	c->s.err_rank = (uint8_t)rng_next(r);
	c->s.flags = (uint16_t)rng_next(r);
	c->s.peer_port = (uint16_t)rng_next(r);
	c->s.born = (int64_t)(rng_next(r) >> 1);
	c->s.born -= (int64_t)(rng_next(r) >> 1);
	c->s.touched = (int64_t)(rng_next(r) >> 2);
	c->s.alert_due = rng_below(r, 2) ? TRACK_NO_ALERT : (int64_t)rng_below(r, 1u << 31);
	c->s.first_wall = -(int64_t)(rng_next(r) >> 3);
	c->s.last_wall = (int64_t)(rng_next(r) >> 3);
	c->s.first_off = (int16_t)(rng_below(r, 65536) - 32768);
	c->s.last_off = (int16_t)(rng_below(r, 65536) - 32768);
	c->s.lines = (uint32_t)rng_next(r);
	c->s.mids_total = (uint32_t)rng_next(r);
	c->s.fail_total = (uint32_t)rng_next(r);
	c->s.mid_overflow = rng_below(r, 3) ? 0 : rng_next(r);
	c->s.n_mids = rng_below(r, VERDICT_MIDS_MAX + 1);
	for (uint32_t i = 0; i < c->s.n_mids; i++)
		c->mids[i] = rng_next(r) | 1;
	c->s.mids = c->s.n_mids ? c->mids : NULL;
	for (int f = 0; f < STATE_FIELD_COUNT; f++) {
		if (rng_below(r, 3) == 0)
			continue;
		size_t n = rng_below(r, 4) ? rng_below(r, 40) : rng_below(r, VERDICT_FIELD_MAX + 1);
		for (size_t i = 0; i < n; i++)
			bytes[i] = (char)rng_next(r);
		owned_set(c, f, bytes, n);
	}
}

/* ---- comparing ---- */

static void expect_span(struct span got, struct span want, const char *what)
{
	ck_assert_msg((got.p == NULL) == (want.p == NULL), "%s: presence differs", what);
	ck_assert_msg(got.len == want.len, "%s: length %zu, want %zu", what, got.len, want.len);
	if (want.len > 0)
		ck_assert_msg(memcmp(got.p, want.p, want.len) == 0, "%s: bytes differ", what);
}

/* Every field of track_conn_state but source, which the file does not carry. */
static void expect_conn(const struct track_conn_state *got, const struct track_conn_state *want)
{
	ck_assert_uint_eq(got->id, want->id);
	ck_assert_uint_eq(got->source, 0);
	expect_span(got->host, want->host, "host");
	ck_assert_uint_eq(got->dir, want->dir);
	ck_assert_uint_eq(got->pending_end, want->pending_end);
	ck_assert_uint_eq(got->err_rank, want->err_rank);
	ck_assert_uint_eq(got->flags, want->flags);
	ck_assert_uint_eq(got->peer_port, want->peer_port);
	ck_assert_int_eq(got->born, want->born);
	ck_assert_int_eq(got->touched, want->touched);
	ck_assert_int_eq(got->alert_due, want->alert_due);
	ck_assert_int_eq(got->first_wall, want->first_wall);
	ck_assert_int_eq(got->last_wall, want->last_wall);
	ck_assert_int_eq(got->first_off, want->first_off);
	ck_assert_int_eq(got->last_off, want->last_off);
	ck_assert_uint_eq(got->lines, want->lines);
	ck_assert_uint_eq(got->mids_total, want->mids_total);
	ck_assert_uint_eq(got->fail_total, want->fail_total);
	for (int i = 0; i < VERDICT_STR_COUNT; i++) {
		char what[16];
		snprintf(what, sizeof(what), "str[%d]", i);
		expect_span(got->str[i], want->str[i], what);
	}
	ck_assert_uint_eq(got->n_mids, want->n_mids);
	for (uint32_t i = 0; i < want->n_mids; i++)
		ck_assert_uint_eq(got->mids[i], want->mids[i]);
	ck_assert_uint_eq(got->mid_overflow, want->mid_overflow);
}

/* ---- a sink collecting the file ---- */

struct sink {
	unsigned char *data;
	size_t len, cap;
	unsigned calls;
	unsigned fail_on; /* the call that fails (1-based); 0 never */
	size_t biggest;   /* largest piece handed over */
};

static int sink_write(const void *p, size_t len, void *arg)
{
	struct sink *k = arg;

	k->calls++;
	if (len > k->biggest)
		k->biggest = len;
	if (k->fail_on != 0 && k->calls >= k->fail_on)
		return -1;
	if (k->len + len > k->cap) {
		k->cap = (k->len + len) * 2;
		k->data = realloc(k->data, k->cap);
		ck_assert_ptr_nonnull(k->data);
	}
	memcpy(k->data + k->len, p, len);
	k->len += len;
	return 0;
}

/* Writes conns[0..n) as one file; the caller frees k->data. */
static void write_file(struct sink *k, const struct owned_conn *conns, size_t n, int64_t saved_at)
{
	struct state_writer w;

	memset(k, 0, sizeof(*k));
	state_writer_begin(&w, sink_write, k, saved_at);
	for (size_t i = 0; i < n; i++)
		state_writer_conn(&w, &conns[i].s);
	ck_assert_int_eq(state_writer_end(&w), 0);
}

/* ---- a callback checking records against the expected ones ---- */

struct expect {
	const struct owned_conn *want;
	size_t n, seen;
	const unsigned char *buf;
	size_t len;
	size_t reject_at; /* refuse the record with this 1-based number; 0 never */
};

static int expect_record(const struct track_conn_state *s, void *arg)
{
	struct expect *e = arg;

	ck_assert_msg(e->seen < e->n, "more records than written");
	expect_conn(s, &e->want[e->seen].s);
	for (int i = -1; i < VERDICT_STR_COUNT; i++) {
		struct span v = i < 0 ? s->host : s->str[i];
		if (v.p != NULL)
			ck_assert_msg((const unsigned char *)v.p >= e->buf &&
			                  (const unsigned char *)v.p + v.len <= e->buf + e->len,
			              "string outside the buffer");
	}
	e->seen++;
	return e->reject_at != 0 && e->seen == e->reject_at ? -1 : 0;
}

static int count_calls(const struct track_conn_state *s, void *arg)
{
	(void)s;
	(*(unsigned *)arg)++;
	return 0;
}

/* Parses a copy of buf[0..len) in a heap block of exactly len bytes starting `shift` bytes into
 * it (so the sanitizers see any read past the end and any aligned load). */
static enum state_status parse_copy(const unsigned char *buf, size_t len, size_t shift,
                                    state_conn_fn fn, void *arg, int64_t *saved_at, uint64_t *count)
{
	unsigned char *block = malloc(len + shift + 1);
	ck_assert_ptr_nonnull(block);
	memmove(block + shift, buf, len);
	enum state_status st = state_parse(block + shift, len, fn, arg, saved_at, count);
	free(block);
	return st;
}

/* ---- hand-made files ---- */

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

static uint64_t le_get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void le_put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Recomputes the trailing checksum after a hand edit. */
static void reseal(unsigned char *buf, size_t len)
{
	le_put(buf + len - 8, fnv1a(buf, len - 8), 8);
}

static enum state_status parse_counting(const unsigned char *buf, size_t len, unsigned *calls)
{
	*calls = 0;
	return parse_copy(buf, len, 0, count_calls, calls, NULL, NULL);
}

/* ---- round trips ---- */

static void round_trip(const struct owned_conn *conns, size_t n, int64_t saved_at)
{
	struct sink k;
	write_file(&k, conns, n, saved_at);
	for (size_t shift = 0; shift < 3; shift++) {
		struct expect e = {conns, n, 0, NULL, 0, 0};
		int64_t at = 0;
		uint64_t count = 99;
		unsigned char *block = malloc(k.len + shift);
		ck_assert_ptr_nonnull(block);
		memcpy(block + shift, k.data, k.len);
		e.buf = block + shift;
		e.len = k.len;
		ck_assert_int_eq(state_parse(block + shift, k.len, expect_record, &e, &at, &count),
		                 STATE_OK);
		ck_assert_uint_eq(e.seen, n);
		ck_assert_uint_eq(count, n);
		ck_assert_int_eq(at, saved_at);
		free(block);
	}
	free(k.data);
}

START_TEST(test_round_trip_full)
{
	static struct owned_conn c;
	fill_full(&c);
	round_trip(&c, 1, 1750000000);

	struct sink k;
	write_file(&k, &c, 1, 0);
	/* 64 MIDs and 16 fields of 255..240 bytes: the largest record there is, less 120 bytes. */
	ck_assert_uint_eq(k.len, STATE_HEADER_LEN + 4 + STATE_RECORD_MAX - 120 + STATE_TRAILER_LEN);
	free(k.data);
}
END_TEST

START_TEST(test_round_trip_minimal)
{
	static struct owned_conn c;
	owned_init(&c);
	c.s.mids = NULL;
	round_trip(&c, 1, 0);

	struct sink k;
	write_file(&k, &c, 1, 0);
	ck_assert_uint_eq(k.len, STATE_HEADER_LEN + 4 + STATE_RECORD_FIXED + STATE_TRAILER_LEN);
	ck_assert_uint_eq(le_get(k.data + STATE_HEADER_LEN, 4), STATE_RECORD_FIXED);
	free(k.data);
}
END_TEST

/* Present but empty is not absent: a bare "TLS failed:" carries an empty reason. */
START_TEST(test_empty_stays_present)
{
	static struct owned_conn c;
	owned_init(&c);
	owned_set(&c, 0, "", 0);
	owned_set(&c, 1 + VERDICT_S_TLS_ERROR, "", 0);
	owned_set(&c, 1 + VERDICT_S_ERROR, "x", 1);
	round_trip(&c, 1, 5);

	struct sink k;
	write_file(&k, &c, 1, 0);
	const unsigned char *body = k.data + STATE_HEADER_LEN + 4;
	ck_assert_uint_eq(body[80], 3);
	/* host (0), tls_error (13), error (14), in that order */
	static const unsigned char fields[] = {0, 0, 13, 0, 14, 1, 'x'};
	ck_assert_int_eq(memcmp(body + STATE_RECORD_FIXED, fields, sizeof(fields)), 0);
	ck_assert_uint_eq(le_get(k.data + STATE_HEADER_LEN, 4),
	                  STATE_RECORD_FIXED + sizeof(fields));
	free(k.data);
}
END_TEST

START_TEST(test_hostile_strings)
{
	static struct owned_conn c;
	static const char *const values[] = {
	    "a\0b",       "\"quoted\"", "back\\slash", "\xff\xfe\xc3", "\n\r\t", "{\"v\":1}",
	    "\0\0\0\0\0", "\xe2\x80",   "%s%n",        "\x7f",         "END\n",  "esatlsd state\n",
	};
	static const size_t lens[] = {3, 8, 10, 3, 3, 7, 5, 2, 4, 1, 4, 14};
	char all[VERDICT_FIELD_MAX];

	owned_init(&c);
	for (int f = 0; f < 12; f++)
		owned_set(&c, f, values[f], lens[f]);
	for (int i = 0; i < VERDICT_FIELD_MAX; i++)
		all[i] = (char)(i + 1);
	owned_set(&c, 12, all, sizeof(all));
	memset(all, 0, sizeof(all));
	owned_set(&c, 13, all, sizeof(all));
	memset(all, '"', sizeof(all));
	owned_set(&c, 14, all, sizeof(all));
	round_trip(&c, 1, 1);
}
END_TEST

START_TEST(test_many_records_in_order)
{
	struct owned_conn *conns = calloc(MANY, sizeof(*conns));
	struct rng r = {42};
	struct sink k;

	ck_assert_ptr_nonnull(conns);
	for (size_t i = 0; i < MANY; i++)
		fill_random(&conns[i], &r);
	round_trip(conns, MANY, -86400);

	write_file(&k, conns, MANY, 3);
	ck_assert_uint_gt(k.calls, 10);
	ck_assert_uint_le(k.biggest, STATE_WRITER_BUF);
	/* The framing adds up: lengths hop from the header exactly to the trailer. */
	size_t pos = STATE_HEADER_LEN;
	for (size_t i = 0; i < MANY; i++)
		pos += 4 + le_get(k.data + pos, 4);
	ck_assert_uint_eq(pos + STATE_TRAILER_LEN, k.len);
	ck_assert_int_eq(memcmp(k.data + pos, "END\n", 4), 0);
	ck_assert_uint_eq(le_get(k.data + pos + 4, 8), MANY);
	free(k.data);
	free(conns);
}
END_TEST

START_TEST(test_zero_records)
{
	struct sink k;
	int64_t at = 0;
	uint64_t count = 5;
	unsigned calls;

	write_file(&k, NULL, 0, INT64_MIN);
	ck_assert_uint_eq(k.len, STATE_HEADER_LEN + STATE_TRAILER_LEN);
	ck_assert_uint_eq(k.calls, 1);
	ck_assert_int_eq(state_parse(k.data, k.len, NULL, NULL, &at, &count), STATE_OK);
	ck_assert_int_eq(at, INT64_MIN);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(parse_counting(k.data, k.len, &calls), STATE_OK);
	ck_assert_uint_eq(calls, 0);
	free(k.data);
}
END_TEST

/* The documented bytes, checked by hand (checksum included) so a reader in another language
 * can rely on the comment in state.h. */
START_TEST(test_exact_layout)
{
	struct sink k;
	write_file(&k, NULL, 0, 0x0102030405060708LL);
	static const unsigned char head[] =
	    "esatlsd state\n\x03\0\0\0\x08\x07\x06\x05\x04\x03\x02\x01"
	    "END\n\0\0\0\0\0\0\0\0";
	ck_assert_uint_eq(k.len, sizeof(head) - 1 + 8);
	ck_assert_int_eq(memcmp(k.data, head, sizeof(head) - 1), 0);
	ck_assert_uint_eq(le_get(k.data + k.len - 8, 8), fnv1a(k.data, k.len - 8));
	free(k.data);

	static struct owned_conn c;
	owned_init(&c);
	c.s.id = 0x1122334455667788ULL;
	c.s.dir = 1;
	c.s.pending_end = 2;
	c.s.err_rank = 3;
	c.s.flags = 0x0405;
	c.s.peer_port = 25;
	c.s.born = 100;
	c.s.touched = 101;
	c.s.first_off = -1;
	c.s.last_off = 60;
	c.s.lines = 9;
	c.s.mids_total = 1;
	c.s.fail_total = 2;
	c.s.mid_overflow = 0;
	c.mids[0] = 0xabcdef;
	c.s.mids = c.mids;
	c.s.n_mids = 1;
	owned_set(&c, 1 + VERDICT_S_PEER_IP, "192.0.2.1", 9);
	write_file(&k, &c, 1, 0);
	const unsigned char *b = k.data + STATE_HEADER_LEN;
	ck_assert_uint_eq(le_get(b, 4), STATE_RECORD_FIXED + 8 + 2 + 9);
	b += 4;
	ck_assert_uint_eq(le_get(b + 0, 8), 0x1122334455667788ULL);
	ck_assert_uint_eq(b[8], 1);
	ck_assert_uint_eq(b[9], 2);
	ck_assert_uint_eq(b[10], 3);
	ck_assert_uint_eq(le_get(b + 11, 2), 0x0405);
	ck_assert_uint_eq(le_get(b + 13, 2), 25);
	ck_assert_uint_eq(le_get(b + 15, 8), 100);
	ck_assert_uint_eq(le_get(b + 23, 8), 101);
	ck_assert_uint_eq(le_get(b + 31, 8), 0x8000000000000000ULL);
	ck_assert_uint_eq(le_get(b + 55, 2), 0xffff);
	ck_assert_uint_eq(le_get(b + 57, 2), 60);
	ck_assert_uint_eq(le_get(b + 59, 4), 9);
	ck_assert_uint_eq(le_get(b + 63, 4), 1);
	ck_assert_uint_eq(le_get(b + 67, 4), 2);
	ck_assert_uint_eq(le_get(b + 71, 8), 0);
	ck_assert_uint_eq(b[79], 1);
	ck_assert_uint_eq(b[80], 1);
	ck_assert_uint_eq(le_get(b + 81, 8), 0xabcdef);
	ck_assert_int_eq(memcmp(b + 89,
	                        "\x01\x09"
	                        "192.0.2.1",
	                        11),
	                 0);
	free(k.data);
}
END_TEST

/* ---- damaged files ---- */

/* Three records of different sizes: the cuts fall in every kind of place. */
static void small_file(struct sink *k, struct owned_conn conns[3])
{
	owned_init(&conns[0]);
	fill_full(&conns[1]);
	conns[1].s.n_mids = 2;
	for (int f = 0; f < STATE_FIELD_COUNT; f++)
		owned_set(&conns[1], f, "ab", f % 3);
	owned_init(&conns[2]);
	owned_set(&conns[2], 0, "esa1.example.com", 16);
	owned_set(&conns[2], 1 + VERDICT_S_TLS_ERROR, "[Errno 54] reset", 16);
	write_file(k, conns, 3, 1234567);
}

START_TEST(test_truncated_at_every_length)
{
	static struct owned_conn conns[3];
	struct sink k;
	unsigned calls;

	small_file(&k, conns);
	ck_assert_int_eq(parse_counting(k.data, k.len, &calls), STATE_OK);
	ck_assert_uint_eq(calls, 3);
	for (size_t cut = 0; cut < k.len; cut++) {
		enum state_status want = cut < STATE_MAGIC_LEN ? STATE_NOT_STATE : STATE_TRUNCATED;
		enum state_status st = parse_counting(k.data, cut, &calls);
		require(st == want, "cut at %zu: %s", cut, state_status_text(st));
		require(calls == 0, "cut at %zu: callback ran", cut);
	}
	ck_assert_int_eq(state_parse(NULL, 0, NULL, NULL, NULL, NULL), STATE_NOT_STATE);
	free(k.data);
}
END_TEST

static int version_readable(const unsigned char *file)
{
	uint64_t v = le_get(file + STATE_MAGIC_LEN, 4);
	return v >= STATE_VERSION_MIN && v <= STATE_VERSION;
}

START_TEST(test_every_bit_flip)
{
	static struct owned_conn conns[3];
	struct sink k;
	unsigned calls;

	small_file(&k, conns);
	unsigned char *copy = malloc(k.len);
	unsigned char *frame = calloc(k.len, 1); /* length fields and the trailer mark */
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_nonnull(frame);
	for (size_t pos = STATE_HEADER_LEN;; pos += 4 + le_get(k.data + pos, 4)) {
		memset(frame + pos, 1, 4);
		if (pos + STATE_TRAILER_LEN == k.len)
			break;
	}
	for (size_t bit = 0; bit < k.len * 8; bit++) {
		size_t at = bit / 8;
		memcpy(copy, k.data, k.len);
		copy[at] ^= (unsigned char)(1u << (bit % 8));
		enum state_status st = parse_counting(copy, k.len, &calls);
		require(st != STATE_OK, "flip of bit %zu accepted", bit);
		require(calls == 0, "flip of bit %zu: callback ran", bit);
		if (at < STATE_MAGIC_LEN)
			require(st == STATE_NOT_STATE, "bit %zu: %s", bit, state_status_text(st));
		else if (at < STATE_MAGIC_LEN + 4)
			/* A flip to an older version that still loads is caught by the checksum. */
			require(
			    st == (version_readable(copy) ? STATE_CORRUPT : STATE_FOREIGN_VERSION),
			    "bit %zu: %s", bit, state_status_text(st));
		else if (!frame[at])
			require(st == STATE_CORRUPT, "bit %zu: %s", bit, state_status_text(st));
	}
	free(frame);
	free(copy);
	free(k.data);
}
END_TEST

/* A later version may change everything after its version number, the checksum included. */
START_TEST(test_foreign_version)
{
	static struct owned_conn conns[3];
	static const uint32_t versions[] = {0, 4, 0x01000000, UINT32_MAX};
	struct sink k;
	unsigned calls;

	small_file(&k, conns);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		le_put(k.data + STATE_MAGIC_LEN, versions[i], 4);
		reseal(k.data, k.len);
		ck_assert_int_eq(parse_counting(k.data, k.len, &calls), STATE_FOREIGN_VERSION);
		ck_assert_uint_eq(calls, 0);
		/* even when what follows makes no sense in version 1 */
		ck_assert_int_eq(parse_counting(k.data, STATE_HEADER_LEN, &calls),
		                 STATE_FOREIGN_VERSION);
		ck_assert_int_eq(parse_counting(k.data, STATE_HEADER_LEN + 7, &calls),
		                 STATE_FOREIGN_VERSION);
	}
	/* Version 1 files (connections only, the same layout) still load. */
	le_put(k.data + STATE_MAGIC_LEN, 1, 4);
	reseal(k.data, k.len);
	ck_assert_int_eq(parse_counting(k.data, k.len, &calls), STATE_OK);
	ck_assert_uint_eq(calls, 3);
	le_put(k.data + STATE_MAGIC_LEN, STATE_VERSION, 4);
	reseal(k.data, k.len);
	ck_assert_int_eq(parse_counting(k.data, k.len, &calls), STATE_OK);
	free(k.data);
}
END_TEST

#define BYTES(lit)                                                                                 \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}

START_TEST(test_wrong_magic)
{
	static const struct {
		const char *p;
		size_t n;
	} others[] = {
	    BYTES(""),
	    BYTES("esatlsd state"),
	    BYTES("esatlsd state\r\n\x01\0\0\0"),
	    BYTES("Esatlsd state\n\x01\0\0\0\0\0\0\0\0\0\0\0END\n"),
	    BYTES("{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls\"}\n"),
	    BYTES("esatlsd stat\n\n\x01\0\0\0\0\0\0\0\0\0\0\0"),
	    BYTES("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		ck_assert_int_eq(parse_copy((const unsigned char *)others[i].p, others[i].n, 0,
		                            NULL, NULL, NULL, NULL),
		                 STATE_NOT_STATE);

	/* A valid file whose magic alone was changed, checksum resealed. */
	static struct owned_conn conns[3];
	struct sink k;
	small_file(&k, conns);
	k.data[8] = 'S';
	reseal(k.data, k.len);
	ck_assert_int_eq(parse_copy(k.data, k.len, 0, NULL, NULL, NULL, NULL), STATE_NOT_STATE);
	free(k.data);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	static struct owned_conn conns[3];
	struct sink k, again;
	unsigned calls;

	small_file(&k, conns);
	write_file(&again, conns, 3, 1234567);
	size_t len = k.len;
	unsigned char *two = malloc(2 * len);
	ck_assert_ptr_nonnull(two);
	memcpy(two, k.data, len);
	memcpy(two + len, again.data, len);
	static const size_t extra[] = {1, 8, STATE_TRAILER_LEN};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(parse_counting(two, len + extra[i], &calls), STATE_MALFORMED);
		ck_assert_uint_eq(calls, 0);
	}
	/* two files back to back */
	ck_assert_int_eq(parse_counting(two, 2 * len, &calls), STATE_MALFORMED);
	ck_assert_uint_eq(calls, 0);
	free(two);
	free(k.data);
	free(again.data);
}
END_TEST

/* Edits behind a valid checksum: only the structure can catch them, and it must, before fn sees
 * even the intact records in front. */
static unsigned char *edited_file(size_t *len, size_t *third)
{
	static struct owned_conn conns[3];
	struct sink k;
	small_file(&k, conns);
	*third = STATE_HEADER_LEN;
	for (int i = 0; i < 2; i++)
		*third += 4 + le_get(k.data + *third, 4);
	*len = k.len;
	return k.data;
}

static void expect_edit_refused(unsigned char *buf, size_t len, enum state_status want,
                                const char *what)
{
	unsigned calls;
	reseal(buf, len);
	enum state_status st = parse_counting(buf, len, &calls);
	ck_assert_msg(st == want, "%s: %s", what, state_status_text(st));
	ck_assert_msg(calls == 0, "%s: callback ran", what);
}

START_TEST(test_structure_checked_behind_checksum)
{
	size_t len, r3;
	unsigned char *b = edited_file(&len, &r3);
	unsigned char *body = b + r3 + 4; /* host "esa1...", tls_error: 2 fields, no MIDs */
	size_t tail = (size_t)le_get(b + r3, 4) - 79; /* n_mids to the end of the body */
	unsigned char save[STATE_RECORD_MAX];

	ck_assert_uint_eq(body[80], 2);
	ck_assert_uint_eq(tail, 2 + 36);
	memcpy(save, body + 79, tail);

	body[79] = VERDICT_MIDS_MAX + 1;
	expect_edit_refused(b, len, STATE_MALFORMED, "65 MIDs");
	/* MIDs that swallow field bytes: what is left does not read as the two fields */
	body[79] = 1;
	expect_edit_refused(b, len, STATE_MALFORMED, "one MID over the fields");
	body[79] = 4;
	expect_edit_refused(b, len, STATE_MALFORMED, "four MIDs over the fields");
	body[79] = 5; /* 40 bytes of MIDs in 36 */
	expect_edit_refused(b, len, STATE_MALFORMED, "MIDs past the record");
	memcpy(body + 79, save, tail);

	body[80] = 3;
	expect_edit_refused(b, len, STATE_MALFORMED, "more fields than bytes");
	body[80] = 1;
	expect_edit_refused(b, len, STATE_MALFORMED, "fewer fields than bytes");
	body[80] = STATE_FIELD_COUNT + 1;
	expect_edit_refused(b, len, STATE_MALFORMED, "16 fields");
	memcpy(body + 79, save, tail);

	body[81] = STATE_FIELD_COUNT;
	expect_edit_refused(b, len, STATE_MALFORMED, "field id 15");
	body[81] = 0xff;
	expect_edit_refused(b, len, STATE_MALFORMED, "field id 255");
	body[81] = 13; /* the host field renumbered as tls_error: a duplicate */
	expect_edit_refused(b, len, STATE_MALFORMED, "duplicate field");
	body[81] = 14; /* after it: out of order */
	expect_edit_refused(b, len, STATE_MALFORMED, "fields out of order");
	memcpy(body + 79, save, tail);

	body[82] = 17; /* host one byte longer: the next field is misread */
	expect_edit_refused(b, len, STATE_MALFORMED, "field length");
	body[82] = 255;
	expect_edit_refused(b, len, STATE_MALFORMED, "field past the record");
	memcpy(body + 79, save, tail);

	uint64_t count = le_get(b + len - 16, 8);
	le_put(b + len - 16, count + 1, 8);
	expect_edit_refused(b, len, STATE_MALFORMED, "count too high");
	le_put(b + len - 16, count - 1, 8);
	expect_edit_refused(b, len, STATE_MALFORMED, "count too low");
	le_put(b + len - 16, count, 8);

	uint64_t rlen = le_get(b + r3, 4);
	le_put(b + r3, STATE_RECORD_FIXED - 1, 4);
	expect_edit_refused(b, len, STATE_MALFORMED, "record below the minimum");
	le_put(b + r3, STATE_RECORD_MAX + 1, 4);
	expect_edit_refused(b, len, STATE_MALFORMED, "record over the maximum");
	le_put(b + r3, rlen, 4);

	unsigned calls;
	reseal(b, len);
	ck_assert_int_eq(parse_counting(b, len, &calls), STATE_OK);
	ck_assert_uint_eq(calls, 3);
	free(b);
}
END_TEST

/* A record with a byte too many or too few for its content, its length field agreeing with the
 * bytes present (so only the content can tell). */
START_TEST(test_record_length_disagrees)
{
	size_t len, r3;
	unsigned char *b = edited_file(&len, &r3);
	size_t rlen = (size_t)le_get(b + r3, 4);
	unsigned char *big = malloc(len + 1);
	ck_assert_ptr_nonnull(big);

	memcpy(big, b, r3 + 4 + rlen);
	big[r3 + 4 + rlen] = 'x';
	memcpy(big + r3 + 4 + rlen + 1, b + r3 + 4 + rlen, len - (r3 + 4 + rlen));
	le_put(big + r3, rlen + 1, 4);
	expect_edit_refused(big, len + 1, STATE_MALFORMED, "one byte too many");

	memcpy(big, b, r3 + 4 + rlen - 1);
	memcpy(big + r3 + 4 + rlen - 1, b + r3 + 4 + rlen, len - (r3 + 4 + rlen));
	le_put(big + r3, rlen - 1, 4);
	expect_edit_refused(big, len - 1, STATE_MALFORMED, "one byte too few");
	free(big);
	free(b);
}
END_TEST

START_TEST(test_callback_rejects)
{
	static struct owned_conn conns[3];
	struct sink k;
	int64_t at = 11;
	uint64_t count = 12;

	small_file(&k, conns);
	for (size_t reject = 1; reject <= 3; reject++) {
		struct expect e = {conns, 3, 0, k.data, k.len, reject};
		ck_assert_int_eq(state_parse(k.data, k.len, expect_record, &e, &at, &count),
		                 STATE_REJECTED);
		ck_assert_uint_eq(e.seen, reject);
		ck_assert_int_eq(at, 11);
		ck_assert_uint_eq(count, 12);
	}
	free(k.data);
}
END_TEST

/* ---- the writer ---- */

START_TEST(test_write_failure_stops_the_sink)
{
	struct owned_conn *conns = calloc(40, sizeof(*conns));
	struct state_writer w;
	struct sink ok;

	ck_assert_ptr_nonnull(conns);
	for (int i = 0; i < 40; i++)
		fill_full(&conns[i]);
	write_file(&ok, conns, 40, 0);
	ck_assert_uint_ge(ok.calls, 10); /* 40 records of 4 KiB each through an 8 KiB buffer */

	for (unsigned fail_on = 1; fail_on <= ok.calls; fail_on++) {
		struct sink k;
		memset(&k, 0, sizeof(k));
		k.fail_on = fail_on;
		state_writer_begin(&w, sink_write, &k, 0);
		for (int i = 0; i < 40; i++)
			state_writer_conn(&w, &conns[i].s);
		ck_assert_int_eq(state_writer_end(&w), -1);
		ck_assert_uint_eq(k.calls, fail_on);
		ck_assert_int_eq(state_writer_end(&w), -1);
		ck_assert_uint_eq(k.calls, fail_on);
		free(k.data);
	}
	free(ok.data);
	free(conns);
}
END_TEST

static int sink_never(const void *p, size_t len, void *arg)
{
	(void)p;
	(void)len;
	(void)arg;
	ck_abort_msg("sink called");
	return -1;
}

/* What the format cannot hold fails the writer; nothing (not even the header) leaves. */
START_TEST(test_writer_refuses_unstorable)
{
	static struct owned_conn c;
	struct state_writer w;
	char big[VERDICT_FIELD_MAX + 1];

	memset(big, 'a', sizeof(big));
	for (int kind = 0; kind < 5; kind++) {
		owned_init(&c);
		switch (kind) {
		case 0:
			c.s.host = span_make(big, sizeof(big));
			break;
		case 1:
			c.s.str[VERDICT_S_TLS_ERROR] = span_make(big, sizeof(big));
			break;
		case 2:
			c.s.n_mids = VERDICT_MIDS_MAX + 1;
			c.s.mids = c.mids;
			break;
		case 3:
			c.s.n_mids = 1;
			c.s.mids = NULL;
			break;
		case 4:
			c.s.str[VERDICT_S_PEER_IP] = span_make(NULL, 3);
			break;
		}
		state_writer_begin(&w, sink_never, NULL, 0);
		state_writer_conn(&w, &c.s);
		ck_assert_msg(state_writer_end(&w) == -1, "kind %d accepted", kind);
	}
}
END_TEST

START_TEST(test_status_texts)
{
	static const enum state_status all[] = {
	    STATE_OK,      STATE_TRUNCATED, STATE_NOT_STATE, STATE_FOREIGN_VERSION,
	    STATE_CORRUPT, STATE_MALFORMED, STATE_REJECTED,
	};
	for (size_t i = 0; i < 7; i++) {
		const char *t = state_status_text(all[i]);
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_gt(strlen(t), 1);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(t, state_status_text(all[j]));
	}
	ck_assert_str_eq(state_status_text(STATE_OK), "ok");
	ck_assert_str_eq(state_status_text(STATE_TRUNCATED), "truncated");
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *rt = tcase_create("round_trip");
	tcase_add_test(rt, test_round_trip_full);
	tcase_add_test(rt, test_round_trip_minimal);
	tcase_add_test(rt, test_empty_stays_present);
	tcase_add_test(rt, test_hostile_strings);
	tcase_add_test(rt, test_many_records_in_order);
	tcase_add_test(rt, test_zero_records);
	tcase_add_test(rt, test_exact_layout);
	suite_add_tcase(s, rt);
	TCase *bad = tcase_create("damaged");
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, test_truncated_at_every_length);
	tcase_add_test(bad, test_every_bit_flip);
	tcase_add_test(bad, test_foreign_version);
	tcase_add_test(bad, test_wrong_magic);
	tcase_add_test(bad, test_trailing_bytes);
	tcase_add_test(bad, test_structure_checked_behind_checksum);
	tcase_add_test(bad, test_record_length_disagrees);
	tcase_add_test(bad, test_callback_rejects);
	suite_add_tcase(s, bad);
	TCase *w = tcase_create("writer");
	tcase_add_test(w, test_write_failure_stops_the_sink);
	tcase_add_test(w, test_writer_refuses_unstorable);
	tcase_add_test(w, test_status_texts);
	suite_add_tcase(s, w);
	return s;
}

int main(void)
{
	return suite_failures(state_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
