#include <stdio.h>
#include <string.h>

#include "digits.h"
#include "logtime.h"
#include "record.h"
#include "verdict.h"

/* The second column of the name lists in record.h. */
#define NAME_STR(name, str) str,

static const char *const record_type_names[RECORD_TYPE_COUNT] = {RECORD_TYPES(NAME_STR)};

static const char *const feed_state_names[FEED_STATE_COUNT] = {FEED_STATES(NAME_STR)};

static const char *const message_end_names[MESSAGE_END_COUNT] = {MESSAGE_ENDS(NAME_STR)};

static const char *const downgrade_kind_names[DOWNGRADE_KIND_COUNT] = {DOWNGRADE_KINDS(NAME_STR)};

static const char *const delivery_outcome_names[DELIVERY_OUTCOME_COUNT] = {
    DELIVERY_OUTCOMES(NAME_STR)};

/* The names a message record writes, with their lengths. */
struct name_len {
	const char *s;
	size_t len;
};
#define NAME_LEN(name, str) {str, sizeof(str) - 1},
static const struct name_len verdict_kinds[VERDICT_KIND_COUNT] = {VERDICT_KINDS(NAME_LEN)};
static const struct name_len message_ends[MESSAGE_END_COUNT] = {MESSAGE_ENDS(NAME_LEN)};
static const struct name_len delivery_outcomes[DELIVERY_OUTCOME_COUNT] = {
    DELIVERY_OUTCOMES(NAME_LEN)};

const char *message_end_name(enum message_end end)
{
	return (unsigned)end < MESSAGE_END_COUNT ? message_end_names[end] : "?";
}

const char *delivery_outcome_name(enum delivery_outcome outcome)
{
	return (unsigned)outcome < DELIVERY_OUTCOME_COUNT ? delivery_outcome_names[outcome] : "?";
}

const char *downgrade_kind_name(enum downgrade_kind kind)
{
	return (unsigned)kind < DOWNGRADE_KIND_COUNT ? downgrade_kind_names[kind] : "?";
}

const char *record_type_name(enum record_type type)
{
	return (unsigned)type < RECORD_TYPE_COUNT ? record_type_names[type] : "?";
}

const char *feed_state_name(enum feed_state state)
{
	return (unsigned)state < FEED_STATE_COUNT ? feed_state_names[state] : "?";
}

/* A bounded writer: once something does not fit, the result is 0. Keys are literals, passed
 * with their length (the macros below), so that a record costs no strlen per key. */
struct feed_out {
	char *buf;
	size_t len, cap;
	int full;
};

static void put_n(struct feed_out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put(struct feed_out *o, const char *s)
{
	put_n(o, s, strlen(s));
}

#define LIT(s) (s), sizeof(s) - 1
#define PUT_LIT(o, s) put_n((o), LIT(s))

static void put_string(struct feed_out *o, const char *key, size_t key_len, struct span value)
{
	put_n(o, key, key_len);
	if (o->full)
		return;
	size_t n = verdict_json_string(value, o->buf + o->len, o->cap - o->len);
	if (n == 0)
		o->full = 1;
	o->len += n;
}

static void put_u64(struct feed_out *o, const char *key, size_t key_len, uint64_t v)
{
	char num[20];
	const char *d = digits_u64(num + sizeof num, v);
	put_n(o, key, key_len);
	put_n(o, d, (size_t)(num + sizeof num - d));
}

/* A value of esatlsd's own (a name from the tables above, a formatted time): plain ASCII, so
 * written as is between quotes. key ends with the opening quote. */
static void put_name(struct feed_out *o, const char *key, size_t key_len, const char *name)
{
	put_n(o, key, key_len);
	put(o, name);
	PUT_LIT(o, "\"");
}

/* The same for entry i of a name list of n, or `other` (the name function's answer) past it. */
static void put_listed(struct feed_out *o, const char *key, size_t key_len,
                       const struct name_len *names, unsigned n, unsigned i, const char *other)
{
	if (i >= n) {
		put_name(o, key, key_len, other);
		return;
	}
	put_n(o, key, key_len);
	put_n(o, names[i].s, names[i].len);
	PUT_LIT(o, "\"");
}

static void put_kind(struct feed_out *o, const char *key, size_t key_len, enum verdict_kind k)
{
	put_listed(o, key, key_len, verdict_kinds, VERDICT_KIND_COUNT, (unsigned)k,
	           (unsigned)k < VERDICT_KIND_COUNT ? NULL : verdict_kind_name(k));
}

static void put_logtime(struct feed_out *o, const char *key, size_t key_len,
                        const struct logtime *lt)
{
	char iso[40];
	if (!lt->valid)
		return;
	int n = logtime_format_iso(lt, iso);
	put_n(o, key, key_len);
	put_n(o, iso, (size_t)n);
	PUT_LIT(o, "\"");
}

static void put_time(struct feed_out *o, const char *key, size_t key_len, int64_t t)
{
	struct logtime lt = {t, 0, 1};
	put_logtime(o, key, key_len, &lt);
}

size_t feed_record_encode(const struct feed_record *r, char *buf, size_t cap)
{
	struct feed_out o = {buf, 0, cap, 0};
	const char *state = feed_state_name(r->state);
	PUT_LIT(&o, "{\"v\":1,\"type\":\"feed\"");
	put_time(&o, LIT(",\"time\":\""), r->time);
	put_string(&o, LIT(",\"host\":"), span_present(r->host) ? r->host : span_make("", 0));
	put_string(&o, LIT(",\"state\":"), span_make(state, strlen(state)));
	if (r->last_seen != 0)
		put_time(&o, LIT(",\"last_seen\":\""), r->last_seen);
	if (r->silent_for >= 0)
		put_u64(&o, LIT(",\"silent_for\":"), (uint64_t)r->silent_for);
	if (r->state == FEED_UNRECOGNISED || r->state == FEED_RECOGNISED) {
		put_u64(&o, LIT(",\"lines\":"), r->lines);
		put_u64(&o, LIT(",\"unclassified\":"), r->unclassified);
	}
	if (r->shape != NULL)
		put_string(&o, LIT(",\"shape\":"), span_make(r->shape, strlen(r->shape)));
	if (r->cause != NULL)
		put_string(&o, LIT(",\"cause\":"), span_make(r->cause, strlen(r->cause)));
	if (span_present(r->example))
		put_string(&o, LIT(",\"example\":"), r->example);
	PUT_LIT(&o, "}\n");
	return o.full ? 0 : o.len;
}

/* Rank of a part's verdict in the end-to-end verdict: the highest wins. */
static int e2e_rank(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_TLS:
		return 0;
	case VERDICT_UNKNOWN:
		return 1;
	case VERDICT_NO_TLS:
		return 2;
	case VERDICT_TLS_FAILED:
		return 3;
	case VERDICT_KIND_COUNT:
		break;
	}
	return 1;
}

