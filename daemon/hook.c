#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "hook.h"
#include "hook_exec.h"
#include "hook_http.h"
#include "log.h"
#include "reload.h"

#define THROTTLE_KEYS 1024   /* keys remembered per hook; the least recently used is forgotten */
#define THROTTLE_KEY_MAX 256 /* a host name or an address */
#define ENV_VALUE_MAX 255
#define ENV_ENTRY_MAX (32 + ENV_VALUE_MAX + 1)

struct throttle_entry {
	char key[THROTTLE_KEY_MAX];
	uint64_t last_ms;
	uint64_t suppressed;
	int used;
};

/* What the dispatcher needs of a hook's configuration: its own copies. */
struct hook_filter {
	unsigned verdicts, directions, types, states, kinds;
	char **hosts;
	size_t n_hosts;
	enum throttle_key throttle_key;
	uint64_t throttle_ms;
	uint64_t timeout_ms;
};

struct hook {
	char *name;
	enum hook_kind kind;
	struct hook_filter filter;
	const struct hook_runner_ops *ops; /* its kind's */
	void *runner;
	struct throttle_entry *throttle; /* THROTTLE_KEYS entries, allocated on first use */
	int retiring;                    /* removed by a reload: finishing what it has */
	struct hook_counters count;
};

struct alert_buf {
	char env[ALERT_ENV_COUNT][ENV_ENTRY_MAX];
	char conn_id[32], first_seen[40], last_tls[40], suppressed[32]; /* the values made here */
	char json[VERDICT_LINE_MAX + 64];
};

struct hooks {
	struct event_base *base;
	struct hook **hook;
	size_t n;
	struct alert_buf buf; /* the alert being built: one record at a time */
};

/* The runner of each kind of hook. */
static const struct hook_runner_ops *const hook_runners[] = {
    [HOOK_EXEC] = &hook_exec_ops,
    [HOOK_WEBHOOK] = &hook_webhook_ops,
};

/* ---- configuration copies ---- */

static void filter_free(struct hook_filter *f)
{
	for (size_t i = 0; i < f->n_hosts; i++)
		free(f->hosts[i]);
	free(f->hosts);
	f->hosts = NULL;
	f->n_hosts = 0;
}

static int filter_copy(struct hook_filter *f, const struct hook_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->verdicts = cfg->verdicts;
	f->directions = cfg->directions;
	f->types = cfg->types ? cfg->types : DEFAULT_RECORD_TYPES;
	f->states = cfg->states ? cfg->states : ALL_FEED_STATES;
	f->kinds = cfg->kinds ? cfg->kinds : ALL_DOWNGRADE_KINDS;
	f->throttle_key = cfg->throttle_key;
	f->throttle_ms = cfg->throttle_interval_ms;
	f->timeout_ms = cfg->timeout_ms;
	if (cfg->n_hosts == 0)
		return 0;
	f->hosts = calloc(cfg->n_hosts, sizeof(*f->hosts));
	if (f->hosts == NULL)
		return -1;
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		if ((f->hosts[i] = strdup(cfg->hosts[i])) == NULL) {
			filter_free(f);
			return -1;
		}
		f->n_hosts = i + 1;
	}
	return 0;
}

/* ---- one hook ---- */

static void hook_close(struct hook *k)
{
	if (k == NULL)
		return;
	if (k->runner != NULL)
		k->ops->close(k->runner);
	filter_free(&k->filter);
	free(k->throttle);
	free(k->name);
	free(k);
}

static struct hook *hook_open(struct event_base *base, const struct hook_config *cfg)
{
	struct hook *k = calloc(1, sizeof(*k));
	if (k == NULL || (k->name = strdup(cfg->name)) == NULL ||
	    filter_copy(&k->filter, cfg) != 0) {
		log_warnx("hook %s: out of memory", cfg->name);
		hook_close(k);
		return NULL;
	}
	k->kind = cfg->kind;
	if ((size_t)cfg->kind < sizeof(hook_runners) / sizeof(hook_runners[0]))
		k->ops = hook_runners[cfg->kind];
	if (k->ops != NULL)
		k->runner = k->ops->open(base, cfg);
	if (k->runner == NULL) {
		log_warnx("hook %s: cannot be set up", cfg->name);
		hook_close(k);
		return NULL;
	}
	return k;
}

