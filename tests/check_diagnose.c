/* Why a line is not read as ESA mail_logs: one cause per shape of bad input, told apart by the
 * header parser's and the classifier's own results (no second grammar). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "support.h"

static enum diag_cause cause_of(const char *line)
{
	struct syslog_msg m;
	struct esa_event ev;
	syslog_parse(line, strlen(line), &m);
	esa_classify(m.text.p, m.text.len, &ev);
	return diag_cause(&m, ev.kind);
}

static const struct {
	const char *line;
	enum diag_cause want;
} cases[] = {
    {"<22>Nov 28 12:00:00 esa1 mail_logs: Info: ICID 5 close", DIAG_RECOGNISED},
    {"Wed Sep  6 13:13:16 2023 Info: ICID 14 close", DIAG_RECOGNISED},
    {"ICID 7 close", DIAG_CONTINUATION},
    {"2023-11-19 09:16:46 esa1 mail_logs: Info: ICID 5 close", DIAG_CONTINUATION},
    {"<13>{\"msg\":\"Info: ICID 5 close\"}", DIAG_HEADER},
    {"<13>Dec  5 10:00:01 esa1 esa_tail: Fri Dec  4 09:00:00 Info: ICID 101 close", DIAG_YEARLESS},
    {"<13>Dec  5 10:00:01 esa1 fwd: Dec  4 09:00:00 esa1 mail_logs: Info: ICID 101 close",
     DIAG_WRAPPED},
    {"<13>Dec  5 10:00:01 relay esa1 mail_logs: Info: ICID 101 close", DIAG_WRAPPED},
    {"CEF:0|Cisco|C300V Secure Email Gateway Virtual|16.0.0-054|ESA_CONSOLIDATED_LOG_EVENT",
     DIAG_CEF},
    {"<13>Dec  5 10:00:01 esa1 cons: CEF:0|Cisco|C300V|16.0|ESA_CONSOLIDATED_LOG_EVENT", DIAG_CEF},
    {"<13>Nov 19 09:16:46 esa1 sshd[22]: Accepted password for root", DIAG_NO_LEVEL},
    {"<13>Nov 19 09:16:46 esa1 system_logs: Info: PID 1234: User admin commit", DIAG_OTHER_TEXT},
    {"<13>Nov 19 09:16:46 esa1 mail_logs: Info: Status: CPULd 0 DskIO 0", DIAG_OTHER_TEXT},
};

START_TEST(each_shape_has_its_cause)
{
	enum diag_cause got = cause_of(cases[_i].line);
	ck_assert_msg(got == cases[_i].want, "%s: got %s, want %s", cases[_i].line,
	              diag_cause_name(got), diag_cause_name(cases[_i].want));
}
END_TEST

START_TEST(every_cause_is_named_and_explained)
{
	for (int c = 0; c < DIAG_CAUSE_COUNT; c++) {
		ck_assert_str_ne(diag_cause_name(c), "?");
		ck_assert_uint_gt(strlen(diag_cause_text(c)), 10);
		for (const char *p = diag_cause_name(c); *p; p++)
			ck_assert_msg((*p >= 'a' && *p <= 'z') || *p == '_', "label %s",
			              diag_cause_name(c));
	}
	ck_assert_str_eq(diag_cause_name(DIAG_CAUSE_COUNT), "?");
}
END_TEST

static Suite *diagnose_suite(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, each_shape_has_its_cause, 0,
	                    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, every_cause_is_named_and_explained);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(diagnose_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
