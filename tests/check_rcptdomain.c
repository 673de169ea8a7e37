/* Recipient domain table: what a "To:" line stores is found again for its (appliance, MID,
 * RID), a finished message forgets all its recipients, the table stays within its bound and
 * says when it forgot early, and every name it copied is freed (the sanitizer run checks). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rcptdomain.h"
#include "support.h"

static void expect_domain(const struct rcpt_domains *r, uint32_t source, uint64_t mid, uint32_t rid,
                          const char *want)
{
	struct span got = rcpt_domains_get(r, source, mid, rid);
	if (want == NULL) {
		ck_assert_msg(!span_present(got), "mid %llu rid %u: want none, got %.*s",
		              (unsigned long long)mid, rid, (int)got.len, got.p);
		return;
	}
	ck_assert_msg(span_present(got), "mid %llu rid %u: none, want %s", (unsigned long long)mid,
	              rid, want);
	ck_assert_msg(got.len == strlen(want) && memcmp(got.p, want, got.len) == 0,
	              "mid %llu rid %u: %.*s, want %s", (unsigned long long)mid, rid, (int)got.len,
	              got.p, want);
}

START_TEST(test_put_get_by_source_mid_rid)
{
	struct rcpt_domains r;
	rcpt_domains_init(&r, 100);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, 0, sp("a.example"), 0), 0);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, 1, sp("b.example"), 0), 0);
	ck_assert_int_eq(rcpt_domains_put(&r, 2, 10, 0, sp("c.example"), 0), 0);
	expect_domain(&r, 1, 10, 0, "a.example");
	expect_domain(&r, 1, 10, 1, "b.example");
	expect_domain(&r, 2, 10, 0, "c.example");
	expect_domain(&r, 1, 11, 0, NULL);
	expect_domain(&r, 1, 10, 2, NULL);
	/* A RID's first To: line names it; a repeat changes nothing. */
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, 0, sp("d.example"), 1), 0);
	expect_domain(&r, 1, 10, 0, "a.example");
	ck_assert_uint_gt(rcpt_domains_memory(&r), 0);
	rcpt_domains_free(&r);
}
END_TEST

START_TEST(test_refused_inputs)
{
	struct rcpt_domains r;
	rcpt_domains_init(&r, 100);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, 0, span_none(), 0), -1);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, 0, sp(""), 0), -1);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 0, 0, sp("x"), 0), -1);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, RCPT_RID_MAX, sp("x"), 0), -1);
	expect_domain(&r, 1, 10, RCPT_RID_MAX, NULL);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, RCPT_RID_MAX - 1, sp("x"), 0), 0);
	expect_domain(&r, 1, 10, RCPT_RID_MAX - 1, "x");
	/* A name longer than any domain is cut. */
	char big[400];
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 11, 0, span_make(big, sizeof(big)), 0), 0);
	ck_assert_uint_eq(rcpt_domains_get(&r, 1, 11, 0).len, RCPT_DOMAIN_MAX);
	/* At most RCPT_PER_MESSAGE_MAX recipients of one message. */
	for (uint32_t rid = 0; rid < RCPT_PER_MESSAGE_MAX; rid++)
		ck_assert_int_eq(rcpt_domains_put(&r, 1, 12, rid, sp("many.example"), 0), 0);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 12, RCPT_PER_MESSAGE_MAX, sp("x"), 0), -1);
	expect_domain(&r, 1, 12, RCPT_PER_MESSAGE_MAX - 1, "many.example");
	expect_domain(&r, 1, 12, RCPT_PER_MESSAGE_MAX, NULL);
	rcpt_domains_free(&r);
}
END_TEST

START_TEST(test_forget_message)
{
	struct rcpt_domains r;
	rcpt_domains_init(&r, 100);
	for (uint32_t rid = 0; rid < 5; rid++)
		ck_assert_int_eq(rcpt_domains_put(&r, 1, 10, rid * 3, sp("a.example"), 0), 0);
	ck_assert_int_eq(rcpt_domains_put(&r, 1, 20, 0, sp("b.example"), 0), 0);
	size_t before = rcpt_domains_memory(&r);
	rcpt_domains_forget(&r, 1, 10);
	for (uint32_t rid = 0; rid < 15; rid++)
		expect_domain(&r, 1, 10, rid, NULL);
	expect_domain(&r, 1, 20, 0, "b.example");
	ck_assert_uint_lt(rcpt_domains_memory(&r), before);
	rcpt_domains_forget(&r, 1, 10); /* twice: nothing left */
	rcpt_domains_forget(&r, 9, 99); /* never known */
	rcpt_domains_free(&r);
}
END_TEST

START_TEST(test_bounded_oldest_forgotten)
{
	struct rcpt_domains r;
	int dropped = 0;
	rcpt_domains_init(&r, 64);
	/* One entry per message: 64 messages fill it. */
	for (uint64_t mid = 1; mid <= 1000; mid++) {
		int got = rcpt_domains_put(&r, 1, mid, 0, sp("example.org"), (int64_t)mid);
		ck_assert_int_ge(got, 0);
		dropped += got;
	}
	ck_assert_int_gt(dropped, 900);
	expect_domain(&r, 1, 1000, 0, "example.org");
	expect_domain(&r, 1, 1, 0, NULL);
	rcpt_domains_forget(&r, 1, 1); /* already forgotten: nothing happens */
	ck_assert_uint_le(rcpt_domains_memory(&r), 64 * 1024);
	rcpt_domains_free(&r);
}
END_TEST

static Suite *rcptdomain_suite(void)
{
	Suite *s = suite_create("rcptdomain");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, test_put_get_by_source_mid_rid);
	tcase_add_test(tc, test_refused_inputs);
	tcase_add_test(tc, test_forget_message);
	tcase_add_test(tc, test_bounded_oldest_forgotten);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(rcptdomain_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
