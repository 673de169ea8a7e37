/* The posture table: which connections make a downgrade record and which do not (window,
 * messages carried, unverified names), the protocol drop and the way back, the per-peer
 * throttle, the bounds (max_peers, window) and the saved state. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posture.h"
#include "state.h"
#include "support.h"

#define DAY 86400
#define T0 1795867200 /* 2026-11-28T12:00:00Z */

/* What the table wrote: the records' kinds and a copy of the latest one's fields. */
struct seen {
	int n;
	enum downgrade_kind kind[16];
	char peer[256], last_protocol[64], last_host[64];
	uint64_t counts[VERDICT_KIND_COUNT], held_back;
	uint64_t conn_id;
	int64_t last_tls_wall;
};

static void copy_span(char *dst, size_t cap, struct span s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void record_cb(const struct downgrade_record *g, void *arg)
{
	struct seen *s = arg;
	if (s->n < 16)
		s->kind[s->n] = g->kind;
	s->n++;
	copy_span(s->peer, sizeof(s->peer), g->peer);
	copy_span(s->last_protocol, sizeof(s->last_protocol), g->last_protocol);
	copy_span(s->last_host, sizeof(s->last_host), g->last_tls_host);
	memcpy(s->counts, g->counts, sizeof(s->counts));
	s->held_back = g->held_back;
	s->conn_id = g->conn->conn_id;
	s->last_tls_wall = g->last_tls.wall;
}

static struct posture *table(struct seen *s, uint32_t max_peers, int64_t throttle)
{
	memset(s, 0, sizeof(*s));
	struct posture_config cfg = {max_peers, 30 * DAY, throttle, {0x1234, 0x5678}};
	struct posture *pt = posture_new(&cfg, record_cb, s);
	ck_assert_ptr_nonnull(pt);
	return pt;
}

/* A final inbound record from `rdns` (verified) at 192.0.2.1, carrying one message. */
static struct verdict conn(enum verdict_kind kind, const char *rdns, const char *protocol,
                           int64_t t)
{
	static const uint64_t mid = 1;
	struct verdict v = {.kind = kind, .dir = ESA_DIR_IN, .host = sp("esa1"), .conn_id = 1};
	for (int i = 0; i < VERDICT_STR_COUNT; i++)
		v.str[i] = span_none();
	v.str[VERDICT_S_PEER_IP] = sp("192.0.2.1");
	if (rdns != NULL)
		v.str[VERDICT_S_PEER_RDNS] = sp(rdns);
	v.peer_rdns_verified = rdns != NULL;
	if (protocol != NULL)
		v.str[VERDICT_S_TLS_PROTOCOL] = sp(protocol);
	v.last_seen = (struct logtime){t, LOGTIME_NO_OFFSET, 1};
	v.mids = &mid;
	v.n_mids = 1;
	v.mids_total = 1;
	v.purpose = VERDICT_FOR_FILES | VERDICT_FOR_HOOKS;
	return v;
}

static void feed(struct posture *pt, struct verdict v, uint64_t id, int64_t t)
{
	v.conn_id = id;
	posture_observe(pt, &v, t);
}

START_TEST(plain_after_tls_is_a_downgrade)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 3600);
	feed(pt, conn(VERDICT_TLS, "MX.Example.ORG", "TLSv1.3", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 60), 2, T0 + 60);
	ck_assert_int_eq(s.n, 0);
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + DAY), 3, T0 + DAY);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.kind[0], DOWNGRADE_TLS_LOST);
	ck_assert_str_eq(s.peer, "mx.example.org");
	ck_assert_str_eq(s.last_protocol, "TLSv1.3");
	ck_assert_str_eq(s.last_host, "esa1");
	ck_assert_uint_eq(s.conn_id, 3);
	ck_assert_int_eq(s.last_tls_wall, T0 + 60);
	ck_assert_uint_eq(s.counts[VERDICT_TLS], 2);
	ck_assert_uint_eq(s.counts[VERDICT_NO_TLS], 1);
	/* A failure is one too (another kind of loss, the same throttle slot: held back). */
	feed(pt, conn(VERDICT_TLS_FAILED, "mx.example.org", NULL, T0 + DAY), 4, T0 + DAY + 1);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(posture_counters(pt)->throttled, 1);
	ck_assert_uint_eq(posture_counters(pt)->records[DOWNGRADE_TLS_LOST], 1);
	posture_free(pt);
}
END_TEST

