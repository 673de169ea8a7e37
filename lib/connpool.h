/* Connection pool: the tracker's connection records and what each one holds. Records live in
 * chunks that never move, so a 32-bit number names one; free ones are chained on a free list,
 * those in use on two lists (by latest activity for idle expiry and eviction, by creation for
 * lifetime and flushing). Each record owns its string fields and its MID list on the heap; the
 * pool counts those bytes and frees them in one place. Pure; the rules that decide what a log
 * line does to a connection are track.c's. For the tracker's files only (lib/track*.c). */
#ifndef ESATLS_CONNPOOL_H
#define ESATLS_CONNPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "track.h"
#include "verdict.h"

#define CONN_NIL UINT32_MAX
#define CONN_CHUNK_SHIFT 12
#define CONN_CHUNK_SIZE (1u << CONN_CHUNK_SHIFT)

/* Where a connection stands; only conn_set_state changes it. The open line is a flag, not a
 * state: a connection's TLS lines may come before its open line (DESIGN.md). */
enum conn_state {
	CONN_FREE,              /* a slot on the free list */
	CONN_NO_TLS_YET,        /* tracked, no TLS line yet */
	CONN_TLS_OK,            /* a TLS success line */
	CONN_TLS_FAILED,        /* TLS failed, required-but-missing, or STARTTLS not supported */
	CONN_TLS_OK_AND_FAILED, /* both, in either order: the failure decides the verdict */
};

/* One tracked connection. Kept small: a million of them must fit in 256 MB with their strings. */
struct conn {
	uint64_t id;
	int64_t first_wall, last_wall;
	char *blob; /* string fields: [field u8][len u8][bytes]... */
	uint64_t
	    *mids; /* VERDICT_MIDS_MAX + 1 slots at most; the extra one holds the last overflow */
	uint32_t source;
	uint32_t lru_prev, lru_next; /* by last activity, head = newest; free list: lru_next */
	uint32_t age_prev, age_next; /* by creation, head = newest */
	uint32_t lines;
	uint32_t born, touched; /* clock seconds relative to the tracker's base */
	uint32_t mids_total;
	int16_t first_off, last_off;
	uint16_t blob_len;
	uint16_t peer_port;
	uint16_t flags; /* the tracker's F_* bits */
	uint8_t dir;
	uint8_t pending_end; /* VERDICT_END_LOST or _DISCONNECTED once logged, else 0 */
	uint8_t n_mids, cap_mids;
	uint8_t err_rank;
	uint8_t state;       /* enum conn_state */
	uint32_t fail_total; /* outbound: mids_total when TLS first failed */
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct conn) <= 96,
               "a million connections and their strings must fit in 256 MB");

struct conn_list {
	uint32_t head, tail;
};

struct connpool {
	struct conn **chunk; /* records in chunks of CONN_CHUNK_SIZE, never moved */
	uint32_t n_chunks, cap_chunks;
	uint32_t free_head; /* records given back, chained through lru_next */
	uint32_t bump;      /* records below this were handed out at least once */
	uint32_t open;      /* records in use */
	size_t blob_bytes, mid_bytes;
	struct conn_list lru, age;
	struct track_counters *count; /* strings_truncated, mids_capped, alloc_failures */
};

/* An empty pool; its string and MID storage counts into *count. Allocates nothing yet. */
void connpool_init(struct connpool *p, struct track_counters *count);

/* Frees every record and what the records in use hold. */
void connpool_free(struct connpool *p);

static inline struct conn *connpool_at(const struct connpool *p, uint32_t i)
{
	return &p->chunk[i >> CONN_CHUNK_SHIFT][i & (CONN_CHUNK_SIZE - 1)];
}

/* A zeroed record in state CONN_NO_TLS_YET, on no list yet; CONN_NIL if memory ran out. */
uint32_t connpool_take(struct connpool *p);

/* Frees what record i holds and puts it back on the free list (CONN_FREE). It must be on no
 * list: connpool_unlink first if it was linked. */
void connpool_give_back(struct connpool *p, uint32_t i);

/* Puts record i at the head (newest) of both lists and counts it open. */
void connpool_link(struct connpool *p, uint32_t i);

/* Takes record i off both lists and counts it closed. */
void connpool_unlink(struct connpool *p, uint32_t i);

/* Puts records in use back on the activity list in the order of their `touched` time (ties:
 * older first), oldest at the tail. */
void connpool_sort_lru(struct connpool *p);

/* Bytes the pool holds on the heap (records, chunk table, strings and MIDs). */
size_t connpool_memory(const struct connpool *p);

