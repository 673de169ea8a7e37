/* Open-addressing hash index from a connection-style key (source, direction, 64-bit ID) to a
 * 32-bit value. The keys live in the caller's records: the index stores only values and asks
 * the caller for a value's key, so one slot costs 4 bytes. The bits of a slot that the largest
 * value does not need carry bits of the key's hash (a tag): a probe asks for a record's key
 * only when the tag matches, so looking up an absent key rarely touches a record. Linear
 * probing with backward-shift deletion (no tombstones), load kept at or below one half. */
#ifndef ESATLS_IDINDEX_H
#define ESATLS_IDINDEX_H

#include <stddef.h>
#include <stdint.h>

#define ID_INDEX_NONE UINT32_MAX
#define ID_INDEX_VALUE_MAX (UINT32_MAX - 1) /* the largest value any index can store */

struct id_key {
	uint64_t id;
	uint32_t source;
	uint32_t kind; /* direction, or any small namespace number */
};

/* Returns the key of the record that value names. */
typedef struct id_key (*id_key_fn)(const void *ctx, uint32_t value);

struct id_index {
	uint32_t *slot;      /* (value + 1) | tag; 0 = empty */
	uint32_t value_mask; /* the bits of a slot holding value + 1; the rest hold the tag */
	uint32_t max_value;
	uint32_t mask; /* capacity - 1, capacity a power of two */
	uint32_t used;
	uint32_t dist_mask; /* id_index_keep_distances: the slot bits holding the distance */
	id_key_fn key_of;
	const void *ctx;
};

/* Prepares an empty index for values up to max_value (at most ID_INDEX_VALUE_MAX; the smaller,
 * the longer the tags); allocates nothing until the first insert. */
void id_index_init(struct id_index *ix, id_key_fn key_of, const void *ctx, uint32_t max_value);

/* From now on (on an empty index) each slot also keeps how far past its home it sits, in four of
 * its tag bits when the values leave at least eight: removing an entry then moves the ones
 * after it without asking their records for their keys, and a probe asks a record only when
 * tag and distance match. For an index whose records are mostly cold. */
void id_index_keep_distances(struct id_index *ix);

/* Frees the slots. */
void id_index_free(struct id_index *ix);

/* The value stored under k, or ID_INDEX_NONE. */
uint32_t id_index_find(const struct id_index *ix, struct id_key k);

/* Starts loading the slot where a probe for k begins, for a find or insert soon after (a hint:
 * nothing changes). */
void id_index_prefetch(const struct id_index *ix, struct id_key k);

/* The value in the first of the few slots from k's home whose tag (and distance) match k's,
 * without asking any record for its key: most likely k's value, for a hint to load its record
 * (ID_INDEX_NONE if none matches or nothing is allocated). */
uint32_t id_index_guess(const struct id_index *ix, struct id_key k);

/* Stores value under its key (which must not be present). Returns 0, or -1 if memory ran out
 * or value is above the index's max_value. */
int id_index_insert(struct id_index *ix, uint32_t value);

/* Removes the entry whose key is k, if any. */
void id_index_remove(struct id_index *ix, struct id_key k);

/* Drops all entries (keeps the slots allocated). */
void id_index_clear(struct id_index *ix);

/* Bytes allocated by the index. */
size_t id_index_memory(const struct id_index *ix);

#endif
