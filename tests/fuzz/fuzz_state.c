/* libFuzzer target for the state file reader. Any bytes in, twice: as given, and with the last 8
 * bytes replaced by the right checksum so that the record structure behind it gets explored.
 * Whatever the status, the callback must never run for a file refused for its format, and
 * *saved_at and *count are only set on success. Every record the callback sees must have its
 * strings inside the input, at most 255 bytes, at most 64 MIDs (8 deliveries) and source 0. An
 * accepted file of the current version must re-encode through the writer to exactly its own
 * bytes (the format has a single encoding; an older version's header differs),
 * give the same count, stop where a callback refuses, and read as truncated when cut short. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define PREFIXES_UP_TO 2048
#define SENTINEL_AT INT64_C(0x5a5a5a5a5a5a5a5a)
#define SENTINEL_COUNT UINT64_C(0xa5a5a5a5a5a5a5a5)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

struct walk {
	const uint8_t *buf;
	size_t size;
	uint64_t calls;
	uint64_t reject_at; /* 1-based record to refuse; 0 never */
	struct state_writer *w;
};

static void check_span_inside(struct span v, const struct walk *k)
{
	if (v.p == NULL) {
		require(v.len == 0);
		return;
	}
	require(v.len <= VERDICT_FIELD_MAX);
	require((const uint8_t *)v.p >= k->buf);
	require((size_t)((const uint8_t *)v.p - k->buf) <= k->size);
	require(v.len <= k->size - (size_t)((const uint8_t *)v.p - k->buf));
}

static int on_conn(const struct track_conn_state *s, void *arg)
{
	struct walk *k = arg;

	require(s->source == 0);
	require(s->n_mids <= VERDICT_MIDS_MAX);
	require(s->n_mids == 0 || s->mids != NULL);
	for (uint32_t i = 0; i < s->n_mids; i++)
		(void)*(volatile const uint64_t *)&s->mids[i]; /* readable for ASan */
	check_span_inside(s->host, k);
	for (int i = 0; i < VERDICT_STR_COUNT; i++)
		check_span_inside(s->str[i], k);
	k->calls++;
	if (k->w != NULL)
		state_writer_conn(k->w, s);
	return k->reject_at != 0 && k->calls == k->reject_at ? -1 : 0;
}

static int on_msg(const struct msg_state *s, void *arg)
{
	struct walk *k = arg;

	require(s->source == 0);
	require(s->n_del <= MESSAGE_DELIVERIES_MAX);
	check_span_inside(s->host, k);
	require(s->host.p != NULL);
	for (unsigned i = 0; i < s->n_del; i++) {
		check_span_inside(s->del[i].domain, k);
		require(s->del[i].domain.len < 255);
	}
	k->calls++;
	if (k->w != NULL)
		state_writer_message(k->w, s);
	return k->reject_at != 0 && k->calls == k->reject_at ? -1 : 0;
}

static int on_peer(const struct posture_peer_state *s, void *arg)
{
	struct walk *k = arg;

	check_span_inside(s->key, k);
	check_span_inside(s->host, k);
	check_span_inside(s->protocol, k);
	check_span_inside(s->cipher, k);
	require(s->key.len <= 255 && s->host.len <= 255);
	k->calls++;
	if (k->w != NULL)
		state_writer_peer(k->w, s);
	return k->reject_at != 0 && k->calls == k->reject_at ? -1 : 0;
}

/* Every record, connections, messages and peers, through the callbacks above. */
static enum state_status parse_walk(const uint8_t *buf, size_t size, struct walk *k, int64_t *at,
                                    uint64_t *count)
{
	const struct state_visitor v = {on_conn, on_msg, on_peer, k};
	return state_parse_visit(buf, size, &v, at, count);
}

/* A sink that must reproduce want[] exactly. */
struct echo {
	const uint8_t *want;
	size_t size, pos;
};

static int echo_write(const void *p, size_t len, void *arg)
{
	struct echo *e = arg;

	require(len <= STATE_WRITER_BUF);
	require(len <= e->size - e->pos);
	require(memcmp(e->want + e->pos, p, len) == 0);
	e->pos += len;
	return 0;
}

static void check_accepted(const uint8_t *buf, size_t size, int64_t saved_at, uint64_t count)
{
	struct state_writer w;
	struct echo e = {buf, size, 0};
	struct walk k = {buf, size, 0, 0, &w};
	uint64_t again = 0;

	if (buf[STATE_MAGIC_LEN] == STATE_VERSION) {
		state_writer_begin(&w, echo_write, &e, saved_at);
		require(parse_walk(buf, size, &k, NULL, &again) == STATE_OK);
		require(state_writer_end(&w) == 0);
		require(e.pos == size);
	} else {
		k.w = NULL;
		require(parse_walk(buf, size, &k, NULL, &again) == STATE_OK);
	}
	require(k.calls == count && again == count);

	if (count > 0) {
		struct walk r = {buf, size, 0, 1 + buf[size / 2] % count, NULL};
		require(parse_walk(buf, size, &r, NULL, NULL) == STATE_REJECTED);
		require(r.calls == r.reject_at);
	}
	if (size <= PREFIXES_UP_TO)
		for (size_t cut = 0; cut < size; cut++) {
			enum state_status st = state_parse(buf, cut, NULL, NULL, NULL, NULL);
			require(st == (cut < STATE_MAGIC_LEN ? STATE_NOT_STATE : STATE_TRUNCATED));
		}
}

static enum state_status check_any(const uint8_t *buf, size_t size)
{
	struct walk k = {buf, size, 0, 0, NULL};
	int64_t at = SENTINEL_AT, at2 = SENTINEL_AT;
	uint64_t count = SENTINEL_COUNT, count2 = SENTINEL_COUNT;

	enum state_status plain = state_parse(buf, size, NULL, NULL, &at, &count);
	enum state_status st = parse_walk(buf, size, &k, &at2, &count2);
	require(plain == st);
	require(state_status_text(st) != NULL);
	require(st >= STATE_OK && st <= STATE_MALFORMED);
	if (st != STATE_OK) {
		require(k.calls == 0);
		require(at == SENTINEL_AT && count == SENTINEL_COUNT);
		require(at2 == SENTINEL_AT && count2 == SENTINEL_COUNT);
		return st;
	}
	require(at == at2 && count == count2 && k.calls == count);
	check_accepted(buf, size, at, count);
	return st;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_any(data, size);
	if (size < 8)
		return 0;

	uint8_t *sealed = malloc(size);
	require(sealed != NULL);
	memcpy(sealed, data, size);
	uint64_t h = fnv1a(sealed, size - 8);
	for (int i = 0; i < 8; i++)
		sealed[size - 8 + i] = (uint8_t)(h >> (8 * i));
	require(check_any(sealed, size) != STATE_CORRUPT);
	free(sealed);
	return 0;
}
