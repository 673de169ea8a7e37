/* The feed monitor on its own clock: a source whose lines are mostly not ESA mail_logs is
 * warned about once (named, with its shape, cause and an escaped example) and again when it
 * recovers; silence gives "silent" then "resumed"; an expected appliance never seen is
 * "missing"; the warnings go through a rate limiter. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "feed.h"
#include "log.h"
#include "support.h"

#define T0 1795867200 /* 2026-11-28T12:00:00Z */
#define MAX_RECS 64

static char dir[64];
static struct engine *eng;
static struct feed *mon;
static struct {
	enum feed_state state;
	char host[64];
	int64_t last_seen, silent_for;
	uint64_t lines, unclassified;
	char cause[32], example[256];
	char json[FEED_RECORD_MAX];
} recs[MAX_RECS];
static size_t n_recs;

static void no_verdict(const struct verdict *v, void *arg)
{
	(void)v;
	(void)arg;
}

static void collect_feed(const struct feed_record *r, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(n_recs, MAX_RECS);
	recs[n_recs].state = r->state;
	snprintf(recs[n_recs].host, sizeof(recs[n_recs].host), "%.*s", (int)r->host.len, r->host.p);
	recs[n_recs].last_seen = r->last_seen;
	recs[n_recs].silent_for = r->silent_for;
	recs[n_recs].lines = r->lines;
	recs[n_recs].unclassified = r->unclassified;
	snprintf(recs[n_recs].cause, sizeof(recs[n_recs].cause), "%s", r->cause ? r->cause : "");
	snprintf(recs[n_recs].example, sizeof(recs[n_recs].example), "%.*s", (int)r->example.len,
	         r->example.p ? r->example.p : "");
	ck_assert_uint_gt(feed_record_encode(r, recs[n_recs].json, sizeof(recs[n_recs].json)), 0);
	n_recs++;
}

static void setup(void)
{
	struct engine_config cfg;
	engine_config_defaults(&cfg);
	tmpdir_make(dir, sizeof(dir), "check_feed");
	capture_log(dir);
	log_init("esatlsd", 0);
	eng = engine_new(&cfg, no_verdict, NULL, T0);
	mon = feed_new(T0, collect_feed, NULL);
	ck_assert(eng != NULL && mon != NULL);
	n_recs = 0;
}

static void teardown(void)
{
	feed_free(mon);
	engine_free(eng);
	free(captured_log());
	tmpdir_remove(dir);
}

static void lines(const char *host, int n, int bad, int64_t at)
{
	char line[256];
	for (int i = 0; i < n; i++) {
		if (i < bad)
			snprintf(line, sizeof(line),
			         "<22>Nov 28 12:00:00 %s antispam: Info: case %d", host, i);
		else
			snprintf(line, sizeof(line),
			         "<22>Nov 28 12:00:00 %s mail_logs: Info: ICID %d close", host,
			         i + 1);
		engine_feed(eng, line, strlen(line), sp("127.0.0.1"), at);
	}
}

START_TEST(unrecognised_source_is_named_once_then_recovers)
{
	ck_assert_int_eq(feed_configure(mon, 900, NULL, 0, T0), 0);
	lines("garbage1", 999, 999, T0);
	lines("good", 1000, 500, T0);
	feed_tick(mon, eng, T0);
	ck_assert_uint_eq(n_recs, 0); /* 999 lines: not judged yet */
	/* A hostile line is its example: escaped in the log, raw in the record for the encoder. */
	const char *hostile = "<22>Nov 28 12:00:00 garbage1 x: \x1b[31m\"quoted\"";
	engine_feed(eng, hostile, strlen(hostile), sp("127.0.0.1"), T0);
	engine_appliance_drop_example(eng, 0);
	engine_feed(eng, hostile, strlen(hostile), sp("127.0.0.1"), T0 + 1);
	feed_tick(mon, eng, T0 + 1);
	ck_assert_uint_eq(n_recs, 1);
	ck_assert_int_eq(recs[0].state, FEED_UNRECOGNISED);
	ck_assert_str_eq(recs[0].host, "garbage1");
	ck_assert_uint_eq(recs[0].lines, 1001);
	ck_assert_uint_eq(recs[0].unclassified, 1001);
	ck_assert_str_eq(recs[0].cause, "no_level");
	ck_assert_str_eq(recs[0].example, hostile);
	ck_assert_ptr_nonnull(strstr(recs[0].json, "\\u001b[31m\\\"quoted\\\""));
	expect_log("appliance garbage1: 1001 of 1001 lines not recognised as ESA mail_logs; header "
	           "shape rfc3164; likely cause: no ESA level marker");
	expect_log("example: \"<22>Nov 28 12:00:00 garbage1 x: \\u001b[31m\\\"quoted\\\"\"");
	char *log = log_so_far();
	ck_assert_ptr_null(strstr(log, "appliance good"));
	free(log);
	/* Still bad: said once. A window of good lines: recovered. */
	lines("garbage1", 200, 200, T0 + 300);
	feed_tick(mon, eng, T0 + 300);
	ck_assert_uint_eq(n_recs, 1);
	lines("garbage1", 200, 10, T0 + 700);
	feed_tick(mon, eng, T0 + 700);
	ck_assert_uint_eq(n_recs, 2);
	ck_assert_int_eq(recs[1].state, FEED_RECOGNISED);
	ck_assert_uint_eq(recs[1].lines, 402);
	ck_assert_uint_eq(recs[1].unclassified, 212);
	expect_log("appliance garbage1: lines recognised as ESA mail_logs again (190 of 402)");
}
END_TEST

