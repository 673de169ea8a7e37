/* The whole lib/ path: log lines in, records out. The seed's four verdicts, every real sample,
 * appliances kept apart, year-less timestamps, garbage that must not disturb other connections. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "engine.h"
#include "support.h"

#define MAX_RECORDS 4096

struct record {
	enum verdict_kind kind;
	enum esa_dir dir;
	uint64_t id;
	enum verdict_end end;
	char host[64];
	char str[VERDICT_STR_COUNT][VERDICT_FIELD_MAX + 1];
	int tls_required;
	uint64_t mids[4];
	size_t n_mids;
	char first_seen[40];
	char json[2048];
};

static struct record *records;
static size_t n_records;
static struct engine *eng;

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
	ck_assert_uint_lt(n_records, MAX_RECORDS);
	struct record *r = &records[n_records++];
	memset(r, 0, sizeof(*r));
	r->kind = v->kind;
	r->dir = v->dir;
	r->id = v->conn_id;
	r->end = v->end;
	if (v->host.len < sizeof(r->host) && v->host.len > 0)
		memcpy(r->host, v->host.p, v->host.len);
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		if (span_present(v->str[f]))
			memcpy(r->str[f], v->str[f].p, v->str[f].len);
	r->tls_required = v->tls_required;
	r->n_mids = v->n_mids < 4 ? v->n_mids : 4;
	for (size_t i = 0; i < r->n_mids; i++)
		r->mids[i] = v->mids[i];
	if (v->first_seen.valid)
		logtime_format_iso(&v->first_seen, r->first_seen);
	char line[VERDICT_LINE_MAX];
	size_t len = verdict_encode(v, line, sizeof(line));
	ck_assert_uint_gt(len, 0);
	if (len < sizeof(r->json))
		memcpy(r->json, line, len);
}

static void setup(void)
{
	struct engine_config cfg;
	engine_config_defaults(&cfg);
	records = calloc(MAX_RECORDS, sizeof(*records));
	n_records = 0;
	early_alerts = hook_records = 0;
	/* 2026-11-28 12:00:00 UTC: the "current time" for year-less timestamps. */
	eng = engine_new(&cfg, collect_verdict, NULL, 1795867200);
	ck_assert_ptr_nonnull(eng);
}

static void teardown(void)
{
	engine_free(eng);
	free(records);
}

static void feed_line(const char *line, const char *sender, int64_t arrival)
{
	engine_feed(eng, line, strlen(line), sp(sender), arrival);
}

/* Feeds every line of a test data file through the engine on the log's own clock. */
static void replay_file(const char *name)
{
	char path[512], line[16384];
	snprintf(path, sizeof(path), "%s/%s", TEST_DATA, name);
	FILE *fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strcspn(line, "\n");
		engine_feed(eng, line, len, span_make("", 0), ENGINE_LOG_CLOCK);
	}
	fclose(fp);
	engine_flush(eng, VERDICT_END_EOF);
}

static const struct record *find(enum esa_dir dir, uint64_t id, const char *host)
{
	for (size_t i = 0; i < n_records; i++)
		if (records[i].dir == dir && records[i].id == id &&
		    (host == NULL || strcmp(records[i].host, host) == 0))
			return &records[i];
	return NULL;
}

