#include <stdlib.h>
#include <string.h>

#include "connpool.h"

void connpool_init(struct connpool *p, struct track_counters *count)
{
	memset(p, 0, sizeof(*p));
	p->free_head = CONN_NIL;
	p->lru.head = p->lru.tail = p->age.head = p->age.tail = CONN_NIL;
	p->count = count;
}

/* The one place a record's heap storage is freed. */
static void conn_release_storage(struct connpool *p, struct conn *c)
{
	p->blob_bytes -= c->blob_len;
	p->mid_bytes -= (size_t)c->cap_mids * sizeof(uint64_t);
	free(c->blob);
	free(c->mids);
	c->blob = NULL;
	c->mids = NULL;
	c->blob_len = 0;
	c->cap_mids = 0;
}

void connpool_free(struct connpool *p)
{
	for (uint32_t i = 0; i < p->bump; i++) {
		struct conn *c = connpool_at(p, i);
		if (c->state != CONN_FREE)
			conn_release_storage(p, c);
	}
	for (uint32_t ci = 0; ci < p->n_chunks; ci++)
		free(p->chunk[ci]);
	free(p->chunk);
	p->chunk = NULL;
	p->n_chunks = p->cap_chunks = 0;
	p->bump = 0;
}

/* ---- records ---- */

static int connpool_add_chunk(struct connpool *p)
{
	if (p->n_chunks == p->cap_chunks) {
		uint32_t cap = p->cap_chunks ? p->cap_chunks * 2 : 16;
		struct conn **chunk = realloc(p->chunk, cap * sizeof(*chunk));
		if (chunk == NULL)
			return -1;
		p->chunk = chunk;
		p->cap_chunks = cap;
	}
	/* Zeroed, and left untouched until records are handed out from it (p->bump): a pool
	 * that holds a few connections costs a few pages, not the chunk. */
	struct conn *block = calloc(CONN_CHUNK_SIZE, sizeof(*block));
	if (block == NULL)
		return -1;
	p->chunk[p->n_chunks++] = block;
	return 0;
}

uint32_t connpool_take(struct connpool *p)
{
	uint32_t i = p->free_head;
	if (i != CONN_NIL) {
		p->free_head = connpool_at(p, i)->lru_next;
	} else {
		if (p->bump == p->n_chunks << CONN_CHUNK_SHIFT && connpool_add_chunk(p) != 0)
			return CONN_NIL;
		i = p->bump++;
	}
	struct conn *c = connpool_at(p, i);
	memset(c, 0, sizeof(*c));
	conn_set_state(c, CONN_NO_TLS_YET);
	return i;
}

void connpool_give_back(struct connpool *p, uint32_t i)
{
	struct conn *c = connpool_at(p, i);
	conn_release_storage(p, c);
	memset(c, 0, sizeof(*c));
	conn_set_state(c, CONN_FREE);
	c->lru_next = p->free_head;
	p->free_head = i;
}

void connpool_link(struct connpool *p, uint32_t i)
{
	connpool_list_push_head(p, &p->lru, i, 0);
	connpool_list_push_head(p, &p->age, i, 1);
	p->open++;
}

void connpool_unlink(struct connpool *p, uint32_t i)
{
	connpool_list_unlink(p, &p->lru, i, 0);
	connpool_list_unlink(p, &p->age, i, 1);
	p->open--;
}

struct lru_order {
	uint32_t touched, seq, index;
};

