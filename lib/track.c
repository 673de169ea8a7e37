/* The tracker's rules (DESIGN.md "Which lines create, update and end a connection" and
 * "Emission contract"): what each classified line does to its connection, when a connection
 * ends, and the one record it then yields. Saving and restoring: track_state.c; the memory that
 * holds the connections: connpool.c. */
#include <stdlib.h>
#include <string.h>

#include "track_int.h"

static struct id_key conn_key_of(const void *ctx, uint32_t i)
{
	const struct conn *c = connpool_at(ctx, i);
	struct id_key k = {c->id, c->source, c->dir};
	return k;
}

void track_config_defaults(struct track_config *cfg)
{
	cfg->idle_timeout = 600;
	cfg->lifetime = 86400;
	cfg->linger = 60;
	cfg->max_connections = 1000000;
	cfg->max_linger = 100000;
	cfg->max_mid_links = 200000;
	cfg->alert_delay = 2;
	cfg->max_alerts = 100000;
	cfg->max_recipients = 100000;
	cfg->max_messages = 100000;
	cfg->message_timeout = 1800;
}

static void track_msg_config(const struct track_config *cfg, struct msgtrack_config *mc)
{
	mc->max_messages = cfg->max_messages ? cfg->max_messages : 1;
	mc->idle_timeout = cfg->message_timeout;
	mc->linger = cfg->linger;
}

int track_enable_messages(struct tracker *t, msgtrack_emit_fn emit, void *arg)
{
	struct msgtrack_config mc;
	track_msg_config(&t->cfg, &mc);
	if (t->msgs == NULL && (t->msgs = msgtrack_new(&mc, emit, arg)) == NULL)
		return -1;
	msgtrack_set_source_names(t->msgs, t->source_name, t->source_name_arg);
	return 0;
}

int track_export_messages(const struct tracker *t, msgtrack_state_fn fn, void *arg)
{
	return t->msgs ? msgtrack_export(t->msgs, fn, arg) : 0;
}

int track_import_message(struct tracker *t, const struct msg_state *s)
{
	return t->msgs ? msgtrack_import(t->msgs, s) : -1;
}

const struct msgtrack *track_messages(const struct tracker *t)
{
	return t->msgs;
}

struct tracker *track_new(const struct track_config *cfg, track_verdict_fn emit, void *arg)
{
	struct tracker *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.max_connections == 0 || t->cfg.max_connections >= CONN_NIL - CONN_CHUNK_SIZE)
		t->cfg.max_connections =
		    t->cfg.max_connections ? CONN_NIL - CONN_CHUNK_SIZE - 1 : 1;
	t->emit = emit;
	t->emit_arg = arg;
	connpool_init(&t->pool, &t->count);
	/* A reload may raise max_connections: connection numbers are bounded by CONN_NIL only. */
	id_index_init(&t->index, conn_key_of, &t->pool, ID_INDEX_VALUE_MAX);
	ringmap_init(&t->linger, cfg->max_linger);
	ringmap_init(&t->mid_links, cfg->max_mid_links);
	ringmap_init(&t->alerts, cfg->max_alerts);
	rcpt_domains_init(&t->rcpts, cfg->max_recipients);
	return t;
}

void track_reconfigure(struct tracker *t, const struct track_config *cfg)
{
	t->cfg.idle_timeout = cfg->idle_timeout;
	t->cfg.lifetime = cfg->lifetime;
	t->cfg.linger = cfg->linger;
	t->cfg.alert_delay = cfg->alert_delay;
	if (cfg->max_connections > 0 && cfg->max_connections < CONN_NIL - CONN_CHUNK_SIZE)
		t->cfg.max_connections = cfg->max_connections;
	t->cfg.message_timeout = cfg->message_timeout;
	if (t->msgs != NULL) {
		struct msgtrack_config mc;
		track_msg_config(&t->cfg, &mc);
		msgtrack_reconfigure(t->msgs, &mc);
	}
}

void track_free(struct tracker *t)
{
	if (t == NULL)
		return;
	connpool_free(&t->pool);
	id_index_free(&t->index);
	ringmap_free(&t->linger);
	ringmap_free(&t->mid_links);
	ringmap_free(&t->alerts);
	rcpt_domains_free(&t->rcpts);
	msgtrack_free(t->msgs);
	free(t);
}

void track_set_source_names(struct tracker *t, track_source_name_fn name, const void *arg)
{
	t->source_name = name;
	t->source_name_arg = arg;
	if (t->msgs != NULL)
		msgtrack_set_source_names(t->msgs, name, arg);
}

