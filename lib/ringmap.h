/* A bounded first-in-first-out map: (source, kind, id) -> (value, time), holding at most
 * `limit` entries. When full, a put first squeezes out the holes deleted entries left if they
 * are a quarter of the ring, else drops the oldest live entry (the caller counts it through the
 * return value): a full map holds at least 3/4 of limit live entries. Used for recently ended
 * connection IDs (linger) and MID -> ICID links. */
#ifndef ESATLS_RINGMAP_H
#define ESATLS_RINGMAP_H

#include <stddef.h>
#include <stdint.h>

#include "idindex.h"

/* Keys' kind must be below 65536: entries store it in 16 bits. */
struct ringmap_entry {
	uint64_t id;
	uint64_t value;
	int64_t time;
	uint32_t source;
	uint16_t kind;
	uint16_t live; /* 0 once deleted: a hole that the ring skips */
};

/* Told of every live entry that leaves the map (replaced, deleted, dropped, freed), so that a
 * value naming storage of the caller's can be released. */
typedef void (*ringmap_drop_fn)(void *ctx, const struct ringmap_entry *e);

struct ringmap {
	struct ringmap_entry *ring;
	ringmap_drop_fn on_drop; /* NULL: values own nothing */
	void *drop_ctx;
	uint32_t size; /* allocated entries (grows up to limit) */
	uint32_t limit;
	uint32_t tail; /* oldest entry */
	uint32_t len;  /* entries between tail and the write position, holes included */
	uint32_t live; /* live entries */
	struct id_index index;
};

/* Prepares an empty map of at most limit (>= 1) entries. Allocates on first put. */
void ringmap_init(struct ringmap *rm, uint32_t limit);

/* From now on (on an empty map) the index keeps distances (id_index_keep_distances): for a map
 * whose entries are cold when they leave it, as they are after a long wait in a large ring. */
void ringmap_keep_distances(struct ringmap *rm);

void ringmap_free(struct ringmap *rm);

/* Calls fn(ctx, entry) for each live entry as it leaves the map, from now on. */
void ringmap_set_drop(struct ringmap *rm, ringmap_drop_fn fn, void *ctx);

/* Adds or replaces the entry for key. Returns 1 if a live older entry had to be dropped to make
 * room, 0 if not, -1 if memory ran out (nothing stored). */
int ringmap_put(struct ringmap *rm, struct id_key key, uint64_t value, int64_t time);

/* The live entry for key, or NULL. The pointer is valid until the next put. */
const struct ringmap_entry *ringmap_get(const struct ringmap *rm, struct id_key key);

/* The same, writable: the caller may change its value (not its key or time). */
struct ringmap_entry *ringmap_get_mut(struct ringmap *rm, struct id_key key);

/* Deletes the entry for key, if any. */
void ringmap_del(struct ringmap *rm, struct id_key key);

/* Drops oldest entries while their time is before `before`. Entries are expected to be put in
 * time order (true for the linger list); an out-of-order entry stops the sweep early. */
void ringmap_expire(struct ringmap *rm, int64_t before);

/* The oldest live entry (holes before it are dropped), or NULL when empty. Valid until the next
 * change. */
const struct ringmap_entry *ringmap_oldest(struct ringmap *rm);

/* Removes the oldest live entry, if any. */
void ringmap_pop_oldest(struct ringmap *rm);

/* Bytes allocated. */
size_t ringmap_memory(const struct ringmap *rm);

#endif