/* ---- lists (inline: every log line moves its connection to the head) ---- */

static inline uint32_t *conn_link_prev(struct conn *c, int by_age)
{
	return by_age ? &c->age_prev : &c->lru_prev;
}

static inline uint32_t *conn_link_next(struct conn *c, int by_age)
{
	return by_age ? &c->age_next : &c->lru_next;
}

static inline void connpool_list_unlink(struct connpool *p, struct conn_list *l, uint32_t i,
                                        int by_age)
{
	struct conn *c = connpool_at(p, i);
	uint32_t prev = *conn_link_prev(c, by_age), next = *conn_link_next(c, by_age);
	if (prev != CONN_NIL)
		*conn_link_next(connpool_at(p, prev), by_age) = next;
	else
		l->head = next;
	if (next != CONN_NIL)
		*conn_link_prev(connpool_at(p, next), by_age) = prev;
	else
		l->tail = prev;
}

static inline void connpool_list_push_head(struct connpool *p, struct conn_list *l, uint32_t i,
                                           int by_age)
{
	struct conn *c = connpool_at(p, i);
	*conn_link_prev(c, by_age) = CONN_NIL;
	*conn_link_next(c, by_age) = l->head;
	if (l->head != CONN_NIL)
		*conn_link_prev(connpool_at(p, l->head), by_age) = i;
	else
		l->tail = i;
	l->head = i;
}

/* Record i was active: it becomes the newest on the activity list. */
static inline void connpool_touch(struct connpool *p, uint32_t i)
{
	connpool_list_unlink(p, &p->lru, i, 0);
	connpool_list_push_head(p, &p->lru, i, 0);
}

/* ---- state ---- */

static inline int conn_tls_succeeded(const struct conn *c)
{
	return c->state == CONN_TLS_OK || c->state == CONN_TLS_OK_AND_FAILED;
}

static inline int conn_tls_failed(const struct conn *c)
{
	return c->state == CONN_TLS_FAILED || c->state == CONN_TLS_OK_AND_FAILED;
}

/* The one place a connection's state changes. A slot is taken as CONN_NO_TLS_YET and given back
 * as CONN_FREE (a restored connection then goes straight to its saved state). TLS lines add to
 * what is known and take nothing back: a failure stays, and a success and a failure, in either
 * order, give CONN_TLS_OK_AND_FAILED. */
static inline void conn_set_state(struct conn *c, enum conn_state to)
{
	if ((to == CONN_TLS_OK && conn_tls_failed(c)) ||
	    (to == CONN_TLS_FAILED && conn_tls_succeeded(c)))
		to = CONN_TLS_OK_AND_FAILED;
	c->state = (uint8_t)to;
}

/* The state's name for debug output ("free", "no_tls_yet", ...); a static string. */
const char *conn_state_name(enum conn_state state);

/* ---- string fields ---- */

/* The value of c's field f, or span_none(). Valid until the field changes. */
struct span conn_str(const struct conn *c, enum verdict_str f);

/* Every field of c into str[VERDICT_STR_COUNT] (absent ones span_none()). */
void conn_strs(const struct conn *c, struct span *str);

/* One string field to set from an event. An existing value is kept unless replace. */
struct str_update {
	enum verdict_str field;
	struct span value;
	int replace;
};

/* Applies n updates of distinct fields to c with one allocation. Values are cut to
 * VERDICT_FIELD_MAX (counted); empty or absent ones change nothing. */
void connpool_set_strs(struct connpool *p, struct conn *c, struct str_update *u, size_t n);

/* The same for one field. */
void connpool_set_str(struct connpool *p, struct conn *c, enum verdict_str f, struct span v,
                      int replace);

/* Gives c (which holds no strings) the present, non-empty ones of str[VERDICT_STR_COUNT], each
 * at most VERDICT_FIELD_MAX bytes. 0, or -1 if memory ran out (c then holds none). */
int connpool_restore_strs(struct connpool *p, struct conn *c, const struct span *str);

/* ---- MIDs ---- */

/* Adds message mid to c's list unless it is 0 or already there; past VERDICT_MIDS_MAX it is
 * counted only. */
void connpool_add_mid(struct connpool *p, struct conn *c, uint64_t mid);

/* Gives c (which holds no MIDs) the n (<= VERDICT_MIDS_MAX) MIDs of mids and, when the list is
 * full, the newest one past it. 0, or -1 if memory ran out (c then holds none). */
int connpool_restore_mids(struct connpool *p, struct conn *c, const uint64_t *mids, uint32_t n,
                          uint64_t overflow);

#endif
