/* The message tracker (msgtrack.h). Messages live in a ringmap keyed by (source, MID) whose
 * value points at the message, in the order they were put. News only stamps the message
 * (putting it again on every line would cost a hash delete and insert per line); the time-out
 * sweep moves a message that had news since it was put to the back, so a message is written
 * between message_timeout and twice that after its latest news, and a full table evicts the
 * message put longest ago. */
#include <stdlib.h>
#include <string.h>

#include "msgtrack.h"

#define VERDICT_PENDING MSG_VERDICT_PENDING /* a part whose connection is still open */
#define NO_END MSG_NO_END

struct msg_del {
	uint64_t dcid;
	uint64_t rids;
	uint8_t verdict; /* enum verdict_kind or VERDICT_PENDING */
	uint8_t outcome;
	uint8_t after_failure;
	uint8_t domain_len; /* 0 with domain NULL: none */
	char *domain;
};

struct msg {
	uint64_t mid, icid, parent; /* parent: the MID this one was split or rewritten from */
	int64_t news;               /* clock time of its latest news */
	uint32_t source;
	uint32_t del_total;
	uint8_t in_verdict; /* enum verdict_kind or VERDICT_PENDING */
	uint8_t end;        /* enum message_end once finished, else NO_END */
	uint8_t n_del, cap_del;
	uint8_t written;
	uint64_t rcpts, rcpts_done; /* bit r: RID r named by a To: line / delivered or bounced */
	struct logtime first, last;
	struct msg_del *del; /* &one, or the heap past one delivery (most messages have one) */
	struct msg_del one;
};

struct msgtrack {
	struct msgtrack_config cfg;
	msgtrack_emit_fn emit;
	void *emit_arg;
	msgtrack_name_fn name;
	const void *name_arg;
	struct ringmap msgs;  /* (source, mid) -> struct msg *; time = latest news */
	struct ringmap ended; /* written MIDs; time = when */
	uint64_t moving;      /* the message being put again: its drop frees nothing */
	int quiet;            /* freeing: drops write nothing */
	int64_t last_now;
	size_t heap_bytes;
	struct msgtrack_counters count;
};

static struct id_key msg_key(uint32_t source, uint64_t mid)
{
	struct id_key k = {mid, source, 0};
	return k;
}

static struct msg *msg_of(const struct ringmap_entry *e)
{
	return (struct msg *)(uintptr_t)e->value;
}

static void msg_destroy(struct msgtrack *mt, struct msg *m)
{
	for (unsigned i = 0; i < m->n_del; i++) {
		mt->heap_bytes -= m->del[i].domain_len;
		free(m->del[i].domain);
	}
	mt->heap_bytes -= sizeof(*m);
	if (m->del != &m->one) {
		mt->heap_bytes -= (size_t)m->cap_del * sizeof(*m->del);
		free(m->del);
	}
	free(m);
}

/* A part still waiting for its connection counts as unknown once the message is written. */
static enum verdict_kind settled(uint8_t v)
{
	return v == VERDICT_PENDING ? VERDICT_UNKNOWN : (enum verdict_kind)v;
}

