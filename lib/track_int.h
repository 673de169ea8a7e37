/* The tracker's insides, shared by the files behind track.h: track.c applies the DESIGN rules
 * (which lines create, update and end a connection, and what its record says) and
 * track_state.c saves and restores open connections. The connections themselves live in the
 * pool (connpool.h). Not for other modules. */
#ifndef ESATLS_TRACK_INT_H
#define ESATLS_TRACK_INT_H

#include <stdint.h>

#include "connpool.h"
#include "idindex.h"
#include "rcptdomain.h"
#include "ringmap.h"
#include "track.h"

/* Per-connection flags (struct conn's flags): facts that, once learnt, stay. Their values are
 * those of the saved state's flags (lib/state.h), where 0x0004 and 0x0008 carry the TLS state
 * (track_state.c). */
#define F_OPEN_SEEN 0x0002 /* its "New SMTP ICID|DCID" line was seen */
#define F_TLS_REQUIRED 0x0010
#define F_RDNS_KNOWN 0x0020
#define F_RDNS_VERIFIED 0x0040
#define F_FAIL_MARK 0x0080  /* outbound: fail_from marks the first MID after the failure */
#define F_TIME_KNOWN 0x0100 /* first_wall/last_wall hold logged times */
#define F_ALERTED 0x0200    /* its alert went out early: the final record is for files only */
#define F_ALL                                                                                      \
	(F_OPEN_SEEN | F_TLS_REQUIRED | F_RDNS_KNOWN | F_RDNS_VERIFIED | F_FAIL_MARK |             \
	 F_TIME_KNOWN | F_ALERTED)

/* tls_error precedence (DESIGN.md): the "TLS failed:" text beats the STARTTLS sentence, which
 * beats the "TLS was required" sentence, whatever the order of the lines. */
enum err_rank { RANK_NONE, RANK_REQUIRED, RANK_STARTTLS, RANK_FAILED_TEXT };

struct tracker {
	struct track_config cfg;
	track_verdict_fn emit;
	void *emit_arg;
	track_source_name_fn source_name;
	const void *source_name_arg;

	struct connpool pool;
	struct id_index index;
	struct ringmap linger;     /* ended IDs; value unused, time = clock at the end */
	struct ringmap mid_links;  /* (source, mid) -> ICID */
	struct ringmap alerts;     /* failed connections awaiting their early alert; time = due */
	struct rcpt_domains rcpts; /* (source, mid, rid) -> recipient domain */
	struct msgtrack *msgs;     /* NULL: message records off */

	int64_t base; /* clock value that relative times count from */
	int64_t last_now;
	int have_base;
	struct track_counters count;
};

static inline struct id_key track_key(uint32_t source, enum esa_dir dir, uint64_t id)
{
	struct id_key k = {id, source, (uint32_t)dir};
	return k;
}

/* `now` as seconds since the tracker's base (clamped to 32 bits); the first call sets the
 * base. */
static inline uint32_t track_rel_time(struct tracker *t, int64_t now)
{
	if (!t->have_base) {
		/* Centre the 32-bit range on the first clock value, so that a replay clock that
		 * steps back (lines before the first timestamp used the wall clock) still fits. */
		t->base = now - (int64_t)INT32_MAX;
		t->have_base = 1;
	}
	t->last_now = now;
	int64_t r = now - t->base;
	if (r < 0)
		return 0;
	return r > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* A new connection for key, born at relative time rel, evicting the least recently active one
 * when full. CONN_NIL if memory ran out (counted). */
uint32_t track_conn_create(struct tracker *t, struct id_key key, uint32_t rel, int64_t now);

#endif
