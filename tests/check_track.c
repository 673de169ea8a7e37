/* The tracker: verdict rules, every end reason, ID reuse, appliances apart, linger, bounds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"
#include "support.h"

#define MAX_RECORDS 64

struct record {
	enum verdict_kind kind;
	enum esa_dir dir;
	uint32_t source;
	uint64_t id;
	enum verdict_end end;
	char str[VERDICT_STR_COUNT][VERDICT_FIELD_MAX + 1];
	int present[VERDICT_STR_COUNT];
	int rdns_verified, tls_required;
	uint32_t port, lines;
	uint64_t mids[VERDICT_MIDS_MAX];
	size_t n_mids;
	uint64_t mids_total;
	int fail_mark;
	size_t fail_from;
	uint64_t after_failure_total;
	int64_t first, last;
};

static struct record records[MAX_RECORDS];
static size_t n_records;
static uint64_t total_records;
static struct tracker *tr;

static struct span name_of_source(const void *arg, uint32_t source)
{
	(void)arg;
	static const char *names[] = {"esa1.example.com", "esa2.example.com"};
	return source < 2 ? span_make(names[source], strlen(names[source])) : span_none();
}

static uint64_t early_alerts, hook_records;

static void collect_verdict(const struct verdict *v, void *arg)
{
	(void)arg;
	if (v->purpose & VERDICT_FOR_HOOKS)
		hook_records++;
	if (v->end == VERDICT_END_OPEN)
		early_alerts++;
	if (!(v->purpose & VERDICT_FOR_FILES))
		return;
	total_records++;
	if (n_records == MAX_RECORDS)
		return;
	struct record *r = &records[n_records++];
	memset(r, 0, sizeof(*r));
	r->kind = v->kind;
	r->dir = v->dir;
	r->source = v->host.len && v->host.p[3] == '2' ? 1 : 0;
	r->id = v->conn_id;
	r->end = v->end;
	for (int f = 0; f < VERDICT_STR_COUNT; f++) {
		if (span_present(v->str[f])) {
			r->present[f] = 1;
			memcpy(r->str[f], v->str[f].p, v->str[f].len);
		}
	}
	r->rdns_verified = v->peer_rdns_verified;
	r->tls_required = v->tls_required;
	r->port = v->peer_port;
	r->lines = v->lines;
	r->n_mids = v->n_mids;
	if (v->n_mids > 0)
		memcpy(r->mids, v->mids, v->n_mids * sizeof(uint64_t));
	r->mids_total = v->mids_total;
	r->fail_mark = v->has_failure_mark;
	r->fail_from = v->mids_after_failure_from;
	r->after_failure_total = v->mids_after_failure_total;
	r->first = v->first_seen.wall;
	r->last = v->last_seen.wall;
}

static void setup_with(uint32_t max_conns)
{
	struct track_config cfg;
	track_config_defaults(&cfg);
	cfg.max_connections = max_conns;
	n_records = 0;
	total_records = 0;
	early_alerts = hook_records = 0;
	tr = track_new(&cfg, collect_verdict, NULL);
	ck_assert_ptr_nonnull(tr);
	track_set_source_names(tr, name_of_source, NULL);
}

static void setup(void)
{
	setup_with(1000);
}

static void teardown(void)
{
	track_free(tr);
	tr = NULL;
}

static struct esa_event ev_base(enum esa_kind kind, enum esa_dir dir, uint64_t id)
{
	struct esa_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.dir = dir;
	ev.conn_id = id;
	ev.rdns_verified = -1;
	return ev;
}

/* Feeds one event at clock time now (the log time is the same). */
static void feed(uint32_t source, struct esa_event ev, int64_t now)
{
	struct logtime when = {now, LOGTIME_NO_OFFSET, 1};
	track_event(tr, source, &ev, &when, now);
}

static void open_in(uint32_t src, uint64_t id, int64_t now)
{
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_IN, id);
	ev.interface = sp("Data 1");
	ev.local_ip = sp("23.90.98.53");
	ev.peer_ip = sp("136.143.188.59");
	ev.peer_rdns = sp("sender4-of-o59.zoho.com");
	ev.rdns_verified = 1;
	feed(src, ev, now);
}

static void end_conn(uint32_t src, enum esa_dir dir, uint64_t id, enum esa_end end, int64_t now)
{
	struct esa_event ev = ev_base(ESA_CONN_END, dir, id);
	ev.end = end;
	feed(src, ev, now);
}

static void tls_ok(uint32_t src, enum esa_dir dir, uint64_t id, int64_t now)
{
	struct esa_event ev = ev_base(ESA_TLS_OK, dir, id);
	ev.tls_protocol = sp("TLSv1.2");
	ev.tls_cipher = sp("ECDHE-RSA-AES256-GCM-SHA384");
	feed(src, ev, now);
}

static void tls_fail(uint32_t src, enum esa_dir dir, uint64_t id, const char *why, int64_t now)
{
	struct esa_event ev = ev_base(ESA_TLS_FAIL, dir, id);
	ev.reason = sp(why);
	feed(src, ev, now);
}

static void tls_required(uint32_t src, enum esa_dir dir, uint64_t id, int64_t now)
{
	struct esa_event ev = ev_base(ESA_TLS_REQUIRED, dir, id);
	ev.reason = sp("TLS was required but remote host did not initiate it");
	feed(src, ev, now);
}

static void mid_on(uint32_t src, enum esa_kind kind, uint64_t id, uint64_t mid, int64_t now)
{
	struct esa_event ev = ev_base(kind, kind == ESA_MSG_LINK ? ESA_DIR_IN : ESA_DIR_OUT, id);
	ev.mid = mid;
	feed(src, ev, now);
}