/* ---- creation and ending ---- */

static enum verdict_kind conn_verdict(const struct conn *c, enum verdict_end end)
{
	if (conn_tls_failed(c))
		return VERDICT_TLS_FAILED;
	if (c->state == CONN_TLS_OK)
		return VERDICT_TLS;
	if ((c->flags & F_OPEN_SEEN) && (end == VERDICT_END_CLOSE || end == VERDICT_END_LOST ||
	                                 end == VERDICT_END_DISCONNECTED))
		return VERDICT_NO_TLS;
	return VERDICT_UNKNOWN;
}

static void conn_fill_record(const struct tracker *t, const struct conn *c, enum verdict_end end,
                             struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = conn_verdict(c, end);
	v->dir = (enum esa_dir)c->dir;
	v->host = t->source_name ? t->source_name(t->source_name_arg, c->source) : span_none();
	v->conn_id = c->id;
	uint8_t known = !!(c->flags & F_TIME_KNOWN);
	v->first_seen = (struct logtime){c->first_wall, c->first_off, known};
	v->last_seen = (struct logtime){c->last_wall, c->last_off, known};
	v->end = end;
	conn_strs(c, v->str);
	v->peer_rdns_verified = (c->flags & F_RDNS_KNOWN) ? !!(c->flags & F_RDNS_VERIFIED) : -1;
	v->tls_required = !!(c->flags & F_TLS_REQUIRED);
	v->peer_port = c->peer_port;
	v->mids = c->mids;
	v->n_mids = c->n_mids;
	v->mids_total = c->mids_total;
	v->has_failure_mark = !!(c->flags & F_FAIL_MARK);
	v->mids_after_failure_from = c->fail_total < c->n_mids ? c->fail_total : c->n_mids;
	v->mids_after_failure_total = c->mids_total - c->fail_total;
	v->lines = c->lines;
}

/* Ends connection i: emits its one record, remembers its ID for linger, frees it. */
static void conn_end(struct tracker *t, uint32_t i, enum verdict_end end, int64_t now)
{
	struct conn *c = connpool_at(&t->pool, i);
	/* A logged "lost"/"disconnected" is what ended it, at its close or, if the close never
	 * comes, at idle, lifetime, eviction or the end of input. */
	if (c->pending_end && end != VERDICT_END_ERROR && end != VERDICT_END_SUPERSEDED)
		end = (enum verdict_end)c->pending_end;
	/* Its messages learn its verdict below: their index slots load while the record is
	 * written. */
	for (size_t k = 0; t->msgs != NULL && k < c->n_mids; k++)
		msgtrack_prefetch(t->msgs, c->source, c->mids[k]);

	struct verdict v;
	conn_fill_record(t, c, end, &v);
	v.purpose = VERDICT_FOR_FILES | ((c->flags & F_ALERTED) ? 0 : VERDICT_FOR_HOOKS);
	t->count.ends[end]++;
	t->count.verdicts[v.kind]++;
	t->count.verdicts_by_dir[v.dir][v.kind]++;
	if (t->emit)
		t->emit(&v, t->emit_arg);

	struct id_key key = track_key(c->source, (enum esa_dir)c->dir, c->id);
	ringmap_del(&t->alerts, key);
	id_index_remove(&t->index, key);
	connpool_unlink(&t->pool, i);
	if (t->msgs != NULL)
		msgtrack_conn_ended(t->msgs, c->source, v.dir, c->id, c->mids, c->n_mids,
		                    c->mids_total, v.kind, now);
	/* The linger entry keeps the verdict (kind + 1) for messages that name the ID late. */
	if (ringmap_put(&t->linger, key, (uint64_t)v.kind + 1, now) == 1)
		t->count.linger_dropped++;
	connpool_give_back(&t->pool, i);
}

uint32_t track_conn_create(struct tracker *t, struct id_key key, uint32_t rel, int64_t now)
{
	while (t->pool.open >= t->cfg.max_connections && t->pool.lru.tail != CONN_NIL)
		conn_end(t, t->pool.lru.tail, VERDICT_END_EVICTED, now);
	uint32_t i = connpool_take(&t->pool);
	if (i == CONN_NIL) {
		t->count.alloc_failures++;
		return CONN_NIL;
	}
	struct conn *c = connpool_at(&t->pool, i);
	c->id = key.id;
	c->source = key.source;
	c->dir = (uint8_t)key.kind;
	c->born = c->touched = rel;
	if (id_index_insert(&t->index, i) != 0) {
		connpool_give_back(&t->pool, i);
		t->count.alloc_failures++;
		return CONN_NIL;
	}
	connpool_link(&t->pool, i);
	t->count.connections++;
	return i;
}