START_TEST(what_is_no_downgrade)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 0);
	/* Plain only: never enters the table. */
	feed(pt, conn(VERDICT_NO_TLS, "plain.example.org", NULL, T0), 1, T0);
	ck_assert_uint_eq(posture_peer_count(pt), 0);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0), 2, T0);
	ck_assert_uint_eq(posture_peer_count(pt), 1);
	/* A plain connection that carried no message. */
	struct verdict probe = conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 10);
	probe.n_mids = 0;
	probe.mids_total = 0;
	feed(pt, probe, 3, T0 + 10);
	/* Unknown says nothing. */
	feed(pt, conn(VERDICT_UNKNOWN, "mx.example.org", NULL, T0 + 20), 4, T0 + 20);
	/* An early record for the hooks only. */
	struct verdict early = conn(VERDICT_TLS_FAILED, "mx.example.org", NULL, T0 + 30);
	early.purpose = VERDICT_FOR_HOOKS;
	feed(pt, early, 5, T0 + 30);
	/* The same name unverified is someone else's claim: keyed by its IP, not the peer. */
	struct verdict claim = conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 40);
	claim.peer_rdns_verified = 0;
	feed(pt, claim, 6, T0 + 40);
	ck_assert_int_eq(s.n, 0);
	/* Past the window the last success vouches for nothing. */
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 31 * DAY), 7, T0 + 31 * DAY);
	ck_assert_int_eq(s.n, 0);
	posture_free(pt);
}
END_TEST

START_TEST(outbound_keyed_by_domain)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 0);
	struct verdict v = conn(VERDICT_TLS, NULL, "TLSv1.2", T0);
	v.dir = ESA_DIR_OUT;
	v.str[VERDICT_S_PEER_DOMAIN] = sp("Example.COM");
	feed(pt, v, 1, T0);
	v.kind = VERDICT_TLS_FAILED;
	v.str[VERDICT_S_PEER_IP] = sp("198.51.100.7"); /* another MX of the same domain */
	feed(pt, v, 2, T0 + 5);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.peer, "example.com");
	/* The same name inbound is another peer. */
	feed(pt, conn(VERDICT_NO_TLS, "example.com", NULL, T0 + 6), 3, T0 + 6);
	ck_assert_int_eq(s.n, 1);
	posture_free(pt);
}
END_TEST

START_TEST(protocol_drop_and_way_back)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 3600);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0 + 10), 2, T0 + 10);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.kind[0], DOWNGRADE_PROTOCOL);
	ck_assert_str_eq(s.last_protocol, "TLSv1.3");
	/* Still 1.2: within the throttle, held back. */
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0 + 20), 3, T0 + 20);
	ck_assert_int_eq(s.n, 1);
	/* Back to 1.3 within the throttle: the record stays open, so no loss in that time can go
	 * unreported; once the throttle has passed, restored. */
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 30), 4, T0 + 30);
	ck_assert_int_eq(s.n, 1);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 3610), 5, T0 + 3610);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(s.kind[1], DOWNGRADE_RESTORED);
	ck_assert_uint_eq(s.held_back, 1);
	ck_assert_str_eq(s.last_protocol, "TLSv1.3");
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 3620), 6, T0 + 3620);
	ck_assert_int_eq(s.n, 2);
	/* Lost, then back after the throttle: restored. */
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 3630), 7, T0 + 3630);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 7300), 8, T0 + 7300);
	ck_assert_int_eq(s.n, 4);
	ck_assert_int_eq(s.kind[2], DOWNGRADE_TLS_LOST);
	ck_assert_int_eq(s.kind[3], DOWNGRADE_RESTORED);
	/* An unnamed protocol keeps the level: TLSv1 after it is still a drop from 1.3. */
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv9", T0 + 7310), 9, T0 + 7310);
	ck_assert_int_eq(s.n, 4);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1", T0 + 7320), 10, T0 + 7320);
	ck_assert_int_eq(s.n, 5);
	ck_assert_int_eq(s.kind[4], DOWNGRADE_PROTOCOL);
	ck_assert_uint_eq(posture_protocol_rank(sp("tlsv1.3")), 6);
	ck_assert_uint_gt(posture_protocol_rank(sp("TLSv1.2")), posture_protocol_rank(sp("TLSv1")));
	ck_assert_uint_eq(posture_protocol_rank(sp("TLSv1.4")), 0);
	posture_free(pt);
}
END_TEST

