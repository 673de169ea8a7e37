/* Feed and downgrade records: each one's fields, absent ones omitted, hostile text escaped
 * like any verdict field, and a buffer too small refused whole. Message records: first_seen and
 * last_seen read as the time formatter writes them whether or not they share a day, every name
 * as the name functions give it, and a buffer too small refused whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logtime.h"
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

/* The text of "key":"..." in line, NUL-terminated in out. */
static void field(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = strstr(line, key);
	ck_assert_msg(p != NULL, "%s missing in %s", key, line);
	p += strlen(key);
	const char *q = strchr(p, '"');
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_lt((size_t)(q - p), cap);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

START_TEST(message_times_read_as_the_formatter_writes_them)
{
	static const struct {
		int64_t first, last;
		int16_t first_off, last_off;
	} pairs[] = {
	    {T0, T0, 0, 0},                                     /* the same instant */
	    {T0, T0 + 3599, 60, 60},                            /* the same day */
	    {T0 - 43200, T0 + 43199, 0, 0},                     /* its first and last second */
	    {T0, T0 + 43200, 0, 0},                             /* the next day */
	    {T0 + 7, T0 + 9, 0, -90},                           /* another offset */
	    {T0, T0 + 5, LOGTIME_NO_OFFSET, LOGTIME_NO_OFFSET}, /* none */
	    {-86400 - 5, -86400 - 1, 0, 0},                     /* before 1970 */
	    {-1, 0, 0, 0},                                      /* across 1970 */
	    {253402300799 - 10, 253402300799, 0, 0},            /* 9999-12-31 */
	    {253402300799 + 10, 253402300799 + 20, 0, 0},       /* past 9999 */
	};
	char buf[MESSAGE_RECORD_MAX], got[64], want[64];
	for (size_t k = 0; k < sizeof(pairs) / sizeof(*pairs); k++) {
		struct message_record m = {.host = sp("esa1"), .mid = 4};
		m.first_seen = (struct logtime){pairs[k].first, pairs[k].first_off, 1};
		m.last_seen = (struct logtime){pairs[k].last, pairs[k].last_off, 1};
		size_t n = message_record_encode(&m, buf, sizeof(buf));
		ck_assert_uint_gt(n, 0);
		buf[n] = '\0';
		field(buf, "\"first_seen\":\"", got, sizeof(got));
		logtime_format_iso(&m.first_seen, want);
		ck_assert_str_eq(got, want);
		field(buf, "\"last_seen\":\"", got, sizeof(got));
		logtime_format_iso(&m.last_seen, want);
		ck_assert_str_eq(got, want);
		m.first_seen.valid = 0; /* last_seen alone */
		n = message_record_encode(&m, buf, sizeof(buf));
		buf[n] = '\0';
		ck_assert_ptr_null(strstr(buf, "first_seen"));
		field(buf, "\"last_seen\":\"", got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(message_too_small_is_refused)
{
	struct message_delivery d = {
	    .dcid = 30, .rids = 5, .verdict = VERDICT_TLS, .peer_domain = sp("example.com")};
	struct message_record m = {.host = sp("esa1"),
	                           .mid = 4,
	                           .icid = 14,
	                           .deliveries = &d,
	                           .n_deliveries = 1,
	                           .deliveries_total = 2,
	                           .first_seen = {T0, 0, 1},
	                           .last_seen = {T0 + 3, 0, 1}};
	char buf[MESSAGE_RECORD_MAX];
	size_t full = message_record_encode(&m, buf, sizeof(buf));
	buf[full] = '\0';
	ck_assert_str_eq(buf, "{\"v\":1,\"type\":\"message\",\"host\":\"esa1\",\"mid\":4,"
	                      "\"icid\":14,\"in_verdict\":\"tls\",\"deliveries\":[{\"dcid\":30,"
	                      "\"rids\":[0,2],\"verdict\":\"tls\",\"peer_domain\":\"example.com\","
	                      "\"outcome\":\"pending\"}],\"deliveries_total\":2,\"end_to_end\":"
	                      "\"unknown\",\"end\":\"done\",\"first_seen\":\"2026-11-28T12:00:00+"
	                      "00:00\",\"last_seen\":\"2026-11-28T12:00:03+00:00\"}\n");
	for (size_t cap = 0; cap < full; cap++)
		ck_assert_uint_eq(message_record_encode(&m, buf, cap), 0);
	ck_assert_uint_eq(message_record_encode(&m, buf, full), full);
}
END_TEST

/* Every name a message record writes is the one the name functions give, in range or not. */
START_TEST(message_names_are_the_name_functions)
{
	char buf[MESSAGE_RECORD_MAX], want[64];
	for (unsigned k = 0; k <= VERDICT_KIND_COUNT; k++) {
		for (unsigned e = 0; e <= MESSAGE_END_COUNT; e++) {
			unsigned outcome = (k + e) % (DELIVERY_OUTCOME_COUNT + 1);
			struct message_delivery d = {.dcid = 1,
			                             .verdict = (enum verdict_kind)k,
			                             .outcome = (enum delivery_outcome)outcome};
			struct message_record m = {.mid = 4,
			                           .in_verdict = (enum verdict_kind)k,
			                           .deliveries = &d,
			                           .n_deliveries = 1,
			                           .deliveries_total = 1,
			                           .end = (enum message_end)e};
			size_t n = message_record_encode(&m, buf, sizeof(buf));
			ck_assert_uint_gt(n, 0);
			buf[n] = '\0';
			snprintf(want, sizeof(want), "\"in_verdict\":\"%s\"",
			         verdict_kind_name((enum verdict_kind)k));
			ck_assert_ptr_nonnull(strstr(buf, want));
			snprintf(want, sizeof(want), "\"outcome\":\"%s\"",
			         delivery_outcome_name((enum delivery_outcome)outcome));
			ck_assert_ptr_nonnull(strstr(buf, want));
			snprintf(want, sizeof(want), "\"end\":\"%s\"",
			         message_end_name((enum message_end)e));
			ck_assert_ptr_nonnull(strstr(buf, want));
		}
	}
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
	tcase_add_test(tc, message_times_read_as_the_formatter_writes_them);
	tcase_add_test(tc, message_too_small_is_refused);
	tcase_add_test(tc, message_names_are_the_name_functions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(record_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