static int hook_update(struct hook *k, const struct hook_config *cfg)
{
	struct hook_filter f;
	if (filter_copy(&f, cfg) != 0)
		return -1;
	filter_free(&k->filter);
	if (f.throttle_key != k->filter.throttle_key || f.throttle_ms != k->filter.throttle_ms) {
		free(k->throttle); /* another key or interval: start counting afresh */
		k->throttle = NULL;
	}
	k->filter = f;
	k->retiring = 0;
	k->ops->update(k->runner, cfg);
	return 0;
}

static int hook_busy(const struct hook *k)
{
	return k->ops->running(k->runner) + k->ops->queued(k->runner) > 0;
}

/* ---- filters and throttle ---- */

/* A record offered to the hooks: a connection's verdict, a feed, message or downgrade record,
 * and its appliance. */
struct offer {
	enum record_type type;
	const struct verdict *v;          /* RECORD_CONNECTION; RECORD_DOWNGRADE: g->conn */
	const struct feed_record *f;      /* RECORD_FEED */
	const struct message_record *m;   /* RECORD_MESSAGE */
	const struct downgrade_record *g; /* RECORD_DOWNGRADE */
	struct span host;
};

static int hook_matches_type(const struct hook *k, const struct offer *o)
{
	if (!(k->filter.types & (1u << o->type)))
		return 0;
	if (o->type == RECORD_FEED)
		return (k->filter.states & (1u << o->f->state)) != 0;
	if (o->type == RECORD_MESSAGE) /* on.verdict is the message's end_to_end */
		return (k->filter.verdicts & (1u << message_end_to_end(o->m))) != 0;
	/* Not on.verdict: its default [tls_failed] would hide a peer that now talks in the clear.
	 */
	if (o->type == RECORD_DOWNGRADE)
		return (k->filter.kinds & (1u << o->g->kind)) &&
		       (k->filter.directions & (1u << o->v->dir));
	return (k->filter.verdicts & (1u << o->v->kind)) &&
	       (k->filter.directions & (1u << o->v->dir));
}

static int hook_matches(const struct hook *k, const struct offer *o)
{
	if (!hook_matches_type(k, o))
		return 0;
	if (k->filter.n_hosts == 0)
		return 1;
	for (size_t i = 0; i < k->filter.n_hosts; i++)
		if (span_eq_ci(o->host, k->filter.hosts[i]))
			return 1;
	return 0;
}

/* The throttle slot of the record's key: an existing one, a free one, or the least recently
 * used one (forgotten, so that key may alert again early). NULL if memory ran out. */
static struct throttle_entry *throttle_slot(struct hook *k, struct span key)
{
	if (k->throttle == NULL &&
	    (k->throttle = calloc(THROTTLE_KEYS, sizeof(*k->throttle))) == NULL)
		return NULL;
	if (key.len >= THROTTLE_KEY_MAX)
		key.len = THROTTLE_KEY_MAX - 1;
	struct throttle_entry *free_slot = NULL, *oldest = &k->throttle[0];
	for (size_t i = 0; i < THROTTLE_KEYS; i++) {
		struct throttle_entry *e = &k->throttle[i];
		if (!e->used) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (strlen(e->key) == key.len &&
		    (key.len == 0 || memcmp(e->key, key.p, key.len) == 0))
			return e;
		if (e->last_ms < oldest->last_ms)
			oldest = e;
	}
	struct throttle_entry *e = free_slot ? free_slot : oldest;
	memset(e, 0, sizeof(*e));
	if (key.len > 0)
		memcpy(e->key, key.p, key.len);
	e->key[key.len] = '\0';
	return e;
}

/* Whether the throttle lets this record through; *suppressed gets how many of its key were held
 * back since the last one that went out. */