START_TEST(success_line_gives_tls)
{
	open_in(0, 5, 100);
	tls_ok(0, ESA_DIR_IN, 5, 100);
	end_conn(0, ESA_DIR_IN, 5, ESA_END_CLOSE, 101);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS);
	ck_assert_int_eq(records[0].end, VERDICT_END_CLOSE);
	ck_assert_str_eq(records[0].str[VERDICT_S_TLS_PROTOCOL], "TLSv1.2");
	ck_assert_str_eq(records[0].str[VERDICT_S_PEER_RDNS], "sender4-of-o59.zoho.com");
	ck_assert_str_eq(records[0].str[VERDICT_S_INTERFACE], "Data 1");
	ck_assert_int_eq(records[0].rdns_verified, 1);
	ck_assert_uint_eq(records[0].lines, 3);
	ck_assert_int_eq(records[0].first, 100);
	ck_assert_int_eq(records[0].last, 101);
	ck_assert_uint_eq(track_open_count(tr), 0);
}
END_TEST

START_TEST(failure_beats_success)
{
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 9);
	ev.peer_port = 25;
	feed(0, ev, 1);
	tls_ok(0, ESA_DIR_OUT, 9, 2);
	tls_fail(0, ESA_DIR_OUT, 9, "STARTTLS unexpected response", 3);
	end_conn(0, ESA_DIR_OUT, 9, ESA_END_CLOSE, 4);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(records[0].dir, ESA_DIR_OUT);
	ck_assert_uint_eq(records[0].port, 25);
	ck_assert_str_eq(records[0].str[VERDICT_S_TLS_ERROR], "STARTTLS unexpected response");
}
END_TEST

START_TEST(open_and_close_without_tls_is_no_tls)
{
	open_in(0, 7, 10);
	end_conn(0, ESA_DIR_IN, 7, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_NO_TLS);
}
END_TEST

START_TEST(no_open_line_is_unknown_never_no_tls)
{
	/* A capture that starts mid-stream: the close of a connection whose start was not seen. */
	end_conn(0, ESA_DIR_IN, 8, ESA_END_CLOSE, 10);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_UNKNOWN);
	ck_assert_int_eq(records[0].end, VERDICT_END_CLOSE);
}
END_TEST

START_TEST(open_then_eof_is_unknown)
{
	open_in(0, 12, 10);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_UNKNOWN);
	ck_assert_int_eq(records[0].end, VERDICT_END_EOF);
}
END_TEST

START_TEST(lost_ends_at_following_close_with_reason)
{
	/* The seed's failed ICID: the "TLS was required" reason comes after "lost" and must still
	 * belong to it; the record says lost. */
	open_in(0, 282204971, 10);
	tls_fail(0, ESA_DIR_IN, 282204971, "", 10);
	end_conn(0, ESA_DIR_IN, 282204971, ESA_END_LOST, 10);
	ck_assert_uint_eq(n_records, 0);
	tls_required(0, ESA_DIR_IN, 282204971, 10);
	end_conn(0, ESA_DIR_IN, 282204971, ESA_END_CLOSE, 10);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(records[0].end, VERDICT_END_LOST);
	ck_assert_int_eq(records[0].tls_required, 1);
	ck_assert_str_eq(records[0].str[VERDICT_S_TLS_ERROR],
	                 "TLS was required but remote host did not initiate it");
	ck_assert_uint_eq(records[0].lines, 5);
}
END_TEST

START_TEST(disconnected_then_close_is_no_tls_disconnected)
{
	open_in(0, 3, 10);
	end_conn(0, ESA_DIR_IN, 3, ESA_END_DISCONNECTED, 11);
	end_conn(0, ESA_DIR_IN, 3, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_NO_TLS);
	ck_assert_int_eq(records[0].end, VERDICT_END_DISCONNECTED);
}
END_TEST

START_TEST(lost_without_close_still_says_lost)
{
	open_in(0, 4, 10);
	end_conn(0, ESA_DIR_IN, 4, ESA_END_LOST, 11);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_LOST);
	ck_assert_int_eq(records[0].kind, VERDICT_NO_TLS);
}
END_TEST

START_TEST(tls_error_precedence_any_order)
{
	/* Failure text > STARTTLS sentence > "TLS was required" sentence, whatever the order. */
	for (int order = 0; order < 6; order++) {
		static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
		                                {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
		uint64_t id = 100 + (uint64_t)order;
		for (int k = 0; k < 3; k++) {
			struct esa_event ev;
			switch (perms[order][k]) {
			case 0:
				tls_fail(0, ESA_DIR_OUT, id, "  STARTTLS unexpected response ", 5);
				break;
			case 1:
				ev = ev_base(ESA_STARTTLS_UNSUPPORTED, ESA_DIR_OUT, id);
				ev.reason = sp("STARTTLS command not supported");
				feed(0, ev, 5);
				break;
			default:
				tls_required(0, ESA_DIR_OUT, id, 5);
				break;
			}
		}
		end_conn(0, ESA_DIR_OUT, id, ESA_END_CLOSE, 6);
	}
	ck_assert_uint_eq(n_records, 6);
	for (size_t i = 0; i < n_records; i++) {
		ck_assert_int_eq(records[i].kind, VERDICT_TLS_FAILED);
		ck_assert_str_eq(records[i].str[VERDICT_S_TLS_ERROR],
		                 "STARTTLS unexpected response");
	}
}
END_TEST

START_TEST(starttls_sentence_beats_required)
{
	tls_required(0, ESA_DIR_OUT, 1, 5);
	struct esa_event ev = ev_base(ESA_STARTTLS_UNSUPPORTED, ESA_DIR_OUT, 1);
	ev.reason = sp("STARTTLS command not supported");
	feed(0, ev, 5);
	end_conn(0, ESA_DIR_OUT, 1, ESA_END_CLOSE, 6);
	ck_assert_str_eq(records[0].str[VERDICT_S_TLS_ERROR], "STARTTLS command not supported");
	ck_assert_int_eq(records[0].tls_required, 1);
}
END_TEST

START_TEST(superseded_by_new_open_line)
{
	open_in(0, 50, 10);
	tls_ok(0, ESA_DIR_IN, 50, 10);
	open_in(0, 50, 20);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_SUPERSEDED);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS);
	end_conn(0, ESA_DIR_IN, 50, ESA_END_CLOSE, 21);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(records[1].kind, VERDICT_NO_TLS);
	ck_assert_uint_eq(records[1].lines, 2);
}
END_TEST

