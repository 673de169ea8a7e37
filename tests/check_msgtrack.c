/* Message records: when a message's record is written, what its parts and end_to_end say, and
 * the bounds (time-out, table size, late lines); off by default. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "state.h"
#include "support.h"
#include "track.h"

#define MAX_LINES 128

static char lines[MAX_LINES][MESSAGE_RECORD_MAX];
static size_t n_lines;
static uint64_t conn_records;
static struct tracker *tr;
static int64_t clock_now;

static void collect_conn(const struct verdict *v, void *arg)
{
	(void)arg;
	if (v->purpose & VERDICT_FOR_FILES)
		conn_records++;
}

static void collect_message(const struct message_record *m, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(n_lines, MAX_LINES);
	size_t len = message_record_encode(m, lines[n_lines], sizeof(lines[0]));
	ck_assert_uint_gt(len, 0);
	lines[n_lines][len] = '\0';
	n_lines++;
}

static struct span name_of_source(const void *arg, uint32_t source)
{
	(void)arg;
	(void)source;
	return sp("esa1");
}

static void start(uint32_t max_messages, int on)
{
	struct track_config cfg;
	track_config_defaults(&cfg);
	cfg.max_messages = max_messages;
	cfg.message_timeout = 100;
	tr = track_new(&cfg, collect_conn, NULL);
	ck_assert_ptr_nonnull(tr);
	track_set_source_names(tr, name_of_source, NULL);
	if (on)
		ck_assert_int_eq(track_enable_messages(tr, collect_message, NULL), 0);
	n_lines = 0;
	conn_records = 0;
	clock_now = 1000000;
}

static void stop(void)
{
	track_free(tr);
	tr = NULL;
}

/* Feeds one log line's text at the current clock, logged at that same time. */
static void feed(const char *text)
{
	struct esa_event ev;
	struct logtime when = {clock_now, 0, 1};
	esa_classify(text, strlen(text), &ev);
	ck_assert_msg(ev.kind != ESA_UNCLASSIFIED, "unclassified: %s", text);
	track_event(tr, 0, &ev, &when, clock_now);
}

static void feed_all(const char *const *text)
{
	for (; *text != NULL; text++)
		feed(*text);
}

/* Moves the clock on by seconds, runs the time-outs, and expects want records in all. */
static void advance(int64_t seconds, size_t want)
{
	clock_now += seconds;
	track_expire(tr, clock_now);
	ck_assert_uint_eq(n_lines, want);
}

static void has(size_t i, const char *want)
{
	ck_assert_uint_lt(i, n_lines);
	ck_assert_msg(strstr(lines[i], want) != NULL, "record %zu lacks %s: %s", i, want, lines[i]);
}

static const char *const tls_in[] = {
    "New SMTP ICID 14 interface Data 1 (10.0.0.1) address 192.0.2.7 reverse dns host a.example "
    "verified yes",
    "ICID 14 TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-GCM-SHA384",
    "Start MID 4 ICID 14",
    "MID 4 ICID 14 From: <a@example.org>",
    "MID 4 ICID 14 RID 0 To: <b@example.com>",
    NULL};

static const char *const tls_out[] = {
    "New SMTP DCID 30 interface 10.0.0.1 address 198.51.100.9 port 25",
    "DCID 30 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384",
    "Delivery start DCID 30 MID 4 to RID [0]", "Message done DCID 30 MID 4 to RID [0]", NULL};

/* A message received over TLS (ICID 14, closed since), then the lines of its delivery. */
static void received_then(const char *const *out)
{
	start(100, 1);
	feed_all(tls_in);
	feed("ICID 14 close");
	feed_all(out);
}

/* A message that came in over TLS and left over TLS: one record once both connections ended. */
START_TEST(test_tls_end_to_end)
{
	received_then(tls_out);
	feed("Message finished MID 4 done");
	ck_assert_uint_eq(n_lines, 0); /* the DCID is still open */
	feed("DCID 30 close");
	ck_assert_uint_eq(n_lines, 1);
	has(0,
	    "{\"v\":1,\"type\":\"message\",\"host\":\"esa1\",\"mid\":4,\"icid\":14,"
	    "\"in_verdict\":\"tls\",\"deliveries\":[{\"dcid\":30,\"rids\":[0],\"verdict\":\"tls\","
	    "\"peer_domain\":\"example.com\",\"outcome\":\"delivered\"}],\"end_to_end\":\"tls\","
	    "\"end\":\"done\",\"first_seen\":\"");
	ck_assert_uint_eq(msgtrack_open_count(track_messages(tr)), 0);
	ck_assert_uint_eq(msgtrack_counters(track_messages(tr))->e2e[VERDICT_TLS], 1);
	stop();
}
END_TEST

