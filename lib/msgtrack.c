/* The message tracker (msgtrack.h). Messages live in a pool (msgpool.h) that finds one by
 * (source, MID) and keeps them in the order they were put. News only stamps the message
 * (putting it again on every line would cost a move per line); the time-out sweep moves a
 * message that had news since it was put to the back, so a message is written between
 * message_timeout and twice that after its latest news, and a full table evicts the message put
 * longest ago. */
#include <stdlib.h>
#include <string.h>

#include "msgpool.h"
#include "msgtrack.h"

#define VERDICT_PENDING MSG_VERDICT_PENDING /* a part whose connection is still open */
#define NO_END MSG_NO_END

struct msgtrack {
	struct msgtrack_config cfg;
	msgtrack_emit_fn emit;
	void *emit_arg;
	msgtrack_name_fn name;
	const void *name_arg;
	struct msgpool pool;  /* followed messages; ring time = when put */
	struct ringmap ended; /* written MIDs; time = when */
	int64_t last_now;
	uint32_t guess; /* the record msgtrack_prefetch_message found likely, or MSG_NIL */
	struct msgtrack_counters count;
};

static struct id_key msg_key(uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	return k;
}

/* A part still waiting for its connection counts as unknown once the message is written. */
static enum verdict_kind settled(uint8_t v)
{
	return v == VERDICT_PENDING ? VERDICT_UNKNOWN : (enum verdict_kind)v;
}

static void msg_write(struct msgtrack *mt, const struct msg *m, enum message_end end)
{
	struct message_delivery del[MESSAGE_DELIVERIES_MAX];
	struct message_record r;
	memset(&r, 0, sizeof(r));
	r.host = mt->name ? mt->name(mt->name_arg, m->source) : span_none();
	r.mid = m->mid;
	r.icid = m->icid;
	r.in_verdict = settled(m->in_verdict);
	for (unsigned i = 0; i < m->n_del; i++) {
		const struct msg_del *d = &msg_dels(m)[i];
		del[i].dcid = d->dcid;
		del[i].rids = d->rids;
		del[i].verdict = settled(d->verdict);
		del[i].outcome = (enum delivery_outcome)d->outcome;
		del[i].after_failure = d->after_failure;
		del[i].peer_domain = d->domain ? span_make(d->domain, d->domain_len) : span_none();
	}
	r.deliveries = del;
	r.n_deliveries = m->n_del;
	r.deliveries_total = m->del_total;
	r.end = m->end != NO_END ? (enum message_end)m->end : end;
	r.first_seen = (struct logtime){m->first_wall, m->first_off, m->first_valid};
	r.last_seen = (struct logtime){m->last_wall, m->last_off, m->last_valid};
	mt->count.ends[r.end]++;
	mt->count.e2e[message_end_to_end(&r)]++;
	if (mt->emit)
		mt->emit(&r, mt->emit_arg);
}

/* Writes message i as `end` and forgets it. */
static void msg_write_out(struct msgtrack *mt, uint32_t i, enum message_end end)
{
	msg_write(mt, msgpool_at(&mt->pool, i), end);
	msgpool_give_back(&mt->pool, i);
}

struct msgtrack *msgtrack_new(const struct msgtrack_config *cfg, msgtrack_emit_fn emit, void *arg)
{
	struct msgtrack *mt = calloc(1, sizeof(*mt));
	if (mt == NULL)
		return NULL;
	mt->cfg = *cfg;
	mt->emit = emit;
	mt->emit_arg = arg;
	mt->guess = MSG_NIL;
	msgpool_init(&mt->pool, cfg->max_messages);
	ringmap_init(&mt->ended, cfg->max_messages);
	/* A written MID leaves a linger later, when the entries after it in the index are cold:
	 * removing it then moves them without reading their keys. */
	ringmap_keep_distances(&mt->ended);
	return mt;
}

void msgtrack_free(struct msgtrack *mt)
{
	if (mt == NULL)
		return;
	msgpool_free(&mt->pool);
	ringmap_free(&mt->ended);
	free(mt);
}