START_TEST(open_line_after_other_lines_joins_them)
{
	/* Seed DCID 2386069: "TLS success CN" is logged before its "New SMTP DCID" line. */
	struct esa_event ev = ev_base(ESA_TLS_OK, ESA_DIR_OUT, 2386069);
	ev.tls_cn = sp("common");
	feed(0, ev, 10);
	ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 2386069);
	ev.local_ip = sp("10.10.10.2");
	ev.peer_ip = sp("192.168.2.2");
	feed(0, ev, 10);
	mid_on(0, ESA_DELIVERY_START, 2386069, 200257075, 10);
	ck_assert_uint_eq(n_records, 0);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS);
	ck_assert_str_eq(records[0].str[VERDICT_S_TLS_CN], "common");
	ck_assert_str_eq(records[0].str[VERDICT_S_PEER_IP], "192.168.2.2");
	ck_assert_uint_eq(records[0].n_mids, 1);
	ck_assert_uint_eq(records[0].mids[0], 200257075);
}
END_TEST

START_TEST(two_appliances_same_icid_stay_apart)
{
	open_in(0, 77, 10);
	open_in(1, 77, 10);
	tls_ok(0, ESA_DIR_IN, 77, 11);
	tls_fail(1, ESA_DIR_IN, 77, "[Errno 54] Connection reset by peer", 11);
	end_conn(1, ESA_DIR_IN, 77, ESA_END_CLOSE, 12);
	end_conn(0, ESA_DIR_IN, 77, ESA_END_CLOSE, 12);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(records[0].source, 1);
	ck_assert_int_eq(records[0].kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(records[1].source, 0);
	ck_assert_int_eq(records[1].kind, VERDICT_TLS);
}
END_TEST

START_TEST(icid_and_dcid_same_number_stay_apart)
{
	open_in(0, 30, 10);
	tls_ok(0, ESA_DIR_OUT, 30, 10);
	end_conn(0, ESA_DIR_IN, 30, ESA_END_CLOSE, 11);
	end_conn(0, ESA_DIR_OUT, 30, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(records[0].dir, ESA_DIR_IN);
	ck_assert_int_eq(records[0].kind, VERDICT_NO_TLS);
	ck_assert_int_eq(records[1].dir, ESA_DIR_OUT);
	ck_assert_int_eq(records[1].kind, VERDICT_TLS);
}
END_TEST

START_TEST(verdicts_counted_by_direction)
{
	open_in(0, 31, 10);
	tls_ok(0, ESA_DIR_IN, 31, 10);
	end_conn(0, ESA_DIR_IN, 31, ESA_END_CLOSE, 11);
	open_in(0, 32, 10);
	end_conn(0, ESA_DIR_IN, 32, ESA_END_CLOSE, 11);
	tls_fail(0, ESA_DIR_OUT, 31, "reset", 10);
	end_conn(0, ESA_DIR_OUT, 31, ESA_END_CLOSE, 11);
	tls_ok(0, ESA_DIR_OUT, 33, 10);
	track_flush(tr, VERDICT_END_SHUTDOWN);
	const struct track_counters *tc = track_counters(tr);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_IN][VERDICT_TLS], 1);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_IN][VERDICT_NO_TLS], 1);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_IN][VERDICT_TLS_FAILED], 0);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_OUT][VERDICT_TLS_FAILED], 1);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_OUT][VERDICT_TLS], 1);
	ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_OUT][VERDICT_NO_TLS], 0);
	for (int k = 0; k < VERDICT_KIND_COUNT; k++) {
		ck_assert_uint_eq(tc->verdicts_by_dir[ESA_DIR_NONE][k], 0);
		ck_assert_uint_eq(tc->verdicts[k], tc->verdicts_by_dir[ESA_DIR_IN][k] +
		                                       tc->verdicts_by_dir[ESA_DIR_OUT][k]);
	}
}
END_TEST

START_TEST(late_lines_within_linger_attach_to_nothing)
{
	open_in(0, 60, 100);
	end_conn(0, ESA_DIR_IN, 60, ESA_END_CLOSE, 100);
	tls_fail(0, ESA_DIR_IN, 60, "late", 130);
	ck_assert_uint_eq(track_counters(tr)->late_lines, 1);
	ck_assert_uint_eq(track_open_count(tr), 0);
	/* Past the linger (60 s) the ID is free again: a new, unknown connection. */
	track_expire(tr, 161);
	tls_fail(0, ESA_DIR_IN, 60, "later", 161);
	ck_assert_uint_eq(track_open_count(tr), 1);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(records[1].kind, VERDICT_TLS_FAILED);
	ck_assert_str_eq(records[1].str[VERDICT_S_TLS_ERROR], "later");
}
END_TEST

