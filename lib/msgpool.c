#include <stdlib.h>
#include <string.h>

#include "msgpool.h"
#include "prefetch.h"

#define MSGPOOL_MIN_RING 256u

static struct id_key msgpool_key_of(const void *ctx, uint32_t i)
{
	const struct msg *m = msgpool_at(ctx, i);
	struct id_key k = {m->mid, m->source, 0};
	return k;
}

void msgpool_init(struct msgpool *p, uint32_t limit)
{
	memset(p, 0, sizeof(*p));
	p->free_head = MSG_NIL;
	p->limit = limit ? limit : 1;
	/* Taking a record may briefly hold one more than the ring: the one it pushes out. */
	id_index_init(&p->index, msgpool_key_of, p, p->limit);
	id_index_keep_distances(&p->index); /* most messages wait cold for their time-out */
}

/* The one place what a record holds on the heap is freed. */
static void msg_release_storage(struct msgpool *p, struct msg *m)
{
	struct msg_del *d = msg_dels(m);
	for (unsigned i = 0; i < m->n_del; i++) {
		p->heap_bytes -= d[i].domain_len;
		free(d[i].domain);
	}
	if (m->cap_del > 1) {
		p->heap_bytes -= (size_t)m->cap_del * sizeof(*d);
		free(d);
	}
}

void msgpool_free(struct msgpool *p)
{
	for (uint32_t i = 0; i < p->len; i++) {
		uint32_t r = p->ring[(p->tail + i) % p->size];
		if (r != MSG_NIL)
			msg_release_storage(p, msgpool_at(p, r));
	}
	for (uint32_t ci = 0; ci < p->n_chunks; ci++)
		free(p->chunk[ci]);
	free(p->chunk);
	free(p->ring);
	id_index_free(&p->index);
	msgpool_init(p, p->limit);
}

/* ---- records ---- */

static int msgpool_add_chunk(struct msgpool *p)
{
	if (p->n_chunks == p->cap_chunks) {
		uint32_t cap = p->cap_chunks ? p->cap_chunks * 2 : 16;
		struct msg **chunk = realloc(p->chunk, cap * sizeof(*chunk));
		if (chunk == NULL)
			return -1;
		p->chunk = chunk;
		p->cap_chunks = cap;
	}
	/* On cache lines, and left untouched until records are handed out from it (p->bump, each
	 * cleared then): a table that follows a few messages costs a few pages, not the chunk. */
	struct msg *block = aligned_alloc(64, MSG_CHUNK_SIZE * sizeof(*block));
	if (block == NULL)
		return -1;
	p->chunk[p->n_chunks++] = block;
	return 0;
}

uint32_t msgpool_find(const struct msgpool *p, uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	uint32_t i = id_index_find(&p->index, k);
	return i == ID_INDEX_NONE ? MSG_NIL : i;
}

void msgpool_prefetch(const struct msgpool *p, uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	id_index_prefetch(&p->index, k);
}

/* Both cache lines of record i: a line of a message mostly writes its time in the second. */
static void msgpool_prefetch_at(const struct msgpool *p, uint32_t i)
{
	const char *m = (const char *)msgpool_at(p, i);
	PREFETCH(m);
	PREFETCH(m + 64);
}

uint32_t msgpool_prefetch_record(const struct msgpool *p, uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	uint32_t i = id_index_guess(&p->index, k);
	if (i == ID_INDEX_NONE || i >= p->bump)
		return MSG_NIL;
	msgpool_prefetch_at(p, i);
	return i;
}

uint32_t msgpool_find_guessed(const struct msgpool *p, uint32_t source, uint64_t mid,
                              uint32_t guess)
{
	/* A record below bump with a MID is in the index (taking clears a record it fails to
	 * index, giving back clears it): the one of its key. */
	if (guess < p->bump && mid != 0) {
		const struct msg *m = msgpool_at(p, guess);
		if (m->mid == mid && m->source == source)
			return guess;
	}
	return msgpool_find(p, source, mid);
}

void msgpool_prefetch_ring(const struct msgpool *p, uint32_t ahead)
{
	uint32_t r;
	if (ahead < p->len && (r = p->ring[(p->tail + ahead) % p->size]) != MSG_NIL)
		msgpool_prefetch_at(p, r);
	/* Half as far on, a record the calls before loaded: its index slot, which writing it
	 * out reads to remove it. */
	if (ahead / 2 < p->len && (r = p->ring[(p->tail + ahead / 2) % p->size]) != MSG_NIL) {
		const struct msg *m = msgpool_at(p, r);
		msgpool_prefetch(p, m->source, m->mid);
	}
}

uint32_t msgpool_take(struct msgpool *p, uint32_t source, uint64_t mid)
{
	uint32_t i = p->free_head;
	if (i != MSG_NIL) {
		p->free_head = msgpool_at(p, i)->pos;
	} else {
		if (p->bump == p->n_chunks << MSG_CHUNK_SHIFT && msgpool_add_chunk(p) != 0)
			return MSG_NIL;
		i = p->bump++;
	}
	struct msg *m = msgpool_at(p, i);
	memset(m, 0, sizeof(*m));
	m->mid = mid;
	m->source = source;
	m->pos = MSG_NIL;
	m->cap_del = 1;
	if (id_index_insert(&p->index, i) != 0) {
		m->mid = 0;
		m->source = 0;
		m->pos = p->free_head;
		p->free_head = i;
		return MSG_NIL;
	}
	return i;
}

