/* Spans: presence, ASCII case-insensitive comparison, checked decimal parsing, trimming. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "support.h"

START_TEST(test_make_none_present)
{
	static const char text[] = "abc";
	struct span s = span_make(text + 1, 2);
	ck_assert_ptr_eq(s.p, text + 1);
	ck_assert_uint_eq(s.len, 2);
	ck_assert(span_present(s));

	/* Present but empty is not absent: a bare "TLS failed" carries an empty reason. */
	ck_assert(span_present(span_make(text, 0)));

	struct span n = span_none();
	ck_assert_ptr_null(n.p);
	ck_assert_uint_eq(n.len, 0);
	ck_assert(!span_present(n));
}
END_TEST

START_TEST(test_eq_ci)
{
	ck_assert(span_eq_ci(sp("ICID"), "icid"));
	ck_assert(span_eq_ci(sp("icid"), "ICID"));
	ck_assert(span_eq_ci(sp("New SMTP"), "new smtp"));
	ck_assert(span_eq_ci(sp("AbCxYz"), "aBcXyZ"));
	ck_assert(!span_eq_ci(sp("ICID"), "icd"));
	ck_assert(!span_eq_ci(sp("ICID"), "icids"));
	ck_assert(!span_eq_ci(sp("ICIDS"), "icid"));
	ck_assert(!span_eq_ci(sp("DCID"), "icid"));
	ck_assert(span_eq_ci(sp(""), ""));
	ck_assert(span_eq_ci(span_none(), ""));
	ck_assert(!span_eq_ci(span_none(), "x"));
	ck_assert(!span_eq_ci(sp("x"), ""));
}
END_TEST

/* Only A-Z fold: the bytes 0x20 apart outside the letters stay distinct, and so does non-ASCII. */
START_TEST(test_eq_ci_folds_letters_only)
{
	ck_assert(!span_eq_ci(sp("@"), "`"));
	ck_assert(!span_eq_ci(sp("["), "{"));
	ck_assert(!span_eq_ci(sp("]"), "}"));
	ck_assert(!span_eq_ci(sp("^"), "~"));
	ck_assert(!span_eq_ci(sp("\xC9"), "\xE9")); /* Latin-1 E-acute, both cases */
	ck_assert(!span_eq_ci(sp("1"), "\x11"));
	ck_assert(span_eq_ci(sp("\xC9"), "\xC9"));
	for (int c = 'A'; c <= 'Z'; c++) {
		char up[2] = {(char)c, 0}, low[2] = {(char)(c + 32), 0};
		ck_assert(span_eq_ci(sp(up), low));
		ck_assert(span_eq_ci(sp(low), up));
	}
}
END_TEST

/* A NUL inside the span is data, not an end. */
START_TEST(test_eq_ci_embedded_nul)
{
	ck_assert(!span_eq_ci(span_make("ab\0", 3), "ab"));
	ck_assert(!span_eq_ci(span_make("a\0b", 3), "a"));
	ck_assert(span_eq_ci(span_make("ab\0", 2), "ab"));
}
END_TEST

START_TEST(test_starts_ci)
{
	ck_assert(span_starts_ci(sp("TLS success protocol TLSv1.2"), "tls success"));
	ck_assert(span_starts_ci(sp("tls"), "TLS"));
	ck_assert(span_starts_ci(sp("anything"), ""));
	ck_assert(span_starts_ci(span_none(), ""));
	ck_assert(!span_starts_ci(span_none(), "a"));
	ck_assert(!span_starts_ci(sp("TL"), "tls"));
	ck_assert(!span_starts_ci(sp("TLX success"), "tls"));
	ck_assert(!span_starts_ci(sp(" TLS"), "tls"));
	/* The bytes after len are not part of the span even when they would match. */
	ck_assert(!span_starts_ci(span_make("TLS", 2), "tls"));
	ck_assert(!span_starts_ci(span_make("a\0bc", 4), "ab"));
	ck_assert(span_starts_ci(span_make("a\0bc", 4), "a"));
}
END_TEST

static int parse(const char *s, unsigned long long max, unsigned long long *out)
{
	return span_to_u64(sp(s), max, out);
}