void msgtrack_reconfigure(struct msgtrack *mt, const struct msgtrack_config *cfg)
{
	mt->cfg.idle_timeout = cfg->idle_timeout;
	mt->cfg.linger = cfg->linger;
}

void msgtrack_set_source_names(struct msgtrack *mt, msgtrack_name_fn name, const void *arg)
{
	mt->name = name;
	mt->name_arg = arg;
}

/* Puts message i in the ring at `time`. The message a full table pushes out for room is written
 * as evicted; when memory ran out, i itself is (it is in no place any more). Returns 0 or -1. */
static int msg_put(struct msgtrack *mt, uint32_t i, int64_t time)
{
	uint32_t pushed;
	int r = msgpool_put(&mt->pool, i, time, &pushed);
	if (pushed != MSG_NIL)
		msg_write_out(mt, pushed, MESSAGE_END_EVICTED);
	if (r < 0)
		mt->count.alloc_failures++;
	return r;
}

static struct msg *msg_find(const struct msgtrack *mt, uint32_t source, uint64_t mid)
{
	uint32_t i = msgpool_find(&mt->pool, source, mid);
	return i == MSG_NIL ? NULL : msgpool_at(&mt->pool, i);
}

static uint32_t msg_create(struct msgtrack *mt, uint32_t source, uint64_t mid, int64_t now)
{
	uint32_t i = msgpool_take(&mt->pool, source, mid);
	if (i == MSG_NIL) {
		mt->count.alloc_failures++;
		return MSG_NIL;
	}
	struct msg *m = msgpool_at(&mt->pool, i);
	m->in_verdict = VERDICT_UNKNOWN;
	m->end = NO_END;
	m->news = now;
	if (msg_put(mt, i, now) != 0) {
		msgpool_give_back(&mt->pool, i);
		return MSG_NIL;
	}
	mt->count.messages++;
	return i;
}

static uint8_t conn_part(const struct msg_conn *c)
{
	switch (c->state) {
	case MSG_CONN_OPEN:
		return VERDICT_PENDING;
	case MSG_CONN_ENDED:
		return (uint8_t)c->verdict;
	case MSG_CONN_NONE:
		break;
	}
	return VERDICT_UNKNOWN;
}

/* How a line names a delivery: whether its connection lists the MID (and so tells the message
 * its end), and whether the message went out on it. */
enum delivery_line {
	DELIVERY_LINE_CARRIED, /* Delivery start, Message done: listed and sent */
	DELIVERY_LINE_SENT,    /* Possible Delivery: sent, not listed */
	DELIVERY_LINE_NOT_SENT /* Delayed, Bounced (also logged by a connection that failed before
	                        * the transaction): neither */
};

/* The delivery over dcid, added if new (NULL past MESSAGE_DELIVERIES_MAX: counted). */
static struct msg_del *msg_delivery(struct msgtrack *mt, struct msg *m, uint64_t dcid,
                                    const struct msg_conn *c, enum delivery_line line)
{
	for (unsigned i = m->n_del; i-- > 0;)
		if (msg_dels(m)[i].dcid == dcid)
			return &msg_dels(m)[i];
	m->del_total++;
	if (m->n_del >= MESSAGE_DELIVERIES_MAX) {
		mt->count.deliveries_capped++;
		return NULL;
	}
	if (m->n_del == m->cap_del && msgpool_grow_deliveries(&mt->pool, m) != 0) {
		mt->count.alloc_failures++;
		return NULL;
	}
	struct msg_del *d = &msg_dels(m)[m->n_del++];
	memset(d, 0, sizeof(*d));
	d->dcid = dcid;
	/* An outcome line's connection lists no MID for it and will not tell its end: when its TLS
	 * already failed (final), the verdict is taken now. */
	d->verdict = line != DELIVERY_LINE_CARRIED && c->state == MSG_CONN_OPEN && c->after_failure
	                 ? VERDICT_TLS_FAILED
	                 : conn_part(c);
	d->outcome = DELIVERY_PENDING;
	d->after_failure =
	    line != DELIVERY_LINE_NOT_SENT && c->state == MSG_CONN_OPEN && c->after_failure;
	if (span_present(c->peer_domain))
		msgpool_set_domain(&mt->pool, d, c->peer_domain.p, c->peer_domain.len);
	return d;
}

