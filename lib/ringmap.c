#include <stdlib.h>
#include <string.h>

#include "ringmap.h"

#define RINGMAP_MIN_SIZE 256u

static struct id_key ringmap_key_of(const void *ctx, uint32_t pos)
{
	const struct ringmap *rm = ctx;
	const struct ringmap_entry *e = &rm->ring[pos];
	struct id_key k = {e->id, e->source, e->kind};
	return k;
}

void ringmap_init(struct ringmap *rm, uint32_t limit)
{
	memset(rm, 0, sizeof(*rm));
	rm->limit = limit ? limit : 1;
	id_index_init(&rm->index, ringmap_key_of, rm, rm->limit - 1); /* ring positions */
}

void ringmap_keep_distances(struct ringmap *rm)
{
	id_index_keep_distances(&rm->index);
}

void ringmap_set_drop(struct ringmap *rm, ringmap_drop_fn fn, void *ctx)
{
	rm->on_drop = fn;
	rm->drop_ctx = ctx;
}

static void ringmap_dropping(struct ringmap *rm, const struct ringmap_entry *e)
{
	if (rm->on_drop != NULL)
		rm->on_drop(rm->drop_ctx, e);
}

void ringmap_free(struct ringmap *rm)
{
	for (uint32_t i = 0; i < rm->len; i++) {
		const struct ringmap_entry *e = &rm->ring[(rm->tail + i) % rm->size];
		if (e->live)
			ringmap_dropping(rm, e);
	}
	free(rm->ring);
	id_index_free(&rm->index);
	rm->ring = NULL;
	rm->size = rm->len = rm->live = rm->tail = 0;
}

/* Drops the oldest slot of the ring; returns 1 if it held a live entry. */
static int ringmap_pop(struct ringmap *rm)
{
	struct ringmap_entry *e = &rm->ring[rm->tail];
	int was_live = e->live;
	if (was_live) {
		ringmap_dropping(rm, e);
		id_index_remove(&rm->index, ringmap_key_of(rm, rm->tail));
		e->live = 0;
		rm->live--;
	}
	rm->tail = (rm->tail + 1) % rm->size;
	rm->len--;
	return was_live;
}

/* Re-lays the live entries from slot 0 in a ring of `size` (>= live), dropping the holes; the
 * index is rebuilt since positions change. */
static int ringmap_relayout(struct ringmap *rm, uint32_t size)
{
	struct ringmap_entry *ring = calloc(size, sizeof(*ring));
	if (ring == NULL)
		return -1;
	uint32_t n = 0;
	for (uint32_t i = 0; i < rm->len; i++) {
		const struct ringmap_entry *e = &rm->ring[(rm->tail + i) % rm->size];
		if (e->live)
			ring[n++] = *e;
	}
	free(rm->ring);
	rm->ring = ring;
	rm->size = size;
	rm->tail = 0;
	rm->len = n;
	rm->live = n;
	id_index_clear(&rm->index);
	for (uint32_t i = 0; i < n; i++)
		if (id_index_insert(&rm->index, i) != 0)
			return -1;
	return 0;
}

/* Doubles the ring, up to limit. */
static int ringmap_grow(struct ringmap *rm)
{
	uint32_t size = rm->size ? rm->size * 2 : RINGMAP_MIN_SIZE;
	if (size > rm->limit || size < rm->size)
		size = rm->limit;
	return ringmap_relayout(rm, size);
}

int ringmap_put(struct ringmap *rm, struct id_key key, uint64_t value, int64_t time)
{
	int dropped = 0;
	ringmap_del(rm, key);
	while (rm->len > 0 && !rm->ring[rm->tail].live)
		ringmap_pop(rm);
	if (rm->len == rm->size) {
		if (rm->size < rm->limit) {
			if (ringmap_grow(rm) != 0)
				return -1;
		} else if (rm->len - rm->live >= rm->len / 4 && rm->len - rm->live > 0) {
			/* Deleted entries leave holes; squeeze them out when they are a quarter of
			 * the ring, so a full map holds at least 3/4 of limit live entries and the
			 * cost of squeezing stays constant per put on average. */
			if (ringmap_relayout(rm, rm->size) != 0)
				return -1;
		}
		if (rm->len == rm->size)
			dropped = ringmap_pop(rm);
	}
	uint32_t pos = (rm->tail + rm->len) % rm->size;
	struct ringmap_entry *e = &rm->ring[pos];
	e->id = key.id;
	e->source = key.source;
	e->kind = (uint16_t)key.kind;
	e->value = value;
	e->time = time;
	e->live = 1;
	if (id_index_insert(&rm->index, pos) != 0) {
		e->live = 0;
		return -1;
	}
	rm->len++;
	rm->live++;
	return dropped;
}

const struct ringmap_entry *ringmap_get(const struct ringmap *rm, struct id_key key)
{
	uint32_t pos = id_index_find(&rm->index, key);
	return pos == ID_INDEX_NONE ? NULL : &rm->ring[pos];
}

struct ringmap_entry *ringmap_get_mut(struct ringmap *rm, struct id_key key)
{
	uint32_t pos = id_index_find(&rm->index, key);
	return pos == ID_INDEX_NONE ? NULL : &rm->ring[pos];
}

void ringmap_del(struct ringmap *rm, struct id_key key)
{
	uint32_t pos = id_index_find(&rm->index, key);
	if (pos == ID_INDEX_NONE)
		return;
	ringmap_dropping(rm, &rm->ring[pos]);
	id_index_remove(&rm->index, key);
	rm->ring[pos].live = 0;
	rm->live--;
}

void ringmap_expire(struct ringmap *rm, int64_t before)
{
	while (rm->len > 0) {
		const struct ringmap_entry *e = &rm->ring[rm->tail];
		if (e->live && e->time >= before)
			break;
		ringmap_pop(rm);
	}
}

const struct ringmap_entry *ringmap_oldest(struct ringmap *rm)
{
	while (rm->len > 0 && !rm->ring[rm->tail].live)
		ringmap_pop(rm);
	return rm->len > 0 ? &rm->ring[rm->tail] : NULL;
}

void ringmap_pop_oldest(struct ringmap *rm)
{
	if (ringmap_oldest(rm) != NULL)
		ringmap_pop(rm);
}

size_t ringmap_memory(const struct ringmap *rm)
{
	return (size_t)rm->size * sizeof(*rm->ring) + id_index_memory(&rm->index);
}
