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
_Static_assert(STATE_MESSAGE_MAX <= STATE_RECORD_MAX, "a message fits where a connection does");
_Static_assert(MESSAGE_DELIVERIES_MAX == 8, "STATE_MESSAGE_MAX counts 8 deliveries");
_Static_assert(DOWNGRADE_KIND_COUNT == 3, "a peer body stores 3 record times");
_Static_assert(VERDICT_KIND_COUNT == 4, "a peer body stores 4 counts");
_Static_assert(STATE_PEER_MAX <= STATE_RECORD_MAX, "a peer fits where a connection does");

#define KIND_CONN 0u
#define KIND_MESSAGE 1u
#define KIND_PEER 2u
#define PEER_STRINGS 4
#define PEER_KEPT 0x10u /* byte 94: the peer is kept ahead of newcomers */
#define NO_DOMAIN 255

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

/* Writes the head of the record of `kind` whose n-byte body was encoded after it at p. */
static void writer_seal(struct state_writer *w, unsigned char *p, unsigned kind, size_t n)
{
	put_le(p, (uint64_t)kind << 24 | n, 4);
	w->used += 4 + n;
	w->count++;
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

	if (w->failed)
		return;
	if (!conn_storable(s)) {
		w->failed = 1;
		return;
	}
	p = writer_room(w, 4 + STATE_RECORD_MAX);
	writer_seal(w, p, KIND_CONN, encode_body(p + 4, s));
}

/* Encodes a message body at p; returns its length. */
static size_t encode_message(unsigned char *p, const struct msg_state *s)
{
	size_t n = STATE_MESSAGE_FIXED;
	put_le(p + 0, s->mid, 8);
	put_le(p + 8, s->icid, 8);
	put_le(p + 16, s->parent, 8);
	put_le(p + 24, (uint64_t)s->news, 8);
	p[32] = s->in_verdict;
	p[33] = s->end;
	p[34] = s->n_del;
	put_le(p + 35, s->del_total, 4);
	put_le(p + 39, s->rcpts, 8);
	put_le(p + 47, s->rcpts_done, 8);
	put_le(p + 55, (uint64_t)s->first.wall, 8);
	put_le(p + 63, (uint16_t)s->first.offset, 2);
	p[65] = s->first.valid;
	put_le(p + 66, (uint64_t)s->last.wall, 8);
	put_le(p + 74, (uint16_t)s->last.offset, 2);
	p[76] = s->last.valid;
	p[77] = (unsigned char)s->host.len;
	if (s->host.len > 0)
		memcpy(p + n, s->host.p, s->host.len);
	n += s->host.len;
	for (unsigned i = 0; i < s->n_del; i++) {
		const struct msg_state_delivery *d = &s->del[i];
		put_le(p + n, d->dcid, 8);
		put_le(p + n + 8, d->rids, 8);
		p[n + 16] = d->verdict;
		p[n + 17] = d->outcome;
		p[n + 18] = d->after_failure;
		p[n + 19] = d->domain.p != NULL ? (unsigned char)d->domain.len : NO_DOMAIN;
		n += STATE_DELIVERY_FIXED;
		if (d->domain.p != NULL && d->domain.len > 0)
			memcpy(p + n, d->domain.p, d->domain.len);
		n += d->domain.p != NULL ? d->domain.len : 0;
	}
	return n;
}

static int message_storable(const struct msg_state *s)
{
	if (s->n_del > MESSAGE_DELIVERIES_MAX || !span_storable(s->host))
		return 0;
	for (unsigned i = 0; i < s->n_del; i++)
		if (!span_storable(s->del[i].domain) || s->del[i].domain.len >= NO_DOMAIN)
			return 0;
	return 1;
}

void state_writer_message(struct state_writer *w, const struct msg_state *s)
{
	if (w->failed)
		return;
	if (!message_storable(s)) {
		w->failed = 1;
		return;
	}
	unsigned char *p = writer_room(w, 4 + STATE_MESSAGE_MAX);
	writer_seal(w, p, KIND_MESSAGE, encode_message(p + 4, s));
}

/* Encodes a peer body at p; returns its length. */
static size_t encode_peer(unsigned char *p, const struct posture_peer_state *s)
{
	const struct span str[PEER_STRINGS] = {s->key, s->host, s->protocol, s->cipher};
	size_t n = STATE_PEER_FIXED;
	p[0] = s->dir;
	p[1] = s->open;
	p[2] = s->open_rank;
	put_le(p + 3, (uint64_t)s->seen, 8);
	put_le(p + 11, (uint64_t)s->last_tls_clock, 8);
	put_le(p + 19, (uint64_t)s->last_tls.wall, 8);
	put_le(p + 27, (uint16_t)s->last_tls.offset, 2);
	p[29] = s->last_tls.valid;
	for (int k = 0; k < DOWNGRADE_KIND_COUNT; k++)
		put_le(p + 30 + 8 * k, (uint64_t)s->last_record[k], 8);
	for (int k = 0; k < VERDICT_KIND_COUNT; k++)
		put_le(p + 54 + 8 * k, s->counts[k], 8);
	put_le(p + 86, s->held_back, 8);
	p[94] = s->kept ? PEER_KEPT : 0;
	for (int i = 0; i < PEER_STRINGS; i++) {
		if (str[i].p == NULL)
			continue;
		p[94] |= (unsigned char)(1u << i);
		p[n++] = (unsigned char)str[i].len;
		if (str[i].len > 0)
			memcpy(p + n, str[i].p, str[i].len);
		n += str[i].len;
	}
	return n;
}