START_TEST(open_line_within_linger_starts_a_connection)
{
	open_in(0, 61, 100);
	end_conn(0, ESA_DIR_IN, 61, ESA_END_CLOSE, 100);
	open_in(0, 61, 101);
	ck_assert_uint_eq(track_open_count(tr), 1);
	ck_assert_uint_eq(track_counters(tr)->late_lines, 0);
}
END_TEST

START_TEST(idle_timeout_ends_as_idle)
{
	open_in(0, 1, 1000);
	open_in(0, 2, 1300);
	track_expire(tr, 1599);
	ck_assert_uint_eq(n_records, 0);
	track_expire(tr, 1600);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].id, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_IDLE);
	ck_assert_int_eq(records[0].kind, VERDICT_UNKNOWN);
	ck_assert_uint_eq(track_counters(tr)->ends[VERDICT_END_IDLE], 1);
}
END_TEST

START_TEST(activity_postpones_idle)
{
	open_in(0, 1, 1000);
	open_in(0, 2, 1100);
	tls_ok(0, ESA_DIR_IN, 1, 1500); /* 1 is now the most recently active */
	track_expire(tr, 1700);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].id, 2);
}
END_TEST

START_TEST(lifetime_ends_busy_connection)
{
	open_in(0, 1, 0);
	for (int64_t t = 300; t < 86400; t += 300)
		mid_on(0, ESA_MSG_LINK, 1, (uint64_t)t, t);
	track_expire(tr, 86399);
	ck_assert_uint_eq(n_records, 0);
	track_expire(tr, 86400);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_LIFETIME);
}
END_TEST

START_TEST(eviction_at_max_connections)
{
	teardown();
	setup_with(2);
	open_in(0, 1, 10);
	open_in(0, 2, 11);
	open_in(0, 3, 12);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].id, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_EVICTED);
	ck_assert_uint_eq(track_open_count(tr), 2);
	ck_assert_uint_eq(track_counters(tr)->ends[VERDICT_END_EVICTED], 1);
}
END_TEST

START_TEST(connection_error_ends_dcid)
{
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 63);
	ev.local_ip = sp("10.10.192.50");
	ev.peer_ip = sp("10.13.101.31");
	ev.peer_port = 25;
	feed(0, ev, 10);
	ev = ev_base(ESA_CONN_ERROR, ESA_DIR_OUT, 63);
	ev.reason = sp("[Errno 0] Error");
	ev.peer_ip = sp("10.13.101.31");
	feed(0, ev, 10);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_int_eq(records[0].end, VERDICT_END_ERROR);
	ck_assert_int_eq(records[0].kind, VERDICT_UNKNOWN);
	ck_assert_str_eq(records[0].str[VERDICT_S_ERROR], "[Errno 0] Error");
}
END_TEST

START_TEST(id_zero_and_outcomes_never_create)
{
	mid_on(0, ESA_MSG_LINK, 0, 5, 10);
	struct esa_event ev = ev_base(ESA_MSG_OUTCOME, ESA_DIR_OUT, 0);
	feed(0, ev, 10);
	ev = ev_base(ESA_MSG_OUTCOME, ESA_DIR_OUT, 8414309);
	feed(0, ev, 10);
	ck_assert_uint_eq(track_open_count(tr), 0);
	ck_assert_uint_eq(track_counters(tr)->unattached_lines, 3);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 0);
}
END_TEST

START_TEST(mids_in_order_deduplicated_and_capped)
{
	open_in(0, 1, 10);
	mid_on(0, ESA_MSG_LINK, 1, 500, 10);
	mid_on(0, ESA_MSG_LINK, 1, 500, 10);
	mid_on(0, ESA_MSG_LINK, 1, 400, 10);
	mid_on(0, ESA_MSG_LINK, 1, 500, 10);
	for (uint64_t m = 1000; m < 1000 + 80; m++) {
		mid_on(0, ESA_MSG_LINK, 1, m, 10);
		mid_on(0, ESA_MSG_LINK, 1, m, 10);
	}
	end_conn(0, ESA_DIR_IN, 1, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(records[0].n_mids, VERDICT_MIDS_MAX);
	ck_assert_uint_eq(records[0].mids[0], 500);
	ck_assert_uint_eq(records[0].mids[1], 400);
	ck_assert_uint_eq(records[0].mids[2], 1000);
	ck_assert_uint_eq(records[0].mids_total, 82);
	ck_assert_int_eq(records[0].fail_mark, 0);
}
END_TEST

/* A delay or bounce is no delivery: a connection whose required TLS failed before any
 * transaction logs one, and carried nothing (no MID, none after the failure). */
START_TEST(outcomes_are_not_carried_messages)
{
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 71);
	feed(0, ev, 10);
	tls_fail(0, ESA_DIR_OUT, 71, "STARTTLS unexpected response", 10);
	tls_required(0, ESA_DIR_OUT, 71, 10);
	ev = ev_base(ESA_MSG_OUTCOME, ESA_DIR_OUT, 71);
	ev.mid = 9;
	ev.outcome = ESA_OUTCOME_DELAYED;
	feed(0, ev, 10);
	end_conn(0, ESA_DIR_OUT, 71, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].n_mids, 0);
	ck_assert_uint_eq(records[0].mids_total, 0);
	ck_assert_uint_eq(records[0].after_failure_total, 0);
}
END_TEST