static int hook_throttle_pass(struct hook *k, const struct offer *o, uint64_t now_ms,
                              uint64_t *suppressed, struct throttle_entry **slot,
                              struct throttle_entry *before)
{
	*suppressed = 0;
	if (k->filter.throttle_ms == 0)
		return 1;
	struct span key = span_make("", 0);
	if (k->filter.throttle_key == THROTTLE_PEER_IP && o->v != NULL &&
	    span_present(o->v->str[VERDICT_S_PEER_IP]))
		key = o->v->str[VERDICT_S_PEER_IP];
	else if (k->filter.throttle_key == THROTTLE_HOST && span_present(o->host))
		key = o->host;
	struct throttle_entry *e = throttle_slot(k, key);
	if (e == NULL)
		return 1;
	if (e->used && now_ms - e->last_ms < k->filter.throttle_ms) {
		e->suppressed++;
		return 0;
	}
	*slot = e;
	*before = *e;
	*suppressed = e->suppressed;
	e->used = 1;
	e->last_ms = now_ms;
	e->suppressed = 0;
	return 1;
}

/* ---- building the alert ---- */

/* "NAME=value" with control bytes removed and the value cut at ENV_VALUE_MAX. */
static void env_set(char *buf, const char *name, struct span value)
{
	size_t w = (size_t)snprintf(buf, ENV_ENTRY_MAX, "%s=", name);
	size_t end = w + ENV_VALUE_MAX < ENV_ENTRY_MAX - 1 ? w + ENV_VALUE_MAX : ENV_ENTRY_MAX - 1;
	for (size_t i = 0; i < value.len && w < end; i++) {
		unsigned char c = (unsigned char)value.p[i];
		if (c >= 0x20 && c != 0x7f)
			buf[w++] = (char)c;
	}
	buf[w] = '\0';
}

static struct span span_of(const char *s)
{
	return span_make(s, strlen(s));
}

/* The environment values of an alert; b holds the ones written here, for as long as the alert
 * is being handed out. A message's: its end-to-end verdict, and its MID where a connection has
 * its ID. */
static void alert_message_values(struct span *values, const struct message_record *m,
                                 struct alert_buf *b)
{
	values[ALERT_ENV_VERDICT] = span_of(verdict_kind_name(message_end_to_end(m)));
	snprintf(b->conn_id, sizeof(b->conn_id), "%" PRIu64, m->mid);
	values[ALERT_ENV_CONN_ID] = span_of(b->conn_id);
}

static void alert_connection_values(struct span *values, const struct verdict *v,
                                    struct alert_buf *b)
{
	values[ALERT_ENV_VERDICT] = span_of(verdict_kind_name(v->kind));
	values[ALERT_ENV_DIRECTION] = span_of(v->dir == ESA_DIR_OUT ? "outbound" : "inbound");
	snprintf(b->conn_id, sizeof(b->conn_id), "%" PRIu64, v->conn_id);
	values[ALERT_ENV_CONN_ID] = span_of(b->conn_id);
	values[ALERT_ENV_END] = span_of(verdict_end_name(v->end));
	if (span_present(v->str[VERDICT_S_PEER_IP]))
		values[ALERT_ENV_PEER_IP] = v->str[VERDICT_S_PEER_IP];
	if (span_present(v->str[VERDICT_S_PEER_RDNS]))
		values[ALERT_ENV_PEER_RDNS] = v->str[VERDICT_S_PEER_RDNS];
	if (span_present(v->str[VERDICT_S_TLS_ERROR]))
		values[ALERT_ENV_TLS_ERROR] = v->str[VERDICT_S_TLS_ERROR];
	if (span_present(v->str[VERDICT_S_TLS_PROTOCOL]))
		values[ALERT_ENV_TLS_PROTOCOL] = v->str[VERDICT_S_TLS_PROTOCOL];
	if (v->first_seen.valid) {
		logtime_format_iso(&v->first_seen, b->first_seen);
		values[ALERT_ENV_FIRST_SEEN] = span_of(b->first_seen);
	}
}

/* A downgrade's: the new connection's, then the peer's key and its posture before. */
static void alert_downgrade_values(struct span *values, const struct downgrade_record *g,
                                   struct alert_buf *b)
{
	alert_connection_values(values, g->conn, b);
	values[ALERT_ENV_DOWNGRADE] = span_of(downgrade_kind_name(g->kind));
	if (span_present(g->peer))
		values[ALERT_ENV_PEER] = g->peer;
	if (g->last_tls.valid) {
		logtime_format_iso(&g->last_tls, b->last_tls);
		values[ALERT_ENV_LAST_TLS] = span_of(b->last_tls);
	}
	if (span_present(g->last_protocol))
		values[ALERT_ENV_LAST_TLS_PROTOCOL] = g->last_protocol;
}