/* The level to come back to is the one before the first open record: a loss on top of a
 * protocol drop does not lower it. */
START_TEST(restored_only_at_the_level_before)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 0);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0 + 1), 2, T0 + 1);
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 2), 3, T0 + 2);
	ck_assert_int_eq(s.n, 2);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0 + 3), 4, T0 + 3);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.kind[2], DOWNGRADE_PROTOCOL); /* still below 1.3 */
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.3", T0 + 4), 5, T0 + 4);
	ck_assert_int_eq(s.n, 4);
	ck_assert_int_eq(s.kind[3], DOWNGRADE_RESTORED);
	/* After restored, the next loss is told at once. */
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 5), 6, T0 + 5);
	ck_assert_int_eq(s.n, 5);
	ck_assert_int_eq(s.kind[4], DOWNGRADE_TLS_LOST);
	posture_free(pt);
}
END_TEST

START_TEST(reload_resizes_the_table)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 0);
	char name[32];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "mx%d.example", i);
		feed(pt, conn(VERDICT_TLS, name, "TLSv1.3", T0 + i), (uint64_t)i, T0 + i);
	}
	struct posture_config smaller = {3, 7 * DAY, 60, {0, 0}};
	posture_reconfigure(pt, &smaller);
	ck_assert_uint_eq(posture_peer_count(pt), 3);
	ck_assert_uint_eq(posture_counters(pt)->evicted, 7);
	feed(pt, conn(VERDICT_NO_TLS, "mx0.example", NULL, T0 + 20), 20, T0 + 20); /* forgotten */
	feed(pt, conn(VERDICT_NO_TLS, "mx9.example", NULL, T0 + 21), 21, T0 + 21);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.peer, "mx9.example");
	posture_free(pt);
}
END_TEST

START_TEST(throttle_counts_what_it_holds_back)
{
	struct seen s;
	struct posture *pt = table(&s, 100, 3600);
	feed(pt, conn(VERDICT_TLS, "mx.example.org", "TLSv1.2", T0), 1, T0);
	for (int i = 0; i < 5; i++)
		feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + i), 2 + i, T0 + i);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(posture_counters(pt)->throttled, 4);
	feed(pt, conn(VERDICT_NO_TLS, "mx.example.org", NULL, T0 + 3600), 9, T0 + 3600);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(s.held_back, 4);
	/* The throttle is per peer: another peer's first goes out. */
	feed(pt, conn(VERDICT_TLS, "mx2.example.org", "TLSv1.2", T0), 10, T0 + 3600);
	feed(pt, conn(VERDICT_NO_TLS, "mx2.example.org", NULL, T0), 11, T0 + 3601);
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(s.held_back, 0);
	posture_free(pt);
}
END_TEST