/* A finished message waits for its inbound verdict: the ICID closes after the message. */
START_TEST(test_waits_for_inbound)
{
	start(100, 1);
	feed_all(tls_in);
	feed_all(tls_out);
	feed("DCID 30 close");
	feed("Message finished MID 4 done");
	ck_assert_uint_eq(n_lines, 0);
	feed("ICID 14 close");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"end_to_end\":\"tls\"");
	stop();
}
END_TEST

/* A delivery after the DCID's TLS failed went in the clear: tls_failed end to end. */
START_TEST(test_delivery_after_failure)
{
	static const char *const out[] = {
	    "New SMTP DCID 31 interface 10.0.0.1 address 198.51.100.9 port 25",
	    "DCID 31 TLS failed: STARTTLS unexpected response",
	    "Delivery start DCID 31 MID 4 to RID [0]",
	    "Message done DCID 31 MID 4 to RID [0]",
	    "DCID 31 close",
	    "Message finished MID 4 done",
	    NULL};
	received_then(out);
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"verdict\":\"tls_failed\"");
	has(0, "\"after_failure\":true");
	has(0, "\"end_to_end\":\"tls_failed\"");
	stop();
}
END_TEST

/* A connection whose required TLS failed delivers nothing: the delay it logs is no delivery in
 * the clear, and the connection record lists no message. Its verdict is known from the failure
 * on, so the message is written as soon as its retry is done, not at its time-out. */
START_TEST(test_delay_after_required_tls_failed)
{
	static const char *const out[] = {
	    "New SMTP DCID 31 interface 10.0.0.1 address 198.51.100.9 port 25",
	    "DCID 31 TLS failed: STARTTLS unexpected response",
	    "DCID 31 IP 198.51.100.9 TLS was required but could not be successfully negotiated",
	    "Delayed: DCID 31 MID 4 to RID [0] - 4.1.0 - TLS required",
	    "DCID 31 close",
	    "New SMTP DCID 32 interface 10.0.0.1 address 198.51.100.9 port 25",
	    "DCID 32 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384",
	    "Delivery start DCID 32 MID 4 to RID [0]",
	    "Message done DCID 32 MID 4 to RID [0]",
	    "Message finished MID 4 done",
	    NULL};
	received_then(out);
	ck_assert_uint_eq(n_lines, 0); /* DCID 32 is still open */
	feed("DCID 32 close");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "{\"dcid\":31,\"rids\":[0],\"verdict\":\"tls_failed\",\"outcome\":\"delayed\"}");
	has(0, "{\"dcid\":32,\"rids\":[0],\"verdict\":\"tls\",\"peer_domain\":\"example.com\","
	       "\"outcome\":\"delivered\"}");
	has(0, "\"end_to_end\":\"tls_failed\",\"end\":\"done\"");
	stop();
}
END_TEST

/* "Possible Delivery" after a TLS failure says the message may have gone out in the clear. */
START_TEST(test_possible_delivery_after_failure)
{
	static const char *const out[] = {
	    "New SMTP DCID 31 interface 10.0.0.1 address 198.51.100.9 port 25",
	    "DCID 31 TLS failed: STARTTLS unexpected response",
	    "Possible Delivery: DCID 31 MID 4 to RID [0]", "Message finished MID 4 done", NULL};
	received_then(out);
	ck_assert_uint_eq(n_lines, 1);
	has(0, "{\"dcid\":31,\"rids\":[0],\"verdict\":\"tls_failed\",\"outcome\":\"delivered\","
	       "\"after_failure\":true}");
	stop();
}
END_TEST

