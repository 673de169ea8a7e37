/* esatlsd explain's counts on a small mixed log: header shapes, sources, tags, event kinds,
 * verdicts, the examples and the exit status, through the same engine as replay. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explain.h"
#include "log.h"
#include "support.h"

static char dir[64];

/* The report of text as JSON, and the exit status in *status (caller frees). */
static char *explain_text(const char *text, int json, int *status)
{
	char in[128], out[128];
	path_join(in, sizeof(in), dir, "in.log");
	path_join(out, sizeof(out), dir, "out");
	write_whole_file(in, text, strlen(text));
	FILE *fp = fopen(out, "w");
	ck_assert_ptr_nonnull(fp);
	FILE *src = fopen(in, "r");
	ck_assert_ptr_nonnull(src);
	*status = explain_fd(dup(fileno(src)), "in.log", json, fp);
	fclose(src);
	fclose(fp);
	size_t len;
	return slurp(out, &len);
}

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir), "check_explain");
	log_init("esatlsd", 0);
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

START_TEST(counts_of_a_mixed_log)
{
	int status;
	char *r =
	    explain_text("<22>Nov 28 12:00:00 esa1 mail_logs: Info: New SMTP ICID 5 interface "
	                 "Data 1 (10.0.0.1) address 192.0.2.1 reverse dns host x verified yes\n"
	                 "<22>Nov 28 12:00:01 esa1 mail_logs: Info: ICID 5 TLS failed: boom\n"
	                 "<22>Nov 28 12:00:02 esa1 mail_logs: Info: ICID 5 close\n"
	                 "Wed Sep  6 13:13:16 2023 Info: ICID 14 close\n"
	                 "<13>Nov 28 12:00:03 esa1 antispam: Info: case: MID 5 negative\n"
	                 "just text\n",
	                 1, &status);
	ck_assert_int_eq(status, 0);
	ck_assert_ptr_nonnull(strstr(r, "\"lines\":6,\"recognised\":4,\"unclassified\":1,"
	                                "\"continuations\":1"));
	ck_assert_ptr_nonnull(strstr(r, "\"shapes\":{\"none\":1,\"native\":1,\"rfc3164\":4}"));
	ck_assert_ptr_nonnull(strstr(r, "\"sources\":{\"esa1\":4,\"\":1}"));
	ck_assert_ptr_nonnull(strstr(r, "\"tags\":{\"mail_logs\":3,\"antispam\":1}"));
	ck_assert_ptr_nonnull(strstr(r, "\"conn_open\":1,\"tls_fail\":1,\"conn_end\":2"));
	ck_assert_ptr_nonnull(
	    strstr(r, "\"verdicts\":{\"tls\":0,\"tls_failed\":1,\"no_tls\":0,\"unknown\":1}"));
	ck_assert_ptr_nonnull(strstr(r, "\"cause\":\"other_esa_text\""));
	ck_assert_ptr_nonnull(strstr(r, "{\"line\":\"just text\",\"shape\":\"none\","
	                                "\"cause\":\"continuation\""));
	free(r);
}
END_TEST

START_TEST(nothing_recognised_exits_1)
{
	int status;
	char *r =
	    explain_text("<13>Nov 19 09:16:46 host1 sshd[22]: Accepted password\n", 0, &status);
	ck_assert_int_eq(status, 1);
	ck_assert_ptr_nonnull(strstr(r, "1 lines: 0 recognised as ESA mail_logs"));
	ck_assert_ptr_nonnull(strstr(r, "[rfc3164, no_level]"));
	ck_assert_ptr_nonnull(strstr(r, "Troubleshooting: nothing comes out"));
	free(r);
	r = explain_text("", 0, &status);
	ck_assert_int_eq(status, 1);
	free(r);
}
END_TEST

static Suite *explain_suite(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts_of_a_mixed_log);
	tcase_add_test(tc, nothing_recognised_exits_1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(explain_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