/* Whether the inbound part waits for a connection; a copy asks its parent. */
static int msg_in_pending(const struct msgtrack *mt, struct msg *m)
{
	if (m->in_verdict == VERDICT_PENDING && m->parent != 0) {
		const struct msg *p = msg_find(mt, m->source, m->parent);
		if (p == NULL || p->in_verdict != VERDICT_PENDING)
			m->in_verdict = p ? p->in_verdict : VERDICT_UNKNOWN;
	}
	return m->in_verdict == VERDICT_PENDING;
}

static int msg_ready(const struct msgtrack *mt, struct msg *m)
{
	if (m->end == NO_END || msg_in_pending(mt, m))
		return 0;
	for (unsigned i = 0; i < m->n_del; i++)
		if (msg_dels(m)[i].verdict == VERDICT_PENDING)
			return 0;
	return 1;
}

/* Writes message i if it is finished and complete, else notes the news. */
static void msg_settle(struct msgtrack *mt, uint32_t i, int64_t now)
{
	struct msg *m = msgpool_at(&mt->pool, i);
	if (!msg_ready(mt, m)) {
		if (now > m->news)
			m->news = now;
		return;
	}
	struct id_key k = msg_key(m->source, m->mid);
	msg_write_out(mt, i, (enum message_end)m->end);
	ringmap_put(&mt->ended, k, 0, now);
}

static void msg_apply(struct msgtrack *mt, struct msg *m, const struct esa_event *ev,
                      const struct msg_conn *c)
{
	struct msg_del *d;
	uint64_t rids = ev->kind == ESA_MSG_LINK ? 0 : esa_rid_mask(ev->rids);
	switch (ev->kind) {
	case ESA_MSG_LINK:
		if (m->icid == 0 && ev->conn_id != 0) {
			m->icid = ev->conn_id;
			m->in_verdict = conn_part(c);
		}
		if (span_present(ev->rcpt_domain) && ev->rid < 64)
			m->rcpts |= (uint64_t)1 << ev->rid;
		break;
	case ESA_DELIVERY_START:
		if ((d = msg_delivery(mt, m, ev->conn_id, c, DELIVERY_LINE_CARRIED)) != NULL)
			d->rids |= rids;
		break;
	case ESA_DELIVERY_DONE:
		if ((d = msg_delivery(mt, m, ev->conn_id, c, DELIVERY_LINE_CARRIED)) != NULL) {
			d->rids |= rids;
			d->outcome = DELIVERY_DELIVERED;
		}
		m->rcpts_done |= rids;
		break;
	case ESA_MSG_OUTCOME:
		/* "Bounced: DCID 0" is a bounce without a connection: no delivery attempt. */
		d = ev->conn_id == 0 ? NULL
		                     : msg_delivery(mt, m, ev->conn_id, c,
		                                    ev->outcome == ESA_OUTCOME_POSSIBLE
		                                        ? DELIVERY_LINE_SENT
		                                        : DELIVERY_LINE_NOT_SENT);
		if (ev->outcome == ESA_OUTCOME_BOUNCED) {
			m->rcpts_done |= rids;
			if (d != NULL)
				d->outcome = DELIVERY_BOUNCED;
		} else if (d != NULL && d->outcome == DELIVERY_PENDING) {
			d->outcome = ev->outcome == ESA_OUTCOME_DELAYED ? DELIVERY_DELAYED
			                                                : DELIVERY_DELIVERED;
		}
		if (d != NULL)
			d->rids |= rids;
		break;
	case ESA_MSG_FINISHED:
		m->end = ev->finished_ok ? MESSAGE_END_DONE : MESSAGE_END_ABORTED;
		break;
	default:
		break;
	}
	if (m->end == NO_END && m->rcpts != 0 && (m->rcpts & ~m->rcpts_done) == 0)
		m->end = MESSAGE_END_RECIPIENTS;
}