static void alert_build(struct alert *a, struct alert_buf *b, const struct offer *o,
                        const char *json, size_t len, uint64_t suppressed, const char *hook_name)
{
	static const char *const env_names[ALERT_ENV_COUNT] = {
#define ALERT_ENV_NAME(name, str) str,
	    ALERT_ENV(ALERT_ENV_NAME)
#undef ALERT_ENV_NAME
	};
	struct span values[ALERT_ENV_COUNT];
	for (int i = 0; i < ALERT_ENV_COUNT; i++)
		values[i] = span_make("", 0);
	values[ALERT_ENV_TYPE] = span_of(record_type_name(o->type));
	if (o->type == RECORD_CONNECTION)
		alert_connection_values(values, o->v, b);
	else if (o->type == RECORD_MESSAGE)
		alert_message_values(values, o->m, b);
	else if (o->type == RECORD_DOWNGRADE)
		alert_downgrade_values(values, o->g, b);
	else
		values[ALERT_ENV_FEED_STATE] = span_of(feed_state_name(o->f->state));
	if (span_present(o->host))
		values[ALERT_ENV_HOST] = o->host;
	snprintf(b->suppressed, sizeof(b->suppressed), "%" PRIu64, suppressed);
	values[ALERT_ENV_SUPPRESSED] = span_of(b->suppressed);
	values[ALERT_ENV_HOOK] = span_of(hook_name);
	for (int i = 0; i < ALERT_ENV_COUNT; i++) {
		env_set(b->env[i], env_names[i], values[i]);
		a->env[i] = b->env[i];
		a->value[i] = values[i];
	}
	/* The record as the files have it, plus "suppressed":N before its closing brace when the
	 * throttle held some back. */
	a->json = json;
	a->len = len;
	if (suppressed > 0 && len >= 2 && len + 40 < sizeof(b->json) && json[len - 2] == '}') {
		int n = snprintf(b->json, sizeof(b->json), "%.*s,\"suppressed\":%" PRIu64 "}\n",
		                 (int)(len - 2), json, suppressed);
		if (n > 0 && (size_t)n < sizeof(b->json)) {
			a->json = b->json;
			a->len = (size_t)n;
		}
	}
}

/* ---- the set ---- */

struct hooks *hooks_new(struct event_base *base, const struct hook_config *cfgs, size_t n)
{
	struct hooks *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->base = base;
	h->hook = calloc(n ? n : 1, sizeof(*h->hook));
	if (h->hook == NULL) {
		free(h);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if ((h->hook[i] = hook_open(base, &cfgs[i])) == NULL) {
			hooks_free(h);
			return NULL;
		}
		h->n = i + 1;
	}
	return h;
}

static void hooks_offer_any(struct hooks *h, const struct offer *o, const char *json, size_t len,
                            uint64_t now_ms)
{
	for (size_t i = 0; i < h->n; i++) {
		struct hook *k = h->hook[i];
		uint64_t suppressed;
		if (k->retiring || !hook_matches(k, o))
			continue;
		k->count.offered++;
		struct throttle_entry before;
		struct throttle_entry *slot = NULL;
		if (!hook_throttle_pass(k, o, now_ms, &suppressed, &slot, &before)) {
			k->count.throttled++;
			continue;
		}
		struct alert a;
		alert_build(&a, &h->buf, o, json, len, suppressed, k->name);
		if (k->ops->submit(k->runner, &a) == 0) {
			k->count.submitted++;
		} else {
			/* Nothing went out: the key keeps its window and its suppressed count. */
			k->count.rejected++;
			if (slot != NULL)
				*slot = before;
		}
	}
}

void hooks_offer(struct hooks *h, const struct verdict *v, const char *json, size_t len,
                 uint64_t now_ms)
{
	struct offer o = {RECORD_CONNECTION, v, NULL, NULL, NULL, v->host};
	hooks_offer_any(h, &o, json, len, now_ms);
}

void hooks_offer_feed(struct hooks *h, const struct feed_record *f, const char *json, size_t len,
                      uint64_t now_ms)
{
	struct offer o = {RECORD_FEED, NULL, f, NULL, NULL, f->host};
	hooks_offer_any(h, &o, json, len, now_ms);
}