START_TEST(window_with_few_lines_is_not_judged)
{
	ck_assert_int_eq(feed_configure(mon, 900, NULL, 0, T0), 0);
	lines("quiet", 99, 99, T0);
	feed_tick(mon, eng, T0);
	lines("quiet", 1, 1, T0 + 600);
	feed_tick(mon, eng, T0 + 600);
	ck_assert_uint_eq(n_recs, 0);
	/* A window of 100 lines, 90 of them bad, is enough. */
	lines("quiet", 100, 90, T0 + 700);
	feed_tick(mon, eng, T0 + 1200);
	ck_assert_uint_eq(n_recs, 1);
	ck_assert_int_eq(recs[0].state, FEED_UNRECOGNISED);
	ck_assert_uint_eq(recs[0].lines, 100);
}
END_TEST

START_TEST(silent_then_resumed)
{
	ck_assert_int_eq(feed_configure(mon, 60, NULL, 0, T0), 0);
	lines("esa1", 3, 0, T0 + 10);
	feed_tick(mon, eng, T0 + 69);
	ck_assert_uint_eq(n_recs, 0);
	ck_assert_int_eq(feed_appliance_up(mon, 0), 1);
	feed_tick(mon, eng, T0 + 70);
	ck_assert_uint_eq(n_recs, 1);
	ck_assert_int_eq(recs[0].state, FEED_SILENT);
	ck_assert_str_eq(recs[0].host, "esa1");
	ck_assert_int_eq(recs[0].last_seen, T0 + 10);
	ck_assert_int_eq(recs[0].silent_for, 60);
	ck_assert_int_eq(feed_appliance_up(mon, 0), 0);
	expect_log("warning: appliance esa1: silent: no line for 60 s (silent_after 60 s)");
	feed_tick(mon, eng, T0 + 500);
	ck_assert_uint_eq(n_recs, 1); /* once */
	lines("esa1", 1, 0, T0 + 1010);
	feed_tick(mon, eng, T0 + 1010);
	ck_assert_uint_eq(n_recs, 2);
	ck_assert_int_eq(recs[1].state, FEED_RESUMED);
	ck_assert_int_eq(recs[1].last_seen, T0 + 10);
	ck_assert_int_eq(recs[1].silent_for, 1000);
	ck_assert_int_eq(feed_appliance_up(mon, 0), 1);
	expect_log("appliance esa1: resumed after 1000 s of silence");
	ck_assert_ptr_nonnull(strstr(recs[1].json, "\"type\":\"feed\""));
}
END_TEST

START_TEST(expected_never_seen_is_missing)
{
	char *expected[] = {"esa7", "esa8"};
	ck_assert_int_eq(feed_configure(mon, 60, expected, 2, T0), 0);
	ck_assert_uint_eq(feed_unseen_count(mon), 2);
	lines("esa8", 1, 0, T0 + 5);
	feed_tick(mon, eng, T0 + 59);
	ck_assert_uint_eq(n_recs, 0);
	ck_assert_uint_eq(feed_unseen_count(mon), 1);
	ck_assert_str_eq(feed_unseen_name(mon, 0), "esa7");
	ck_assert_ptr_null(feed_unseen_name(mon, 1));
	feed_tick(mon, eng, T0 + 60);
	ck_assert_uint_eq(n_recs, 1);
	ck_assert_int_eq(recs[0].state, FEED_MISSING);
	ck_assert_str_eq(recs[0].host, "esa7");
	ck_assert_int_eq(recs[0].last_seen, 0);
	ck_assert_int_eq(recs[0].silent_for, 60);
	expect_log("appliance esa7: missing: expected, but no line from it in 60 s");
	/* A reload keeps what is known of a name still expected. */
	ck_assert_int_eq(feed_configure(mon, 60, expected, 2, T0 + 61), 0);
	feed_tick(mon, eng, T0 + 62);
	ck_assert_uint_eq(n_recs, 1);
	lines("esa7", 1, 0, T0 + 100);
	feed_tick(mon, eng, T0 + 100);
	ck_assert_uint_eq(n_recs, 3); /* and esa8 has gone silent meanwhile */
	ck_assert_int_eq(recs[1].state, FEED_RESUMED);
	ck_assert_str_eq(recs[1].host, "esa7");
	ck_assert_int_eq(recs[2].state, FEED_SILENT);
	ck_assert_str_eq(recs[2].host, "esa8");
	ck_assert_int_eq(recs[1].silent_for, 100);
	ck_assert_uint_eq(feed_unseen_count(mon), 0);
}
END_TEST

START_TEST(warnings_are_rate_limited)
{
	/* Many silent sources at once: the limiter writes its burst, counts the rest. */
	ck_assert_int_eq(feed_configure(mon, 60, NULL, 0, T0), 0);
	char host[32];
	for (int h = 0; h < 20; h++) {
		snprintf(host, sizeof(host), "esa%d", h);
		lines(host, 1, 0, T0);
	}
	feed_tick(mon, eng, T0 + 60);
	ck_assert_uint_eq(n_recs, 20); /* every record goes out */
	char *log = log_so_far();
	ck_assert_uint_eq(count_substr(log, ": silent: "), LOG_LIMIT_BURST);
	free(log);
}
END_TEST

static Suite *feed_suite(void)
{
	Suite *s = suite_create("feed");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unrecognised_source_is_named_once_then_recovers);
	tcase_add_test(tc, window_with_few_lines_is_not_judged);
	tcase_add_test(tc, silent_then_resumed);
	tcase_add_test(tc, expected_never_seen_is_missing);
	tcase_add_test(tc, warnings_are_rate_limited);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(feed_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
