/* The report's aggregation: records counted per direction and peer by verdict, peers named
 * by domain, address or appliance, failure reasons ranked, the latest time kept, --since, and
 * lines that are not connection records set apart. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "tally.h"

static const char *const lines[] = {
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls\",\"direction\":\"inbound\",\"host\":"
    "\"esa1\",\"icid\":1,\"last_seen\":\"2026-01-02T10:00:00\",\"peer_ip\":\"192.0.2.1\","
    "\"peer_rdns\":\"mx1.mail.example.co.uk\"}",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"inbound\","
    "\"host\":\"esa1\",\"icid\":2,\"last_seen\":\"2026-01-03T10:00:00\",\"peer_ip\":"
    "\"192.0.2.2\",\"peer_rdns\":\"mx2.example.co.uk\",\"tls_error\":\"reset\"}",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"outbound\","
    "\"host\":\"esa2\",\"dcid\":3,\"last_seen\":\"2026-01-01T10:00:00\",\"peer_ip\":"
    "\"198.51.100.1\",\"peer_domain\":\"example.com\",\"tls_error\":\"STARTTLS \\u00e9\"}",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"outbound\","
    "\"host\":\"esa2\",\"dcid\":4,\"peer_ip\":\"198.51.100.1\",\"peer_domain\":\"example.com\"}",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"outbound\","
    "\"host\":\"esa2\",\"dcid\":5,\"peer_ip\":\"198.51.100.1\",\"peer_domain\":\"example.com\","
    "\"tls_error\":\"STARTTLS \\u00e9\"}",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"no_tls\",\"direction\":\"inbound\","
    "\"host\":\"esa1\",\"icid\":6,\"peer_ip\":\"192.0.2.9\",\"peer_rdns\":\"unknown\"}",
    "{\"v\":1,\"type\":\"message\",\"mid\":4}",
    "{\"v\":1,\"type\":\"feed\",\"host\":\"esa1\"}",
    "not json",
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"maybe\",\"direction\":\"inbound\"}",
};

#define N_LINES (sizeof(lines) / sizeof(lines[0]))

static struct tally *run(enum tally_by by, const char *since)
{
	struct tally *t = tally_new(by, since);
	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < N_LINES; i++)
		tally_add(t, lines[i], strlen(lines[i]));
	tally_sort(t);
	return t;
}

START_TEST(test_by_domain)
{
	struct tally *t = run(TALLY_BY_DOMAIN, NULL);
	const struct tally_counts *c = tally_counts(t);
	ck_assert_uint_eq(c->lines, N_LINES);
	ck_assert_uint_eq(c->counted, 6);
	ck_assert_uint_eq(c->other_type, 2);
	ck_assert_uint_eq(c->malformed, 2);
	ck_assert_uint_eq(tally_rows(t), 3);
	const struct tally_row *r = tally_row(t, 0);
	ck_assert_int_eq(r->dir, ESA_DIR_OUT);
	ck_assert_str_eq(r->peer, "example.com");
	ck_assert_uint_eq(r->total, 3);
	ck_assert_uint_eq(r->by_verdict[VERDICT_TLS_FAILED], 3);
	ck_assert_str_eq(r->last_seen, "2026-01-01T10:00:00");
	const struct tally_reason *top[TALLY_REASONS];
	ck_assert_uint_eq(tally_top_reasons(r, top), 2);
	ck_assert_str_eq(top[0]->text, "STARTTLS \xc3\xa9");
	ck_assert_uint_eq(top[0]->count, 2);
	ck_assert_str_eq(top[1]->text, "(no reason logged)");
	/* Both rDNS names fall under the registered domain of a country's second level. */
	r = tally_row(t, 1);
	ck_assert_int_eq(r->dir, ESA_DIR_IN);
	ck_assert_str_eq(r->peer, "example.co.uk");
	ck_assert_uint_eq(r->total, 2);
	ck_assert_uint_eq(r->by_verdict[VERDICT_TLS], 1);
	ck_assert_str_eq(r->last_seen, "2026-01-03T10:00:00");
	/* The timeline: days in order, records without a time left out. */
	size_t n_days;
	const struct tally_day *days = tally_days(t, &n_days);
	ck_assert_uint_eq(n_days, 3);
	ck_assert_str_eq(days[0].day, "2026-01-01");
	ck_assert_uint_eq(days[0].failed, 1);
	ck_assert_str_eq(days[2].day, "2026-01-03");
	ck_assert_uint_eq(days[2].connections, 1);
	/* An unknown rDNS falls back to the address. */
	ck_assert_str_eq(tally_row(t, 2)->peer, "192.0.2.9");
	ck_assert_uint_eq(tally_row(t, 2)->by_verdict[VERDICT_NO_TLS], 1);
	tally_free(t);
}
END_TEST

START_TEST(test_by_ip_and_appliance)
{
	struct tally *t = run(TALLY_BY_IP, NULL);
	ck_assert_uint_eq(tally_rows(t), 4);
	ck_assert_str_eq(tally_row(t, 0)->peer, "198.51.100.1");
	tally_free(t);
	t = run(TALLY_BY_APPLIANCE, NULL);
	ck_assert_uint_eq(tally_rows(t), 2);
	ck_assert_str_eq(tally_row(t, 0)->peer, "esa1"); /* 3 inbound: inbound sorts first */
	ck_assert_str_eq(tally_row(t, 1)->peer, "esa2"); /* 3 outbound */
	tally_free(t);
	enum tally_by by;
	ck_assert_int_eq(tally_by_parse("ip", &by), 0);
	ck_assert_int_eq(by, TALLY_BY_IP);
	ck_assert_int_eq(tally_by_parse("peer", &by), -1);
}
END_TEST

/* --since keeps records seen at or after it; those without a time stay. */
START_TEST(test_since)
{
	struct tally *t = run(TALLY_BY_IP, "2026-01-02");
	ck_assert_uint_eq(tally_counts(t)->too_old, 1);
	ck_assert_uint_eq(tally_counts(t)->counted, 5);
	tally_free(t);
}
END_TEST

static Suite *tally_suite(void)
{
	Suite *s = suite_create("tally");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_by_domain);
	tcase_add_test(tc, test_by_ip_and_appliance);
	tcase_add_test(tc, test_since);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(tally_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