enum verdict_kind message_end_to_end(const struct message_record *m)
{
	enum verdict_kind e2e = m->in_verdict;
	/* Past the listed deliveries nothing is known of the others. */
	if (m->deliveries_total > m->n_deliveries && e2e_rank(e2e) < e2e_rank(VERDICT_UNKNOWN))
		e2e = VERDICT_UNKNOWN;
	for (size_t i = 0; i < m->n_deliveries; i++)
		if (e2e_rank(m->deliveries[i].verdict) > e2e_rank(e2e))
			e2e = m->deliveries[i].verdict;
	return e2e;
}

static void put_rids(struct feed_out *o, uint64_t rids)
{
	char num[20];
	PUT_LIT(o, ",\"rids\":[");
	for (unsigned r = 0, first = 1; rids != 0; r++, rids >>= 1) {
		if (!(rids & 1))
			continue;
		const char *d = digits_u64(num + sizeof num, r);
		if (!first)
			PUT_LIT(o, ",");
		put_n(o, d, (size_t)(num + sizeof num - d));
		first = 0;
	}
	PUT_LIT(o, "]");
}

/* last_seen: usually first_seen's day with the same offset, whose text then differs from first's
 * in the clock only (the year always takes four digits). */
static void put_last_seen(struct feed_out *o, const struct logtime *first, const char *first_iso,
                          int first_len, const struct logtime *last)
{
	if (!last->valid)
		return;
	if (first_len == 0 || first->offset != last->offset || first->wall < 0 || last->wall < 0 ||
	    first->wall / 86400 != last->wall / 86400) {
		put_logtime(o, LIT(",\"last_seen\":\""), last);
		return;
	}
	char iso[40];
	unsigned rem = (unsigned)(last->wall % 86400),
	         hms[3] = {rem / 3600, rem / 60 % 60, rem % 60};
	memcpy(iso, first_iso, (size_t)first_len);
	for (int k = 0; k < 3; k++)
		digits_fixed(iso + 11 + 3 * k, hms[k], 2);
	PUT_LIT(o, ",\"last_seen\":\"");
	put_n(o, iso, (size_t)first_len);
	PUT_LIT(o, "\"");
}