START_TEST(outbound_mids_after_failure)
{
	/* TLS preferred: STARTTLS fails and delivery goes on in the clear on the same DCID. */
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 70);
	feed(0, ev, 10);
	mid_on(0, ESA_DELIVERY_START, 70, 1, 10);
	mid_on(0, ESA_DELIVERY_DONE, 70, 1, 10);
	tls_fail(0, ESA_DIR_OUT, 70, "STARTTLS unexpected response", 11);
	mid_on(0, ESA_DELIVERY_START, 70, 2, 12);
	mid_on(0, ESA_DELIVERY_START, 70, 3, 12);
	end_conn(0, ESA_DIR_OUT, 70, ESA_END_CLOSE, 13);
	ck_assert_int_eq(records[0].fail_mark, 1);
	ck_assert_uint_eq(records[0].fail_from, 1);
	ck_assert_uint_eq(records[0].n_mids, 3);
}
END_TEST

START_TEST(inbound_failure_sets_no_after_failure_mark)
{
	open_in(0, 4, 10);
	mid_on(0, ESA_MSG_LINK, 4, 4, 10);
	tls_fail(0, ESA_DIR_IN, 4, "[Errno 54] Connection reset by peer", 11);
	end_conn(0, ESA_DIR_IN, 4, ESA_END_CLOSE, 11);
	ck_assert_int_eq(records[0].fail_mark, 0);
	ck_assert_uint_eq(records[0].n_mids, 1);
}
END_TEST

START_TEST(long_strings_are_cut_and_counted)
{
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tls_fail(0, ESA_DIR_IN, 9, big, 10);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(strlen(records[0].str[VERDICT_S_TLS_ERROR]), VERDICT_FIELD_MAX);
	ck_assert_uint_eq(track_counters(tr)->strings_truncated, 1);
}
END_TEST

START_TEST(policy_fields_update)
{
	open_in(0, 9, 10);
	struct esa_event ev = ev_base(ESA_POLICY, ESA_DIR_IN, 9);
	ev.policy = sp("ACCEPT");
	ev.sender_group = sp("ACCEPTLIST");
	ev.sbrs = sp("3.4");
	ev.country = sp("United States");
	feed(0, ev, 10);
	end_conn(0, ESA_DIR_IN, 9, ESA_END_CLOSE, 10);
	ck_assert_str_eq(records[0].str[VERDICT_S_POLICY], "ACCEPT");
	ck_assert_str_eq(records[0].str[VERDICT_S_SENDER_GROUP], "ACCEPTLIST");
	ck_assert_str_eq(records[0].str[VERDICT_S_SBRS], "3.4");
	ck_assert_str_eq(records[0].str[VERDICT_S_COUNTRY], "United States");
	ck_assert_str_eq(records[0].str[VERDICT_S_PEER_IP], "136.143.188.59");
}
END_TEST

START_TEST(mid_links)
{
	uint64_t icid = 0;
	mid_on(0, ESA_MSG_LINK, 824108, 26983, 10);
	ck_assert_int_eq(track_mid_icid(tr, 0, 26983, &icid), 0);
	ck_assert_uint_eq(icid, 824108);
	ck_assert_int_eq(track_mid_icid(tr, 1, 26983, &icid), -1);
	struct esa_event ev = ev_base(ESA_MSG_RELATE, ESA_DIR_NONE, 0);
	ev.mid = 26983;
	ev.mid2 = 26990;
	feed(0, ev, 10);
	icid = 0;
	ck_assert_int_eq(track_mid_icid(tr, 0, 26990, &icid), 0);
	ck_assert_uint_eq(icid, 824108);
	ev = ev_base(ESA_MSG_FINISHED, ESA_DIR_NONE, 0);
	ev.mid = 26983;
	feed(0, ev, 10);
	ck_assert_int_eq(track_mid_icid(tr, 0, 26983, &icid), -1);
}
END_TEST

START_TEST(mid_dcid_links)
{
	/* A message delivered over DCID 30 then retried over DCID 31: the last one is kept, on
	 * its own appliance only, until "Message finished". */
	uint64_t dcid = 0;
	mid_on(0, ESA_DELIVERY_START, 30, 14, 10);
	mid_on(0, ESA_DELIVERY_DONE, 30, 14, 10);
	ck_assert_int_eq(track_mid_dcid(tr, 0, 14, &dcid), 0);
	ck_assert_uint_eq(dcid, 30);
	mid_on(0, ESA_DELIVERY_START, 31, 14, 11);
	ck_assert_int_eq(track_mid_dcid(tr, 0, 14, &dcid), 0);
	ck_assert_uint_eq(dcid, 31);
	ck_assert_int_eq(track_mid_dcid(tr, 1, 14, &dcid), -1);
	ck_assert_int_eq(track_mid_icid(tr, 0, 14, &dcid), -1); /* no inbound link was logged */
	struct esa_event ev = ev_base(ESA_MSG_FINISHED, ESA_DIR_NONE, 0);
	ev.mid = 14;
	feed(0, ev, 12);
	ck_assert_int_eq(track_mid_dcid(tr, 0, 14, &dcid), -1);
}
END_TEST

START_TEST(many_connections_exactly_one_record_each)
{
	/* 200 000 interleaved connections closed in a scrambled order: one record each, no state
	 * left behind (ASan would report a leak or a bad access). */
	const uint64_t n = 200000;
	teardown();
	setup_with(1000000);
	for (uint64_t i = 1; i <= n; i++) {
		open_in(0, i, 10);
		if (i % 3 == 0)
			tls_ok(0, ESA_DIR_IN, i, 10);
	}
	ck_assert_uint_eq(track_open_count(tr), n);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (k * 7919) % n + 1; /* 7919 is prime and coprime with n */
		end_conn(0, ESA_DIR_IN, i, ESA_END_CLOSE, 11);
	}
	ck_assert_uint_eq(total_records, n);
	ck_assert_uint_eq(track_open_count(tr), 0);
	ck_assert_uint_eq(track_counters(tr)->verdicts[VERDICT_TLS], n / 3);
	ck_assert_uint_eq(track_counters(tr)->verdicts[VERDICT_NO_TLS], n - n / 3);
}
END_TEST