START_TEST(every_header_shape_reaches_its_connection)
{
	/* tests/data/shapes.log: one connection per way a line reaches us (forwarder-wrapped
	 * log-file lines, year-first collector headers, relay lines with a year, RFC 5424 with
	 * fractions and offsets, stripped headers, DCID: with a colon), plus a continuation
	 * fragment that reads like "ICID 202 close" and must close nothing. */
	replay_file("shapes.log");
	ck_assert_uint_eq(n_records, 9);
	const struct record *r = find(ESA_DIR_IN, 101, "esa1.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR], "[Errno 54] Connection reset by peer");
	r = find(ESA_DIR_IN, 202, "esa2.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS);
	ck_assert_int_eq(r->end, VERDICT_END_LOST); /* not ended early by the fragment */
	r = find(ESA_DIR_OUT, 303, "esa3.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR], "STARTTLS unexpected response");
	/* MID 9 of esa5 is not MID 9 of esa3: no domain crosses appliances. */
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "");
	r = find(ESA_DIR_IN, 404, "esa4.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_NO_TLS);
	r = find(ESA_DIR_IN, 707, "");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_NO_TLS);

	const struct engine_counters *ec = engine_counters(eng);
	ck_assert_uint_eq(ec->continuations, 1);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_WRAPPED], 3);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_COLLECTOR], 5);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_PARTIAL], 19);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_RFC5424], 2);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_RFC3164], 4);
	ck_assert_uint_eq(ec->by_format[SYSLOG_FMT_NONE], 1);
	ck_assert_uint_eq(ec->by_kind[ESA_UNCLASSIFIED], 0);
}
END_TEST

