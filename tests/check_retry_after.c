/* Retry-After values (lib/retry_after.c): seconds, IMF-fixdate dates before and after now, and
 * what is neither. */
#include <check.h>
#include <stdlib.h>

#include "retry_after.h"
#include "support.h"

/* 1994-11-06T08:49:37Z, RFC 9110's example date. */
#define EXAMPLE_TIME 784111777

START_TEST(test_seconds)
{
	uint64_t s;
	ck_assert_int_eq(retry_after_parse(sp("120"), 0, &s), 0);
	ck_assert_uint_eq(s, 120);
	ck_assert_int_eq(retry_after_parse(sp(" 0 "), 0, &s), 0);
	ck_assert_uint_eq(s, 0);
	/* too many to count is a very long time, not an error */
	ck_assert_int_eq(retry_after_parse(sp("99999999999999999999999"), 0, &s), 0);
	ck_assert_uint_ge(s, 4000000000ULL);
}
END_TEST

START_TEST(test_dates)
{
	uint64_t s;
	ck_assert_int_eq(
	    retry_after_parse(sp("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE_TIME - 30, &s), 0);
	ck_assert_uint_eq(s, 30);
	/* past: retry now */
	ck_assert_int_eq(
	    retry_after_parse(sp("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE_TIME + 5, &s), 0);
	ck_assert_uint_eq(s, 0);
	/* leap day, end of year */
	ck_assert_int_eq(retry_after_parse(sp("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800 - 1, &s),
	                 0);
	ck_assert_uint_eq(s, 1);
	ck_assert_int_eq(
	    retry_after_parse(sp("Tue, 31 Dec 2030 23:59:59 GMT"), 1924991999 - 10, &s), 0);
	ck_assert_uint_eq(s, 10);
}
END_TEST

START_TEST(test_invalid)
{
	static const char *const bad[] = {
	    "",
	    "soon",
	    "-1",
	    "1.5",
	    "12abc",
	    "Sunday, 06-Nov-94 08:49:37 GMT", /* obsolete RFC 850 form: not taken */
	    "Sun Nov  6 08:49:37 1994",       /* asctime: not taken */
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 06 Foo 1994 08:49:37 GMT",
	    "Xyz, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 32 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 24:49:37 GMT",
	    "Sun, 06 Nov 19x4 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:37 GMT extra",
	};
	uint64_t s = 77;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(retry_after_parse(sp(bad[i]), EXAMPLE_TIME, &s) == -1, "took \"%s\"",
		              bad[i]);
	ck_assert_uint_eq(s, 77);
}
END_TEST

static Suite *retry_after_suite(void)
{
	Suite *s = suite_create("retry_after");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_seconds);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(retry_after_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
