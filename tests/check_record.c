/* Feed records: each state's fields, absent ones omitted, a hostile example escaped like any
 * verdict field, and a buffer too small refused whole. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "support.h"

static const char *encode(const struct feed_record *r)
{
	static char buf[FEED_RECORD_MAX];
	size_t n = feed_record_encode(r, buf, sizeof(buf));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_int_eq(buf[n - 1], '\n');
	buf[n] = '\0';
	return buf;
}

/* 2026-11-28T12:00:00Z */
#define T0 1795867200

START_TEST(silent_resumed_missing)
{
	struct feed_record r = {.state = FEED_SILENT,
	                        .host = sp("esa1"),
	                        .time = T0 + 900,
	                        .last_seen = T0,
	                        .silent_for = 900};
	ck_assert_str_eq(encode(&r),
	                 "{\"v\":1,\"type\":\"feed\",\"time\":\"2026-11-28T12:15:00+00:00\","
	                 "\"host\":\"esa1\",\"state\":\"silent\",\"last_seen\":\"2026-11-"
	                 "28T12:00:00+00:00\",\"silent_for\":900}\n");
	r.state = FEED_RESUMED;
	r.silent_for = 1234;
	ck_assert_ptr_nonnull(strstr(encode(&r), "\"state\":\"resumed\""));
	ck_assert_ptr_nonnull(strstr(encode(&r), "\"silent_for\":1234}"));
	struct feed_record m = {
	    .state = FEED_MISSING, .host = sp("esa9"), .time = T0, .silent_for = 60};
	ck_assert_str_eq(encode(&m),
	                 "{\"v\":1,\"type\":\"feed\",\"time\":\"2026-11-28T12:00:00+00:00\","
	                 "\"host\":\"esa9\",\"state\":\"missing\",\"silent_for\":60}\n");
}
END_TEST

START_TEST(unrecognised_example_is_escaped)
{
	struct feed_record r = {.state = FEED_UNRECOGNISED,
	                        .host = sp("10.0.0.1"),
	                        .time = T0,
	                        .silent_for = -1,
	                        .lines = 1000,
	                        .unclassified = 998,
	                        .shape = "rfc3164",
	                        .cause = "no_level",
	                        .example = span_make("<13>a\"b\\c\n\x01\xff", 12)};
	ck_assert_str_eq(encode(&r),
	                 "{\"v\":1,\"type\":\"feed\",\"time\":\"2026-11-28T12:00:00+00:00\","
	                 "\"host\":\"10.0.0.1\",\"state\":\"unrecognised\",\"lines\":1000,"
	                 "\"unclassified\":998,\"shape\":\"rfc3164\",\"cause\":\"no_level\","
	                 "\"example\":\"<13>a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\"}\n");
}
END_TEST

START_TEST(too_small_is_refused)
{
	struct feed_record r = {
	    .state = FEED_SILENT, .host = sp("esa1"), .time = T0, .silent_for = -1};
	char buf[FEED_RECORD_MAX];
	size_t full = feed_record_encode(&r, buf, sizeof(buf));
	ck_assert_uint_gt(full, 0);
	for (size_t cap = 0; cap < full; cap++)
		ck_assert_uint_eq(feed_record_encode(&r, buf, cap), 0);
	ck_assert_uint_eq(feed_record_encode(&r, buf, full), full);
	ck_assert_str_eq(record_type_name(RECORD_CONNECTION), "connection");
	ck_assert_str_eq(record_type_name(RECORD_FEED), "feed");
	ck_assert_str_eq(record_type_name(RECORD_TYPE_COUNT), "?");
	ck_assert_str_eq(feed_state_name(FEED_MISSING), "missing");
	ck_assert_str_eq(feed_state_name(FEED_STATE_COUNT), "?");
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, silent_resumed_missing);
	tcase_add_test(tc, unrecognised_example_is_escaped);
	tcase_add_test(tc, too_small_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(record_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