static void msg_write(struct msgtrack *mt, struct msg *m, enum message_end end)
{
	struct message_delivery del[MESSAGE_DELIVERIES_MAX];
	struct message_record r;
	memset(&r, 0, sizeof(r));
	r.host = mt->name ? mt->name(mt->name_arg, m->source) : span_none();
	r.mid = m->mid;
	r.icid = m->icid;
	r.in_verdict = settled(m->in_verdict);
	for (unsigned i = 0; i < m->n_del; i++) {
		const struct msg_del *d = &m->del[i];
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
	r.first_seen = m->first;
	r.last_seen = m->last;
	m->written = 1;
	mt->count.ends[r.end]++;
	mt->count.e2e[message_end_to_end(&r)]++;
	if (mt->emit)
		mt->emit(&r, mt->emit_arg);
}

/* Every message leaving the table goes through here: one the table had to drop for room is
 * written first, as evicted. */
static void msg_dropped_cb(void *ctx, const struct ringmap_entry *e)
{
	struct msgtrack *mt = ctx;
	struct msg *m = msg_of(e);
	if (mt->moving == e->value)
		return;
	if (!m->written && !mt->quiet)
		msg_write(mt, m, MESSAGE_END_EVICTED);
	msg_destroy(mt, m);
}

struct msgtrack *msgtrack_new(const struct msgtrack_config *cfg, msgtrack_emit_fn emit, void *arg)
{
	struct msgtrack *mt = calloc(1, sizeof(*mt));
	if (mt == NULL)
		return NULL;
	mt->cfg = *cfg;
	mt->emit = emit;
	mt->emit_arg = arg;
	ringmap_init(&mt->msgs, cfg->max_messages);
	ringmap_set_drop(&mt->msgs, msg_dropped_cb, mt);
	ringmap_init(&mt->ended, cfg->max_messages);
	return mt;
}

void msgtrack_free(struct msgtrack *mt)
{
	if (mt == NULL)
		return;
	mt->quiet = 1;
	ringmap_free(&mt->msgs);
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

/* Puts m's entry again, stamped with its latest news, at the back of the ring. */
static void msg_requeue(struct msgtrack *mt, struct msg *m)
{
	mt->moving = (uint64_t)(uintptr_t)m;
	int r = ringmap_put(&mt->msgs, msg_key(m->source, m->mid), mt->moving, m->news);
	mt->moving = 0;
	if (r < 0) {
		/* Out of memory: the old entry is gone, so the message is written now. */
		mt->count.alloc_failures++;
		msg_write(mt, m, MESSAGE_END_EVICTED);
		msg_destroy(mt, m);
	}
}

static struct msg *msg_find(const struct msgtrack *mt, uint32_t source, uint64_t mid)
{
	const struct ringmap_entry *e = ringmap_get(&mt->msgs, msg_key(source, mid));
	return e ? msg_of(e) : NULL;
}

static struct msg *msg_create(struct msgtrack *mt, uint32_t source, uint64_t mid, int64_t now)
{
	struct msg *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mt->count.alloc_failures++;
		return NULL;
	}
	m->mid = mid;
	m->source = source;
	m->in_verdict = VERDICT_UNKNOWN;
	m->end = NO_END;
	m->news = now;
	m->del = &m->one;
	m->cap_del = 1;
	mt->heap_bytes += sizeof(*m);
	int r = ringmap_put(&mt->msgs, msg_key(source, mid), (uint64_t)(uintptr_t)m, now);
	if (r < 0) {
		mt->count.alloc_failures++;
		msg_destroy(mt, m);
		return NULL;
	}
	mt->count.messages++;
	return m;
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

/* The delivery over dcid, added if new (NULL past MESSAGE_DELIVERIES_MAX: counted). */
static struct msg_del *msg_delivery(struct msgtrack *mt, struct msg *m, uint64_t dcid,
                                    const struct msg_conn *c)
{
	for (unsigned i = m->n_del; i-- > 0;)
		if (m->del[i].dcid == dcid)
			return &m->del[i];
	m->del_total++;
	if (m->n_del >= MESSAGE_DELIVERIES_MAX) {
		mt->count.deliveries_capped++;
		return NULL;
	}
	if (m->n_del == m->cap_del) {
		unsigned cap = m->cap_del * 2u;
		struct msg_del *d = malloc(cap * sizeof(*d));
		if (d == NULL) {
			mt->count.alloc_failures++;
			return NULL;
		}
		memcpy(d, m->del, m->n_del * sizeof(*d));
		if (m->del != &m->one) {
			mt->heap_bytes -= m->cap_del * sizeof(*d);
			free(m->del);
		}
		mt->heap_bytes += cap * sizeof(*d);
		m->del = d;
		m->cap_del = (uint8_t)cap;
	}
	struct msg_del *d = &m->del[m->n_del++];
	memset(d, 0, sizeof(*d));
	d->dcid = dcid;
	d->verdict = conn_part(c);
	d->outcome = DELIVERY_PENDING;
	d->after_failure = c->state == MSG_CONN_OPEN && c->after_failure;
	size_t n = c->peer_domain.len > 254 ? 254 : c->peer_domain.len;
	if (span_present(c->peer_domain) && n > 0 && (d->domain = malloc(n)) != NULL) {
		memcpy(d->domain, c->peer_domain.p, n);
		d->domain_len = (uint8_t)n;
		mt->heap_bytes += n;
	}
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
		if (m->del[i].verdict == VERDICT_PENDING)
			return 0;
	return 1;
}

/* Writes m if it is finished and complete, else notes the news. */
static void msg_settle(struct msgtrack *mt, struct msg *m, int64_t now)
{
	if (!msg_ready(mt, m)) {
		if (now > m->news)
			m->news = now;
		return;
	}
	struct id_key k = msg_key(m->source, m->mid);
	msg_write(mt, m, (enum message_end)m->end);
	ringmap_del(&mt->msgs, k); /* frees m */
	ringmap_put(&mt->ended, k, 0, now);
}

static void msg_apply(struct msgtrack *mt, struct msg *m, const struct esa_event *ev,
                      const struct msg_conn *c)
{
	struct msg_del *d;
	uint64_t rids = esa_rid_mask(ev->rids);
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
		if ((d = msg_delivery(mt, m, ev->conn_id, c)) != NULL)
			d->rids |= rids;
		break;
	case ESA_DELIVERY_DONE:
		if ((d = msg_delivery(mt, m, ev->conn_id, c)) != NULL) {
			d->rids |= rids;
			d->outcome = DELIVERY_DELIVERED;
		}
		m->rcpts_done |= rids;
		break;
	case ESA_MSG_OUTCOME:
		/* "Bounced: DCID 0" is a bounce without a connection: no delivery attempt. */
		d = ev->conn_id != 0 ? msg_delivery(mt, m, ev->conn_id, c) : NULL;
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
	if (!m->first.valid)
		m->first = *when;
	m->last = *when;
}

/* The message of (source, mid), created unless it was written within linger (a late line). */
static struct msg *msg_get(struct msgtrack *mt, uint32_t source, uint64_t mid, int64_t now)
{
	struct msg *m = msg_find(mt, source, mid);
	if (m != NULL)
		return m;
	const struct ringmap_entry *e = ringmap_get(&mt->ended, msg_key(source, mid));
	if (e != NULL && now >= e->time && now - e->time < mt->cfg.linger) {
		mt->count.late_lines++;
		return NULL;
	}
	return msg_create(mt, source, mid, now);
}

void msgtrack_event(struct msgtrack *mt, uint32_t source, const struct esa_event *ev,
                    const struct msg_conn *conn, const struct logtime *when, int64_t now)
{
	struct msg *m;
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
		if ((m = msg_get(mt, source, ev->mid2, now)) == NULL)
			return;
		if (m->icid == 0) {
			m->icid = icid;
			m->in_verdict = in;
			m->parent = ev->mid;
		}
		msg_note_time(m, when);
		msg_settle(mt, m, now);
		return;
	}
	default:
		return;
	}
	if (ev->mid == 0 || (m = msg_get(mt, source, ev->mid, now)) == NULL)
		return;
	msg_note_time(m, when);
	msg_apply(mt, m, ev, conn);
	msg_settle(mt, m, now);
}

