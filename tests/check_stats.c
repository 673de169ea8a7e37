/* The USR1 form of the counters: Prometheus text folded into one log line per family. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "support.h"

/* The lines of the last fold, in order. */
static struct collected lines;

static void fold(const char *text)
{
	lines.n = 0;
	stats_text_to_lines(text, strlen(text), collect, &lines);
}

START_TEST(unlabelled_samples_keep_their_zeros)
{
	fold("# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
	     "# HELP b Gauge.\n# TYPE b gauge\nb 17\n");
	ck_assert_uint_eq(lines.n, 2);
	ck_assert_str_eq(lines.s[0], "a_total 0");
	ck_assert_str_eq(lines.s[1], "b 17");
}
END_TEST

START_TEST(labelled_samples_join_one_line_without_zeros)
{
	fold("# HELP v_total V.\n# TYPE v_total counter\n"
	     "v_total{verdict=\"tls\",direction=\"inbound\"} 10\n"
	     "v_total{verdict=\"tls\",direction=\"outbound\"} 0\n"
	     "v_total{verdict=\"no_tls\",direction=\"inbound\"} 20\n"
	     "# HELP w_total W.\n# TYPE w_total counter\nw_total{x=\"1\"} 0\n"
	     "# HELP y Y.\n# TYPE y gauge\ny{h=\"a b, {c} 0\"} 3\n");
	ck_assert_uint_eq(lines.n, 2);
	ck_assert_str_eq(lines.s[0], "v_total{verdict=\"tls\",direction=\"inbound\"} 10, "
	                             "{verdict=\"no_tls\",direction=\"inbound\"} 20");
	ck_assert_str_eq(lines.s[1], "y{h=\"a b, {c} 0\"} 3");
}
END_TEST

START_TEST(long_families_continue_with_their_name)
{
	/* 40 samples of about 40 bytes: more than one 900-byte line, each starting with the name.
	 */
	char text[8192];
	size_t len =
	    (size_t)snprintf(text, sizeof(text), "# HELP m_total M.\n# TYPE m_total counter\n");
	for (int i = 1; i <= 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "m_total{host=\"appliance-%03d.example.com\"} %d\n", i, i);
	fold(text);
	ck_assert_uint_ge(lines.n, 2);
	size_t samples = 0;
	for (size_t i = 0; i < lines.n; i++) {
		ck_assert_uint_le(strlen(lines.s[i]), 900);
		ck_assert_int_eq(strncmp(lines.s[i], "m_total{host=\"appliance-", 24), 0);
		for (const char *p = lines.s[i]; (p = strstr(p, "{host=")) != NULL; p++)
			samples++;
	}
	ck_assert_uint_eq(samples, 40);
	ck_assert_ptr_nonnull(strstr(lines.s[lines.n - 1], "appliance-040.example.com\"} 40"));
}
END_TEST

START_TEST(empty_text_gives_no_line)
{
	fold("");
	ck_assert_uint_eq(lines.n, 0);
	fold("# HELP e_total E.\n# TYPE e_total counter\n");
	ck_assert_uint_eq(lines.n, 0);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("fold");
	tcase_add_test(tc, unlabelled_samples_keep_their_zeros);
	tcase_add_test(tc, labelled_samples_join_one_line_without_zeros);
	tcase_add_test(tc, long_families_continue_with_their_name);
	tcase_add_test(tc, empty_text_gives_no_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(stats_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