/* Plain inbound, TLS outbound: no_tls. */
START_TEST(test_plain_inbound)
{
	start(100, 1);
	feed("New SMTP ICID 15 interface Data 1 (10.0.0.1) address 192.0.2.8");
	feed("Start MID 5 ICID 15");
	feed("ICID 15 close");
	feed("New SMTP DCID 32 interface 10.0.0.1 address 198.51.100.9 port 25");
	feed("DCID 32 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384");
	feed("Delivery start DCID 32 MID 5 to RID [0]");
	feed("DCID 32 close");
	feed("Message finished MID 5 done");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"in_verdict\":\"no_tls\"");
	has(0, "\"outcome\":\"pending\"");
	has(0, "\"end_to_end\":\"no_tls\"");
	stop();
}
END_TEST

/* Message lines without their connection (a capture that starts mid-stream): unknown, at once. */
START_TEST(test_no_connection)
{
	start(100, 1);
	feed("Message done DCID 40 MID 9 to RID [0]");
	feed("DCID 40 close");
	feed("Message finished MID 9 aborted");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"mid\":9,\"in_verdict\":\"unknown\"");
	has(0, "\"verdict\":\"unknown\"");
	has(0, "\"end_to_end\":\"unknown\",\"end\":\"aborted\"");
	stop();
}
END_TEST

/* Every recipient delivered or bounced finishes the message; the late "Message finished" line
 * makes no second record. */
START_TEST(test_recipients_finish)
{
	start(100, 1);
	feed_all(tls_in);
	feed("MID 4 ICID 14 RID 1 To: <c@example.net>");
	feed("ICID 14 close");
	feed_all(tls_out);
	feed("Bounced: DCID 0 MID 4 to RID 1 - 5.1.2 - Bad destination host");
	feed("DCID 30 close");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"end\":\"recipients\"");
	feed("Message finished MID 4 done");
	ck_assert_uint_eq(n_lines, 1);
	ck_assert_uint_eq(msgtrack_counters(track_messages(tr))->late_lines, 1);
	stop();
}
END_TEST

/* Outcome lines that name their recipient after the addresses ("From: <a> To: <b> RID 1")
 * count as well: a bounce in that form finishes its recipient, a delay lists it. */
START_TEST(test_addressed_outcomes)
{
	start(100, 1);
	feed_all(tls_in);
	feed("MID 4 ICID 14 RID 1 To: <c@example.net>");
	feed("ICID 14 close");
	feed_all(tls_out);
	feed("New SMTP DCID 31 interface 10.0.0.1 address 198.51.100.10 port 25");
	feed("Delivery start DCID 31 MID 4 to RID [1]");
	feed("Delayed: DCID 31 MID 4 From: <a@example.org> To: <c@example.net> RID 1 - 4.3.2 - "
	     "Not accepting messages at this time");
	feed("DCID 30 close");
	feed("DCID 31 close");
	ck_assert_uint_eq(n_lines, 0); /* RID 1 is only delayed */
	feed("Bounced: DCID 0 MID 4 From:<a@example.org> To:<c@example.net> RID 1 - 5.1.2 - Bad "
	     "destination host");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"end\":\"recipients\"");
	has(0, "{\"dcid\":31,\"rids\":[1],\"verdict\":\"no_tls\"");
	has(0, "\"outcome\":\"delayed\"");
	stop();
}
END_TEST

/* No news for message_timeout: written as idle, its open parts unknown. */
START_TEST(test_idle)
{
	start(100, 1);
	feed_all(tls_in);
	advance(99, 0);
	advance(1, 1);
	has(0, "\"in_verdict\":\"unknown\"");
	has(0, "\"end\":\"idle\"");
	stop();
}
END_TEST

/* News postpones the time-out: counted from the latest line, not the first. */
START_TEST(test_news_postpones_idle)
{
	start(100, 1);
	feed("Start MID 1 ICID 10");
	clock_now += 60;
	feed("MID 1 ICID 10 From: <a@example.org>");
	advance(40, 0);
	advance(59, 0);
	advance(1, 1);
	has(0, "\"end\":\"idle\"");
	stop();
}
END_TEST