void msgtrack_conn_ended(struct msgtrack *mt, uint32_t source, enum esa_dir dir, uint64_t id,
                         const uint64_t *mids, size_t n_mids, enum verdict_kind kind, int64_t now)
{
	for (size_t i = 0; i < n_mids; i++) {
		struct msg *m = msg_find(mt, source, mids[i]);
		int changed = 0;
		if (m == NULL)
			continue;
		if (dir == ESA_DIR_IN && m->icid == id && m->in_verdict == VERDICT_PENDING) {
			m->in_verdict = (uint8_t)kind;
			changed = 1;
		}
		for (unsigned j = 0; dir == ESA_DIR_OUT && j < m->n_del; j++)
			if (m->del[j].dcid == id && m->del[j].verdict == VERDICT_PENDING) {
				m->del[j].verdict = (uint8_t)kind;
				changed = 1;
			}
		if (changed)
			msg_settle(mt, m, now);
	}
}

void msgtrack_expire(struct msgtrack *mt, int64_t now)
{
	const struct ringmap_entry *e;
	mt->last_now = now;
	while ((e = ringmap_oldest(&mt->msgs)) != NULL && now - e->time >= mt->cfg.idle_timeout) {
		struct msg *m = msg_of(e);
		struct id_key k = msg_key(m->source, m->mid);
		if (now - m->news < mt->cfg.idle_timeout) {
			msg_requeue(mt, m); /* news since it was put: not due yet */
			continue;
		}
		msg_write(mt, m, MESSAGE_END_IDLE);
		ringmap_pop_oldest(&mt->msgs); /* frees m */
		ringmap_put(&mt->ended, k, 0, now);
	}
	ringmap_expire(&mt->ended, now - mt->cfg.linger);
}

