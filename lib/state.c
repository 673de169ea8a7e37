#include "state.h"

#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define FIELD_HOST 0
#define VALUE_MAX 255
#define MIDS_MAX 64

/* The format fixes these limits (u8 lengths and counts, string fields by id): a change in
 * verdict.h needs a new STATE_VERSION, except a new string field added with the next id (a
 * file of the older version then still reads; field 15, peer_domain, came that way). */
_Static_assert(VERDICT_FIELD_MAX == VALUE_MAX, "string lengths are stored as u8");
_Static_assert(VERDICT_MIDS_MAX == MIDS_MAX, "STATE_RECORD_MAX counts 64 MIDs");
_Static_assert(VERDICT_STR_COUNT + 1 == STATE_FIELD_COUNT, "field ids 1..15 are the strings");
_Static_assert(STATE_WRITER_BUF >= 4 + STATE_RECORD_MAX, "a record fits the writer's buffer");

/* Field id k (1..15) of the file is str[string_of_field[k - 1]]: the file's numbering stays put
 * if verdict.h ever reorders its strings. */
static const enum verdict_str string_of_field[VERDICT_STR_COUNT] = {
    VERDICT_S_PEER_IP,      VERDICT_S_PEER_RDNS,    VERDICT_S_INTERFACE,   VERDICT_S_LOCAL_IP,
    VERDICT_S_POLICY,       VERDICT_S_SENDER_GROUP, VERDICT_S_SBRS,        VERDICT_S_COUNTRY,
    VERDICT_S_TLS_PROTOCOL, VERDICT_S_TLS_CIPHER,   VERDICT_S_TLS_CN,      VERDICT_S_TLS_DOMAIN,
    VERDICT_S_TLS_ERROR,    VERDICT_S_ERROR,        VERDICT_S_PEER_DOMAIN,
};

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* ---- little-endian bytes ---- */