static void msg_note_time(struct msg *m, const struct logtime *when)
{
	if (when == NULL || !when->valid)
		return;
	if (!m->first_valid) {
		m->first_wall = when->wall;
		m->first_off = when->offset;
		m->first_valid = 1;
	}
	m->last_wall = when->wall;
	m->last_off = when->offset;
	m->last_valid = 1;
}

/* The message of (source, mid), created unless it was written within linger (a late line). */
static uint32_t msg_get(struct msgtrack *mt, uint32_t source, uint64_t mid, int64_t now)
{
	uint32_t i = msgpool_find_guessed(&mt->pool, source, mid, mt->guess);
	if (i != MSG_NIL)
		return i;
	const struct ringmap_entry *e = ringmap_get(&mt->ended, msg_key(source, mid));
	if (e != NULL && now >= e->time && now - e->time < mt->cfg.linger) {
		mt->count.late_lines++;
		return MSG_NIL;
	}
	return msg_create(mt, source, mid, now);
}

void msgtrack_prefetch(const struct msgtrack *mt, uint32_t source, uint64_t mid)
{
	msgpool_prefetch(&mt->pool, source, mid);
}

void msgtrack_prefetch_message(struct msgtrack *mt, uint32_t source, uint64_t mid)
{
	mt->guess = msgpool_prefetch_record(&mt->pool, source, mid);
}

void msgtrack_event(struct msgtrack *mt, uint32_t source, const struct esa_event *ev,
                    const struct msg_conn *conn, const struct logtime *when, int64_t now)
{
	uint32_t i;
	mt->last_now = now;
	switch (ev->kind) {
	case ESA_MSG_LINK:
	case ESA_DELIVERY_START:
	case ESA_DELIVERY_DONE:
	case ESA_MSG_OUTCOME:
	case ESA_MSG_FINISHED:
		break;
	case ESA_MSG_RELATE: {
		/* A split or rewritten copy travels on under the parent's inbound connection. */
		const struct msg *p = msg_find(mt, source, ev->mid);
		if (ev->mid2 == 0 || p == NULL)
			return;
		/* Copied first: making room for the copy may evict (and free) the parent. */
		uint64_t icid = p->icid;
		uint8_t in = p->in_verdict;
		if ((i = msg_get(mt, source, ev->mid2, now)) == MSG_NIL)
			return;
		struct msg *m = msgpool_at(&mt->pool, i);
		if (m->icid == 0) {
			m->icid = icid;
			m->in_verdict = in;
			m->parent = ev->mid;
		}
		msg_note_time(m, when);
		msg_settle(mt, i, now);
		return;
	}
	default:
		return;
	}
	if (ev->mid == 0 || (i = msg_get(mt, source, ev->mid, now)) == MSG_NIL)
		return;
	struct msg *m = msgpool_at(&mt->pool, i);
	msg_note_time(m, when);
	msg_apply(mt, m, ev, conn);
	msg_settle(mt, i, now);
}

/* Message `mid` learns the verdict of its connection (source, dir, id), if it waits for it. */
static void msg_learn_verdict(struct msgtrack *mt, uint32_t source, enum esa_dir dir, uint64_t id,
                              uint64_t mid, uint32_t guess, enum verdict_kind kind, int64_t now)
{
	uint32_t i = msgpool_find_guessed(&mt->pool, source, mid, guess);
	int changed = 0;
	if (i == MSG_NIL)
		return;
	struct msg *m = msgpool_at(&mt->pool, i);
	if (dir == ESA_DIR_IN && m->icid == id && m->in_verdict == VERDICT_PENDING) {
		m->in_verdict = (uint8_t)kind;
		changed = 1;
	}
	for (unsigned j = 0; dir == ESA_DIR_OUT && j < m->n_del; j++)
		if (msg_dels(m)[j].dcid == id && msg_dels(m)[j].verdict == VERDICT_PENDING) {
			msg_dels(m)[j].verdict = (uint8_t)kind;
			changed = 1;
		}
	if (changed)
		msg_settle(mt, i, now);
}