START_TEST(outbound_records_name_the_destination_domain)
{
	replay_file("shapes.log");
	/* From the recipient its delivery names (RID 1 of MID 9). */
	const struct record *r = find(ESA_DIR_OUT, 606, "esa5.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "other.example");
	/* From the TLS line's "for DOMAIN" (before the delivery names RID 0). */
	r = find(ESA_DIR_OUT, 607, "esa5.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "partner.example");
	/* From a Connection Error's "domain:". */
	r = find(ESA_DIR_OUT, 608, "esa5.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "unreachable.example");
	/* Inbound records never carry one. */
	r = find(ESA_DIR_IN, 505, "esa5.example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "");
}
END_TEST

START_TEST(finished_message_forgets_its_recipients)
{
	/* After "Message finished", a late delivery of the same MID learns no domain. */
	static const char *const lines[] = {
	    "Info: MID 3 ICID 1 RID 0 To: <x@gone.example>",
	    "Info: Message finished MID 3 done",
	    "Info: New SMTP DCID 4 interface 10.0.0.1 address 192.0.2.9 port 25",
	    "Info: Delivery start DCID 4 MID 3 to RID [0]",
	    "Info: DCID 4 close",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		feed_line(lines[i], "", ENGINE_LOG_CLOCK);
	engine_flush(eng, VERDICT_END_EOF);
	const struct record *r = find(ESA_DIR_OUT, 4, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->str[VERDICT_S_PEER_DOMAIN], "");
}
END_TEST

START_TEST(seed_gives_the_four_verdicts)
{
	replay_file("seed.log");
	ck_assert_uint_eq(n_records, 4);

	const struct record *r = find(ESA_DIR_IN, 282204970, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS);
	ck_assert_str_eq(r->str[VERDICT_S_POLICY], "ACCEPT");
	ck_assert_uint_eq(r->n_mids, 1);
	ck_assert_uint_eq(r->mids[0], 200257070);

	r = find(ESA_DIR_IN, 282204971, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(r->end, VERDICT_END_LOST);
	ck_assert_int_eq(r->tls_required, 1);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR],
	                 "TLS was required but remote host did not initiate it");
	ck_assert_str_eq(r->str[VERDICT_S_INTERFACE], "Management");
	ck_assert_str_eq(r->str[VERDICT_S_LOCAL_IP], "10.10.10.1");
	ck_assert_str_eq(r->str[VERDICT_S_PEER_IP], "192.168.1.1");
	ck_assert_str_eq(r->str[VERDICT_S_PEER_RDNS], "unknown");
	ck_assert_str_eq(r->first_seen, "2005-06-28T19:08:49");
	/* The record of DESIGN.md's example, field for field. */
	ck_assert_str_eq(
	    r->json, "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":"
	             "\"inbound\",\"icid\":282204971,\"first_seen\":\"2005-06-28T19:08:49\","
	             "\"last_seen\":\"2005-06-28T19:08:49\",\"end\":\"lost\",\"peer_ip\":"
	             "\"192.168.1.1\",\"peer_rdns\":\"unknown\",\"peer_rdns_verified\":false,"
	             "\"interface\":\"Management\",\"local_ip\":\"10.10.10.1\",\"policy\":"
	             "\"ACCEPT\",\"sender_group\":\"None\",\"sbrs\":\"None\",\"tls_required\":"
	             "true,\"tls_error\":\"TLS was required but remote host did not initiate it\","
	             "\"mids\":[],\"lines\":6}\n");

	r = find(ESA_DIR_OUT, 2386069, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_CN], "common");
	ck_assert_str_eq(r->str[VERDICT_S_PEER_IP], "192.168.2.2");
	ck_assert_uint_eq(r->mids[0], 200257075);

	r = find(ESA_DIR_OUT, 2386070, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR], "STARTTLS unexpected response");
	ck_assert_str_eq(r->str[VERDICT_S_PEER_IP], "192.168.2.2");
	ck_assert_int_eq(r->end, VERDICT_END_EOF);
}
END_TEST

/* Reads a decimal number at p; returns 0 if none. */
static uint64_t number_at(const char *p)
{
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	return end == p ? 0 : (uint64_t)v;
}

/* Whether a line carries an ESA level marker: a line with no header at all is a continuation
 * fragment, never read as a line of its own (the bare text quoted from vendor documentation in
 * the 3.8-to-6 sample is such a line). */
static int has_level_marker(const char *line)
{
	static const char *const levels[] = {
	    "Info: ", "Warning: ", "Critical: ", "Debug: ", "Trace: "};
	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
		if (strstr(line, levels[i]) != NULL)
			return 1;
	return 0;
}

/* What a file's TLS lines say, found with plain string matching (independent of lib/esa.c):
 * for each connection named on a TLS outcome line, whether any of its lines is a failure. */
struct tls_expect {
	enum esa_dir dir;
	uint64_t id;
	int failed;
};

static size_t expected_tls(const char *name, struct tls_expect *out, size_t cap)
{
	char path[512], line[16384];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", TEST_DATA, name);
	FILE *fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		int failed;
		if (strstr(line, " TLS success") != NULL)
			failed = 0;
		else if (strstr(line, " TLS failed") != NULL ||
		         strstr(line, " TLS was required") != NULL)
			failed = 1;
		else
			continue;
		if (strstr(line, "SMTP Auth") != NULL || !has_level_marker(line))
			continue;
		const char *icid = strstr(line, "ICID "), *dcid = strstr(line, "DCID ");
		const char *at = icid ? icid : dcid;
		ck_assert_ptr_nonnull(at);
		enum esa_dir dir = icid ? ESA_DIR_IN : ESA_DIR_OUT;
		uint64_t id = number_at(at + 5);
		size_t i;
		for (i = 0; i < n; i++)
			if (out[i].dir == dir && out[i].id == id)
				break;
		if (i == n) {
			ck_assert_uint_lt(n, cap);
			out[n++] = (struct tls_expect){dir, id, 0};
		}
		out[i].failed |= failed;
	}
	fclose(fp);
	return n;
}

static const char *const real_samples[] = {
    "real/asyncos-14-2022-native.log",       "real/asyncos-14-2023-tls-failed-native.log",
    "real/asyncos-3.8-to-6-line-shapes.txt", "real/asyncos-7.6.3-2014-native.log",
    "real/bounced-delayed-2018.log",         "real/consolidated-cef-tls-2.log",
    "real/consolidated-cef-tls.log",         "real/native-2022-sample.log",
    "real/relay-2013-rfc3164.log",           "real/relay-custom-tag.log",
    "real/syslog-push-rfc3164.log",
};

START_TEST(real_sample_tls_lines_give_their_verdict)
{
	const char *name = real_samples[_i];
	struct tls_expect want[64];
	size_t n_want = expected_tls(name, want, 64);
	replay_file(name);
	for (size_t i = 0; i < n_want; i++) {
		const struct record *r = find(want[i].dir, want[i].id, NULL);
		ck_assert_msg(r != NULL, "%s: no record for %s %llu", name,
		              want[i].dir == ESA_DIR_IN ? "ICID" : "DCID",
		              (unsigned long long)want[i].id);
		ck_assert_msg(r->kind == (want[i].failed ? VERDICT_TLS_FAILED : VERDICT_TLS),
		              "%s: %llu has verdict %s", name, (unsigned long long)want[i].id,
		              verdict_kind_name(r->kind));
	}
	/* Exactly one record per tracked connection, and none left open. */
	ck_assert_uint_eq(n_records, engine_track_counters(eng)->connections);
	ck_assert_uint_eq(engine_open_connections(eng), 0);
}
END_TEST

START_TEST(real_2014_sample_counts)
{
	/* The 1000-line 2014 capture: its 6 inbound and 4 outbound TLS successes, and no
	 * connection whose open line was missed ever says no_tls. */
	replay_file("real/asyncos-7.6.3-2014-native.log");
	size_t tls_in = 0, tls_out = 0;
	for (size_t i = 0; i < n_records; i++) {
		if (records[i].kind == VERDICT_TLS && records[i].dir == ESA_DIR_IN)
			tls_in++;
		if (records[i].kind == VERDICT_TLS && records[i].dir == ESA_DIR_OUT)
			tls_out++;
		if (records[i].kind == VERDICT_NO_TLS)
			ck_assert_msg(records[i].str[VERDICT_S_PEER_IP][0] != '\0',
			              "no_tls without its open line: %llu",
			              (unsigned long long)records[i].id);
	}
	ck_assert_uint_eq(tls_in, 6);
	ck_assert_uint_eq(tls_out, 4);
	/* "Time offset from UTC: -21600 seconds" gives later timestamps their offset. */
	const struct record *r = find(ESA_DIR_IN, 60140302, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->first_seen + 19, "-06:00");
}
END_TEST

START_TEST(failed_2023_sample_details)
{
	replay_file("real/asyncos-14-2023-tls-failed-native.log");
	const struct record *r = find(ESA_DIR_IN, 4, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(r->end, VERDICT_END_LOST);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR], "[Errno 54] Connection reset by peer");
	ck_assert_uint_eq(r->mids[0], 4);
	r = find(ESA_DIR_OUT, 63, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_UNKNOWN);
	ck_assert_int_eq(r->end, VERDICT_END_ERROR);
	ck_assert_str_eq(r->str[VERDICT_S_ERROR], "[Errno 0] Error");
	/* The debug "TLS read" line is not a TLS outcome: ICID 14 stays unknown. */
	r = find(ESA_DIR_IN, 14, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_UNKNOWN);
}
END_TEST