START_TEST(bounded_by_max_peers_and_window)
{
	struct seen s;
	struct posture *pt = table(&s, 2, 0);
	feed(pt, conn(VERDICT_TLS, "a.example", "TLSv1.2", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "b.example", "TLSv1.2", T0), 2, T0 + 1);
	feed(pt, conn(VERDICT_TLS, "a.example", "TLSv1.2", T0), 3, T0 + 2); /* a newest again */
	feed(pt, conn(VERDICT_TLS, "c.example", "TLSv1.2", T0), 4, T0 + 3);
	ck_assert_uint_eq(posture_peer_count(pt), 2);
	ck_assert_uint_eq(posture_counters(pt)->evicted, 1);
	feed(pt, conn(VERDICT_NO_TLS, "b.example", NULL, T0), 5, T0 + 4); /* forgotten */
	ck_assert_int_eq(s.n, 0);
	feed(pt, conn(VERDICT_NO_TLS, "a.example", NULL, T0), 6, T0 + 5);
	ck_assert_int_eq(s.n, 1);
	size_t mem = posture_memory(pt);
	ck_assert_uint_gt(mem, 0);
	posture_expire(pt, T0 + 3 + 30 * DAY); /* c seen at T0+3: exactly the window */
	ck_assert_uint_eq(posture_peer_count(pt), 2);
	posture_expire(pt, T0 + 4 + 30 * DAY);
	ck_assert_uint_eq(posture_peer_count(pt), 1);
	posture_expire(pt, T0 + 6 + 30 * DAY);
	ck_assert_uint_eq(posture_peer_count(pt), 0);
	ck_assert_uint_eq(posture_counters(pt)->expired, 2);
	ck_assert_uint_lt(posture_memory(pt), mem);
	posture_free(pt);
}
END_TEST

static void one_off_flood(struct posture *pt, int from, int n, int64_t t)
{
	char name[32];
	for (int i = from; i < from + n; i++) {
		snprintf(name, sizeof(name), "spam%d.example", i);
		feed(pt, conn(VERDICT_TLS, name, "TLSv1.3", t), (uint64_t)i, t);
	}
}

static int import_into(const struct posture_peer_state *st, void *arg)
{
	return posture_import(arg, st);
}

/* A partner seen with TLS again an hour later is kept: a flood of one-off TLS senders forgets
 * its own kind, not the partner, also after a restart. */
START_TEST(partners_outlast_a_flood)
{
	struct seen s, s2;
	struct posture *pt = table(&s, 4, 0);
	feed(pt, conn(VERDICT_TLS, "partner.example", "TLSv1.3", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "partner.example", "TLSv1.3", T0 + 3600), 2, T0 + 3600);
	one_off_flood(pt, 0, 100, T0 + 3700);
	ck_assert_uint_eq(posture_peer_count(pt), 4);
	ck_assert_uint_eq(posture_counters(pt)->evicted, 97);
	struct posture *copy = table(&s2, 4, 0);
	ck_assert_int_eq(posture_export(pt, import_into, copy), 0);
	feed(pt, conn(VERDICT_NO_TLS, "partner.example", NULL, T0 + 3800), 3, T0 + 3800);
	ck_assert_int_eq(s.n, 1);
	one_off_flood(copy, 100, 100, T0 + 3900);
	feed(copy, conn(VERDICT_NO_TLS, "partner.example", NULL, T0 + 4000), 4, T0 + 4000);
	ck_assert_int_eq(s2.n, 1);
	/* Two successes within the hour make no partner. */
	struct posture *quick = table(&s, 2, 0);
	feed(quick, conn(VERDICT_TLS, "fast.example", "TLSv1.3", T0), 1, T0);
	feed(quick, conn(VERDICT_TLS, "fast.example", "TLSv1.3", T0 + 10), 2, T0 + 10);
	one_off_flood(quick, 0, 2, T0 + 20);
	feed(quick, conn(VERDICT_NO_TLS, "fast.example", NULL, T0 + 30), 3, T0 + 30);
	ck_assert_int_eq(s.n, 0);
	posture_free(pt);
	posture_free(copy);
	posture_free(quick);
}
END_TEST