void msgtrack_flush(struct msgtrack *mt, enum message_end end)
{
	const struct ringmap_entry *e;
	while ((e = ringmap_oldest(&mt->msgs)) != NULL) {
		msg_write(mt, msg_of(e), end);
		ringmap_pop_oldest(&mt->msgs);
	}
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
	s->first = m->first;
	s->last = m->last;
	s->n_del = m->n_del;
	for (unsigned i = 0; i < m->n_del; i++) {
		const struct msg_del *d = &m->del[i];
		s->del[i] = (struct msg_state_delivery){
		    d->dcid,
		    d->rids,
		    d->verdict,
		    d->outcome,
		    d->after_failure,
		    d->domain ? span_make(d->domain, d->domain_len) : span_none()};
	}
}

int msgtrack_export(const struct msgtrack *mt, msgtrack_state_fn fn, void *arg)
{
	const struct ringmap *rm = &mt->msgs;
	for (uint32_t i = 0; i < rm->len; i++) {
		const struct ringmap_entry *e = &rm->ring[(rm->tail + i) % rm->size];
		struct msg_state s;
		if (!e->live)
			continue;
		msg_to_state(msg_of(e), &s);
		int r = fn(&s, arg);
		if (r != 0)
			return r;
	}
	return 0;
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
	struct msg *m = msg_create(mt, s->source, s->mid, s->news);
	if (m == NULL)
		return -1;
	mt->count.messages--; /* followed before the restart: counted then */
	m->icid = s->icid;
	m->parent = s->parent;
	m->in_verdict = s->in_verdict;
	m->end = s->end;
	m->rcpts = s->rcpts;
	m->rcpts_done = s->rcpts_done;
	m->first = s->first;
	m->last = s->last;
	for (unsigned i = 0; i < s->n_del; i++) {
		const struct msg_state_delivery *sd = &s->del[i];
		struct msg_conn c = {MSG_CONN_NONE, VERDICT_UNKNOWN, 0, sd->domain};
		struct msg_del *d = msg_delivery(mt, m, sd->dcid, &c);
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
	return mt->msgs.live;
}

const struct msgtrack_counters *msgtrack_counters(const struct msgtrack *mt)
{
	return &mt->count;
}

size_t msgtrack_memory(const struct msgtrack *mt)
{
	return ringmap_memory(&mt->msgs) + ringmap_memory(&mt->ended) + mt->heap_bytes;
}