/* A full table writes the message it took in first as evicted; the end of input the rest. */
START_TEST(test_bounds_and_flush)
{
	start(2, 1);
	feed("Start MID 1 ICID 10");
	feed("Start MID 2 ICID 11");
	feed("Start MID 3 ICID 12"); /* MID 1 was put first */
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"mid\":1,");
	has(0, "\"end\":\"evicted\"");
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_uint_eq(n_lines, 3);
	has(1, "\"end\":\"eof\"");
	ck_assert_uint_eq(msgtrack_open_count(track_messages(tr)), 0);
	stop();
}
END_TEST

/* A split copy takes its parent's inbound connection, even when making room for the copy
 * writes the parent out of a full table; with the parent gone, nothing tells the copy the
 * ICID's verdict, so it says unknown rather than guess. */
START_TEST(test_split_copy_in_full_table)
{
	start(1, 1);
	feed_all(tls_in);
	feed("MID 4 was split creating MID 5 by policy");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"mid\":4,");
	has(0, "\"end\":\"evicted\"");
	feed("ICID 14 close");
	feed("Message finished MID 5 done");
	ck_assert_uint_eq(n_lines, 2);
	has(1, "\"mid\":5,\"icid\":14,\"in_verdict\":\"unknown\"");
	stop();
}
END_TEST

/* Off unless asked for: no message table, no records. */
START_TEST(test_off_by_default)
{
	start(100, 0);
	feed_all(tls_in);
	feed("Message finished MID 4 done");
	track_flush(tr, VERDICT_END_EOF);
	ck_assert_ptr_null(track_messages(tr));
	ck_assert_uint_eq(n_lines, 0);
	ck_assert_uint_eq(conn_records, 1);
	stop();
}
END_TEST

/* ---- a restart through the state file ---- */

static int save_conn(const struct track_conn_state *s, void *arg)
{
	struct track_conn_state named = *s;
	named.host = sp("esa1");
	state_writer_conn(arg, &named);
	return 0;
}

static int save_msg(const struct msg_state *s, void *arg)
{
	struct msg_state named = *s;
	named.host = sp("esa1");
	state_writer_message(arg, &named);
	return 0;
}

static int load_conn(const struct track_conn_state *s, void *arg)
{
	(void)arg;
	ck_assert_int_eq(track_import(tr, s, clock_now), 0);
	return 0;
}

static int load_msg(const struct msg_state *s, void *arg)
{
	(void)arg;
	ck_assert_int_eq(track_import_message(tr, s), 0);
	return 0;
}

/* A message half way (its ICID closed, its DCID open, not finished) saved, loaded into a new
 * tracker, and finished there: one record with what was known before the restart. */
START_TEST(test_state_round_trip)
{
	static struct mem_sink b;
	struct state_writer w;
	uint64_t count;
	start(100, 1);
	feed_all(tls_in);
	feed("ICID 14 close");
	feed("New SMTP DCID 30 interface 10.0.0.1 address 198.51.100.9 port 25");
	feed("DCID 30 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384");
	feed("Delivery start DCID 30 MID 4 to RID [0]");
	b.len = 0;
	state_writer_begin(&w, mem_sink_write, &b, clock_now);
	track_export(tr, save_conn, &w);
	ck_assert_int_eq(track_export_messages(tr, save_msg, &w), 0);
	ck_assert_int_eq(state_writer_end(&w), 0);
	stop();

	start(100, 1);
	const struct state_visitor both = {load_conn, load_msg, NULL, NULL};
	ck_assert_int_eq(state_parse_visit(b.data, b.len, &both, NULL, &count), STATE_OK);
	ck_assert_uint_eq(count, 2);
	track_import_done(tr);
	ck_assert_uint_eq(msgtrack_open_count(track_messages(tr)), 1);
	/* Read as connections only, the same file skips its message. */
	ck_assert_int_eq(state_parse(b.data, b.len, NULL, NULL, NULL, &count), STATE_OK);
	feed("Message done DCID 30 MID 4 to RID [0]");
	feed("Message finished MID 4 done");
	ck_assert_uint_eq(n_lines, 0);
	feed("DCID 30 close");
	ck_assert_uint_eq(n_lines, 1);
	has(0, "\"mid\":4,\"icid\":14,\"in_verdict\":\"tls\",\"deliveries\":[{\"dcid\":30,"
	       "\"rids\":[0],\"verdict\":\"tls\",\"peer_domain\":\"example.com\","
	       "\"outcome\":\"delivered\"}],\"end_to_end\":\"tls\",\"end\":\"done\"");
	/* A message record in a version 1 file is malformed: that version held connections. */
	b.data[STATE_MAGIC_LEN] = 1;
	ck_assert_int_eq(state_parse(b.data, b.len, NULL, NULL, NULL, NULL), STATE_MALFORMED);
	stop();
}
END_TEST