/* The followed messages waiting for connection (source, dir, id), gathered before any is
 * settled (settling may write one out and move the others). */
struct waiting {
	uint32_t source;
	enum esa_dir dir;
	uint64_t id;
	uint64_t *mids;
	size_t n, cap;
	int failed;
};

static int msg_waits_for(const struct msg *m, const struct waiting *w)
{
	if (m->source != w->source)
		return 0;
	if (w->dir == ESA_DIR_IN)
		return m->icid == w->id && m->in_verdict == VERDICT_PENDING;
	for (unsigned j = 0; j < m->n_del; j++)
		if (msg_dels(m)[j].dcid == w->id && msg_dels(m)[j].verdict == VERDICT_PENDING)
			return 1;
	return 0;
}

static int gather_waiting(const struct msg *m, void *arg)
{
	struct waiting *w = arg;
	if (!msg_waits_for(m, w))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		uint64_t *mids = realloc(w->mids, cap * sizeof(*mids));
		if (mids == NULL) {
			w->failed = 1;
			return 1;
		}
		w->mids = mids;
		w->cap = cap;
	}
	w->mids[w->n++] = m->mid;
	return 0;
}

void msgtrack_conn_ended(struct msgtrack *mt, uint32_t source, enum esa_dir dir, uint64_t id,
                         const uint64_t *mids, size_t n_mids, uint64_t mids_total,
                         enum verdict_kind kind, int64_t now)
{
	uint32_t guess[64];
	for (size_t k0 = 0; k0 < n_mids; k0 += 64) {
		size_t n = n_mids - k0 < 64 ? n_mids - k0 : 64;
		/* Their loads overlap (msgtrack_prefetch came first). */
		for (size_t k = 0; k < n; k++)
			guess[k] = msgpool_prefetch_record(&mt->pool, source, mids[k0 + k]);
		for (size_t k = 0; k < n; k++)
			msg_learn_verdict(mt, source, dir, id, mids[k0 + k], guess[k], kind, now);
	}
	if (mids_total <= n_mids)
		return;
	/* Past the listed MIDs: a walk of the table, rare (a connection of more than 64). */
	struct waiting w = {source, dir, id, NULL, 0, 0, 0};
	msgpool_each(&mt->pool, gather_waiting, &w);
	if (w.failed)
		mt->count.alloc_failures++;
	for (size_t k = 0; k < w.n; k++)
		msg_learn_verdict(mt, source, dir, id, w.mids[k], MSG_NIL, kind, now);
	free(w.mids);
}

void msgtrack_expire(struct msgtrack *mt, int64_t now)
{
	uint32_t i;
	mt->last_now = now;
	while ((i = msgpool_oldest(&mt->pool)) != MSG_NIL &&
	       now - msgpool_at(&mt->pool, i)->put >= mt->cfg.idle_timeout) {
		struct msg *m = msgpool_at(&mt->pool, i);
		struct id_key k = msg_key(m->source, m->mid);
		msgpool_prefetch_ring(&mt->pool, 8); /* the sweep goes on through cold messages */
		if (now - m->news < mt->cfg.idle_timeout) {
			/* News since it was put: not due yet. Out of memory, it is written now. */
			if (msg_put(mt, i, m->news) != 0)
				msg_write_out(mt, i, MESSAGE_END_EVICTED);
			continue;
		}
		msg_write_out(mt, i, MESSAGE_END_IDLE);
		ringmap_put(&mt->ended, k, 0, now);
	}
	ringmap_expire(&mt->ended, now - mt->cfg.linger);
}

void msgtrack_flush(struct msgtrack *mt, enum message_end end)
{
	uint32_t i;
	while ((i = msgpool_oldest(&mt->pool)) != MSG_NIL)
		msg_write_out(mt, i, end);
}

/* ---- saving and restoring ---- */

