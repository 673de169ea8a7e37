/* Message pool: the message tracker's records and the order they were put in. Records live in
 * chunks that never move, so a 32-bit number names one; free ones are chained on a free list.
 * An index finds a record by (source, MID) from the record itself, and a ring of record
 * numbers keeps the order records were put (or put again) in, with the bounded first-in
 * first-out rules of ringmap.h: deleting leaves a hole, a full ring squeezes the holes out when
 * they are a quarter of it, else pushes its oldest record out. A lookup thus reads one index
 * slot and the record, and putting a record again moves four bytes, not a hashed entry. Pure;
 * what a record means is msgtrack.c's. For the message tracker only (lib/msgtrack.c). */
#ifndef ESATLS_MSGPOOL_H
#define ESATLS_MSGPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "idindex.h"
#include "logtime.h"

#define MSG_NIL UINT32_MAX
#define MSG_CHUNK_SHIFT 10
#define MSG_CHUNK_SIZE (1u << MSG_CHUNK_SHIFT)

struct msg_del {
	uint64_t dcid;
	uint64_t rids;
	uint8_t verdict; /* enum verdict_kind or MSG_VERDICT_PENDING */
	uint8_t outcome;
	uint8_t after_failure;
	uint8_t domain_len; /* 0 with domain NULL: none */
	char *domain;
};

/* One followed message: two cache lines, the first holding what finding it, timing it out and
 * most lines read. */
struct msg {
	uint64_t mid;
	uint32_t source;
	uint32_t pos;               /* its slot in the ring; the free list's link while free */
	int64_t news;               /* clock time of its latest news */
	int64_t put;                /* clock time it was last put in the ring */
	uint64_t icid;              /* 0: none yet */
	uint64_t rcpts, rcpts_done; /* bit r: RID r named by a To: line / delivered or bounced */
	uint32_t del_total;
	uint8_t in_verdict; /* enum verdict_kind or MSG_VERDICT_PENDING */
	uint8_t end;        /* enum message_end once finished, else MSG_NO_END */
	uint8_t n_del, cap_del;

	uint64_t parent;               /* the MID this one was split or rewritten from */
	int64_t first_wall, last_wall; /* its first and latest line (struct logtime, unpacked) */
	int16_t first_off, last_off;
	uint8_t first_valid, last_valid;
	union {
		struct msg_del one;   /* cap_del 1: most messages have one delivery */
		struct msg_del *more; /* cap_del > 1: all of them, on the heap */
	} del;
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct msg) == 128, "a message is two cache lines");

/* m's deliveries (n_del of them, room for cap_del). */
static inline struct msg_del *msg_dels(const struct msg *m)
{
	return m->cap_del > 1 ? m->del.more : (struct msg_del *)&m->del.one;
}

struct msgpool {
	struct msg **chunk; /* records in chunks of MSG_CHUNK_SIZE, never moved */
	uint32_t n_chunks, cap_chunks;
	uint32_t free_head; /* records given back, chained through pos */
	uint32_t bump;      /* records below this were handed out at least once */
	uint32_t *ring;     /* record numbers in the order put; MSG_NIL: a hole */
	uint32_t size;      /* allocated ring slots (grows up to limit) */
	uint32_t limit;
	uint32_t tail; /* oldest slot */
	uint32_t len;  /* slots between tail and the write position, holes included */
	uint32_t live; /* records in the ring */
	size_t heap_bytes;
	struct id_index index; /* (source, MID) -> record number */
};

/* An empty pool whose ring holds at most limit (>= 1) records. Allocates nothing yet. */
void msgpool_init(struct msgpool *p, uint32_t limit);

/* Frees every record and what the records hold. */
void msgpool_free(struct msgpool *p);

static inline struct msg *msgpool_at(const struct msgpool *p, uint32_t i)
{
	return &p->chunk[i >> MSG_CHUNK_SHIFT][i & (MSG_CHUNK_SIZE - 1)];
}

/* The record of (source, mid), or MSG_NIL. */
uint32_t msgpool_find(const struct msgpool *p, uint32_t source, uint64_t mid);

/* Starts loading what msgpool_find(source, mid) will read first (a hint). */
void msgpool_prefetch(const struct msgpool *p, uint32_t source, uint64_t mid);

/* Starts loading the record msgpool_find(source, mid) will most likely return (a hint; best
 * some time after msgpool_prefetch, when the index slot has come) and returns its number, or
 * MSG_NIL: a guess for msgpool_find_guessed. */
uint32_t msgpool_prefetch_record(const struct msgpool *p, uint32_t source, uint64_t mid);

/* msgpool_find, without a second look in the index when `guess` (from msgpool_prefetch_record,
 * however much the pool changed since) names the record of (source, mid). */
uint32_t msgpool_find_guessed(const struct msgpool *p, uint32_t source, uint64_t mid,
                              uint32_t guess);

/* Starts loading the record `ahead` places past the oldest in the ring, and the index slot of
 * the one ahead / 2 places past it (hints), for a sweep that goes through them in order: called
 * once per record, each is loaded before the sweep reaches it. */
void msgpool_prefetch_ring(const struct msgpool *p, uint32_t ahead);

/* A zeroed record for (source, mid), which must not be in the pool, found by msgpool_find from
 * now on but in no place in the ring yet; MSG_NIL if memory ran out. */
uint32_t msgpool_take(struct msgpool *p, uint32_t source, uint64_t mid);

/* Frees what record i holds, takes it out of the ring and the index, and puts it back on the
 * free list. */
void msgpool_give_back(struct msgpool *p, uint32_t i);

/* Puts record i at the back of the ring, stamped `time`; a place it had becomes a hole. When the
 * ring is full, its oldest record is taken out of the ring for room and returned in *pushed
 * (still in the pool: the caller gives it back), else *pushed is MSG_NIL. Returns 0, or -1 if
 * memory ran out (i is then in no place in the ring). */
int msgpool_put(struct msgpool *p, uint32_t i, int64_t time, uint32_t *pushed);

/* The oldest record in the ring (holes before it are dropped), or MSG_NIL when empty. */
uint32_t msgpool_oldest(struct msgpool *p);

/* Calls fn for every record in the ring, oldest first; stops early when fn returns non-zero and
 * returns that. */
typedef int (*msgpool_fn)(const struct msg *m, void *arg);
int msgpool_each(const struct msgpool *p, msgpool_fn fn, void *arg);

/* Makes room for one more delivery in m, whose deliveries are full (the first is inside the
 * record). Returns 0, or -1 if memory ran out. */
int msgpool_grow_deliveries(struct msgpool *p, struct msg *m);

/* Gives delivery d of m a copy of the domain (at most 254 bytes kept); none if memory ran out. */
void msgpool_set_domain(struct msgpool *p, struct msg_del *d, const char *domain, size_t len);

/* Bytes held on the heap (records, ring, index, deliveries and their domains). */
size_t msgpool_memory(const struct msgpool *p);

#endif
