/* Feed and downgrade records: each one's fields, absent ones omitted, hostile text escaped
 * like any verdict field, and a buffer too small refused whole. */
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

static struct verdict downgraded_conn(void)
{
	struct verdict v = {.kind = VERDICT_NO_TLS,
	                    .dir = ESA_DIR_IN,
	                    .host = sp("esa1"),
	                    .conn_id = 77,
	                    .end = VERDICT_END_CLOSE};
	for (int i = 0; i < VERDICT_STR_COUNT; i++)
		v.str[i] = span_none();
	v.str[VERDICT_S_PEER_IP] = sp("192.0.2.1");
	v.str[VERDICT_S_PEER_RDNS] = sp("mx.example.org");
	v.first_seen = (struct logtime){T0, LOGTIME_NO_OFFSET, 1};
	v.last_seen = (struct logtime){T0 + 5, LOGTIME_NO_OFFSET, 1};
	return v;
}

START_TEST(downgrade_names_peer_before_and_now)
{
	struct verdict v = downgraded_conn();
	struct downgrade_record g = {.kind = DOWNGRADE_TLS_LOST,
	                             .peer = sp("mx.example.org"),
	                             .conn = &v,
	                             .last_tls_host = sp("esa2"),
	                             .last_tls = {T0 - 86400, LOGTIME_NO_OFFSET, 1},
	                             .last_protocol = sp("TLSv1.3"),
	                             .last_cipher = sp("TLS_AES_256_GCM_SHA384"),
	                             .counts = {41, 0, 1, 2}};
	char buf[DOWNGRADE_RECORD_MAX];
	size_t n = downgrade_record_encode(&g, buf, sizeof(buf));
	ck_assert_uint_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf,
	                 "{\"v\":1,\"type\":\"downgrade\",\"kind\":\"tls_lost\",\"host\":\"esa1\","
	                 "\"peer\":\"mx.example.org\",\"direction\":\"inbound\",\"icid\":77,"
	                 "\"verdict\":\"no_tls\",\"peer_ip\":\"192.0.2.1\",\"peer_rdns\":\"mx."
	                 "example.org\",\"first_seen\":\"2026-11-28T12:00:00\",\"last_seen\":"
	                 "\"2026-11-28T12:00:05\",\"last_tls\":\"2026-11-27T12:00:00\","
	                 "\"last_tls_host\":\"esa2\",\"last_tls_protocol\":\"TLSv1.3\","
	                 "\"last_tls_cipher\":\"TLS_AES_256_GCM_SHA384\",\"peer_counts\":{"
	                 "\"tls\":41,\"tls_failed\":0,\"no_tls\":1,\"unknown\":2}}\n");
	for (size_t cap = 0; cap < n; cap++)
		ck_assert_uint_eq(downgrade_record_encode(&g, buf, cap), 0);
	ck_assert_str_eq(downgrade_kind_name(DOWNGRADE_PROTOCOL), "protocol");
	ck_assert_str_eq(downgrade_kind_name(DOWNGRADE_KIND_COUNT), "?");
	ck_assert_str_eq(record_type_name(RECORD_DOWNGRADE), "downgrade");
}
END_TEST

/* Every string at its longest and of the bytes that escape the longest still fits. */
START_TEST(downgrade_worst_case_fits)
{
	char worst[255];
	memset(worst, 0x01, sizeof(worst));
	struct span w = span_make(worst, sizeof(worst));
	struct verdict v = downgraded_conn();
	v.dir = ESA_DIR_OUT;
	v.conn_id = UINT64_MAX;
	v.host = w;
	for (int i = 0; i < VERDICT_STR_COUNT; i++)
		v.str[i] = w;
	struct downgrade_record g = {.kind = DOWNGRADE_PROTOCOL,
	                             .peer = w,
	                             .conn = &v,
	                             .last_tls_host = w,
	                             .last_tls = {T0, 840, 1},
	                             .last_protocol = w,
	                             .last_cipher = w,
	                             .counts = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	                             .held_back = UINT64_MAX};
	static char buf[DOWNGRADE_RECORD_MAX + 1];
	size_t n = downgrade_record_encode(&g, buf, DOWNGRADE_RECORD_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert(json_valid(buf, n - 1));
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\"dcid\":18446744073709551615"));
	ck_assert_ptr_nonnull(strstr(buf, "\"held_back\":18446744073709551615}"));
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, silent_resumed_missing);
	tcase_add_test(tc, unrecognised_example_is_escaped);
	tcase_add_test(tc, too_small_is_refused);
	tcase_add_test(tc, downgrade_names_peer_before_and_now);
	tcase_add_test(tc, downgrade_worst_case_fits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(record_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