static void msg_to_state(const struct msg *m, struct msg_state *s)
{
	memset(s, 0, sizeof(*s));
	s->mid = m->mid;
	s->icid = m->icid;
	s->parent = m->parent;
	s->source = m->source;
	s->host = span_make("", 0);
	s->news = m->news;
	s->in_verdict = m->in_verdict;
	s->end = m->end;
	s->del_total = m->del_total;
	s->rcpts = m->rcpts;
	s->rcpts_done = m->rcpts_done;
	s->first = (struct logtime){m->first_wall, m->first_off, m->first_valid};
	s->last = (struct logtime){m->last_wall, m->last_off, m->last_valid};
	s->n_del = m->n_del;
	for (unsigned i = 0; i < m->n_del; i++) {
		const struct msg_del *d = &msg_dels(m)[i];
		s->del[i] = (struct msg_state_delivery){
		    d->dcid,
		    d->rids,
		    d->verdict,
		    d->outcome,
		    d->after_failure,
		    d->domain ? span_make(d->domain, d->domain_len) : span_none()};
	}
}

struct export_ctx {
	msgtrack_state_fn fn;
	void *arg;
};

static int msg_export_cb(const struct msg *m, void *arg)
{
	const struct export_ctx *x = arg;
	struct msg_state s;
	msg_to_state(m, &s);
	return x->fn(&s, x->arg);
}

int msgtrack_export(const struct msgtrack *mt, msgtrack_state_fn fn, void *arg)
{
	struct export_ctx x = {fn, arg};
	return msgpool_each(&mt->pool, msg_export_cb, &x);
}

static int part_ok(uint8_t v)
{
	return v < VERDICT_KIND_COUNT || v == VERDICT_PENDING;
}

int msgtrack_state_check(const struct msg_state *s)
{
	if (s->mid == 0 || !part_ok(s->in_verdict) ||
	    (s->end != NO_END && s->end >= MESSAGE_END_COUNT) ||
	    s->n_del > MESSAGE_DELIVERIES_MAX || s->del_total < s->n_del)
		return -1;
	for (unsigned i = 0; i < s->n_del; i++)
		if (!part_ok(s->del[i].verdict) || s->del[i].outcome >= DELIVERY_OUTCOME_COUNT ||
		    s->del[i].after_failure > 1 || s->del[i].domain.len > 254)
			return -1;
	return 0;
}

int msgtrack_import(struct msgtrack *mt, const struct msg_state *s)
{
	if (msgtrack_state_check(s) != 0 || msg_find(mt, s->source, s->mid) != NULL)
		return -1;
	uint32_t mi = msg_create(mt, s->source, s->mid, s->news);
	if (mi == MSG_NIL)
		return -1;
	struct msg *m = msgpool_at(&mt->pool, mi);
	mt->count.messages--; /* followed before the restart: counted then */
	m->icid = s->icid;
	m->parent = s->parent;
	m->in_verdict = s->in_verdict;
	m->end = s->end;
	m->rcpts = s->rcpts;
	m->rcpts_done = s->rcpts_done;
	m->first_wall = s->first.wall;
	m->first_off = s->first.offset;
	m->first_valid = s->first.valid;
	m->last_wall = s->last.wall;
	m->last_off = s->last.offset;
	m->last_valid = s->last.valid;
	for (unsigned i = 0; i < s->n_del; i++) {
		const struct msg_state_delivery *sd = &s->del[i];
		struct msg_conn c = {MSG_CONN_NONE, VERDICT_UNKNOWN, 0, sd->domain};
		struct msg_del *d = msg_delivery(mt, m, sd->dcid, &c, DELIVERY_LINE_NOT_SENT);
		if (d == NULL)
			break;
		d->rids = sd->rids;
		d->verdict = sd->verdict;
		d->outcome = sd->outcome;
		d->after_failure = sd->after_failure;
	}
	m->del_total = s->del_total;
	return 0;
}

size_t msgtrack_open_count(const struct msgtrack *mt)
{
	return mt->pool.live;
}

const struct msgtrack_counters *msgtrack_counters(const struct msgtrack *mt)
{
	return &mt->count;
}

size_t msgtrack_memory(const struct msgtrack *mt)
{
	return msgpool_memory(&mt->pool) + ringmap_memory(&mt->ended);
}