void hooks_offer_message(struct hooks *h, const struct message_record *m, const char *json,
                         size_t len, uint64_t now_ms)
{
	struct offer o = {RECORD_MESSAGE, NULL, NULL, m, NULL, m->host};
	hooks_offer_any(h, &o, json, len, now_ms);
}

void hooks_offer_downgrade(struct hooks *h, const struct downgrade_record *g, const char *json,
                           size_t len, uint64_t now_ms)
{
	struct offer o = {RECORD_DOWNGRADE, g->conn, NULL, NULL, g, g->conn->host};
	hooks_offer_any(h, &o, json, len, now_ms);
}

/* ---- reload ---- */

struct hooks_reload_ctx {
	struct hooks *h;
	const struct hook_config *cfgs;
};

static void *hook_running(void *ctx, size_t j)
{
	return ((struct hooks_reload_ctx *)ctx)->h->hook[j];
}

/* A hook of the same name and kind keeps its runner and throttle state, even one retiring. */
static int hook_keeps(void *ctx, void *obj, size_t i)
{
	const struct hook *k = obj;
	const struct hook_config *cfg = &((struct hooks_reload_ctx *)ctx)->cfgs[i];
	return k->kind == cfg->kind && strcmp(k->name, cfg->name) == 0;
}

static void *hook_open_entry(void *ctx, size_t i)
{
	const struct hooks_reload_ctx *rc = ctx;
	return hook_open(rc->h->base, &rc->cfgs[i]);
}

static void hook_close_obj(void *obj)
{
	hook_close(obj);
}

static const struct reload_ops hook_reload = {hook_running, hook_keeps, hook_open_entry,
                                              hook_close_obj};

int hooks_reload(struct hooks *h, const struct hook_config *cfgs, size_t n)
{
	struct hooks_reload_ctx rc = {h, cfgs};
	struct reload_set rs;

	if (reload_prepare(&rs, &hook_reload, &rc, h->n, n) != 0)
		return -1;
	struct hook **all = calloc(h->n + n ? h->n + n : 1, sizeof(*all));
	if (all == NULL) {
		reload_abandon(&rs, &hook_reload);
		return -1;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct hook *k = rs.next[i];
		if (rs.reused[i] && hook_update(k, &cfgs[i]) != 0)
			log_warnx("hook %s: out of memory; keeping its old filters", k->name);
		k->retiring = 0;
		all[m++] = k;
	}
	/* A hook no longer configured takes no alert; it finishes what it runs and holds, then
	 * hooks_tick closes it. */
	for (size_t j = 0; j < h->n; j++) {
		if (!rs.kept[j]) {
			h->hook[j]->retiring = 1;
			all[m++] = h->hook[j];
		}
	}
	reload_done(&rs);
	free(h->hook);
	h->hook = all;
	h->n = m;
	hooks_tick(h);
	return 0;
}

void hooks_tick(struct hooks *h)
{
	size_t m = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct hook *k = h->hook[i];
		if (k->retiring && !hook_busy(k)) {
			log_info("hook %s: removed", k->name);
			hook_close(k);
			continue;
		}
		h->hook[m++] = k;
	}
	h->n = m;
}

int hooks_idle(const struct hooks *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (hook_busy(h->hook[i]))
			return 0;
	return 1;
}

uint64_t hooks_max_timeout_ms(const struct hooks *h)
{
	uint64_t max = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->hook[i]->filter.timeout_ms > max)
			max = h->hook[i]->filter.timeout_ms;
	return max;
}

size_t hooks_count(const struct hooks *h)
{
	return h->n;
}

void hooks_stats(const struct hooks *h, size_t i, struct hook_stats *s)
{
	const struct hook *k = h->hook[i];
	memset(s, 0, sizeof(*s));
	s->name = k->name;
	s->offered = k->count.offered;
	s->throttled = k->count.throttled;
	s->kind = k->ops->kind;
	k->ops->stats(k->runner, s);
	s->running = k->ops->running(k->runner);
	s->queued = k->ops->queued(k->runner);
}

void hooks_free(struct hooks *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		hook_close(h->hook[i]);
	free(h->hook);
	free(h);
}