void state_writer_peer(struct state_writer *w, const struct posture_peer_state *s)
{
	if (w->failed)
		return;
	if (!span_storable(s->key) || !span_storable(s->host) || !span_storable(s->protocol) ||
	    !span_storable(s->cipher)) {
		w->failed = 1;
		return;
	}
	unsigned char *p = writer_room(w, 4 + STATE_PEER_MAX);
	writer_seal(w, p, KIND_PEER, encode_peer(p + 4, s));
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
	uint32_t version;
	size_t records_end; /* offset of the trailer */
	uint64_t n_records;
};

static enum state_status check_header(const unsigned char *b, size_t len)
{
	if (len < STATE_MAGIC_LEN || memcmp(b, STATE_MAGIC, STATE_MAGIC_LEN) != 0)
		return STATE_NOT_STATE;
	if (len < STATE_HEADER_LEN)
		return STATE_TRUNCATED;
	uint64_t version = get_le(b + STATE_MAGIC_LEN, 4);
	if (version < STATE_VERSION_MIN || version > STATE_VERSION)
		return STATE_FOREIGN_VERSION;
	return STATE_OK;
}

/* Whether a record of `kind` could be `body` bytes long in a file of `version`. */
static int body_length_fits(uint32_t version, unsigned kind, uint64_t body)
{
	switch (kind) {
	case KIND_CONN:
		return body >= STATE_RECORD_FIXED && body <= STATE_RECORD_MAX;
	case KIND_MESSAGE:
		return version >= 2 && body >= STATE_MESSAGE_FIXED && body <= STATE_MESSAGE_MAX;
	case KIND_PEER:
		return version >= 3 && body >= STATE_PEER_FIXED && body <= STATE_PEER_MAX;
	}
	return 0;
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
		uint64_t head = get_le(b + pos, 4), body = head & 0xffffff;
		if (!body_length_fits(lay->version, (unsigned)(head >> 24), body))
			return STATE_MALFORMED;
		if (len - pos - 4 < body)
			return STATE_TRUNCATED;
		pos += 4 + (size_t)body;
		n++;
	}
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

static struct logtime get_logtime(const unsigned char *p)
{
	struct logtime t = {i64_from_bits(get_le(p, 8)), i16_from_bits((uint16_t)get_le(p + 8, 2)),
	                    p[10]};
	return t;
}

/* Decodes one message body of n bytes (framing guarantees STATE_MESSAGE_FIXED <= n). */
static enum state_status decode_message(const unsigned char *p, size_t n, struct msg_state *s)
{
	size_t pos = STATE_MESSAGE_FIXED;
	memset(s, 0, sizeof(*s));
	s->mid = get_le(p + 0, 8);
	s->icid = get_le(p + 8, 8);
	s->parent = get_le(p + 16, 8);
	s->news = i64_from_bits(get_le(p + 24, 8));
	s->in_verdict = p[32];
	s->end = p[33];
	s->n_del = p[34];
	s->del_total = (uint32_t)get_le(p + 35, 4);
	s->rcpts = get_le(p + 39, 8);
	s->rcpts_done = get_le(p + 47, 8);
	s->first = get_logtime(p + 55);
	s->last = get_logtime(p + 66);
	if (s->n_del > MESSAGE_DELIVERIES_MAX || n - pos < p[77])
		return STATE_MALFORMED;
	s->host = span_make((const char *)p + pos, p[77]);
	pos += p[77];
	for (unsigned i = 0; i < s->n_del; i++) {
		struct msg_state_delivery *d = &s->del[i];
		if (n - pos < STATE_DELIVERY_FIXED)
			return STATE_MALFORMED;
		d->dcid = get_le(p + pos, 8);
		d->rids = get_le(p + pos + 8, 8);
		d->verdict = p[pos + 16];
		d->outcome = p[pos + 17];
		d->after_failure = p[pos + 18];
		unsigned dlen = p[pos + 19];
		pos += STATE_DELIVERY_FIXED;
		d->domain = span_none();
		if (dlen == NO_DOMAIN)
			continue;
		if (n - pos < dlen)
			return STATE_MALFORMED;
		d->domain = span_make((const char *)p + pos, dlen);
		pos += dlen;
	}
	return pos == n ? STATE_OK : STATE_MALFORMED;
}