START_TEST(mids_after_failure_counted_past_the_list)
{
	/* 64 deliveries fill the list, then TLS fails and 6 more go out in the clear (each
	 * logged twice, start and done): the record must still say 6 went after the failure. */
	struct esa_event ev = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 80);
	feed(0, ev, 10);
	for (uint64_t m = 1; m <= 64; m++)
		mid_on(0, ESA_DELIVERY_START, 80, m, 10);
	tls_fail(0, ESA_DIR_OUT, 80, "STARTTLS unexpected response", 11);
	for (uint64_t m = 65; m <= 70; m++) {
		mid_on(0, ESA_DELIVERY_START, 80, m, 12);
		mid_on(0, ESA_DELIVERY_DONE, 80, m, 12);
	}
	end_conn(0, ESA_DIR_OUT, 80, ESA_END_CLOSE, 13);
	ck_assert_uint_eq(records[0].n_mids, VERDICT_MIDS_MAX);
	ck_assert_uint_eq(records[0].mids_total, 70);
	ck_assert_uint_eq(records[0].fail_from, VERDICT_MIDS_MAX);
	ck_assert_uint_eq(records[0].after_failure_total, 6);
}
END_TEST

START_TEST(reconfigure_shrinks_max_connections)
{
	struct track_config cfg;
	for (uint64_t i = 1; i <= 5; i++)
		open_in(0, i, 10 + (int64_t)i);
	track_config_defaults(&cfg);
	cfg.max_connections = 2;
	cfg.idle_timeout = 5;
	track_reconfigure(tr, &cfg);
	open_in(0, 6, 20);
	ck_assert_uint_eq(track_open_count(tr), 2);
	ck_assert_uint_eq(n_records, 4);
	ck_assert_int_eq(records[0].end, VERDICT_END_EVICTED);
	ck_assert_uint_eq(records[0].id, 1);
	track_expire(tr, 25);
	ck_assert_uint_eq(track_open_count(tr), 0); /* the new 5 s idle timeout applies */
}
END_TEST

START_TEST(reconfigure_grows_max_connections)
{
	/* Started with room for 1000: after a reload allowing 20000, connections numbered well
	 * past the first chunks are still tracked and found again. */
	struct track_config cfg;
	track_config_defaults(&cfg);
	cfg.max_connections = 20000;
	track_reconfigure(tr, &cfg);
	for (uint64_t i = 1; i <= 12000; i++)
		open_in(0, i, 10);
	ck_assert_uint_eq(track_open_count(tr), 12000);
	ck_assert_uint_eq(track_counters(tr)->alloc_failures, 0);
	end_conn(0, ESA_DIR_IN, 12000, ESA_END_CLOSE, 11);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].id, 12000);
}
END_TEST

START_TEST(failure_still_open_alerts_early_once)
{
	/* A failure line at t=100 on an open connection: at t=101 nothing yet (alert_delay 2 s),
	 * at t=102 one early alert (end "open"); a second failure line does not alert again, and
	 * the final record at the close is for the files only. */
	open_in(0, 5, 100);
	tls_fail(0, ESA_DIR_IN, 5, "[Errno 54] Connection reset by peer", 100);
	track_expire(tr, 101);
	ck_assert_uint_eq(early_alerts, 0);
	track_expire(tr, 102);
	ck_assert_uint_eq(early_alerts, 1);
	ck_assert_uint_eq(hook_records, 1);
	ck_assert_uint_eq(n_records, 0);
	tls_required(0, ESA_DIR_IN, 5, 103);
	track_expire(tr, 110);
	ck_assert_uint_eq(hook_records, 1);
	end_conn(0, ESA_DIR_IN, 5, ESA_END_CLOSE, 111);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(hook_records, 1);
	ck_assert_uint_eq(track_counters(tr)->early_alerts, 1);
}
END_TEST

START_TEST(failure_closed_before_delay_alerts_with_final_record)
{
	/* Closed within alert_delay: no early alert; the final record carries the alert. */
	open_in(0, 6, 100);
	tls_fail(0, ESA_DIR_IN, 6, "x", 100);
	end_conn(0, ESA_DIR_IN, 6, ESA_END_CLOSE, 101);
	track_expire(tr, 200);
	ck_assert_uint_eq(early_alerts, 0);
	ck_assert_uint_eq(hook_records, 1);
	ck_assert_uint_eq(n_records, 1);
}
END_TEST

START_TEST(every_connection_one_file_record_one_hook_record)
{
	/* Mixed verdicts and ends: each connection gives exactly one record of each purpose. */
	for (uint64_t i = 1; i <= 30; i++) {
		open_in(0, i, 100);
		if (i % 3 == 0)
			tls_fail(0, ESA_DIR_IN, i, "x", 100);
		if (i % 3 == 1)
			tls_ok(0, ESA_DIR_IN, i, 100);
	}
	track_expire(tr, 105);
	for (uint64_t i = 1; i <= 15; i++)
		end_conn(0, ESA_DIR_IN, i, ESA_END_CLOSE, 106);
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 30);
	ck_assert_uint_eq(hook_records, 30);
	ck_assert_uint_eq(early_alerts, 10);
}
END_TEST

/* ---- saved state: export, then import into a fresh tracker ---- */