START_TEST(hosts_with_same_icids_stay_apart)
{
	const int64_t t = 1795867200;
	feed_line("<22>Nov 28 12:00:00 esa1 mail_logs: Info: New SMTP ICID 5 interface Data 1 "
	          "(10.0.0.1) address 192.0.2.1 reverse dns host a.example verified yes",
	          "127.0.0.1", t);
	feed_line("<22>Nov 28 12:00:00 esa2 mail_logs: Info: New SMTP ICID 5 interface Data 1 "
	          "(10.0.0.2) address 192.0.2.2 reverse dns host b.example verified yes",
	          "127.0.0.1", t);
	feed_line("<22>Nov 28 12:00:01 esa1 mail_logs: Info: ICID 5 TLS success protocol TLSv1.3 "
	          "cipher TLS_AES_256_GCM_SHA384",
	          "127.0.0.1", t + 1);
	feed_line("<22>Nov 28 12:00:01 esa2 mail_logs: Info: ICID 5 close", "127.0.0.1", t + 1);
	feed_line("<22>Nov 28 12:00:02 esa1 mail_logs: Info: ICID 5 close", "127.0.0.1", t + 2);
	ck_assert_uint_eq(n_records, 2);
	const struct record *a = find(ESA_DIR_IN, 5, "esa1"), *b = find(ESA_DIR_IN, 5, "esa2");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(a->kind, VERDICT_TLS);
	ck_assert_int_eq(b->kind, VERDICT_NO_TLS);
	ck_assert_str_eq(a->str[VERDICT_S_PEER_IP], "192.0.2.1");
	ck_assert_str_eq(a->first_seen, "2026-11-28T12:00:00");
}
END_TEST