START_TEST(test_to_u64_values)
{
	unsigned long long v = 99;
	ck_assert_int_eq(parse("0", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("42", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(parse("282204971", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 282204971);
	ck_assert_int_eq(parse("007", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse("000000000000000000000000000001", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(parse("18446744073709551615", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, ULLONG_MAX);
	ck_assert_int_eq(parse("18446744073709551614", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, ULLONG_MAX - 1);
	ck_assert_int_eq(parse("4294967296", ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 4294967296ULL);
}
END_TEST

START_TEST(test_to_u64_overflow)
{
	unsigned long long v;
	ck_assert_int_eq(parse("18446744073709551616", ULLONG_MAX, &v), -1);
	ck_assert_int_eq(parse("18446744073709551620", ULLONG_MAX, &v), -1);
	ck_assert_int_eq(parse("99999999999999999999", ULLONG_MAX, &v), -1);
	ck_assert_int_eq(parse("184467440737095516150", ULLONG_MAX, &v), -1);
	ck_assert_int_eq(parse("100000000000000000000000000000", ULLONG_MAX, &v), -1);
}
END_TEST

START_TEST(test_to_u64_rejects_non_digits)
{
	static const char *const bad[] = {"",     "-1",  "+1",  " 1",       "1 ",  "1a",  "a1",
	                                  "0x10", "1.5", "1e3", "\xD9\xA1", "\t7", "7\n", "1,000"};
	unsigned long long v;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(parse(bad[i], ULLONG_MAX, &v) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(span_to_u64(span_make("1\0", 2), ULLONG_MAX, &v), -1);
	ck_assert_int_eq(span_to_u64(span_make("\0", 1), ULLONG_MAX, &v), -1);
	ck_assert_int_eq(span_to_u64(span_none(), ULLONG_MAX, &v), -1);
	/* The bytes after len do not count. */
	ck_assert_int_eq(span_to_u64(span_make("12x", 2), ULLONG_MAX, &v), 0);
	ck_assert_uint_eq(v, 12);
	/* Bytes just outside '0'..'9'. */
	ck_assert_int_eq(parse("/", ULLONG_MAX, &v), -1);
	ck_assert_int_eq(parse(":", ULLONG_MAX, &v), -1);
}
END_TEST

START_TEST(test_to_u64_max_bound)
{
	unsigned long long v;
	ck_assert_int_eq(parse("65535", 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(parse("65536", 65535, &v), -1);
	ck_assert_int_eq(parse("70000", 65535, &v), -1);
	ck_assert_int_eq(parse("0065535", 65535, &v), 0);
	ck_assert_int_eq(parse("100", 100, &v), 0);
	ck_assert_int_eq(parse("101", 100, &v), -1);
	ck_assert_int_eq(parse("256", 255, &v), -1);
	ck_assert_int_eq(parse("299", 255, &v), -1);
	ck_assert_int_eq(parse("0", 0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("1", 0, &v), -1);
	ck_assert_int_eq(parse("9", 9, &v), 0);
	ck_assert_int_eq(parse("10", 9, &v), -1);
}
END_TEST

/* A bound below 9: a single digit larger than max must be refused too. */
START_TEST(test_to_u64_small_max)
{
	unsigned long long v;
	ck_assert_int_eq(parse("5", 5, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(parse("6", 5, &v), -1);
	ck_assert_int_eq(parse("7", 5, &v), -1);
	ck_assert_int_eq(parse("17", 5, &v), -1);
	ck_assert_int_eq(parse("2", 1, &v), -1);
	ck_assert_int_eq(parse("9", 0, &v), -1);
	/* Every max from 0 to 120 against every value from 0 to 120. */
	for (unsigned long long max = 0; max <= 120; max++) {
		for (unsigned long long n = 0; n <= 120; n++) {
			char text[8];
			size_t len = 0;
			if (n >= 100)
				text[len++] = (char)('0' + n / 100);
			if (n >= 10)
				text[len++] = (char)('0' + n / 10 % 10);
			text[len++] = (char)('0' + n % 10);
			int rc = span_to_u64(span_make(text, len), max, &v);
			ck_assert_msg(rc == (n <= max ? 0 : -1), "\"%.*s\" with max %llu", (int)len,
			              text, max);
			if (rc == 0)
				ck_assert_uint_eq(v, n);
		}
	}
}
END_TEST

START_TEST(test_trim)
{
	static const char text[] = " \t\r\nICID 5 \r\n\t ";
	struct span t = span_trim(sp(text));
	ck_assert_ptr_eq(t.p, text + 4);
	ck_assert_uint_eq(t.len, 6);
	ck_assert_mem_eq(t.p, "ICID 5", 6);

	t = span_trim(sp("ICID"));
	ck_assert_uint_eq(t.len, 4);

	/* Inner white space stays. */
	t = span_trim(sp("  a \t b  "));
	ck_assert_uint_eq(t.len, 5);
	ck_assert_mem_eq(t.p, "a \t b", 5);
}
END_TEST

START_TEST(test_trim_all_space_and_empty)
{
	static const char text[] = " \t \r\n ";
	struct span t = span_trim(sp(text));
	ck_assert_uint_eq(t.len, 0);
	ck_assert(span_present(t));
	ck_assert(t.p >= text && t.p <= text + strlen(text));

	t = span_trim(span_make(text, 0));
	ck_assert_ptr_eq(t.p, text);
	ck_assert_uint_eq(t.len, 0);

	t = span_trim(span_none());
	ck_assert(!span_present(t));
	ck_assert_uint_eq(t.len, 0);
}
END_TEST

/* Only space, tab, CR and LF are trimmed: not VT, FF, NUL or non-ASCII spaces. */
START_TEST(test_trim_other_bytes_stay)
{
	struct span t = span_trim(span_make("\v x \f", 5));
	ck_assert_uint_eq(t.len, 5);
	t = span_trim(span_make("\0 x \0", 5));
	ck_assert_uint_eq(t.len, 5);
	t = span_trim(sp("\xC2\xA0x\xC2\xA0"));
	ck_assert_uint_eq(t.len, 5);
	/* Trimming stays within len even when the bytes beyond are spaces. */
	static const char text[] = "  ab  ";
	t = span_trim(span_make(text + 2, 2));
	ck_assert_ptr_eq(t.p, text + 2);
	ck_assert_uint_eq(t.len, 2);
}
END_TEST

static Suite *span_suite(void)
{
	Suite *s = suite_create("span");
	TCase *tc = tcase_create("span");
	tcase_add_test(tc, test_make_none_present);
	tcase_add_test(tc, test_eq_ci);
	tcase_add_test(tc, test_eq_ci_folds_letters_only);
	tcase_add_test(tc, test_eq_ci_embedded_nul);
	tcase_add_test(tc, test_starts_ci);
	tcase_add_test(tc, test_to_u64_values);
	tcase_add_test(tc, test_to_u64_overflow);
	tcase_add_test(tc, test_to_u64_rejects_non_digits);
	tcase_add_test(tc, test_to_u64_max_bound);
	tcase_add_test(tc, test_to_u64_small_max);
	tcase_add_test(tc, test_trim);
	tcase_add_test(tc, test_trim_all_space_and_empty);
	tcase_add_test(tc, test_trim_other_bytes_stay);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(span_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