static void put_le(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Two's complement without relying on the implementation-defined unsigned-to-signed cast. */
static int64_t i64_from_bits(uint64_t u)
{
	if (u <= (uint64_t)INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(~u) - 1;
}

static int16_t i16_from_bits(uint16_t u)
{
	return (int16_t)(u <= INT16_MAX ? (int)u : (int)u - 65536);
}

/* ---- writer ---- */

static void writer_absorb(struct state_writer *w)
{
	w->hash = fnv1a(w->hash, w->buf + w->hashed, w->used - w->hashed);
	w->hashed = w->used;
}

static void writer_emit(struct state_writer *w)
{
	if (!w->failed && w->used > 0 && w->fn(w->buf, w->used, w->arg) != 0)
		w->failed = 1;
	w->used = 0;
	w->hashed = 0;
}

/* Makes room for n more bytes (n never exceeds the buffer). */
static unsigned char *writer_room(struct state_writer *w, size_t n)
{
	if (w->used + n > sizeof(w->buf)) {
		writer_absorb(w);
		writer_emit(w);
	}
	return w->buf + w->used;
}

void state_writer_begin(struct state_writer *w, state_write_fn fn, void *arg, int64_t saved_at)
{
	unsigned char *p;

	w->fn = fn;
	w->arg = arg;
	w->hash = FNV_OFFSET;
	w->count = 0;
	w->used = 0;
	w->hashed = 0;
	w->failed = 0;
	p = writer_room(w, STATE_HEADER_LEN);
	memcpy(p, STATE_MAGIC, STATE_MAGIC_LEN);
	put_le(p + STATE_MAGIC_LEN, STATE_VERSION, 4);
	put_le(p + STATE_MAGIC_LEN + 4, (uint64_t)saved_at, 8);
	w->used += STATE_HEADER_LEN;
}

static int span_storable(struct span s)
{
	return s.len <= VALUE_MAX && (s.p != NULL || s.len == 0);
}

static int conn_storable(const struct track_conn_state *s)
{
	if (s->n_mids > MIDS_MAX || (s->n_mids > 0 && s->mids == NULL) || !span_storable(s->host))
		return 0;
	for (size_t i = 0; i < VERDICT_STR_COUNT; i++)
		if (!span_storable(s->str[i]))
			return 0;
	return 1;
}

static size_t put_field(unsigned char *p, unsigned id, struct span v)
{
	if (v.p == NULL)
		return 0;
	p[0] = (unsigned char)id;
	p[1] = (unsigned char)v.len;
	if (v.len > 0)
		memcpy(p + 2, v.p, v.len);
	return 2 + v.len;
}

static void put_fixed(unsigned char *p, const struct track_conn_state *s)
{
	put_le(p + 0, s->id, 8);
	p[8] = s->dir;
	p[9] = s->pending_end;
	p[10] = s->err_rank;
	put_le(p + 11, s->flags, 2);
	put_le(p + 13, s->peer_port, 2);
	put_le(p + 15, (uint64_t)s->born, 8);
	put_le(p + 23, (uint64_t)s->touched, 8);
	put_le(p + 31, (uint64_t)s->alert_due, 8);
	put_le(p + 39, (uint64_t)s->first_wall, 8);
	put_le(p + 47, (uint64_t)s->last_wall, 8);
	put_le(p + 55, (uint16_t)s->first_off, 2);
	put_le(p + 57, (uint16_t)s->last_off, 2);
	put_le(p + 59, s->lines, 4);
	put_le(p + 63, s->mids_total, 4);
	put_le(p + 67, s->fail_total, 4);
	put_le(p + 71, s->mid_overflow, 8);
	p[79] = (unsigned char)s->n_mids;
}

/* Encodes the body at p; returns its length. */
static size_t encode_body(unsigned char *p, const struct track_conn_state *s)
{
	size_t n = STATE_RECORD_FIXED;
	unsigned fields = 0;

	put_fixed(p, s);
	for (uint32_t i = 0; i < s->n_mids; i++, n += 8)
		put_le(p + n, s->mids[i], 8);
	fields += s->host.p != NULL;
	n += put_field(p + n, FIELD_HOST, s->host);
	for (unsigned k = 1; k <= VERDICT_STR_COUNT; k++) {
		struct span v = s->str[string_of_field[k - 1]];
		fields += v.p != NULL;
		n += put_field(p + n, k, v);
	}
	p[80] = (unsigned char)fields;
	return n;
}

void state_writer_conn(struct state_writer *w, const struct track_conn_state *s)
{
	unsigned char *p;
	size_t n;

	if (w->failed)
		return;
	if (!conn_storable(s)) {
		w->failed = 1;
		return;
	}
	p = writer_room(w, 4 + STATE_RECORD_MAX);
	n = encode_body(p + 4, s);
	put_le(p, n, 4);
	w->used += 4 + n;
	w->count++;
}

int state_writer_end(struct state_writer *w)
{
	unsigned char *p;

	if (w->failed)
		return -1;
	p = writer_room(w, STATE_TRAILER_LEN);
	memcpy(p, STATE_TRAILER_MARK, 4);
	put_le(p + 4, w->count, 8);
	w->used += 12;
	writer_absorb(w);
	put_le(w->buf + w->used, w->hash, 8);
	w->used += 8;
	writer_emit(w);
	return w->failed ? -1 : 0;
}

/* ---- reader ---- */

const char *state_status_text(enum state_status st)
{
	switch (st) {
	case STATE_OK:
		return "ok";
	case STATE_TRUNCATED:
		return "truncated";
	case STATE_NOT_STATE:
		return "not a state file";
	case STATE_FOREIGN_VERSION:
		return "unsupported state file version";
	case STATE_CORRUPT:
		return "checksum mismatch";
	case STATE_MALFORMED:
		return "malformed";
	case STATE_REJECTED:
		return "connection rejected";
	}
	return "unknown status";
}

/* Where the records lie once the framing has been walked. */
struct state_layout {
	const unsigned char *b;
	size_t records_end; /* offset of the trailer */
	uint64_t n_records;
};

static enum state_status check_header(const unsigned char *b, size_t len)
{
	if (len < STATE_MAGIC_LEN || memcmp(b, STATE_MAGIC, STATE_MAGIC_LEN) != 0)
		return STATE_NOT_STATE;
	if (len < STATE_HEADER_LEN)
		return STATE_TRUNCATED;
	if (get_le(b + STATE_MAGIC_LEN, 4) != STATE_VERSION)
		return STATE_FOREIGN_VERSION;
	return STATE_OK;
}

/* Hops from length to length up to the trailer mark. Only a file cut short can run out of
 * bytes here; a length no writer makes is malformed even when it would also run past the end. */
static enum state_status frame_records(const unsigned char *b, size_t len, struct state_layout *lay)
{
	size_t pos = STATE_HEADER_LEN;
	uint64_t n = 0;

	for (;;) {
		if (len - pos < 4)
			return STATE_TRUNCATED;
		if (memcmp(b + pos, STATE_TRAILER_MARK, 4) == 0)
			break;
		uint64_t body = get_le(b + pos, 4);
		if (body < STATE_RECORD_FIXED || body > STATE_RECORD_MAX)
			return STATE_MALFORMED;
		if (len - pos - 4 < body)
			return STATE_TRUNCATED;
		pos += 4 + (size_t)body;
		n++;
	}
	lay->b = b;
	lay->records_end = pos;
	lay->n_records = n;
	return STATE_OK;
}

static enum state_status check_trailer(const unsigned char *b, size_t len,
                                       const struct state_layout *lay)
{
	size_t t = lay->records_end;

	if (len - t < STATE_TRAILER_LEN)
		return STATE_TRUNCATED;
	if (len - t > STATE_TRAILER_LEN)
		return STATE_MALFORMED;
	if (fnv1a(FNV_OFFSET, b, len - 8) != get_le(b + len - 8, 8))
		return STATE_CORRUPT;
	if (get_le(b + t + 4, 8) != lay->n_records)
		return STATE_MALFORMED;
	return STATE_OK;
}

static void get_fixed(const unsigned char *p, struct track_conn_state *s)
{
	s->id = get_le(p + 0, 8);
	s->source = 0;
	s->dir = p[8];
	s->pending_end = p[9];
	s->err_rank = p[10];
	s->flags = (uint16_t)get_le(p + 11, 2);
	s->peer_port = (uint16_t)get_le(p + 13, 2);
	s->born = i64_from_bits(get_le(p + 15, 8));
	s->touched = i64_from_bits(get_le(p + 23, 8));
	s->alert_due = i64_from_bits(get_le(p + 31, 8));
	s->first_wall = i64_from_bits(get_le(p + 39, 8));
	s->last_wall = i64_from_bits(get_le(p + 47, 8));
	s->first_off = i16_from_bits((uint16_t)get_le(p + 55, 2));
	s->last_off = i16_from_bits((uint16_t)get_le(p + 57, 2));
	s->lines = (uint32_t)get_le(p + 59, 4);
	s->mids_total = (uint32_t)get_le(p + 63, 4);
	s->fail_total = (uint32_t)get_le(p + 67, 4);
	s->mid_overflow = get_le(p + 71, 8);
	s->n_mids = p[79];
}

/* Reads the n_fields (id, length, bytes) triples of body[pos..n): ids strictly increasing and in
 * range, the last one ending exactly at n. */
static enum state_status get_fields(const unsigned char *body, size_t pos, size_t n,
                                    unsigned n_fields, struct track_conn_state *s)
{
	int last_id = -1;

	s->host = span_none();
	for (size_t i = 0; i < VERDICT_STR_COUNT; i++)
		s->str[i] = span_none();
	for (unsigned f = 0; f < n_fields; f++) {
		if (n - pos < 2)
			return STATE_MALFORMED;
		unsigned id = body[pos], vlen = body[pos + 1];
		if (id >= STATE_FIELD_COUNT || (int)id <= last_id || n - pos - 2 < vlen)
			return STATE_MALFORMED;
		struct span v = span_make((const char *)body + pos + 2, vlen);
		if (id == FIELD_HOST)
			s->host = v;
		else
			s->str[string_of_field[id - 1]] = v;
		last_id = (int)id;
		pos += 2 + vlen;
	}
	return pos == n ? STATE_OK : STATE_MALFORMED;
}

/* Decodes one body of n bytes (framing guarantees STATE_RECORD_FIXED <= n); mids go to mids[]. */
static enum state_status decode_body(const unsigned char *body, size_t n,
                                     struct track_conn_state *s, uint64_t mids[MIDS_MAX])
{
	size_t pos = STATE_RECORD_FIXED;
	unsigned n_fields = body[80];

	get_fixed(body, s);
	if (s->n_mids > MIDS_MAX || n_fields > STATE_FIELD_COUNT)
		return STATE_MALFORMED;
	if ((n - pos) / 8 < s->n_mids)
		return STATE_MALFORMED;
	for (uint32_t i = 0; i < s->n_mids; i++, pos += 8)
		mids[i] = get_le(body + pos, 8);
	s->mids = mids;
	return get_fields(body, pos, n, n_fields, s);
}

/* Decodes every record in order, calling fn (when not NULL) after each. */
static enum state_status walk_records(const struct state_layout *lay, state_conn_fn fn, void *arg)
{
	uint64_t mids[MIDS_MAX];
	struct track_conn_state s;
	size_t pos = STATE_HEADER_LEN;

	while (pos < lay->records_end) {
		size_t n = (size_t)get_le(lay->b + pos, 4);
		enum state_status st = decode_body(lay->b + pos + 4, n, &s, mids);
		if (st != STATE_OK)
			return st;
		if (fn != NULL && fn(&s, arg) != 0)
			return STATE_REJECTED;
		pos += 4 + n;
	}
	return STATE_OK;
}

enum state_status state_parse(const void *buf, size_t len, state_conn_fn fn, void *arg,
                              int64_t *saved_at, uint64_t *count)
{
	const unsigned char *b = buf;
	struct state_layout lay;
	enum state_status st;

	st = check_header(b, len);
	if (st == STATE_OK)
		st = frame_records(b, len, &lay);
	if (st == STATE_OK)
		st = check_trailer(b, len, &lay);
	if (st == STATE_OK)
		st = walk_records(&lay, NULL, NULL);
	if (st == STATE_OK && fn != NULL)
		st = walk_records(&lay, fn, arg);
	if (st != STATE_OK)
		return st;
	if (saved_at != NULL)
		*saved_at = i64_from_bits(get_le(b + STATE_MAGIC_LEN + 4, 8));
	if (count != NULL)
		*count = lay.n_records;
	return STATE_OK;
}