/* Decodes one peer body of n bytes (framing guarantees STATE_PEER_FIXED <= n). */
static enum state_status decode_peer(const unsigned char *p, size_t n, struct posture_peer_state *s)
{
	struct span *str[PEER_STRINGS] = {&s->key, &s->host, &s->protocol, &s->cipher};
	size_t pos = STATE_PEER_FIXED;
	memset(s, 0, sizeof(*s));
	s->dir = p[0];
	s->open = p[1];
	s->open_rank = p[2];
	s->seen = i64_from_bits(get_le(p + 3, 8));
	s->last_tls_clock = i64_from_bits(get_le(p + 11, 8));
	s->last_tls = get_logtime(p + 19);
	for (int k = 0; k < DOWNGRADE_KIND_COUNT; k++)
		s->last_record[k] = i64_from_bits(get_le(p + 30 + 8 * k, 8));
	for (int k = 0; k < VERDICT_KIND_COUNT; k++)
		s->counts[k] = get_le(p + 54 + 8 * k, 8);
	s->held_back = get_le(p + 86, 8);
	if ((p[94] & ~PEER_KEPT) >> PEER_STRINGS != 0)
		return STATE_MALFORMED;
	s->kept = (p[94] & PEER_KEPT) != 0;
	for (int i = 0; i < PEER_STRINGS; i++) {
		*str[i] = span_none();
		if (!(p[94] & (1u << i)))
			continue;
		if (n - pos < 1 || n - pos - 1 < p[pos])
			return STATE_MALFORMED;
		*str[i] = span_make((const char *)p + pos + 1, p[pos]);
		pos += 1 + (size_t)p[pos];
	}
	return pos == n ? STATE_OK : STATE_MALFORMED;
}

/* Decodes one record at pos and hands it to its callback (when not NULL); *r gets what the
 * callback returned. */
static enum state_status visit_record(const unsigned char *head_p, const struct state_visitor *v,
                                      int *r)
{
	uint64_t mids[MIDS_MAX];
	struct track_conn_state s;
	struct msg_state m;
	struct posture_peer_state peer;
	uint64_t head = get_le(head_p, 4);
	size_t n = (size_t)(head & 0xffffff);
	const unsigned char *body = head_p + 4;
	enum state_status st;

	*r = 0;
	switch (head >> 24) {
	case KIND_MESSAGE:
		st = decode_message(body, n, &m);
		if (st == STATE_OK && v->msg != NULL)
			*r = v->msg(&m, v->arg);
		return st;
	case KIND_PEER:
		st = decode_peer(body, n, &peer);
		if (st == STATE_OK && v->peer != NULL)
			*r = v->peer(&peer, v->arg);
		return st;
	default:
		st = decode_body(body, n, &s, mids);
		if (st == STATE_OK && v->conn != NULL)
			*r = v->conn(&s, v->arg);
		return st;
	}
}

/* Decodes every record in order, calling the visitor's callbacks. */
static enum state_status walk_records(const struct state_layout *lay, const struct state_visitor *v)
{
	size_t pos = STATE_HEADER_LEN;

	while (pos < lay->records_end) {
		int r;
		enum state_status st = visit_record(lay->b + pos, v, &r);
		if (st != STATE_OK)
			return st;
		if (r != 0)
			return STATE_REJECTED;
		pos += 4 + (size_t)(get_le(lay->b + pos, 4) & 0xffffff);
	}
	return STATE_OK;
}

enum state_status state_parse(const void *buf, size_t len, state_conn_fn fn, void *arg,
                              int64_t *saved_at, uint64_t *count)
{
	const struct state_visitor v = {fn, NULL, NULL, arg};
	return state_parse_visit(buf, len, &v, saved_at, count);
}

enum state_status state_parse_visit(const void *buf, size_t len, const struct state_visitor *v,
                                    int64_t *saved_at, uint64_t *count)
{
	static const struct state_visitor check_only = {NULL, NULL, NULL, NULL};
	const unsigned char *b = buf;
	struct state_layout lay;
	enum state_status st;

	lay.b = b;
	st = check_header(b, len);
	if (st == STATE_OK) {
		lay.version = (uint32_t)get_le(b + STATE_MAGIC_LEN, 4);
		st = frame_records(b, len, &lay);
	}
	if (st == STATE_OK)
		st = check_trailer(b, len, &lay);
	if (st == STATE_OK)
		st = walk_records(&lay, &check_only);
	if (st == STATE_OK && (v->conn != NULL || v->msg != NULL || v->peer != NULL))
		st = walk_records(&lay, v);
	if (st != STATE_OK)
		return st;
	if (saved_at != NULL)
		*saved_at = i64_from_bits(get_le(b + STATE_MAGIC_LEN + 4, 8));
	if (count != NULL)
		*count = lay.n_records;
	return STATE_OK;
}
