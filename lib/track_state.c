/* Saving and restoring the tracker's open connections (track.h, "state that outlives the
 * process"): a connection to and from struct track_conn_state, and the checks that a saved one,
 * read from a file, could be held. */
#include <stdlib.h>
#include <string.h>

#include "track_int.h"

/* Saved flags: the F_* flags of track_int.h, and the TLS state as two bits (either, neither or
 * both), at the values the flags had before the state was an enum. */
#define SAVED_TLS_OK 0x0004
#define SAVED_TLS_FAIL 0x0008
#define F_SAVED_MASK (F_ALL | SAVED_TLS_OK | SAVED_TLS_FAIL)

static uint16_t saved_tls_bits(const struct conn *c)
{
	return (uint16_t)((conn_tls_succeeded(c) ? SAVED_TLS_OK : 0) |
	                  (conn_tls_failed(c) ? SAVED_TLS_FAIL : 0));
}

static enum conn_state saved_tls_state(uint16_t flags)
{
	static const enum conn_state by_bits[4] = {CONN_NO_TLS_YET, CONN_TLS_OK, CONN_TLS_FAILED,
	                                           CONN_TLS_OK_AND_FAILED};
	return by_bits[((flags & SAVED_TLS_OK) ? 1 : 0) | ((flags & SAVED_TLS_FAIL) ? 2 : 0)];
}