/* end_to_end: a failure beats plain, plain beats unknown, unknown beats tls. */
/* A connection that carried more messages than its record lists (64) still gives every one of
 * them its verdict, inbound and outbound. */
START_TEST(test_past_the_listed_mids)
{
	char line[128];
	start(200, 1);
	feed_all(tls_in);
	feed("New SMTP DCID 30 interface 10.0.0.1 address 198.51.100.9 port 25");
	feed("DCID 30 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384");
	for (int mid = 100; mid < 170; mid++) {
		snprintf(line, sizeof(line), "Start MID %d ICID 14", mid);
		feed(line);
		snprintf(line, sizeof(line), "Delivery start DCID 30 MID %d to RID [0]", mid);
		feed(line);
		snprintf(line, sizeof(line), "Message done DCID 30 MID %d to RID [0]", mid);
		feed(line);
		snprintf(line, sizeof(line), "Message finished MID %d done", mid);
		feed(line);
	}
	feed("ICID 14 close");
	ck_assert_uint_eq(n_lines, 0); /* the DCID is still open */
	feed("DCID 30 close");
	ck_assert_uint_eq(n_lines, 70);
	ck_assert_uint_eq(msgtrack_counters(track_messages(tr))->e2e[VERDICT_TLS], 70);
	ck_assert_uint_eq(msgtrack_open_count(track_messages(tr)), 1); /* MID 4, unfinished */
	stop();
}
END_TEST

START_TEST(test_end_to_end_rules)
{
	struct message_delivery d[2] = {{.verdict = VERDICT_TLS}, {.verdict = VERDICT_TLS}};
	struct message_record m = {
	    .in_verdict = VERDICT_TLS, .deliveries = d, .n_deliveries = 2, .deliveries_total = 2};
	ck_assert_int_eq(message_end_to_end(&m), VERDICT_TLS);
	d[1].verdict = VERDICT_UNKNOWN;
	ck_assert_int_eq(message_end_to_end(&m), VERDICT_UNKNOWN);
	m.in_verdict = VERDICT_NO_TLS;
	ck_assert_int_eq(message_end_to_end(&m), VERDICT_NO_TLS);
	d[0].verdict = VERDICT_TLS_FAILED;
	ck_assert_int_eq(message_end_to_end(&m), VERDICT_TLS_FAILED);
	d[0].verdict = d[1].verdict = VERDICT_TLS;
	m.in_verdict = VERDICT_TLS;
	m.deliveries_total = 3; /* one not listed: nothing known of it */
	ck_assert_int_eq(message_end_to_end(&m), VERDICT_UNKNOWN);
}
END_TEST

static Suite *msgtrack_suite(void)
{
	Suite *s = suite_create("msgtrack");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_tls_end_to_end);
	tcase_add_test(tc, test_waits_for_inbound);
	tcase_add_test(tc, test_delivery_after_failure);
	tcase_add_test(tc, test_delay_after_required_tls_failed);
	tcase_add_test(tc, test_possible_delivery_after_failure);
	tcase_add_test(tc, test_plain_inbound);
	tcase_add_test(tc, test_no_connection);
	tcase_add_test(tc, test_recipients_finish);
	tcase_add_test(tc, test_addressed_outcomes);
	tcase_add_test(tc, test_idle);
	tcase_add_test(tc, test_news_postpones_idle);
	tcase_add_test(tc, test_bounds_and_flush);
	tcase_add_test(tc, test_off_by_default);
	tcase_add_test(tc, test_split_copy_in_full_table);
	tcase_add_test(tc, test_end_to_end_rules);
	tcase_add_test(tc, test_past_the_listed_mids);
	tcase_add_test(tc, test_state_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(msgtrack_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