struct saved_conn {
	struct track_conn_state s;
	char str[VERDICT_STR_COUNT][VERDICT_FIELD_MAX];
	uint64_t mids[VERDICT_MIDS_MAX];
};

static struct saved_conn saved[16];
static size_t n_saved;

static int save_one(const struct track_conn_state *s, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(n_saved, 16);
	struct saved_conn *c = &saved[n_saved++];
	c->s = *s;
	for (int f = 0; f < VERDICT_STR_COUNT; f++) {
		if (span_present(s->str[f])) {
			memcpy(c->str[f], s->str[f].p, s->str[f].len);
			c->s.str[f] = span_make(c->str[f], s->str[f].len);
		}
	}
	if (s->n_mids > 0)
		memcpy(c->mids, s->mids, s->n_mids * sizeof(uint64_t));
	c->s.mids = c->mids;
	return 0;
}

/* Stops the tracker with its state saved and starts a new one from that state at `now`. */
static void restart_tracker(int64_t now)
{
	n_saved = 0;
	ck_assert_int_eq(track_export(tr, save_one, NULL), 0);
	ck_assert_uint_eq(n_saved, track_open_count(tr));
	track_free(tr);
	struct track_config cfg;
	track_config_defaults(&cfg);
	tr = track_new(&cfg, collect_verdict, NULL);
	ck_assert_ptr_nonnull(tr);
	track_set_source_names(tr, name_of_source, NULL);
	for (size_t i = 0; i < n_saved; i++) {
		ck_assert_int_eq(track_conn_state_check(&saved[i].s), 0);
		ck_assert_int_eq(track_import(tr, &saved[i].s, now), 0);
	}
	track_import_done(tr);
	ck_assert_uint_eq(track_open_count(tr), n_saved);
}

/* Five connections in every state worth saving; restarted at t=121 or not at all. */
static void state_scenario(int restart)
{
	open_in(0, 1, 100);
	tls_ok(0, ESA_DIR_IN, 1, 100);

	struct esa_event out = ev_base(ESA_CONN_OPEN, ESA_DIR_OUT, 2);
	out.peer_ip = sp("192.0.2.7");
	out.peer_port = 25;
	feed(0, out, 100);
	for (uint64_t m = 11; m <= 13; m++)
		mid_on(0, ESA_DELIVERY_START, 2, m, 101);
	tls_fail(0, ESA_DIR_OUT, 2, "certificate verify failed", 120);

	open_in(0, 3, 100);
	for (uint64_t m = 1; m <= 70; m++)
		mid_on(0, ESA_MSG_LINK, 3, 1000 + m, 101);
	end_conn(0, ESA_DIR_IN, 3, ESA_END_LOST, 105);

	open_in(1, 4, 100);
	tls_fail(1, ESA_DIR_IN, 4, "no shared cipher", 100);
	track_expire(tr, 102); /* its early alert goes out before the restart */

	open_in(0, 5, 100);
	if (restart)
		restart_tracker(121);
	track_expire(tr, 125); /* connection 2's alert, saved while pending */
	mid_on(0, ESA_DELIVERY_START, 2, 14, 130);
	mid_on(0, ESA_MSG_LINK, 3, 1070, 130); /* a repeat of the newest unlisted MID */
	end_conn(0, ESA_DIR_IN, 1, ESA_END_CLOSE, 200);
	end_conn(0, ESA_DIR_OUT, 2, ESA_END_CLOSE, 300);
	end_conn(0, ESA_DIR_IN, 3, ESA_END_CLOSE, 301);
	end_conn(1, ESA_DIR_IN, 4, ESA_END_CLOSE, 302);
	track_expire(tr, 800); /* connection 5 ends idle */
}