/* Many peers: the buckets grow and every one is found again. */
START_TEST(many_peers)
{
	struct seen s;
	struct posture *pt = table(&s, 5000, 0);
	char name[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "mx%d.example", i);
		feed(pt, conn(VERDICT_TLS, name, "TLSv1.3", T0), (uint64_t)i, T0);
	}
	ck_assert_uint_eq(posture_peer_count(pt), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "MX%d.EXAMPLE", i);
		feed(pt, conn(VERDICT_TLS_FAILED, name, NULL, T0 + 1), (uint64_t)i, T0 + 1);
	}
	ck_assert_int_eq(s.n, 5000);
	ck_assert_uint_eq(posture_counters(pt)->evicted, 0);
	posture_free(pt);
}
END_TEST

static int save_cb(const struct posture_peer_state *st, void *arg)
{
	return posture_import(arg, st) == 0 ? 0 : -1;
}

START_TEST(saved_and_restored)
{
	struct seen s, s2;
	struct posture *pt = table(&s, 100, 3600);
	feed(pt, conn(VERDICT_TLS, "a.example", "TLSv1.3", T0), 1, T0);
	feed(pt, conn(VERDICT_TLS, "b.example", "TLSv1.3", T0), 2, T0 + 1);
	feed(pt, conn(VERDICT_NO_TLS, "a.example", NULL, T0), 3, T0 + 2);
	ck_assert_int_eq(s.n, 1);
	struct posture *copy = table(&s2, 100, 3600);
	ck_assert_int_eq(posture_export(pt, save_cb, copy), 0);
	ck_assert_uint_eq(posture_peer_count(copy), 2);
	/* A peer already held is not imported twice. */
	ck_assert_int_eq(posture_export(pt, save_cb, copy), -1);
	/* The copy knows what the original knew: a's throttle, b's last success, a's open record.
	 */
	feed(copy, conn(VERDICT_NO_TLS, "a.example", NULL, T0), 4, T0 + 3);
	ck_assert_int_eq(s2.n, 0);
	feed(copy, conn(VERDICT_TLS_FAILED, "b.example", NULL, T0), 5, T0 + 4);
	ck_assert_int_eq(s2.n, 1);
	ck_assert_str_eq(s2.last_protocol, "TLSv1.3");
	ck_assert_uint_eq(s2.counts[VERDICT_TLS], 1);
	feed(copy, conn(VERDICT_TLS, "a.example", "TLSv1.3", T0), 6, T0 + 3602);
	ck_assert_int_eq(s2.n, 2);
	ck_assert_int_eq(s2.kind[1], DOWNGRADE_RESTORED);
	ck_assert_uint_eq(s2.held_back, 1);
	/* What the format could carry but the table cannot hold is refused. */
	struct posture_peer_state bad = {
	    .dir = 7, .open = POSTURE_NONE, .key = sp("x"), .last_tls_clock = T0};
	ck_assert_int_eq(posture_state_check(&bad), -1);
	bad.dir = ESA_DIR_IN;
	ck_assert_int_eq(posture_state_check(&bad), 0);
	bad.open = DOWNGRADE_KIND_COUNT;
	ck_assert_int_eq(posture_state_check(&bad), -1);
	bad.open = POSTURE_NONE;
	bad.key = sp("");
	ck_assert_int_eq(posture_state_check(&bad), -1);
	/* Times far outside any clock would overflow the window and throttle arithmetic. */
	bad.key = sp("x");
	bad.seen = INT64_MIN + 1;
	ck_assert_int_eq(posture_state_check(&bad), -1);
	bad.seen = 0;
	bad.last_record[DOWNGRADE_TLS_LOST] = INT64_MAX;
	ck_assert_int_eq(posture_state_check(&bad), -1);
	bad.last_record[DOWNGRADE_TLS_LOST] = 0;
	bad.last_tls.offset = 30000;
	ck_assert_int_eq(posture_state_check(&bad), -1);
	bad.last_tls.offset = LOGTIME_NO_OFFSET;
	ck_assert_int_eq(posture_state_check(&bad), 0);
	posture_free(pt);
	posture_free(copy);
}
END_TEST

/* ---- in the state file ---- */

static int write_peer(const struct posture_peer_state *s, void *arg)
{
	state_writer_peer(arg, s);
	return 0;
}