/* ---- applying events ---- */

/* A TLS failure: the verdict becomes tls_failed, an outbound connection remembers how many
 * messages went before it, and the first failure schedules the early alert. */
static void conn_mark_failure(struct tracker *t, struct conn *c, int64_t now)
{
	if (!conn_tls_failed(c)) {
		struct id_key key = track_key(c->source, (enum esa_dir)c->dir, c->id);
		int r = ringmap_put(&t->alerts, key, 0, now + t->cfg.alert_delay);
		if (r != 0)
			t->count.alerts_unscheduled++;
	}
	conn_set_state(c, CONN_TLS_FAILED);
	if (c->dir == ESA_DIR_OUT && !(c->flags & F_FAIL_MARK)) {
		c->flags |= F_FAIL_MARK;
		c->fail_total = c->mids_total;
	}
}

static void conn_set_error(struct tracker *t, struct conn *c, enum err_rank rank, struct span text)
{
	if (rank <= c->err_rank || !span_present(text) || text.len == 0)
		return;
	c->err_rank = (uint8_t)rank;
	connpool_set_str(&t->pool, c, VERDICT_S_TLS_ERROR, text, 1);
}

static void conn_apply_open(struct tracker *t, struct conn *c, const struct esa_event *ev)
{
	struct str_update u[] = {
	    {VERDICT_S_INTERFACE, ev->interface, 1},
	    {VERDICT_S_LOCAL_IP, ev->local_ip, 1},
	    {VERDICT_S_PEER_IP, ev->peer_ip, 1},
	    {VERDICT_S_PEER_RDNS, ev->peer_rdns, 1},
	};
	c->flags |= F_OPEN_SEEN;
	connpool_set_strs(&t->pool, c, u, sizeof(u) / sizeof(*u));
	if (ev->rdns_verified >= 0) {
		c->flags |= F_RDNS_KNOWN;
		if (ev->rdns_verified)
			c->flags |= F_RDNS_VERIFIED;
	}
	if (ev->peer_port > 0 && ev->peer_port <= UINT16_MAX)
		c->peer_port = (uint16_t)ev->peer_port;
}

/* An outbound connection without a destination domain takes the domain of the first recipient
 * its delivery names, as its "MID m ICID n RID r To:" line gave it. */
static void conn_set_delivery_domain(struct tracker *t, struct conn *c, const struct esa_event *ev)
{
	uint32_t rid;
	if (span_present(conn_str(c, VERDICT_S_PEER_DOMAIN)) || esa_first_rid(ev->rids, &rid) != 0)
		return;
	connpool_set_str(&t->pool, c, VERDICT_S_PEER_DOMAIN,
	                 rcpt_domains_get(&t->rcpts, c->source, ev->mid, rid), 0);
}