size_t message_record_encode(const struct message_record *m, char *buf, size_t cap)
{
	struct feed_out o = {buf, 0, cap, 0};
	char first[40];
	int first_len = 0;
	PUT_LIT(&o, "{\"v\":1,\"type\":\"message\"");
	put_string(&o, LIT(",\"host\":"), span_present(m->host) ? m->host : span_make("", 0));
	put_u64(&o, LIT(",\"mid\":"), m->mid);
	if (m->icid != 0)
		put_u64(&o, LIT(",\"icid\":"), m->icid);
	put_kind(&o, LIT(",\"in_verdict\":\""), m->in_verdict);
	PUT_LIT(&o, ",\"deliveries\":[");
	for (size_t i = 0; i < m->n_deliveries; i++) {
		const struct message_delivery *d = &m->deliveries[i];
		if (i > 0)
			PUT_LIT(&o, ",");
		put_u64(&o, LIT("{\"dcid\":"), d->dcid);
		put_rids(&o, d->rids);
		put_kind(&o, LIT(",\"verdict\":\""), d->verdict);
		if (span_present(d->peer_domain))
			put_string(&o, LIT(",\"peer_domain\":"), d->peer_domain);
		put_listed(&o, LIT(",\"outcome\":\""), delivery_outcomes, DELIVERY_OUTCOME_COUNT,
		           (unsigned)d->outcome, "?");
		if (d->after_failure)
			PUT_LIT(&o, ",\"after_failure\":true");
		PUT_LIT(&o, "}");
	}
	PUT_LIT(&o, "]");
	if (m->deliveries_total > m->n_deliveries)
		put_u64(&o, LIT(",\"deliveries_total\":"), m->deliveries_total);
	put_kind(&o, LIT(",\"end_to_end\":\""), message_end_to_end(m));
	put_listed(&o, LIT(",\"end\":\""), message_ends, MESSAGE_END_COUNT, (unsigned)m->end, "?");
	if (m->first_seen.valid) {
		first_len = logtime_format_iso(&m->first_seen, first);
		PUT_LIT(&o, ",\"first_seen\":\"");
		put_n(&o, first, (size_t)first_len);
		PUT_LIT(&o, "\"");
	}
	put_last_seen(&o, &m->first_seen, first, first_len, &m->last_seen);
	PUT_LIT(&o, "}\n");
	return o.full ? 0 : o.len;
}

static void put_present(struct feed_out *o, const char *key, size_t key_len, struct span value)
{
	if (span_present(value))
		put_string(o, key, key_len, value);
}

/* The fields of the new connection, named as its verdict record names them. */
static void put_downgrade_conn(struct feed_out *o, const struct verdict *v)
{
	static const enum verdict_str shown[] = {VERDICT_S_PEER_IP,     VERDICT_S_PEER_RDNS,
	                                         VERDICT_S_PEER_DOMAIN, VERDICT_S_TLS_PROTOCOL,
	                                         VERDICT_S_TLS_CIPHER,  VERDICT_S_TLS_ERROR};
	char key[40];
	put_name(o, LIT(",\"direction\":\""), v->dir == ESA_DIR_OUT ? "outbound" : "inbound");
	if (v->dir == ESA_DIR_OUT)
		put_u64(o, LIT(",\"dcid\":"), v->conn_id);
	else
		put_u64(o, LIT(",\"icid\":"), v->conn_id);
	put_kind(o, LIT(",\"verdict\":\""), v->kind);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		int n = snprintf(key, sizeof(key), ",\"%s\":", verdict_str_name(shown[i]));
		put_present(o, key, (size_t)n, v->str[shown[i]]);
	}
	put_logtime(o, LIT(",\"first_seen\":\""), &v->first_seen);
	put_logtime(o, LIT(",\"last_seen\":\""), &v->last_seen);
}

size_t downgrade_record_encode(const struct downgrade_record *g, char *buf, size_t cap)
{
	struct feed_out o = {buf, 0, cap, 0};
	const struct verdict *v = g->conn;
	PUT_LIT(&o, "{\"v\":1,\"type\":\"downgrade\"");
	put_name(&o, LIT(",\"kind\":\""), downgrade_kind_name(g->kind));
	put_string(&o, LIT(",\"host\":"), span_present(v->host) ? v->host : span_make("", 0));
	put_string(&o, LIT(",\"peer\":"), g->peer);
	put_downgrade_conn(&o, v);
	put_logtime(&o, LIT(",\"last_tls\":\""), &g->last_tls);
	if (g->last_tls_host.len > 0)
		put_string(&o, LIT(",\"last_tls_host\":"), g->last_tls_host);
	put_present(&o, LIT(",\"last_tls_protocol\":"), g->last_protocol);
	put_present(&o, LIT(",\"last_tls_cipher\":"), g->last_cipher);
	PUT_LIT(&o, ",\"peer_counts\":{");
	for (int k = 0; k < VERDICT_KIND_COUNT; k++) {
		char key[32];
		int n = snprintf(key, sizeof(key), "%s\"%s\":", k ? "," : "",
		                 verdict_kind_name((enum verdict_kind)k));
		put_u64(&o, key, (size_t)n, g->counts[k]);
	}
	PUT_LIT(&o, "}");
	if (g->held_back > 0)
		put_u64(&o, LIT(",\"held_back\":"), g->held_back);
	PUT_LIT(&o, "}\n");
	return o.full ? 0 : o.len;
}
