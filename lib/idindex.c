#include <stdlib.h>
#include <string.h>

#include "idindex.h"
#include "prefetch.h"

#define ID_INDEX_MIN_CAPACITY 64u
#define DIST_SHIFT 28 /* id_index_keep_distances: the top four bits of a slot */
#define DIST_SAT 15u  /* that far past its home or more: its key tells the home */

static uint64_t id_key_hash(struct id_key k)
{
	/* A multiply-xorshift mix: IDs are sequential, so the low bits alone would cluster. */
	uint64_t h = k.id ^ ((uint64_t)k.source << 32 | k.kind);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int id_key_equal(struct id_key a, struct id_key b)
{
	return a.id == b.id && a.source == b.source && a.kind == b.kind;
}

void id_index_init(struct id_index *ix, id_key_fn key_of, const void *ctx, uint32_t max_value)
{
	if (max_value > ID_INDEX_VALUE_MAX)
		max_value = ID_INDEX_VALUE_MAX;
	uint32_t bits = 1;
	while (bits < 32 && ((uint64_t)max_value + 1) >> bits != 0)
		bits++;
	ix->value_mask = bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
	ix->max_value = max_value;
	ix->slot = NULL;
	ix->mask = 0;
	ix->used = 0;
	ix->dist_mask = 0;
	ix->key_of = key_of;
	ix->ctx = ctx;
}

void id_index_keep_distances(struct id_index *ix)
{
	if (ix->value_mask < 1u << (DIST_SHIFT - 4))
		ix->dist_mask = UINT32_MAX << DIST_SHIFT;
}

void id_index_free(struct id_index *ix)
{
	free(ix->slot);
	ix->slot = NULL;
	ix->mask = 0;
	ix->used = 0;
}

/* Key hash bits for the slot bits above ix->value_mask: the hash's high half, whose low bits
 * already chose the home slot. */
static uint32_t hash_tag(const struct id_index *ix, uint64_t hash)
{
	return (uint32_t)(hash >> 32) & ~ix->value_mask;
}

/* The distance bits of a slot d places past its home (none without dist_mask). */
static uint32_t dist_bits(const struct id_index *ix, uint32_t d)
{
	return (d < DIST_SAT ? d : DIST_SAT) << DIST_SHIFT & ix->dist_mask;
}

/* The slot of value whose key hashes to hash (without distance bits). */
static uint32_t slot_of(const struct id_index *ix, uint32_t value, uint64_t hash)
{
	return (value + 1) | (hash_tag(ix, hash) & ~ix->dist_mask);
}

/* The value a used slot holds. */
static uint32_t slot_value(const struct id_index *ix, uint32_t s)
{
	return (s & ix->value_mask) - 1;
}

/* probe for an index that keeps distances: a slot d places on matches only with distance d. */
static uint32_t probe_dist(const struct id_index *ix, struct id_key k, uint64_t h)
{
	uint32_t tag = hash_tag(ix, h) & ~ix->dist_mask, tag_bits = ~ix->value_mask;
	uint32_t i = (uint32_t)h & ix->mask;
	for (uint32_t d = 0;; d++, i = (i + 1) & ix->mask) {
		uint32_t s = ix->slot[i];
		if (s == 0 || ((s & tag_bits) == (tag | dist_bits(ix, d)) &&
		               id_key_equal(ix->key_of(ix->ctx, slot_value(ix, s)), k)))
			return i;
	}
}

/* The position of key k's slot, or of the empty slot ending its probe run. */
static uint32_t probe(const struct id_index *ix, struct id_key k)
{
	uint64_t h = id_key_hash(k);
	if (ix->dist_mask != 0)
		return probe_dist(ix, k, h);
	uint32_t tag = hash_tag(ix, h), tag_bits = ~ix->value_mask, i = (uint32_t)h & ix->mask;
	for (;; i = (i + 1) & ix->mask) {
		uint32_t s = ix->slot[i];
		if (s == 0 || ((s & tag_bits) == tag &&
		               id_key_equal(ix->key_of(ix->ctx, slot_value(ix, s)), k)))
			return i;
	}
}

uint32_t id_index_find(const struct id_index *ix, struct id_key k)
{
	if (ix->slot == NULL)
		return ID_INDEX_NONE;
	uint32_t s = ix->slot[probe(ix, k)];
	return s == 0 ? ID_INDEX_NONE : slot_value(ix, s);
}

void id_index_prefetch(const struct id_index *ix, struct id_key k)
{
	if (ix->slot != NULL)
		PREFETCH(&ix->slot[(uint32_t)id_key_hash(k) & ix->mask]);
}

/* Stores `stored` (without distance bits) in the first free slot from hash's home. */
uint32_t id_index_guess(const struct id_index *ix, struct id_key k)
{
	if (ix->slot == NULL)
		return ID_INDEX_NONE;
	uint64_t h = id_key_hash(k);
	uint32_t tag = hash_tag(ix, h) & ~ix->dist_mask, tag_bits = ~ix->value_mask;
	uint32_t i = (uint32_t)h & ix->mask;
	for (uint32_t d = 0; d < 4; d++, i = (i + 1) & ix->mask) {
		uint32_t s = ix->slot[i];
		if (s == 0)
			break;
		if ((s & tag_bits) == (tag | dist_bits(ix, d)))
			return slot_value(ix, s);
	}
	return ID_INDEX_NONE;
}

static void id_index_place(const struct id_index *ix, uint32_t *slot, uint32_t mask, uint64_t hash,
                           uint32_t stored)
{
	uint32_t i = (uint32_t)hash & mask, d = 0;
	while (slot[i] != 0) {
		i = (i + 1) & mask;
		d++;
	}
	slot[i] = stored | dist_bits(ix, d);
}

static int id_index_grow(struct id_index *ix)
{
	uint32_t old_cap = ix->slot ? ix->mask + 1 : 0;
	uint32_t cap = old_cap ? old_cap * 2 : ID_INDEX_MIN_CAPACITY;
	if (cap == 0 || cap > (1u << 31))
		return -1;
	uint32_t *slot = calloc(cap, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (uint32_t i = 0; i < old_cap; i++) {
		uint32_t s = ix->slot[i];
		if (s != 0)
			id_index_place(ix, slot, cap - 1,
			               id_key_hash(ix->key_of(ix->ctx, slot_value(ix, s))),
			               s & ~ix->dist_mask);
	}
	free(ix->slot);
	ix->slot = slot;
	ix->mask = cap - 1;
	return 0;
}

int id_index_insert(struct id_index *ix, uint32_t value)
{
	if (value == ID_INDEX_NONE || value > ix->max_value)
		return -1;
	if ((ix->slot == NULL || (uint64_t)(ix->used + 1) * 2 > (uint64_t)ix->mask + 1) &&
	    id_index_grow(ix) != 0)
		return -1;
	uint64_t hash = id_key_hash(ix->key_of(ix->ctx, value));
	id_index_place(ix, ix->slot, ix->mask, hash, slot_of(ix, value, hash));
	ix->used++;
	return 0;
}

void id_index_remove(struct id_index *ix, struct id_key k)
{
	if (ix->slot == NULL)
		return;
	uint32_t i = probe(ix, k);
	if (ix->slot[i] == 0)
		return;
	/* Backward-shift: pull later members of the probe run into the hole so that every entry
	 * stays reachable from its home slot without tombstones. */
	uint32_t hole = i;
	for (uint32_t j = (hole + 1) & ix->mask; ix->slot[j] != 0; j = (j + 1) & ix->mask) {
		uint32_t s = ix->slot[j], d = (s & ix->dist_mask) >> DIST_SHIFT, home;
		if (ix->dist_mask != 0 && d < DIST_SAT)
			home = (j - d) & ix->mask;
		else
			home = (uint32_t)id_key_hash(ix->key_of(ix->ctx, slot_value(ix, s))) &
			       ix->mask;
		/* The entry at j may move to the hole only if its home is not cyclically in (hole,
		 * j]. */
		int home_in_range =
		    hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!home_in_range) {
			ix->slot[hole] =
			    (s & ~ix->dist_mask) | dist_bits(ix, (hole - home) & ix->mask);
			hole = j;
		}
	}
	ix->slot[hole] = 0;
	ix->used--;
}

void id_index_clear(struct id_index *ix)
{
	if (ix->slot != NULL)
		memset(ix->slot, 0, ((size_t)ix->mask + 1) * sizeof(*ix->slot));
	ix->used = 0;
}

size_t id_index_memory(const struct id_index *ix)
{
	return ix->slot ? ((size_t)ix->mask + 1) * sizeof(*ix->slot) : 0;
}