static void conn_apply(struct tracker *t, uint32_t i, const struct esa_event *ev, int64_t now)
{
	struct conn *c = connpool_at(&t->pool, i);
	switch (ev->kind) {
	case ESA_CONN_OPEN:
		conn_apply_open(t, c, ev);
		break;
	case ESA_POLICY: {
		struct str_update u[] = {
		    {VERDICT_S_POLICY, ev->policy, 1},
		    {VERDICT_S_SENDER_GROUP, ev->sender_group, 1},
		    {VERDICT_S_SBRS, ev->sbrs, 1},
		    {VERDICT_S_COUNTRY, ev->country, 1},
		};
		connpool_set_strs(&t->pool, c, u, sizeof(u) / sizeof(*u));
		break;
	}
	case ESA_TLS_OK: {
		struct str_update u[] = {
		    {VERDICT_S_TLS_PROTOCOL, ev->tls_protocol, 1},
		    {VERDICT_S_TLS_CIPHER, ev->tls_cipher, 1},
		    {VERDICT_S_TLS_CN, ev->tls_cn, 1},
		    {VERDICT_S_TLS_DOMAIN, ev->tls_domain, 1},
		    {VERDICT_S_PEER_IP, ev->peer_ip, 0},
		    {VERDICT_S_PEER_DOMAIN, c->dir == ESA_DIR_OUT ? ev->tls_domain : span_none(),
		     0},
		};
		conn_set_state(c, CONN_TLS_OK);
		connpool_set_strs(&t->pool, c, u, sizeof(u) / sizeof(*u));
		break;
	}
	case ESA_TLS_FAIL:
		conn_mark_failure(t, c, now);
		conn_set_error(t, c, RANK_FAILED_TEXT, span_trim(ev->reason));
		connpool_set_str(&t->pool, c, VERDICT_S_PEER_IP, ev->peer_ip, 0);
		break;
	case ESA_TLS_REQUIRED:
		conn_mark_failure(t, c, now);
		c->flags |= F_TLS_REQUIRED;
		conn_set_error(t, c, RANK_REQUIRED, ev->reason);
		connpool_set_str(&t->pool, c, VERDICT_S_PEER_IP, ev->peer_ip, 0);
		break;
	case ESA_STARTTLS_UNSUPPORTED:
		/* The ESA only says STARTTLS when it tried TLS: an attempt that failed. */
		conn_mark_failure(t, c, now);
		conn_set_error(t, c, RANK_STARTTLS, ev->reason);
		break;
	case ESA_CONN_ERROR: {
		struct str_update u[] = {
		    {VERDICT_S_ERROR, ev->reason, 1},
		    {VERDICT_S_PEER_IP, ev->peer_ip, 0},
		    {VERDICT_S_LOCAL_IP, ev->local_ip, 0},
		    {VERDICT_S_PEER_DOMAIN, ev->tls_domain, 0},
		};
		connpool_set_strs(&t->pool, c, u, sizeof(u) / sizeof(*u));
		if (c->peer_port == 0 && ev->peer_port > 0 && ev->peer_port <= UINT16_MAX)
			c->peer_port = (uint16_t)ev->peer_port;
		conn_end(t, i, VERDICT_END_ERROR, now);
		return;
	}
	case ESA_CONN_END:
		if (ev->end == ESA_END_LOST)
			c->pending_end = VERDICT_END_LOST;
		else if (ev->end == ESA_END_DISCONNECTED)
			c->pending_end = VERDICT_END_DISCONNECTED;
		else if (ev->end == ESA_END_CLOSE)
			conn_end(t, i, VERDICT_END_CLOSE, now);
		return;
	case ESA_DELIVERY_START:
		conn_set_delivery_domain(t, c, ev);
		connpool_add_mid(&t->pool, c, ev->mid);
		break;
	case ESA_MSG_LINK:
	case ESA_DELIVERY_DONE:
		connpool_add_mid(&t->pool, c, ev->mid);
		break;
	default:
		break;
	}
}

/* Stores mid -> connection under key k unless it is already there (several lines of each
 * message name the same connection). */
static void track_link_mid(struct tracker *t, struct id_key k, uint64_t conn_id, int64_t now)
{
	const struct ringmap_entry *known = ringmap_get(&t->mid_links, k);
	if (conn_id != 0 && k.id != 0 && (known == NULL || known->value != conn_id) &&
	    ringmap_put(&t->mid_links, k, conn_id, now) == 1)
		t->count.mid_links_dropped++;
}

/* Records the MID -> ICID and MID -> last DCID links that later per-message answers need. */
static void track_mid_event(struct tracker *t, uint32_t source, const struct esa_event *ev,
                            int64_t now)
{
	struct id_key k = track_key(source, ESA_DIR_NONE, ev->mid);
	switch (ev->kind) {
	case ESA_DELIVERY_START:
	case ESA_DELIVERY_DONE:
		track_link_mid(t, track_key(source, ESA_DIR_OUT, ev->mid), ev->conn_id, now);
		break;
	case ESA_MSG_LINK:
		track_link_mid(t, k, ev->conn_id, now);
		if (span_present(ev->rcpt_domain) &&
		    rcpt_domains_put(&t->rcpts, source, ev->mid, ev->rid, ev->rcpt_domain, now) ==
		        1)
			t->count.recipients_dropped++;
		break;
	case ESA_MSG_RELATE: {
		/* A split or rewritten copy travels on under the parent's connection. */
		const struct ringmap_entry *parent = ringmap_get(&t->mid_links, k);
		if (parent != NULL && ev->mid2 != 0) {
			uint64_t icid = parent->value;
			k.id = ev->mid2;
			if (ringmap_put(&t->mid_links, k, icid, now) == 1)
				t->count.mid_links_dropped++;
		}
		break;
	}
	case ESA_MSG_FINISHED:
		ringmap_del(&t->mid_links, k);
		ringmap_del(&t->mid_links, track_key(source, ESA_DIR_OUT, ev->mid));
		rcpt_domains_forget(&t->rcpts, source, ev->mid);
		break;
	default:
		break;
	}
}