START_TEST(no_hostname_keys_by_sender)
{
	const int64_t t = 1795867200;
	feed_line("<166>Nov 28 12:00:00 mail_logs: Info: New SMTP ICID 6 interface Data 1 "
	          "(10.0.0.1) address 192.0.2.1 reverse dns host unknown verified no",
	          "192.0.2.10", t);
	feed_line("<166>Nov 28 12:00:00 mail_logs: Info: ICID 6 TLS failed", "192.0.2.11", t);
	feed_line("<166>Nov 28 12:00:01 mail_logs: Info: ICID 6 close", "192.0.2.10", t + 1);
	feed_line("<166>Nov 28 12:00:01 mail_logs: Info: ICID 6 close", "192.0.2.11", t + 1);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(find(ESA_DIR_IN, 6, "192.0.2.10")->kind, VERDICT_NO_TLS);
	ck_assert_int_eq(find(ESA_DIR_IN, 6, "192.0.2.11")->kind, VERDICT_TLS_FAILED);
}
END_TEST

START_TEST(year_less_lines_cross_new_year)
{
	/* A relay file from Dec 31 into Jan 1, replayed: the year rolls forward, not back. */
	engine_feed(eng,
	            "Tue Dec 31 23:59:50 2024 Info: New SMTP ICID 1 interface x (10.0.0.1) "
	            "address 192.0.2.1",
	            86, span_make("", 0), ENGINE_LOG_CLOCK);
	const char *l2 = "Jan  1 00:00:05 esa mail_logs: Info: ICID 2 TLS success";
	engine_feed(eng, l2, strlen(l2), span_make("", 0), ENGINE_LOG_CLOCK);
	engine_flush(eng, VERDICT_END_EOF);
	const struct record *r = find(ESA_DIR_IN, 2, "esa");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->first_seen, "2025-01-01T00:00:05");
}
END_TEST

START_TEST(daemon_clock_gives_year_less_lines_the_arrival_year)
{
	/* Arrival 2027-01-01 00:00:10 UTC; a line stamped Dec 31 23:59:58 is from 2026. */
	feed_line("<22>Dec 31 23:59:58 esa1 mail_logs: Info: ICID 9 TLS success", "127.0.0.1",
	          1798761610);
	engine_flush(eng, VERDICT_END_SHUTDOWN);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_str_eq(records[0].first_seen, "2026-12-31T23:59:58");
	ck_assert_int_eq(records[0].end, VERDICT_END_SHUTDOWN);
}
END_TEST

static void feed_replay(const char *line)
{
	engine_feed(eng, line, strlen(line), span_make("", 0), ENGINE_LOG_CLOCK);
}

START_TEST(year_less_lines_keep_their_year_across_gaps)
{
	/* Two year-less lines five weeks apart stay in one year; the first takes the current
	 * year (the engine was made on 2026-11-28). */
	feed_replay("Jan 15 10:00:00 esa1 mail_logs: Info: ICID 5 TLS success");
	feed_replay("Feb 20 10:00:00 esa1 mail_logs: Info: ICID 6 TLS success");
	engine_flush(eng, VERDICT_END_EOF);
	ck_assert_str_eq(find(ESA_DIR_IN, 5, "esa1")->first_seen, "2026-01-15T10:00:00");
	ck_assert_str_eq(find(ESA_DIR_IN, 6, "esa1")->first_seen, "2026-02-20T10:00:00");
}
END_TEST