void msgpool_give_back(struct msgpool *p, uint32_t i)
{
	struct msg *m = msgpool_at(p, i);
	if (m->pos != MSG_NIL) {
		p->ring[m->pos] = MSG_NIL;
		p->live--;
	}
	struct id_key k = {m->mid, m->source, 0};
	id_index_remove(&p->index, k);
	msg_release_storage(p, m);
	memset(m, 0, sizeof(*m));
	m->pos = p->free_head;
	p->free_head = i;
}

/* ---- the ring (the rules of ringmap.c, on record numbers) ---- */

/* Re-lays the records from slot 0 in a ring of `size` (>= live), dropping the holes. */
static int msgpool_relayout(struct msgpool *p, uint32_t size)
{
	uint32_t *ring = malloc((size_t)size * sizeof(*ring));
	if (ring == NULL)
		return -1;
	uint32_t n = 0;
	for (uint32_t k = 0; k < p->len; k++) {
		uint32_t r = p->ring[(p->tail + k) % p->size];
		if (r != MSG_NIL) {
			msgpool_at(p, r)->pos = n;
			ring[n++] = r;
		}
	}
	free(p->ring);
	p->ring = ring;
	p->size = size;
	p->tail = 0;
	p->len = n;
	p->live = n;
	return 0;
}

static void msgpool_pop_holes(struct msgpool *p)
{
	while (p->len > 0 && p->ring[p->tail] == MSG_NIL) {
		p->tail = (p->tail + 1) % p->size;
		p->len--;
	}
}

int msgpool_put(struct msgpool *p, uint32_t i, int64_t time, uint32_t *pushed)
{
	struct msg *m = msgpool_at(p, i);
	*pushed = MSG_NIL;
	if (m->pos != MSG_NIL) {
		p->ring[m->pos] = MSG_NIL;
		p->live--;
		m->pos = MSG_NIL;
	}
	msgpool_pop_holes(p);
	if (p->len == p->size) {
		if (p->size < p->limit) {
			uint32_t size = p->size ? p->size * 2 : MSGPOOL_MIN_RING;
			if (size > p->limit || size < p->size)
				size = p->limit;
			if (msgpool_relayout(p, size) != 0)
				return -1;
		} else if (p->len - p->live >= p->len / 4 && p->len - p->live > 0) {
			/* Squeezed when holes are a quarter of the ring, as ringmap.c does: the
			 * cost stays constant per put on average. */
			if (msgpool_relayout(p, p->size) != 0)
				return -1;
		}
		if (p->len == p->size) {
			*pushed = p->ring[p->tail];
			msgpool_at(p, *pushed)->pos = MSG_NIL;
			p->tail = (p->tail + 1) % p->size;
			p->len--;
			p->live--;
		}
	}
	m->pos = (p->tail + p->len) % p->size;
	m->put = time;
	p->ring[m->pos] = i;
	p->len++;
	p->live++;
	return 0;
}

uint32_t msgpool_oldest(struct msgpool *p)
{
	msgpool_pop_holes(p);
	return p->len > 0 ? p->ring[p->tail] : MSG_NIL;
}

int msgpool_each(const struct msgpool *p, msgpool_fn fn, void *arg)
{
	for (uint32_t k = 0; k < p->len; k++) {
		uint32_t r = p->ring[(p->tail + k) % p->size];
		if (r == MSG_NIL)
			continue;
		int ret = fn(msgpool_at(p, r), arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* ---- what a record holds ---- */

int msgpool_grow_deliveries(struct msgpool *p, struct msg *m)
{
	unsigned cap = m->cap_del * 2u;
	struct msg_del *d = malloc(cap * sizeof(*d));
	if (d == NULL)
		return -1;
	memcpy(d, msg_dels(m), m->n_del * sizeof(*d));
	if (m->cap_del > 1) {
		p->heap_bytes -= m->cap_del * sizeof(*d);
		free(m->del.more);
	}
	p->heap_bytes += cap * sizeof(*d);
	m->del.more = d;
	m->cap_del = (uint8_t)cap;
	return 0;
}

void msgpool_set_domain(struct msgpool *p, struct msg_del *d, const char *domain, size_t len)
{
	size_t n = len > 254 ? 254 : len;
	if (n > 0 && (d->domain = malloc(n)) != NULL) {
		memcpy(d->domain, domain, n);
		d->domain_len = (uint8_t)n;
		p->heap_bytes += n;
	}
}

size_t msgpool_memory(const struct msgpool *p)
{
	return (size_t)p->n_chunks * MSG_CHUNK_SIZE * sizeof(struct msg) +
	       (size_t)p->cap_chunks * sizeof(struct msg *) + (size_t)p->size * sizeof(*p->ring) +
	       id_index_memory(&p->index) + p->heap_bytes;
}