static int event_names_connection(const struct esa_event *ev)
{
	switch (ev->kind) {
	case ESA_CONN_OPEN:
	case ESA_POLICY:
	case ESA_TLS_OK:
	case ESA_TLS_FAIL:
	case ESA_TLS_REQUIRED:
	case ESA_STARTTLS_UNSUPPORTED:
	case ESA_CONN_ERROR:
	case ESA_CONN_END:
	case ESA_CONN_NOTE:
	case ESA_MSG_LINK:
	case ESA_DELIVERY_START:
	case ESA_DELIVERY_DONE:
	case ESA_MSG_OUTCOME:
		return ev->dir != ESA_DIR_NONE;
	default:
		return 0;
	}
}

static int recently_ended(const struct tracker *t, struct id_key key, int64_t now)
{
	const struct ringmap_entry *e = ringmap_get(&t->linger, key);
	return e != NULL && now >= e->time && now - e->time < t->cfg.linger;
}

/* Applies ev to the connection it names; returns that connection, or CONN_NIL if the line was
 * attached to none. */
static uint32_t track_conn_event(struct tracker *t, uint32_t source, const struct esa_event *ev,
                                 const struct logtime *when, int64_t now)
{
	if (ev->conn_id == 0) {
		t->count.unattached_lines++;
		return CONN_NIL;
	}
	uint32_t rel = track_rel_time(t, now);
	struct id_key key = track_key(source, ev->dir, ev->conn_id);
	uint32_t i = id_index_find(&t->index, key);

	if (ev->kind == ESA_CONN_OPEN) {
		/* An open line always starts a connection; one whose own open line was already
		 * seen is a new connection reusing the ID. */
		if (i != ID_INDEX_NONE && (connpool_at(&t->pool, i)->flags & F_OPEN_SEEN)) {
			conn_end(t, i, VERDICT_END_SUPERSEDED, now);
			i = ID_INDEX_NONE;
		}
		ringmap_del(&t->linger, key);
	} else if (i == ID_INDEX_NONE) {
		if (ev->kind == ESA_MSG_OUTCOME) {
			t->count.unattached_lines++;
			return CONN_NIL;
		}
		if (recently_ended(t, key, now)) {
			t->count.late_lines++;
			return CONN_NIL;
		}
	}
	if (i == ID_INDEX_NONE) {
		i = track_conn_create(t, key, rel, now);
		if (i == CONN_NIL)
			return CONN_NIL;
	}

	struct conn *c = connpool_at(&t->pool, i);
	if (when != NULL && when->valid) {
		if (!(c->flags & F_TIME_KNOWN)) {
			c->flags |= F_TIME_KNOWN;
			c->first_wall = when->wall;
			c->first_off = when->offset;
		}
		c->last_wall = when->wall;
		c->last_off = when->offset;
	}
	c->lines++;
	c->touched = rel;
	connpool_touch(&t->pool, i);
	conn_apply(t, i, ev, now);
	/* Lines that end a connection name no message: i is still valid when it matters. */
	return i;
}

/* What the message tracker needs of the connection an event named: open (connection i), ended
 * within linger (its verdict), or nothing known. */
static void track_msg_conn(const struct tracker *t, uint32_t source, const struct esa_event *ev,
                           uint32_t i, struct msg_conn *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->peer_domain = span_none();
	if (i != CONN_NIL) {
		const struct conn *c = connpool_at(&t->pool, i);
		mc->state = MSG_CONN_OPEN;
		mc->after_failure = !!(c->flags & F_FAIL_MARK);
		if (ev->dir == ESA_DIR_OUT) /* only a delivery names a domain */
			mc->peer_domain = conn_str(c, VERDICT_S_PEER_DOMAIN);
		return;
	}
	if (ev->conn_id == 0) /* "Message finished" and others that name no connection */
		return;
	const struct ringmap_entry *e =
	    ringmap_get(&t->linger, track_key(source, ev->dir, ev->conn_id));
	if (e != NULL && e->value > 0 && e->value <= VERDICT_KIND_COUNT) {
		mc->state = MSG_CONN_ENDED;
		mc->verdict = (enum verdict_kind)(e->value - 1);
	}
}