START_TEST(year_less_lines_follow_a_full_timestamp)
{
	/* After a native line of 2023, a relay line of Dec 31 is 2023's; a later full
	 * timestamp of another year takes over again. */
	feed_replay("Wed Sep  6 13:13:16 2023 Info: ICID 1 TLS success");
	feed_replay("Dec 31 23:59:59 esa1 mail_logs: Info: ICID 2 TLS success");
	feed_replay("Tue Jun 28 19:08:49 2005 Info: ICID 3 TLS success");
	feed_replay("Jun 28 19:09:00 esa1 mail_logs: Info: ICID 4 TLS success");
	engine_flush(eng, VERDICT_END_EOF);
	ck_assert_str_eq(find(ESA_DIR_IN, 2, "esa1")->first_seen, "2023-12-31T23:59:59");
	ck_assert_str_eq(find(ESA_DIR_IN, 4, "esa1")->first_seen, "2005-06-28T19:09:00");
}
END_TEST

START_TEST(untimed_line_first_does_not_swallow_later_lines)
{
	/* A close without a timestamp before any timed line: the TLS line that follows must not
	 * count as a late line of that ended connection. */
	feed_replay("esa1 mail_logs: Info: ICID 5 close");
	feed_replay("Sep  6 13:13:17 esa1 mail_logs: Info: ICID 5 TLS success");
	engine_flush(eng, VERDICT_END_EOF);
	ck_assert_uint_eq(engine_track_counters(eng)->late_lines, 0);
	ck_assert_uint_eq(n_records, 2);
	ck_assert_int_eq(records[1].kind, VERDICT_TLS);
	/* The untimed line gives no time: no first_seen is made up for it. */
	ck_assert_str_eq(records[0].first_seen, "");
}
END_TEST

START_TEST(appliances_counted_with_last_seen)
{
	/* Each appliance's messages and latest arrival: by host name, else by sender address. */
	const int64_t t = 1795867200;
	feed_line("<22>Nov 28 12:00:00 esa1 mail_logs: Info: ICID 5 close", "127.0.0.1", t);
	feed_line("<22>Nov 28 12:00:01 esa1 mail_logs: Info: ICID 6 close", "127.0.0.1", t + 1);
	feed_line("<166>Nov 28 12:00:02 mail_logs: Info: ICID 7 close", "192.0.2.9", t + 5);
	ck_assert_uint_eq(engine_appliances(eng), 2);
	struct span name;
	uint64_t messages;
	int64_t last;
	ck_assert_int_eq(engine_appliance(eng, 0, &name, &messages, &last), 0);
	ck_assert_str_eq(name.p, "esa1");
	ck_assert_uint_eq(messages, 2);
	ck_assert_int_eq(last, t + 1);
	ck_assert_int_eq(engine_appliance(eng, 1, &name, &messages, &last), 0);
	ck_assert_str_eq(name.p, "192.0.2.9");
	ck_assert_uint_eq(messages, 1);
	ck_assert_int_eq(last, t + 5);
	ck_assert_int_eq(engine_appliance(eng, 2, &name, &messages, &last), -1);
}
END_TEST