static int lru_order_cmp(const void *a, const void *b)
{
	const struct lru_order *x = a, *y = b;
	if (x->touched != y->touched)
		return x->touched < y->touched ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void connpool_sort_lru(struct connpool *p)
{
	if (p->open < 2)
		return;
	struct lru_order *order = malloc((size_t)p->open * sizeof(*order));
	if (order == NULL)
		return; /* idle expiry then waits behind an older entry: late, never lost */
	uint32_t n = 0;
	for (uint32_t i = p->age.tail; i != CONN_NIL && n < p->open;
	     i = connpool_at(p, i)->age_prev) {
		order[n] = (struct lru_order){connpool_at(p, i)->touched, n, i};
		n++;
	}
	qsort(order, n, sizeof(*order), lru_order_cmp);
	p->lru.head = p->lru.tail = CONN_NIL;
	for (uint32_t k = 0; k < n; k++)
		connpool_list_push_head(p, &p->lru, order[k].index, 0);
	free(order);
}

size_t connpool_memory(const struct connpool *p)
{
	return (size_t)p->n_chunks * CONN_CHUNK_SIZE * sizeof(struct conn) +
	       (size_t)p->cap_chunks * sizeof(struct conn *) + p->blob_bytes + p->mid_bytes;
}

const char *conn_state_name(enum conn_state state)
{
	switch (state) {
	case CONN_FREE:
		return "free";
	case CONN_NO_TLS_YET:
		return "no_tls_yet";
	case CONN_TLS_OK:
		return "tls_ok";
	case CONN_TLS_FAILED:
		return "tls_failed";
	case CONN_TLS_OK_AND_FAILED:
		return "tls_ok_and_failed";
	}
	return "?";
}

/* ---- string fields ---- */

struct span conn_str(const struct conn *c, enum verdict_str f)
{
	for (uint32_t off = 0; off + 2 <= c->blob_len;) {
		uint8_t field = (uint8_t)c->blob[off], len = (uint8_t)c->blob[off + 1];
		if (field == f)
			return span_make(c->blob + off + 2, len);
		off += 2u + len;
	}
	return span_none();
}

void conn_strs(const struct conn *c, struct span *str)
{
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		str[f] = span_none();
	for (uint32_t off = 0; off + 2 <= c->blob_len;) {
		uint8_t field = (uint8_t)c->blob[off], len = (uint8_t)c->blob[off + 1];
		if (field < VERDICT_STR_COUNT)
			str[field] = span_make(c->blob + off + 2, len);
		off += 2u + len;
	}
}

/* Whether u changes c's blob; cuts u's value to VERDICT_FIELD_MAX (counted). */
static int str_update_applies(struct connpool *p, const struct conn *c, struct str_update *u)
{
	if (!span_present(u->value) || u->value.len == 0)
		return 0;
	if (u->value.len > VERDICT_FIELD_MAX) {
		u->value.len = VERDICT_FIELD_MAX;
		p->count->strings_truncated++;
	}
	struct span old = conn_str(c, u->field);
	if (!span_present(old))
		return 1;
	return u->replace && (old.len != u->value.len || memcmp(old.p, u->value.p, old.len) != 0);
}

/* The blob is rebuilt with the untouched fields first and the new values after them. */
void connpool_set_strs(struct connpool *p, struct conn *c, struct str_update *u, size_t n)
{
	uint32_t replaced = 0; /* bit per field being (re)written */
	size_t added = 0;
	for (size_t k = 0; k < n; k++) {
		if (!str_update_applies(p, c, &u[k])) {
			u[k].value = span_none();
			continue;
		}
		replaced |= 1u << u[k].field;
		added += 2 + u[k].value.len;
	}
	if (replaced == 0)
		return;
	size_t keep = 0;
	for (uint32_t off = 0; off + 2 <= c->blob_len;) {
		uint8_t field = (uint8_t)c->blob[off], flen = (uint8_t)c->blob[off + 1];
		if (!(replaced & (1u << field)))
			keep += 2u + flen;
		off += 2u + flen;
	}
	size_t len = keep + added;
	if (len > UINT16_MAX)
		return;
	char *blob = malloc(len);
	if (blob == NULL) {
		p->count->alloc_failures++;
		return;
	}
	size_t w = 0;
	for (uint32_t off = 0; off + 2 <= c->blob_len;) {
		uint8_t field = (uint8_t)c->blob[off], flen = (uint8_t)c->blob[off + 1];
		if (!(replaced & (1u << field))) {
			memcpy(blob + w, c->blob + off, 2u + flen);
			w += 2u + flen;
		}
		off += 2u + flen;
	}
	for (size_t k = 0; k < n; k++) {
		if (!span_present(u[k].value))
			continue;
		blob[w++] = (char)u[k].field;
		blob[w++] = (char)u[k].value.len;
		memcpy(blob + w, u[k].value.p, u[k].value.len);
		w += u[k].value.len;
	}
	free(c->blob);
	p->blob_bytes += len;
	p->blob_bytes -= c->blob_len;
	c->blob = blob;
	c->blob_len = (uint16_t)len;
}

void connpool_set_str(struct connpool *p, struct conn *c, enum verdict_str f, struct span v,
                      int replace)
{
	struct str_update u = {f, v, replace};
	connpool_set_strs(p, c, &u, 1);
}

int connpool_restore_strs(struct connpool *p, struct conn *c, const struct span *str)
{
	size_t len = 0;
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		if (span_present(str[f]) && str[f].len > 0)
			len += 2 + str[f].len;
	if (len == 0)
		return 0;
	char *blob = malloc(len);
	if (blob == NULL)
		return -1;
	size_t w = 0;
	for (int f = 0; f < VERDICT_STR_COUNT; f++) {
		if (!span_present(str[f]) || str[f].len == 0)
			continue;
		blob[w++] = (char)f;
		blob[w++] = (char)str[f].len;
		memcpy(blob + w, str[f].p, str[f].len);
		w += str[f].len;
	}
	c->blob = blob;
	c->blob_len = (uint16_t)len;
	p->blob_bytes += len;
	return 0;
}

/* ---- MIDs ---- */

static int conn_has_mid(const struct conn *c, uint64_t mid)
{
	if (c->n_mids == 0)
		return 0;
	if (c->n_mids == VERDICT_MIDS_MAX && c->mids[VERDICT_MIDS_MAX] == mid)
		return 1;
	for (int i = c->n_mids - 1; i >= 0; i--)
		if (c->mids[i] == mid)
			return 1;
	return 0;
}

void connpool_add_mid(struct connpool *p, struct conn *c, uint64_t mid)
{
	if (mid == 0 || conn_has_mid(c, mid))
		return;
	c->mids_total++;
	if (c->n_mids == VERDICT_MIDS_MAX) {
		/* Listed no more; the spare slot remembers the newest so repeats are not recounted.
		 */
		c->mids[VERDICT_MIDS_MAX] = mid;
		p->count->mids_capped++;
		return;
	}
	if (c->n_mids == c->cap_mids) {
		unsigned cap = c->cap_mids ? c->cap_mids * 2u : 2u;
		if (cap >= VERDICT_MIDS_MAX)
			cap = VERDICT_MIDS_MAX + 1;
		uint64_t *mids = realloc(c->mids, cap * sizeof(*mids));
		if (mids == NULL) {
			p->count->alloc_failures++;
			return;
		}
		p->mid_bytes += (cap - c->cap_mids) * sizeof(*mids);
		if (cap == VERDICT_MIDS_MAX + 1)
			mids[VERDICT_MIDS_MAX] = 0; /* the overflow slot: MID 0 is never added */
		c->mids = mids;
		c->cap_mids = (uint8_t)cap;
	}
	c->mids[c->n_mids++] = mid;
}

int connpool_restore_mids(struct connpool *p, struct conn *c, const uint64_t *mids, uint32_t n,
                          uint64_t overflow)
{
	if (n == 0)
		return 0;
	unsigned cap = n == VERDICT_MIDS_MAX ? VERDICT_MIDS_MAX + 1 : n;
	uint64_t *list = malloc(cap * sizeof(*list));
	if (list == NULL)
		return -1;
	memcpy(list, mids, n * sizeof(*list));
	if (cap > VERDICT_MIDS_MAX)
		list[VERDICT_MIDS_MAX] = overflow;
	c->mids = list;
	c->cap_mids = (uint8_t)cap;
	c->n_mids = (uint8_t)n;
	p->mid_bytes += cap * sizeof(*list);
	return 0;
}