void track_event(struct tracker *t, uint32_t source, const struct esa_event *ev,
                 const struct logtime *when, int64_t now)
{
	if (t->msgs != NULL && ev->mid != 0)
		msgtrack_prefetch(t->msgs, source, ev->mid);
	track_mid_event(t, source, ev, now);
	if (t->msgs != NULL && ev->mid != 0)
		msgtrack_prefetch_message(t->msgs, source, ev->mid);
	uint32_t i = CONN_NIL;
	if (event_names_connection(ev))
		i = track_conn_event(t, source, ev, when, now);
	if (t->msgs != NULL && (ev->mid != 0 || ev->kind == ESA_MSG_RELATE)) {
		struct msg_conn mc;
		track_msg_conn(t, source, ev, i, &mc);
		msgtrack_event(t->msgs, source, ev, &mc, when, now);
	}
}

/* Sends the early alert of every failed connection still open whose delay has passed. */
static void track_send_due_alerts(struct tracker *t, int64_t now)
{
	const struct ringmap_entry *e;
	while ((e = ringmap_oldest(&t->alerts)) != NULL && e->time <= now) {
		struct id_key key = {e->id, e->source, e->kind};
		ringmap_pop_oldest(&t->alerts);
		uint32_t i = id_index_find(&t->index, key);
		if (i == ID_INDEX_NONE)
			continue;
		struct conn *c = connpool_at(&t->pool, i);
		if (c->flags & F_ALERTED)
			continue;
		struct verdict v;
		conn_fill_record(t, c, VERDICT_END_OPEN, &v);
		v.purpose = VERDICT_FOR_HOOKS;
		c->flags |= F_ALERTED;
		t->count.early_alerts++;
		if (t->emit)
			t->emit(&v, t->emit_arg);
	}
}

void track_expire(struct tracker *t, int64_t now)
{
	uint32_t rel = track_rel_time(t, now);
	if (t->cfg.idle_timeout > 0) {
		while (t->pool.lru.tail != CONN_NIL &&
		       (int64_t)rel - connpool_at(&t->pool, t->pool.lru.tail)->touched >=
		           t->cfg.idle_timeout)
			conn_end(t, t->pool.lru.tail, VERDICT_END_IDLE, now);
	}
	if (t->cfg.lifetime > 0) {
		while (t->pool.age.tail != CONN_NIL &&
		       (int64_t)rel - connpool_at(&t->pool, t->pool.age.tail)->born >=
		           t->cfg.lifetime)
			conn_end(t, t->pool.age.tail, VERDICT_END_LIFETIME, now);
	}
	ringmap_expire(&t->linger, now - t->cfg.linger);
	track_send_due_alerts(t, now);
	if (t->msgs != NULL)
		msgtrack_expire(t->msgs, now);
}

void track_flush(struct tracker *t, enum verdict_end end)
{
	int64_t now = t->last_now;
	while (t->pool.age.tail != CONN_NIL)
		conn_end(t, t->pool.age.tail, end, now);
	if (t->msgs != NULL)
		msgtrack_flush(t->msgs, end == VERDICT_END_SHUTDOWN ? MESSAGE_END_SHUTDOWN
		                                                    : MESSAGE_END_EOF);
}

int track_mid_dcid(const struct tracker *t, uint32_t source, uint64_t mid, uint64_t *dcid)
{
	const struct ringmap_entry *e =
	    ringmap_get(&t->mid_links, track_key(source, ESA_DIR_OUT, mid));
	if (e == NULL)
		return -1;
	*dcid = e->value;
	return 0;
}

int track_mid_icid(const struct tracker *t, uint32_t source, uint64_t mid, uint64_t *icid)
{
	const struct ringmap_entry *e =
	    ringmap_get(&t->mid_links, track_key(source, ESA_DIR_NONE, mid));
	if (e == NULL)
		return -1;
	*icid = e->value;
	return 0;
}

size_t track_open_count(const struct tracker *t)
{
	return t->pool.open;
}

const struct track_counters *track_counters(const struct tracker *t)
{
	return &t->count;
}

size_t track_memory(const struct tracker *t)
{
	return ringmap_memory(&t->alerts) + connpool_memory(&t->pool) + id_index_memory(&t->index) +
	       ringmap_memory(&t->linger) + ringmap_memory(&t->mid_links) +
	       rcpt_domains_memory(&t->rcpts) + (t->msgs ? msgtrack_memory(t->msgs) : 0);
}