START_TEST(appliances_count_unclassified_lines_and_keep_one_example)
{
	/* Per appliance: how many of its lines the classifier did not know, and the first of them
	 * (raw, cut to SOURCE_EXAMPLE_MAX, with its header shape and cause) until it is dropped. */
	const int64_t t = 1795867200;
	feed_line("<22>Nov 28 12:00:00 esa1 mail_logs: Info: ICID 5 close", "127.0.0.1", t);
	feed_line("<22>Nov 28 12:00:00 esa1 antispam: Info: case: MID 5 spam negative", "127.0.0.1",
	          t);
	feed_line("<22>Nov 28 12:00:00 esa1 sshd[4]: Accepted password", "127.0.0.1", t);
	feed_line("<22>Nov 28 12:00:00 esa2 mail_logs: Info: ICID 5 close", "127.0.0.1", t);
	ck_assert_uint_eq(engine_appliances(eng), 2);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, 0), 2);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, 1), 0);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, 2), 0);
	ck_assert_ptr_null(engine_appliance_example(eng, 1));
	ck_assert_ptr_null(engine_appliance_example(eng, 2));
	const struct source_example *x = engine_appliance_example(eng, 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(x->cause, DIAG_OTHER_TEXT);
	ck_assert_uint_eq(x->len,
	                  strlen("<22>Nov 28 12:00:00 esa1 antispam: Info: case: MID 5 spam "
	                         "negative"));
	ck_assert(memcmp(x->line, "<22>Nov 28 12:00:00 esa1 antispam:", 34) == 0);
	engine_appliance_drop_example(eng, 0);
	ck_assert_ptr_null(engine_appliance_example(eng, 0));
	char longline[1000];
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "<22>Nov 28 12:00:00 esa1 ", 25);
	longline[sizeof(longline) - 1] = '\0';
	feed_line(longline, "127.0.0.1", t);
	x = engine_appliance_example(eng, 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->len, SOURCE_EXAMPLE_MAX);
	ck_assert_int_eq(x->cause, DIAG_NO_LEVEL);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, 0), 3);
	/* Continuations name no appliance: counted apart, never per appliance. */
	feed_line("no header at all", "127.0.0.1", t);
	ck_assert_uint_eq(engine_appliances(eng), 2);
	size_t i = 9;
	ck_assert_int_eq(engine_appliance_find(eng, sp("esa2"), &i), 0);
	ck_assert_uint_eq(i, 1);
	ck_assert_int_eq(engine_appliance_find(eng, sp("esa3"), &i), -1);
	/* Counts stay right while the table grows under the engine's cached source. */
	char line[128];
	for (int round = 0; round < 3; round++) {
		for (int h = 0; h < 100; h++) {
			snprintf(line, sizeof(line), "<22>Nov 28 12:00:00 g%d mail_logs: Info: %s",
			         h, h % 2 ? "ICID 5 close" : "nothing known");
			feed_line(line, "127.0.0.1", t);
		}
	}
	ck_assert_uint_eq(engine_appliances(eng), 102);
	ck_assert_int_eq(engine_appliance_find(eng, sp("g10"), &i), 0);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, i), 3);
	ck_assert_int_eq(engine_appliance_find(eng, sp("g11"), &i), 0);
	ck_assert_uint_eq(engine_appliance_unclassified(eng, i), 0);
}
END_TEST

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