START_TEST(restart_from_saved_state_gives_the_same_records)
{
	state_scenario(0);
	ck_assert_uint_eq(n_records, 5);
	struct record straight[5];
	memcpy(straight, records, sizeof(straight));
	uint64_t straight_hooks = hook_records, straight_alerts = early_alerts;
	ck_assert_uint_eq(straight_alerts, 2);
	ck_assert_uint_eq(straight_hooks, 5);

	teardown();
	setup();
	state_scenario(1);
	ck_assert_uint_eq(n_records, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_mem_eq(&records[i], &straight[i], sizeof(struct record));
	ck_assert_uint_eq(hook_records, straight_hooks);
	ck_assert_uint_eq(early_alerts, straight_alerts);
	ck_assert_uint_eq(track_counters(tr)->restored, 5);
	ck_assert_uint_eq(track_counters(tr)->connections, 0);
	ck_assert_int_eq(records[1].kind, VERDICT_TLS_FAILED);
	ck_assert_uint_eq(records[1].n_mids, 4);
	ck_assert_uint_eq(records[1].fail_from, 3);
	ck_assert_uint_eq(records[2].mids_total, 70);
	ck_assert_int_eq(records[2].end, VERDICT_END_LOST);
	ck_assert_int_eq(records[4].end, VERDICT_END_IDLE);
}
END_TEST

START_TEST(imported_connections_expire_by_latest_activity)
{
	/* Connection 7 is older but busier: after the restart connection 8 must go idle first. */
	open_in(0, 7, 100);
	open_in(0, 8, 200);
	end_conn(0, ESA_DIR_IN, 7, ESA_END_LOST, 500);
	restart_tracker(600);
	track_expire(tr, 815);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_uint_eq(records[0].id, 8);
	ck_assert_int_eq(records[0].end, VERDICT_END_IDLE);
}
END_TEST

START_TEST(imported_alerts_go_out_in_the_order_they_fall_due)
{
	/* Connection 20 is older but failed later (alert due at 102); 21 failed at 30 (due 32).
	 * Neither alert has gone out at the restart: at 101 the younger one's must. */
	open_in(0, 20, 10);
	open_in(0, 21, 20);
	tls_fail(0, ESA_DIR_IN, 21, "x", 30);
	tls_fail(0, ESA_DIR_IN, 20, "y", 100);
	restart_tracker(101);
	track_expire(tr, 101);
	ck_assert_uint_eq(track_counters(tr)->early_alerts, 1);
	track_expire(tr, 102);
	ck_assert_uint_eq(track_counters(tr)->early_alerts, 2);
}
END_TEST

START_TEST(import_refuses_out_of_range_times)
{
	open_in(0, 22, 100);
	n_saved = 0;
	ck_assert_int_eq(track_export(tr, save_one, NULL), 0);
	struct track_conn_state bad = saved[0].s;
	ck_assert_int_eq(track_conn_state_check(&bad), 0);
	bad.born = INT64_MAX;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = saved[0].s;
	bad.alert_due = INT64_MIN + 1;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = saved[0].s;
	bad.first_wall = INT64_MIN;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = saved[0].s;
	bad.last_off = 24 * 60;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = saved[0].s;
	bad.last_off = LOGTIME_NO_OFFSET;
	ck_assert_int_eq(track_conn_state_check(&bad), 0);
}
END_TEST

START_TEST(import_refuses_invalid_and_duplicate_connections)
{
	open_in(0, 9, 100);
	n_saved = 0;
	ck_assert_int_eq(track_export(tr, save_one, NULL), 0);
	ck_assert_uint_eq(n_saved, 1);
	struct track_conn_state good = saved[0].s, bad;
	ck_assert_int_eq(track_import(tr, &good, 100), -1); /* already open */
	bad = good;
	bad.flags |= 0x8000;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.dir = ESA_DIR_NONE;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.id = 0;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.pending_end = VERDICT_END_CLOSE;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.err_rank = 4;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	uint64_t zero = 0;
	bad = good;
	bad.mids = &zero;
	bad.n_mids = 1;
	bad.mids_total = 1;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.n_mids = 2;
	bad.mids_total = 1;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.mid_overflow = 5;
	ck_assert_int_eq(track_conn_state_check(&bad), -1);
	bad = good;
	bad.id = 10;
	bad.flags |= 0x8000;
	ck_assert_int_eq(track_import(tr, &bad, 100), -1);
	ck_assert_uint_eq(track_open_count(tr), 1);
}
END_TEST

static Suite *track_suite(void)
{
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, success_line_gives_tls);
	tcase_add_test(tc, failure_beats_success);
	tcase_add_test(tc, open_and_close_without_tls_is_no_tls);
	tcase_add_test(tc, no_open_line_is_unknown_never_no_tls);
	tcase_add_test(tc, open_then_eof_is_unknown);
	tcase_add_test(tc, lost_ends_at_following_close_with_reason);
	tcase_add_test(tc, disconnected_then_close_is_no_tls_disconnected);
	tcase_add_test(tc, lost_without_close_still_says_lost);
	tcase_add_test(tc, tls_error_precedence_any_order);
	tcase_add_test(tc, starttls_sentence_beats_required);
	tcase_add_test(tc, superseded_by_new_open_line);
	tcase_add_test(tc, open_line_after_other_lines_joins_them);
	tcase_add_test(tc, two_appliances_same_icid_stay_apart);
	tcase_add_test(tc, verdicts_counted_by_direction);
	tcase_add_test(tc, icid_and_dcid_same_number_stay_apart);
	tcase_add_test(tc, late_lines_within_linger_attach_to_nothing);
	tcase_add_test(tc, open_line_within_linger_starts_a_connection);
	tcase_add_test(tc, idle_timeout_ends_as_idle);
	tcase_add_test(tc, activity_postpones_idle);
	tcase_add_test(tc, lifetime_ends_busy_connection);
	tcase_add_test(tc, eviction_at_max_connections);
	tcase_add_test(tc, connection_error_ends_dcid);
	tcase_add_test(tc, id_zero_and_outcomes_never_create);
	tcase_add_test(tc, mids_in_order_deduplicated_and_capped);
	tcase_add_test(tc, outcomes_are_not_carried_messages);
	tcase_add_test(tc, outbound_mids_after_failure);
	tcase_add_test(tc, inbound_failure_sets_no_after_failure_mark);
	tcase_add_test(tc, long_strings_are_cut_and_counted);
	tcase_add_test(tc, policy_fields_update);
	tcase_add_test(tc, mid_links);
	tcase_add_test(tc, mid_dcid_links);
	tcase_add_test(tc, many_connections_exactly_one_record_each);
	tcase_add_test(tc, mids_after_failure_counted_past_the_list);
	tcase_add_test(tc, reconfigure_shrinks_max_connections);
	tcase_add_test(tc, reconfigure_grows_max_connections);
	tcase_add_test(tc, failure_still_open_alerts_early_once);
	tcase_add_test(tc, failure_closed_before_delay_alerts_with_final_record);
	tcase_add_test(tc, every_connection_one_file_record_one_hook_record);
	tcase_add_test(tc, restart_from_saved_state_gives_the_same_records);
	tcase_add_test(tc, imported_connections_expire_by_latest_activity);
	tcase_add_test(tc, import_refuses_invalid_and_duplicate_connections);
	tcase_add_test(tc, imported_alerts_go_out_in_the_order_they_fall_due);
	tcase_add_test(tc, import_refuses_out_of_range_times);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(track_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