static int import_peer(const struct posture_peer_state *s, void *arg)
{
	return posture_import(arg, s);
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

START_TEST(peers_in_the_state_file)
{
	struct seen s, s2;
	static struct state_writer w;
	static struct mem_sink m;
	struct posture *pt = table(&s, 100, 3600);
	feed(pt, conn(VERDICT_TLS, "a.example", "TLSv1.3", T0), 1, T0);
	struct verdict out = conn(VERDICT_TLS, NULL, NULL, T0); /* no protocol, no cipher */
	out.dir = ESA_DIR_OUT;
	out.str[VERDICT_S_PEER_DOMAIN] = sp("b.example");
	out.host = span_none();
	feed(pt, out, 2, T0 + 1);
	m.len = 0;
	state_writer_begin(&w, mem_sink_write, &m, T0);
	ck_assert_int_eq(posture_export(pt, write_peer, &w), 0);
	ck_assert_int_eq(state_writer_end(&w), 0);
	/* Two bodies: fixed part, the key and what else is present. */
	ck_assert_uint_eq(m.len, STATE_HEADER_LEN + 2 * (4 + STATE_PEER_FIXED) + (1 + 9) + (1 + 4) +
	                             (1 + 7) + (1 + 9) + STATE_TRAILER_LEN);

	struct posture *copy = table(&s2, 100, 3600);
	const struct state_visitor v = {NULL, NULL, import_peer, copy};
	uint64_t count;
	ck_assert_int_eq(state_parse_visit(m.data, m.len, &v, NULL, &count), STATE_OK);
	ck_assert_uint_eq(count, 2);
	ck_assert_uint_eq(posture_peer_count(copy), 2);
	struct verdict lost = out;
	lost.kind = VERDICT_TLS_FAILED;
	feed(copy, lost, 3, T0 + 2);
	ck_assert_int_eq(s2.n, 1);
	ck_assert_str_eq(s2.peer, "b.example");
	ck_assert_str_eq(s2.last_host, ""); /* absent stays absent */
	/* Connections-only readers skip peers. */
	ck_assert_int_eq(state_parse(m.data, m.len, NULL, NULL, NULL, &count), STATE_OK);

	/* A version 2 file has no peers: the same bytes under its header are malformed. */
	m.data[STATE_MAGIC_LEN] = 2;
	uint64_t h = fnv(m.data, m.len - 8);
	for (int i = 0; i < 8; i++)
		m.data[m.len - 8 + i] = (unsigned char)(h >> (8 * i));
	ck_assert_int_eq(state_parse_visit(m.data, m.len, &v, NULL, NULL), STATE_MALFORMED);

	/* A key longer than the format holds fails the writer. */
	char longer[300];
	memset(longer, 'a', sizeof(longer));
	struct posture_peer_state big = {.dir = ESA_DIR_IN,
	                                 .open = POSTURE_NONE,
	                                 .key = span_make(longer, 256),
	                                 .last_tls_clock = T0};
	m.len = 0;
	state_writer_begin(&w, mem_sink_write, &m, T0);
	state_writer_peer(&w, &big);
	ck_assert_int_eq(state_writer_end(&w), -1);
	posture_free(pt);
	posture_free(copy);
}
END_TEST

static Suite *posture_suite(void)
{
	Suite *s = suite_create("posture");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_after_tls_is_a_downgrade);
	tcase_add_test(tc, what_is_no_downgrade);
	tcase_add_test(tc, outbound_keyed_by_domain);
	tcase_add_test(tc, protocol_drop_and_way_back);
	tcase_add_test(tc, restored_only_at_the_level_before);
	tcase_add_test(tc, reload_resizes_the_table);
	tcase_add_test(tc, throttle_counts_what_it_holds_back);
	tcase_add_test(tc, bounded_by_max_peers_and_window);
	tcase_add_test(tc, many_peers);
	tcase_add_test(tc, partners_outlast_a_flood);
	tcase_add_test(tc, saved_and_restored);
	tcase_add_test(tc, peers_in_the_state_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(posture_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