START_TEST(garbage_between_lines_changes_nothing)
{
	/* The seed's failed ICID with random byte lines (and hostile near-misses) in between:
	 * the same record comes out, and the garbage is counted: unclassified, or a continuation
	 * fragment when it has no header at all. */
	static const char *const seed_fail[] = {
	    "Tue Jun 28 19:08:49 2005 Info: New SMTP ICID 282204971 interface Management "
	    "(10.10.10.1) address 192.168.1.1 reverse dns host unknown verified no",
	    "Tue Jun 28 19:08:49 2005 Info: ICID 282204971 ACCEPT SG None match SBRS None",
	    "Tue Jun 28 19:08:49 2005 Info: ICID 282204971 TLS failed",
	    "Tue Jun 28 19:08:49 2005 Info: ICID 282204971 lost",
	    "Tue Jun 28 19:08:49 2005 Info: ICID 282204971 TLS was required but remote host did "
	    "not initiate it",
	    "Tue Jun 28 19:08:49 2005 Info: ICID 282204971 close",
	};
	static const char *const near_misses[] = {
	    "Tue Jun 28 19:08:49 2005 Info: ICID",
	    "ICID 99999999999999999999999 TLS success",
	    "Info: ICID  TLS failed",
	    "<999>Jun 28 19:08:49 x y: Info: ICID 1",
	    "DCID -1 close",
	    "Start MID ICID",
	    "\xff\xfe\x00ICID 5 close",
	};
	char garbage[512];
	for (size_t k = 0; k < 6; k++) {
		for (int g = 0; g < 50; g++) {
			size_t len = rng() % sizeof(garbage);
			for (size_t j = 0; j < len; j++)
				garbage[j] = (char)rng();
			engine_feed(eng, garbage, len, span_make("", 0), ENGINE_LOG_CLOCK);
		}
		for (size_t m = 0; m < sizeof(near_misses) / sizeof(*near_misses); m++)
			engine_feed(eng, near_misses[m], strlen(near_misses[m]) + (m == 6 ? 12 : 0),
			            span_make("", 0), ENGINE_LOG_CLOCK);
		engine_feed(eng, seed_fail[k], strlen(seed_fail[k]), span_make("", 0),
		            ENGINE_LOG_CLOCK);
	}
	engine_flush(eng, VERDICT_END_EOF);
	const struct record *r = find(ESA_DIR_IN, 282204971, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, VERDICT_TLS_FAILED);
	ck_assert_int_eq(r->end, VERDICT_END_LOST);
	ck_assert_str_eq(r->str[VERDICT_S_TLS_ERROR],
	                 "TLS was required but remote host did not initiate it");
	const struct engine_counters *ec = engine_counters(eng);
	ck_assert_uint_gt(ec->by_kind[ESA_UNCLASSIFIED] + ec->continuations, 250);
	ck_assert_uint_gt(ec->continuations, 0);
}
END_TEST

START_TEST(hostile_rdns_is_escaped_in_json)
{
	const char *l =
	    "Tue Jun 28 19:08:49 2005 Info: New SMTP ICID 1 interface Data 1 (10.0.0.1) "
	    "address 192.0.2.1 reverse dns host $(touch /tmp/x)\";id\\\x01\xc3\x28 verified no";
	engine_feed(eng, l, strlen(l), span_make("", 0), ENGINE_LOG_CLOCK);
	engine_flush(eng, VERDICT_END_EOF);
	ck_assert_uint_eq(n_records, 1);
	ck_assert_ptr_nonnull(strstr(
	    records[0].json, "\"peer_rdns\":\"$(touch /tmp/x)\\\";id\\\\\\u0001\xef\xbf\xbd(\""));
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seed_gives_the_four_verdicts);
	tcase_add_test(tc, every_header_shape_reaches_its_connection);
	tcase_add_test(tc, outbound_records_name_the_destination_domain);
	tcase_add_test(tc, finished_message_forgets_its_recipients);
	tcase_add_loop_test(tc, real_sample_tls_lines_give_their_verdict, 0,
	                    (int)(sizeof(real_samples) / sizeof(*real_samples)));
	tcase_add_test(tc, real_2014_sample_counts);
	tcase_add_test(tc, failed_2023_sample_details);
	tcase_add_test(tc, hosts_with_same_icids_stay_apart);
	tcase_add_test(tc, no_hostname_keys_by_sender);
	tcase_add_test(tc, year_less_lines_cross_new_year);
	tcase_add_test(tc, daemon_clock_gives_year_less_lines_the_arrival_year);
	tcase_add_test(tc, year_less_lines_keep_their_year_across_gaps);
	tcase_add_test(tc, year_less_lines_follow_a_full_timestamp);
	tcase_add_test(tc, untimed_line_first_does_not_swallow_later_lines);
	tcase_add_test(tc, garbage_between_lines_changes_nothing);
	tcase_add_test(tc, hostile_rdns_is_escaped_in_json);
	tcase_add_test(tc, appliances_counted_with_last_seen);
	tcase_add_test(tc, appliances_count_unclassified_lines_and_keep_one_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(engine_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