/* Saved times come from a file: compared before subtracting, so none can overflow. */
static uint32_t rel_of(const struct tracker *t, int64_t when)
{
	if (when <= t->base)
		return 0;
	uint64_t r = (uint64_t)when - (uint64_t)t->base;
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* Clock seconds a saved connection may carry: far wider than any real clock, narrow enough
 * that arithmetic on them cannot overflow. */
#define SAVED_TIME_MAX ((int64_t)1 << 40)
/* Offsets are written as +hh:mm. Logged times are not bounded by year: in replay each
 * year-less line takes the year nearest the line before, so a log can walk past 9999. */
#define OFFSET_MAX (24 * 60 - 1)

static int saved_time_valid(int64_t t)
{
	return t >= -SAVED_TIME_MAX && t <= SAVED_TIME_MAX;
}

static int saved_logtime_valid(int64_t wall, int16_t offset)
{
	return saved_time_valid(wall) &&
	       (offset == LOGTIME_NO_OFFSET || (offset >= -OFFSET_MAX && offset <= OFFSET_MAX));
}

static int pending_end_valid(uint8_t end)
{
	return end == 0 || end == VERDICT_END_LOST || end == VERDICT_END_DISCONNECTED;
}

int track_conn_state_check(const struct track_conn_state *s)
{
	if (s->id == 0 || (s->dir != ESA_DIR_IN && s->dir != ESA_DIR_OUT))
		return -1;
	if ((s->flags & ~F_SAVED_MASK) != 0 || !pending_end_valid(s->pending_end) ||
	    s->err_rank > RANK_FAILED_TEXT)
		return -1;
	if (!saved_time_valid(s->born) || !saved_time_valid(s->touched) ||
	    (s->alert_due != TRACK_NO_ALERT && !saved_time_valid(s->alert_due)) ||
	    !saved_logtime_valid(s->first_wall, s->first_off) ||
	    !saved_logtime_valid(s->last_wall, s->last_off))
		return -1;
	if (s->n_mids > VERDICT_MIDS_MAX || s->n_mids > s->mids_total ||
	    s->fail_total > s->mids_total || (s->n_mids > 0 && s->mids == NULL))
		return -1;
	if (s->mid_overflow != 0 && s->n_mids < VERDICT_MIDS_MAX)
		return -1;
	for (uint32_t i = 0; i < s->n_mids; i++)
		if (s->mids[i] == 0)
			return -1;
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		if (span_present(s->str[f]) && s->str[f].len > VERDICT_FIELD_MAX)
			return -1;
	return 0;
}

static void conn_to_state(const struct tracker *t, const struct conn *c, struct track_conn_state *s)
{
	memset(s, 0, sizeof(*s));
	s->id = c->id;
	s->source = c->source;
	s->host = span_make("", 0);
	s->dir = c->dir;
	s->pending_end = c->pending_end;
	s->err_rank = c->err_rank;
	s->flags = (uint16_t)(c->flags | saved_tls_bits(c));
	s->peer_port = c->peer_port;
	s->born = t->base + c->born;
	s->touched = t->base + c->touched;
	const struct ringmap_entry *alert =
	    ringmap_get(&t->alerts, track_key(c->source, (enum esa_dir)c->dir, c->id));
	s->alert_due = alert ? alert->time : TRACK_NO_ALERT;
	s->first_wall = c->first_wall;
	s->last_wall = c->last_wall;
	s->first_off = c->first_off;
	s->last_off = c->last_off;
	s->lines = c->lines;
	s->mids_total = c->mids_total;
	s->fail_total = c->fail_total;
	conn_strs(c, s->str);
	s->mids = c->mids;
	s->n_mids = c->n_mids;
	if (c->n_mids == VERDICT_MIDS_MAX && c->cap_mids > VERDICT_MIDS_MAX)
		s->mid_overflow = c->mids[VERDICT_MIDS_MAX];
}

int track_export(const struct tracker *t, track_conn_state_fn fn, void *arg)
{
	for (uint32_t i = t->pool.age.tail; i != CONN_NIL;) {
		const struct conn *c = connpool_at(&t->pool, i);
		struct track_conn_state s;
		conn_to_state(t, c, &s);
		int r = fn(&s, arg);
		if (r != 0)
			return r;
		i = c->age_prev;
	}
	return 0;
}

int track_import(struct tracker *t, const struct track_conn_state *s, int64_t now)
{
	track_rel_time(t, now);
	struct id_key key = track_key(s->source, (enum esa_dir)s->dir, s->id);
	if (track_conn_state_check(s) != 0 || id_index_find(&t->index, key) != ID_INDEX_NONE)
		return -1;
	uint32_t i = track_conn_create(t, key, rel_of(t, s->born), now);
	if (i == CONN_NIL)
		return -1;
	t->count.connections--;
	struct conn *c = connpool_at(&t->pool, i);
	c->touched = rel_of(t, s->touched);
	c->flags = s->flags & F_ALL;
	conn_set_state(c, saved_tls_state(s->flags));
	c->pending_end = s->pending_end;
	c->err_rank = s->err_rank;
	c->peer_port = s->peer_port;
	c->first_wall = s->first_wall;
	c->last_wall = s->last_wall;
	c->first_off = s->first_off;
	c->last_off = s->last_off;
	c->lines = s->lines;
	c->mids_total = s->mids_total;
	c->fail_total = s->fail_total;
	/* Out of memory, it is kept with what fitted: its record lacks those fields. */
	if (connpool_restore_strs(&t->pool, c, s->str) != 0 ||
	    connpool_restore_mids(&t->pool, c, s->mids, s->n_mids, s->mid_overflow) != 0)
		t->count.alloc_failures++;
	if (s->alert_due != TRACK_NO_ALERT && !(c->flags & F_ALERTED) &&
	    ringmap_put(&t->alerts, key, 0, s->alert_due) != 0)
		t->count.alerts_unscheduled++;
	t->count.restored++;
	return 0;
}

static int alert_due_cmp(const void *a, const void *b)
{
	const struct ringmap_entry *x = a, *y = b;
	return (x->time > y->time) - (x->time < y->time);
}

/* Imported alerts went in by connection age; sending stops at the first one not yet due, so
 * they are put back in the order they fall due. */
static void track_sort_alerts(struct tracker *t)
{
	uint32_t n = t->alerts.live;
	if (n < 2)
		return;
	struct ringmap_entry *due = malloc((size_t)n * sizeof(*due));
	if (due == NULL)
		return; /* an alert may then wait behind an earlier one: late, never lost */
	uint32_t k = 0;
	const struct ringmap_entry *e;
	while (k < n && (e = ringmap_oldest(&t->alerts)) != NULL) {
		due[k++] = *e;
		ringmap_pop_oldest(&t->alerts);
	}
	qsort(due, k, sizeof(*due), alert_due_cmp);
	for (uint32_t i = 0; i < k; i++) {
		struct id_key key = {due[i].id, due[i].source, due[i].kind};
		ringmap_put(&t->alerts, key, due[i].value, due[i].time);
	}
	free(due);
}

void track_import_done(struct tracker *t)
{
	track_sort_alerts(t);
	connpool_sort_lru(&t->pool);
}
