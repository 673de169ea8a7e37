/* Syslog header parser: every header shape ESA appliances, relays and collectors produce, the
 * fallbacks for damaged headers, and hostile bytes. Every parse also checks that each returned
 * span lies inside the input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "syslog.h"
#include "support.h"

#define LONG_LINE 8192

static void assert_inside(struct span s, const char *buf, size_t len, const char *what)
{
	if (!span_present(s)) {
		ck_assert_msg(s.len == 0, "%s absent but has length %zu", what, s.len);
		return;
	}
	ck_assert_msg(s.p >= buf && s.len <= len && s.p <= buf + len - s.len,
	              "%s lies outside the input", what);
}

/* Parses buf[0..len) from an exact-size heap copy, so a read past the end trips the sanitizer,
 * and checks the spans; *m then points into the caller's buf. */
static void parse_n(const char *buf, size_t len, struct syslog_msg *m)
{
	char *copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, buf, len);
	syslog_parse(copy, len, m);
	ck_assert_msg(m->text.p != NULL, "text absent");
	assert_inside(m->host, copy, len, "host");
	assert_inside(m->tag, copy, len, "tag");
	assert_inside(m->text, copy, len, "text");
	/* Re-point the spans at the caller's buffer before the copy goes. */
	if (span_present(m->host))
		m->host.p = buf + (m->host.p - copy);
	if (span_present(m->tag))
		m->tag.p = buf + (m->tag.p - copy);
	m->text.p = buf + (m->text.p - copy);
	free(copy);
}

static void parse(const char *s, struct syslog_msg *m)
{
	parse_n(s, strlen(s), m);
}

static void assert_span_n(struct span s, const char *want, size_t n, const char *what)
{
	ck_assert_msg(span_present(s), "%s absent, want \"%.*s\"", what, (int)n, want);
	ck_assert_msg(s.len == n && memcmp(s.p, want, n) == 0, "%s is \"%.*s\", want \"%.*s\"",
	              what, (int)s.len, s.p, (int)n, want);
}

static void assert_span(struct span s, const char *want, const char *what)
{
	assert_span_n(s, want, strlen(want), what);
}

/* want == NULL means absent. */
static void assert_opt_span(struct span s, const char *want, const char *what)
{
	if (want == NULL)
		ck_assert_msg(!span_present(s), "%s is \"%.*s\", want absent", what, (int)s.len,
		              s.p);
	else
		assert_span(s, want, what);
}

static void assert_time(const struct syslog_msg *m, int year, int mon, int mday, int hour, int min,
                        int sec)
{
	ck_assert_int_eq(m->has_time, 1);
	ck_assert_int_eq(m->time.year, year);
	ck_assert_int_eq(m->time.mon, mon);
	ck_assert_int_eq(m->time.mday, mday);
	ck_assert_int_eq(m->time.hour, hour);
	ck_assert_int_eq(m->time.min, min);
	ck_assert_int_eq(m->time.sec, sec);
}

static void assert_no_time(const struct syslog_msg *m)
{
	ck_assert_int_eq(m->has_time, 0);
	ck_assert_int_eq(m->time.year, 0);
	ck_assert_int_eq(m->time.mon, 0);
	ck_assert_int_eq(m->time.mday, 0);
	ck_assert_int_eq(m->offset_min, LOGTIME_NO_OFFSET);
}

/* The whole input is text: no header part at all. */
static void assert_none(const char *line, const char *text)
{
	struct syslog_msg m;
	parse(line, &m);
	ck_assert_msg(m.format == SYSLOG_FMT_NONE, "\"%s\": format %d, want NONE", line,
	              (int)m.format);
	ck_assert_int_eq(m.pri, -1);
	assert_no_time(&m);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, text, "text");
}

/* --- ESA native log file ------------------------------------------------------------------ */

START_TEST(native_space_padded_day)
{
	struct syslog_msg m;
	parse("Wed Sep  6 13:13:16 2023 Info: MID 14 ICID 14 From: ******@domainsample1.com", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	ck_assert_int_eq(m.pri, -1);
	assert_time(&m, 2023, 9, 6, 13, 13, 16);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "MID 14 ICID 14 From: ******@domainsample1.com", "text");
}
END_TEST

START_TEST(native_two_digit_day)
{
	struct syslog_msg m;
	parse("Wed Sep 14 09:45:31 2022 Info: ICID 824107 lost", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	assert_time(&m, 2022, 9, 14, 9, 45, 31);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 824107 lost", "text");
}
END_TEST

START_TEST(native_unpadded_day)
{
	struct syslog_msg m;
	parse("Wed Sep 6 13:13:16 2023 Debug: MID 14 ICID 14 TLS read 126 bytes (0.0 seconds)", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	assert_time(&m, 2023, 9, 6, 13, 13, 16);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_DEBUG);
	assert_span(m.text, "MID 14 ICID 14 TLS read 126 bytes (0.0 seconds)", "text");
}
END_TEST

START_TEST(native_trailing_white_space)
{
	struct syslog_msg m;
	parse("Wed Nov 19 09:16:38 2014 Info: Message done DCID 6565548 MID 24611465 to RID [0] "
	      "\t\r\n",
	      &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	assert_span(m.text, "Message done DCID 6565548 MID 24611465 to RID [0]", "text");
}
END_TEST

START_TEST(native_without_level)
{
	struct syslog_msg m;
	/* Native grammar has no host or tag: "Bounced:" must not become a tag. */
	parse("Sat Jan 10 09:45:42 2004 Bounced: DCID: 1911 Message 3993 to 0", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	assert_time(&m, 2004, 1, 10, 9, 45, 42);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Bounced: DCID: 1911 Message 3993 to 0", "text");
}
END_TEST

START_TEST(native_with_pri)
{
	struct syslog_msg m;
	parse("<13>Wed Sep  6 13:13:16 2023 Warning: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	ck_assert_int_eq(m.pri, 13);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_WARNING);
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(native_level_only_empty_text)
{
	struct syslog_msg m;
	const char *line = "Wed Sep  6 13:13:16 2023 Info:   ";
	parse(line, &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NATIVE);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	ck_assert_uint_eq(m.text.len, 0);
	ck_assert_ptr_eq(m.text.p, line + strlen("Wed Sep  6 13:13:16 2023 Info:"));
}
END_TEST

/* --- RFC 3164 ----------------------------------------------------------------------------- */

START_TEST(rfc3164_tag_without_host)
{
	struct syslog_msg m;
	parse("<166>Mar 17 18:24:37 mail_logs: Info: Start MID 6 ICID 5", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, 166);
	assert_time(&m, 0, 3, 17, 18, 24, 37);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "Start MID 6 ICID 5", "text");
}
END_TEST

START_TEST(rfc3164_host_without_tag)
{
	struct syslog_msg m;
	parse("<14>Jun 4 15:45:37 esa.example.com Info: ICID 5 close", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, 14);
	assert_time(&m, 0, 6, 4, 15, 45, 37);
	assert_span(m.host, "esa.example.com", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");
}
END_TEST

START_TEST(rfc3164_host_and_tag)
{
	struct syslog_msg m;
	parse("<22>Jun  4 15:45:37 esa1 mail_logs: Info: New SMTP DCID 8 interface 1.128.3.4", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, 22);
	assert_time(&m, 0, 6, 4, 15, 45, 37);
	assert_span(m.host, "esa1", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "New SMTP DCID 8 interface 1.128.3.4", "text");
}
END_TEST

START_TEST(rfc3164_tag_with_pid_zero_padded_day)
{
	struct syslog_msg m;
	parse("<13>Jun 04 15:45:37 esa1 smail[123]: Critical: boom", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 0, 6, 4, 15, 45, 37);
	assert_span(m.host, "esa1", "host");
	assert_span(m.tag, "smail", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_CRITICAL);
	assert_span(m.text, "boom", "text");
}
END_TEST

START_TEST(rfc3164_tag_with_pid_no_host)
{
	struct syslog_msg m;
	parse("Jun 4 15:45:37 smail[9]: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "smail", "tag");
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(rfc3164_relay_file_line)
{
	struct syslog_msg m;
	parse(
	    "Jun 26 10:42:23 ip1out.temple.edu mail_logs: Info: ICID 69610481 ACCEPT SG VALIDLIST "
	    "match sbrs[2.0:10.0] SBRS 5.5",
	    &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, -1);
	assert_time(&m, 0, 6, 26, 10, 42, 23);
	assert_span(m.host, "ip1out.temple.edu", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 69610481 ACCEPT SG VALIDLIST match sbrs[2.0:10.0] SBRS 5.5",
	            "text");
}
END_TEST

START_TEST(rfc3164_leading_weekday)
{
	struct syslog_msg m;
	parse("Thu Feb  1 08:32:59 c60 smail: Info: ICID 5 TLS success", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 0, 2, 1, 8, 32, 59);
	assert_span(m.host, "c60", "host");
	assert_span(m.tag, "smail", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 TLS success", "text");
}
END_TEST

START_TEST(rfc3164_year_after_time)
{
	struct syslog_msg m;
	parse("<13>Jun 26 10:42:23 2013 host mail_logs: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 2013, 6, 26, 10, 42, 23);
	assert_span(m.host, "host", "host");
	assert_span(m.tag, "mail_logs", "tag");
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(rfc3164_year_without_weekday)
{
	struct syslog_msg m;
	/* The native format always starts with a weekday; without one this is RFC 3164 + year. */
	parse("Jun 26 10:42:23 2013 Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 2013, 6, 26, 10, 42, 23);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(rfc3164_weekday_year_and_host)
{
	struct syslog_msg m;
	/* Weekday and year as in the native format, but a relay added host and tag. */
	parse("Thu Feb  1 08:32:59 2007 c60 smail: Info: ICID 5 close", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 2007, 2, 1, 8, 32, 59);
	assert_span(m.host, "c60", "host");
	assert_span(m.tag, "smail", "tag");
	assert_span(m.text, "ICID 5 close", "text");
}
END_TEST

START_TEST(rfc3164_tag_no_level)
{
	struct syslog_msg m;
	parse("<166>Mar 17 18:24:37 consolidated_event: CEF:0|Cisco|C100V|14.3.0-023|x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "consolidated_event", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "CEF:0|Cisco|C100V|14.3.0-023|x", "text");
}
END_TEST

START_TEST(rfc3164_host_tag_no_level)
{
	struct syslog_msg m;
	parse("Sep 16 16:56:06 relay consolidated_event: CEF:0|x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "relay", "host");
	assert_span(m.tag, "consolidated_event", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "CEF:0|x", "text");
}
END_TEST

START_TEST(rfc3164_host_then_plain_text)
{
	struct syslog_msg m;
	parse("<13>Jun 4 15:45:37 host some text Info: here", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "host", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "some text Info: here", "text");
}
END_TEST

START_TEST(rfc3164_stamp_only)
{
	struct syslog_msg m;
	const char *line = "<13>Jun 4 15:45:37 \r\n";
	parse(line, &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 0, 6, 4, 15, 45, 37);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_ptr_nonnull(m.text.p);
	ck_assert_uint_eq(m.text.len, 0);
}
END_TEST

START_TEST(rfc3164_level_with_empty_text)
{
	struct syslog_msg m;
	parse("<166>Mar 17 18:24:37 mail_logs: Trace:", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_TRACE);
	assert_span(m.text, "", "text");
}
END_TEST

START_TEST(rfc3164_tabs_and_extra_spaces)
{
	struct syslog_msg m;
	parse("Jun 4 15:45:37  host\tmail_logs:  Info:\tx  y\t", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "host", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "x  y", "text");
}
END_TEST

START_TEST(rfc3164_leap_second)
{
	struct syslog_msg m;
	parse("Dec 31 23:59:60 host tag: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 0, 12, 31, 23, 59, 60);
}
END_TEST

START_TEST(rfc3164_bracket_only_tag_is_host)
{
	struct syslog_msg m;
	/* "[1]:" has no name, so it is no tag; the grammar then reads a host and a text. */
	parse("Jun 4 15:45:37 [1]: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "[1]:", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "x", "text");
}
END_TEST

/* --- Level markers ------------------------------------------------------------------------ */

START_TEST(levels_all_and_case_insensitive)
{
	static const struct {
		const char *word;
		enum syslog_level level;
	} cases[] = {
	    {"Info", SYSLOG_LEVEL_INFO},         {"INFO", SYSLOG_LEVEL_INFO},
	    {"info", SYSLOG_LEVEL_INFO},         {"Warning", SYSLOG_LEVEL_WARNING},
	    {"wARNING", SYSLOG_LEVEL_WARNING},   {"Critical", SYSLOG_LEVEL_CRITICAL},
	    {"CRITICAL", SYSLOG_LEVEL_CRITICAL}, {"Debug", SYSLOG_LEVEL_DEBUG},
	    {"dEbUg", SYSLOG_LEVEL_DEBUG},       {"Trace", SYSLOG_LEVEL_TRACE},
	    {"TRACE", SYSLOG_LEVEL_TRACE},
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];
		struct syslog_msg m;
		size_t n = 0, w = strlen(cases[i].word);
		memcpy(line, "Jun 4 15:45:37 h t: ", 20);
		n = 20;
		memcpy(line + n, cases[i].word, w);
		n += w;
		memcpy(line + n, ": body", 6);
		n += 6;
		parse_n(line, n, &m);
		ck_assert_msg(m.level == cases[i].level, "%s: level %d", cases[i].word,
		              (int)m.level);
		assert_span(m.text, "body", "text");
	}
}
END_TEST

START_TEST(levels_rejected_shapes)
{
	struct syslog_msg m;
	/* No blank after ':' means no level marker. */
	parse("Jun 4 15:45:37 h t: Info:x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Info:x", "text");
	/* Prefixes and longer words are no level. */
	parse("Jun 4 15:45:37 h t: Inf: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Inf: x", "text");
	parse("Jun 4 15:45:37 h t: Informational: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Informational: x", "text");
	parse("Jun 4 15:45:37 h t: Info x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Info x", "text");
	parse("Jun 4 15:45:37 h t: Notice: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "Notice: x", "text");
}
END_TEST

START_TEST(level_names)
{
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_NONE), "");
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_INFO), "Info");
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_WARNING), "Warning");
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_CRITICAL), "Critical");
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_DEBUG), "Debug");
	ck_assert_str_eq(syslog_level_name(SYSLOG_LEVEL_TRACE), "Trace");
	ck_assert_str_eq(syslog_level_name((enum syslog_level)99), "");
}
END_TEST

/* --- RFC 5424 ----------------------------------------------------------------------------- */

START_TEST(rfc5424_full)
{
	struct syslog_msg m;
	parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 "
	      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"][examplePriority@32473 "
	      "class=\"high\"] Info: ICID 5 close",
	      &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_int_eq(m.pri, 165);
	assert_time(&m, 2003, 10, 11, 22, 14, 15);
	ck_assert_int_eq(m.offset_min, 0);
	assert_span(m.host, "mymachine.example.com", "host");
	assert_span(m.tag, "evntslog", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");
}
END_TEST

START_TEST(rfc5424_nil_sd_and_positive_offset)
{
	struct syslog_msg m;
	parse("<165>1 2023-09-06T13:13:16+02:00 esa1 mail_logs - - - Info: MID 14 queued", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_time(&m, 2023, 9, 6, 13, 13, 16);
	ck_assert_int_eq(m.offset_min, 120);
	assert_span(m.host, "esa1", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "MID 14 queued", "text");
}
END_TEST

START_TEST(rfc5424_negative_offset_and_microseconds)
{
	struct syslog_msg m;
	parse("<34>1 2003-08-24T05:14:15.000003-07:30 192.0.2.1 myproc 8710 - - Warning: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_int_eq(m.pri, 34);
	assert_time(&m, 2003, 8, 24, 5, 14, 15);
	ck_assert_int_eq(m.offset_min, -450);
	assert_span(m.host, "192.0.2.1", "host");
	assert_span(m.tag, "myproc", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_WARNING);
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(rfc5424_nil_host_app_and_time)
{
	struct syslog_msg m;
	parse("<165>1 - - - - - - Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_int_eq(m.pri, 165);
	assert_no_time(&m);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "x", "text");
}
END_TEST

START_TEST(rfc5424_bom_skipped)
{
	struct syslog_msg m;
	parse("<165>1 2003-10-11T22:14:15Z h app - - - \xEF\xBB\xBFInfo: caf\xC3\xA9", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "caf\xC3\xA9", "text");
	parse("<165>1 2003-10-11T22:14:15Z h app - - - \xEF\xBB\xBFno level", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "no level", "text");
}
END_TEST

START_TEST(rfc5424_sd_escapes)
{
	struct syslog_msg m;
	/* ']' and '"' escaped inside a PARAM-VALUE do not end it (RFC 5424 6.3.3). */
	parse("<165>1 2003-10-11T22:14:15Z h app - - [a@1 x=\"q\\\"]\\\\\" y=\"]\"][b@2] Debug: d",
	      &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_DEBUG);
	assert_span(m.text, "d", "text");
}
END_TEST

START_TEST(rfc5424_no_msg)
{
	struct syslog_msg m;
	parse("<165>1 2003-10-11T22:14:15Z h app - - [a@1 x=\"1\"]", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_span(m.host, "h", "host");
	assert_span(m.tag, "app", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "", "text");
}
END_TEST

START_TEST(rfc5424_msg_without_level)
{
	struct syslog_msg m;
	parse("<165>1 2003-10-11T22:14:15Z h app - - - ICID 5 close Info: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "ICID 5 close Info: x", "text");
}
END_TEST

START_TEST(rfc5424_cut_short)
{
	struct syslog_msg m;
	parse("<165>1 2003-10-11T22:14:15Z host app", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_time(&m, 2003, 10, 11, 22, 14, 15);
	assert_span(m.host, "host", "host");
	assert_span(m.tag, "app", "tag");
	assert_span(m.text, "", "text");

	parse("<165>1 2003-10-11T22:14:15Z", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert(!span_present(m.host));
	assert_span(m.text, "", "text");
}
END_TEST

START_TEST(rfc5424_malformed_structure)
{
	struct syslog_msg m;
	/* Unterminated SD (a message truncated inside it): the text starts at the SD. */
	parse("<165>1 2003-10-11T22:14:15Z h app 1 ID [a x=\"]", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_span(m.host, "h", "host");
	assert_span(m.tag, "app", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "[a x=\"]", "text");
	/* Garbage glued to the SD. */
	parse("<165>1 2003-10-11T22:14:15Z h app 1 ID [a]x Info: y", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "[a]x Info: y", "text");
	/* A doubled space leaves a field empty. */
	parse("<165>1 2003-10-11T22:14:15Z h  app - - - Info: y", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_span(m.host, "h", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_span(m.text, "app - - - Info: y", "text");
}
END_TEST

START_TEST(rfc5424_bad_timestamp_is_no_header)
{
	struct syslog_msg m;
	static const char *const bad[] = {
	    "<165>1 2003-13-11T22:14:15Z h app - - - Info: x",            /* month */
	    "<165>1 2003-10-32T22:14:15Z h app - - - Info: x",            /* day */
	    "<165>1 2003-10-11T24:14:15Z h app - - - Info: x",            /* hour */
	    "<165>1 1969-10-11T22:14:15Z h app - - - Info: x",            /* year */
	    "<165>1 2003-10-11 22:14:15Z h app - - - Info: x",            /* separator */
	    "<165>1 2003-10-11T22:14:15.Z h app - - - Info: x",           /* empty fraction */
	    "<165>1 2003-10-11T22:14:15.1234567890Z h app - - - Info: x", /* long fraction */
	    "<165>1 2003-10-11T22:14:15+24:00 h app - - - Info: x",       /* offset hour */
	    "<165>1 2003-10-11T22:14:15+02:60 h app - - - Info: x",       /* offset minute */
	    "<165>1 2003-10-11T22:14:15+0200 h app - - - Info: x",        /* offset colon */
	    "<165>1 2003-10-11T22:14:15Zx h app - - - Info: x",           /* trailing byte */
	    "<165>1 2003-10-11T22:14 h app - - - Info: x",                /* truncated */
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &m);
		ck_assert_msg(m.format == SYSLOG_FMT_NONE, "\"%s\": format %d", bad[i],
		              (int)m.format);
		ck_assert_int_eq(m.pri, 165);
		assert_no_time(&m);
		ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
		assert_span(m.text, bad[i] + 5, "text");
	}
}
END_TEST

START_TEST(rfc3339_stamp_in_rfc3164_header)
{
	struct syslog_msg m;
	/* rsyslog's file and forwarding formats put an RFC 3339 stamp in the RFC 3164 place. */
	parse("2023-09-06T13:13:16.123456+02:00 esa1 mail_logs: Info: ICID 5 close", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, -1);
	assert_time(&m, 2023, 9, 6, 13, 13, 16);
	ck_assert_int_eq(m.offset_min, 120);
	assert_span(m.host, "esa1", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");

	parse("<22>2023-09-06T13:13:16-05:00 esa1 mail_logs: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.pri, 22);
	ck_assert_int_eq(m.offset_min, -300);

	parse("2023-09-06T13:13:16 esa1 Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	assert_span(m.host, "esa1", "host");
}
END_TEST

/* --- Partial headers ---------------------------------------------------------------------- */

START_TEST(partial_host_tag_level)
{
	struct syslog_msg m;
	parse("esa02.example.edu ESA_mail_logs: Info: MID 2 ICID 197132478 From: <a@b>", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	ck_assert_int_eq(m.pri, -1);
	assert_no_time(&m);
	assert_span(m.host, "esa02.example.edu", "host");
	assert_span(m.tag, "ESA_mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "MID 2 ICID 197132478 From: <a@b>", "text");
}
END_TEST

START_TEST(partial_level_only)
{
	struct syslog_msg m;
	parse("Info: ICID 5 close", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	ck_assert(!span_present(m.host));
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");
}
END_TEST

START_TEST(partial_pri_and_tag)
{
	struct syslog_msg m;
	parse("<166>mail_logs: Info: Start MID 6 ICID 5", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	ck_assert_int_eq(m.pri, 166);
	assert_no_time(&m);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "Start MID 6 ICID 5", "text");
}
END_TEST

START_TEST(partial_host_level)
{
	struct syslog_msg m;
	parse("  esa1 Warning: disk", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	assert_span(m.host, "esa1", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_WARNING);
	assert_span(m.text, "disk", "text");
}
END_TEST

START_TEST(partial_tag_with_pid)
{
	struct syslog_msg m;
	parse("esa1 smail[77]: Debug: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	assert_span(m.host, "esa1", "host");
	assert_span(m.tag, "smail", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_DEBUG);
}
END_TEST

START_TEST(partial_level_too_late_or_misplaced)
{
	/* Fourth token. */
	assert_none("a b c Info: x", "a b c Info: x");
	/* Third token, but the second is not a tag. */
	assert_none("MID 5 Info: x", "MID 5 Info: x");
	/* A tag cannot come before a host. */
	assert_none("tag: host Info: x", "tag: host Info: x");
	/* Inside ordinary ESA text. */
	assert_none("MID 68119155 Subject \"Info: hello\"", "MID 68119155 Subject \"Info: hello\"");
}
END_TEST

/* --- No header ---------------------------------------------------------------------------- */

START_TEST(none_shapes)
{
	assert_none("ICID 27389415 TLS success protocol TLSv1/SSLv3 cipher DHE-RSA-AES256-SHA",
	            "ICID 27389415 TLS success protocol TLSv1/SSLv3 cipher DHE-RSA-AES256-SHA");
	assert_none("ed yes", "ed yes");
	assert_none(" retro service is enabled\r\n", "retro service is enabled");
	assert_none("        <foo@tm.net.my>,\r", "<foo@tm.net.my>,");
	assert_none("<joe@Exchange.ex.com>' to '<Stephen_B@Ex.com>,",
	            "<joe@Exchange.ex.com>' to '<Stephen_B@Ex.com>,");
	assert_none("CEF:0|Cisco|C300V Secure Email Gateway Virtual|16.0.0-054|x",
	            "CEF:0|Cisco|C300V Secure Email Gateway Virtual|16.0.0-054|x");
	assert_none("Double bounce: MID 12222130 to 0 - 5.1.0 - Unknown address error",
	            "Double bounce: MID 12222130 to 0 - 5.1.0 - Unknown address error");
	assert_none(" \t\r\n", "");
	assert_none("", "");
	assert_none("\"quoted\" back\\slash", "\"quoted\" back\\slash");
}
END_TEST

START_TEST(none_pri_only_is_reported)
{
	struct syslog_msg m;
	/* A valid PRI is a header part: reported, and kept out of the text. */
	parse("<13>ICID 5 TLS success", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_int_eq(m.pri, 13);
	assert_no_time(&m);
	assert_span(m.text, "ICID 5 TLS success", "text");
	parse("<13>", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_int_eq(m.pri, 13);
	assert_span(m.text, "", "text");
}
END_TEST

START_TEST(null_buffer)
{
	struct syslog_msg m;
	syslog_parse(NULL, 0, &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_ptr_nonnull(m.text.p);
	ck_assert_uint_eq(m.text.len, 0);
}
END_TEST

/* --- PRI ---------------------------------------------------------------------------------- */

START_TEST(pri_bounds)
{
	static const struct {
		const char *line;
		int pri;
	} ok[] = {
	    {"<0>Jun 4 15:45:37 h t: Info: x", 0},
	    {"<191>Jun 4 15:45:37 h t: Info: x", 191},
	    {"<9>Jun 4 15:45:37 h t: Info: x", 9},
	    {"<007>Jun 4 15:45:37 h t: Info: x", 7},
	};
	static const char *const bad[] = {
	    "<192>Jun 4 15:45:37 h t: Info: x",
	    "<1000>Jun 4 15:45:37 h t: Info: x",
	    "<0191>Jun 4 15:45:37 h t: Info: x",
	    "<>Jun 4 15:45:37 h t: Info: x",
	    "<-1>Jun 4 15:45:37 h t: Info: x",
	    "<1a>Jun 4 15:45:37 h t: Info: x",
	    "<18446744073709551617>Jun 4 15:45:37 h t: Info: x",
	    "<13 Jun 4 15:45:37 h t: Info: x",
	};
	size_t i;
	struct syslog_msg m;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		parse(ok[i].line, &m);
		ck_assert_int_eq(m.pri, ok[i].pri);
		ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
		assert_span(m.text, "x", "text");
	}
	/* A malformed PRI is not skipped, so nothing after it is taken for a header either. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_none(bad[i], bad[i]);
}
END_TEST

START_TEST(pri_lone_angle_bracket)
{
	assert_none("<", "<");
	assert_none("<1", "<1");
	assert_none("<<13>>", "<<13>>");
}
END_TEST

/* --- Bad timestamps ----------------------------------------------------------------------- */

START_TEST(bad_bsd_timestamps_fall_back)
{
	static const char *const bad[] = {
	    "Foo 4 15:45:37 host mail_logs: Info: x",      /* month */
	    "Jun 0 15:45:37 host mail_logs: Info: x",      /* day 0 */
	    "Jun 32 15:45:37 host mail_logs: Info: x",     /* day 32 */
	    "Jun 123 15:45:37 host mail_logs: Info: x",    /* three-digit day */
	    "Jun 4 24:45:37 host mail_logs: Info: x",      /* hour */
	    "Jun 4 15:60:37 host mail_logs: Info: x",      /* minute */
	    "Jun 4 15:45:61 host mail_logs: Info: x",      /* second */
	    "Jun 4 5:45:37 host mail_logs: Info: x",       /* one-digit hour */
	    "Jun 4 15:45:37x host mail_logs: Info: x",     /* glued byte */
	    "Jun 4 15-45-37 host mail_logs: Info: x",      /* separators */
	    "Jun 4 15:45:3",                               /* cut short */
	    "Jun   4 15:45:37 host mail_logs: Info: x",    /* three spaces */
	    "Jun 4  15:45:37 host mail_logs: Info: x",     /* two spaces before the clock */
	    "Junx 4 15:45:37 host mail_logs: Info: x",     /* long month */
	    "Jun 4 15:45:37 1969 host mail_logs: Info: x", /* year before 1970 */
	    "Jun 4 15:45:37 0999 mail_logs: Info: x",      /* year */
	    "Wed Sep  6 13:13:16 1900 Info: x",            /* native year */
	    "Wed Sep 31x13:13:16 2023 Info: x",            /* separator */
	    "Wex Sep  6 13:13:16 2023 Info: x",            /* weekday */
	    "Wed  Sep  6 13:13:16 2023 Info: x",           /* two spaces after weekday */
	    "\xff\xff\xff 4 15:45:37 host tag: Info: x",   /* high bytes where a month goes */
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct syslog_msg m;
		parse(bad[i], &m);
		ck_assert_msg(m.format == SYSLOG_FMT_NONE, "\"%s\": format %d", bad[i],
		              (int)m.format);
		assert_no_time(&m);
		ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
		assert_span(m.text, bad[i], "text");
	}
}
END_TEST

START_TEST(bad_timestamp_with_partial_header_remnant)
{
	struct syslog_msg m;
	/* An unreadable stamp is not skipped over to reach a level behind it... */
	parse("<13>Jun 4 15:45 Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	/* ...but a level as the first token still marks a PARTIAL line. */
	parse("<13>Info: Jun 4 15:45", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_PARTIAL);
	assert_no_time(&m);
	assert_span(m.text, "Jun 4 15:45", "text");
}
END_TEST

START_TEST(month_names_case_insensitive)
{
	static const char *const months[] = {"jan", "FEB", "Mar", "aPR", "may", "JUN",
	                                     "jul", "Aug", "SEP", "oct", "Nov", "DEC"};
	size_t i;
	for (i = 0; i < 12; i++) {
		char line[64];
		struct syslog_msg m;
		memcpy(line, months[i], 3);
		memcpy(line + 3, " 9 01:02:03 h t: Info: x", 24);
		parse_n(line, 27, &m);
		ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
		assert_time(&m, 0, (int)i + 1, 9, 1, 2, 3);
	}
}
END_TEST

/* --- Hostile bytes ------------------------------------------------------------------------ */

START_TEST(hostile_nul_inside)
{
	static const char line[] = "Jun 4 15:45:37 ho\0st ta\0g: Info: a\0b";
	struct syslog_msg m;
	parse_n(line, sizeof(line) - 1, &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span_n(m.host, "ho\0st", 5, "host");
	assert_span_n(m.tag, "ta\0g", 4, "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span_n(m.text, "a\0b", 3, "text");
}
END_TEST

START_TEST(hostile_nul_in_timestamp)
{
	static const char line[] = "Jun 4 15:4\0:37 host tag: Info: x";
	struct syslog_msg m;
	parse_n(line, sizeof(line) - 1, &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	assert_span_n(m.text, line, sizeof(line) - 1, "text");
}
END_TEST

START_TEST(hostile_invalid_utf8)
{
	struct syslog_msg m;
	parse("<13>Jun 4 15:45:37 \xff\xfe mail\x80: Info: \xc3\x28 \xed\xa0\x80", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "\xff\xfe", "host");
	assert_span(m.tag, "mail\x80", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "\xc3\x28 \xed\xa0\x80", "text");
	/* Bytes whose low bits spell a level are still no level. */
	parse("\xc9nfo: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
}
END_TEST

START_TEST(hostile_long_lines)
{
	static char line[LONG_LINE];
	static const char head[] = "<13>Jun 4 15:45:37 host tag: Info: ";
	struct syslog_msg m;
	size_t h = sizeof(head) - 1;

	memcpy(line, head, h);
	memset(line + h, 'A', sizeof(line) - h);
	parse_n(line, sizeof(line), &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_ptr_eq(m.text.p, line + h);
	ck_assert_uint_eq(m.text.len, sizeof(line) - h);

	memset(line, ' ', sizeof(line));
	parse_n(line, sizeof(line), &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_uint_eq(m.text.len, 0);

	memset(line, 'x', sizeof(line));
	parse_n(line, sizeof(line), &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_NONE);
	ck_assert_uint_eq(m.text.len, sizeof(line));

	/* One huge RFC 5424 SD element, never closed. */
	memcpy(line, "<1>1 - h a - - [", 16);
	memset(line + 16, '"', sizeof(line) - 16);
	parse_n(line, sizeof(line), &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	ck_assert_ptr_eq(m.text.p, line + 15);
	ck_assert_uint_eq(m.text.len, sizeof(line) - 15);
}
END_TEST

START_TEST(hostile_every_prefix)
{
	/* Truncation anywhere in a header must stay inside the buffer (parse_n's heap copy is
	 * exactly as long as the prefix), and a level is reported exactly when the whole marker,
	 * colon included, survived. */
	static const struct {
		const char *line;
		const char *marker;
	} cases[] = {
	    {"<22>Thu Feb  1 08:32:59 2007 c60 smail[12]: Critical: x y", "Critical:"},
	    {"<165>1 2003-10-11T22:14:15.003+02:00 host app 1 ID [a@1 x=\"\\\"]\"][b] "
	     "\xEF\xBB\xBFInfo: x",
	     "Info:"},
	    {"2023-09-06T13:13:16.1Z esa1 mail_logs: Info: x", "Info:"},
	    {"Wed Sep  6 13:13:16 2023 Debug: x", "Debug:"},
	    {"esa02.example.edu ESA_mail_logs: Warning: x", "Warning:"},
	};
	size_t i, n;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *line = cases[i].line;
		size_t len = strlen(line);
		size_t marker_end =
		    (size_t)(strstr(line, cases[i].marker) - line) + strlen(cases[i].marker);
		for (n = 0; n <= len; n++) {
			struct syslog_msg m;
			parse_n(line, n, &m);
			ck_assert_msg((m.level != SYSLOG_LEVEL_NONE) == (n >= marker_end),
			              "case %zu prefix %zu: level %d", i, n, (int)m.level);
			/* The blank after the marker is trailing white space until text follows. */
			if (n >= marker_end)
				ck_assert_ptr_eq(m.text.p,
				                 line + marker_end + (n > marker_end + 1));
		}
	}
}
END_TEST

/* --- Real sample lines (samples/real and samples/seed.log) -------------------------------- */

struct sample {
	const char *line;
	enum syslog_format format;
	const char *host; /* NULL: absent */
	const char *tag;  /* NULL: absent */
	enum syslog_level level;
	const char *text;
};

static const struct sample samples[] = {
    /* seed.log */
    {"Wed Jul 20 19:47:40 2005 Info: ICID 282204970 TLS success", SYSLOG_FMT_NATIVE, NULL, NULL,
     SYSLOG_LEVEL_INFO, "ICID 282204970 TLS success"},
    {"Fri Jul 22 22:00:05 2005 Info: DCID 2386070 IP 192.168.2.2 TLS failed: STARTTLS "
     "unexpected response",
     SYSLOG_FMT_NATIVE, NULL, NULL, SYSLOG_LEVEL_INFO,
     "DCID 2386070 IP 192.168.2.2 TLS failed: STARTTLS unexpected response"},
    /* asyncos-14-2023-tls-failed-native.log */
    {"Wed Sep  6 13:13:16 2023 Trace: GRAYMAIL: shouldn't scan?", SYSLOG_FMT_NATIVE, NULL, NULL,
     SYSLOG_LEVEL_TRACE, "GRAYMAIL: shouldn't scan?"},
    {"Fri Sep  8 05:21:34 2023 Info: ICID 4 TLS failed: [Errno 54] Connection reset by peer",
     SYSLOG_FMT_NATIVE, NULL, NULL, SYSLOG_LEVEL_INFO,
     "ICID 4 TLS failed: [Errno 54] Connection reset by peer"},
    {" retro service is enabled", SYSLOG_FMT_NONE, NULL, NULL, SYSLOG_LEVEL_NONE,
     "retro service is enabled"},
    /* native-2022-sample.log */
    {"Fri Mar 25 20:50:10 2022 Critical: Error while sending alert: Unable to send",
     SYSLOG_FMT_NATIVE, NULL, NULL, SYSLOG_LEVEL_CRITICAL,
     "Error while sending alert: Unable to send"},
    {"Fri Mar 25 20:50:10 2022 Warning: URL category definitions have changed.", SYSLOG_FMT_NATIVE,
     NULL, NULL, SYSLOG_LEVEL_WARNING, "URL category definitions have changed."},
    /* asyncos-7.6.3-2014-native.log */
    {"Wed Nov 19 09:16:46 2014 Info: Time offset from UTC: -21600 seconds", SYSLOG_FMT_NATIVE, NULL,
     NULL, SYSLOG_LEVEL_INFO, "Time offset from UTC: -21600 seconds"},
    {"Wed Nov 19 09:16:38 2014 Info: MID 24611421 antivirus negative ", SYSLOG_FMT_NATIVE, NULL,
     NULL, SYSLOG_LEVEL_INFO, "MID 24611421 antivirus negative"},
    /* asyncos-3.8-to-6-line-shapes.txt */
    {"Feb  1 08:32:59 c60 smail: Info: ICID ...", SYSLOG_FMT_RFC3164, "c60", "smail",
     SYSLOG_LEVEL_INFO, "ICID ..."},
    {"Info: ICID 623143 TLS success protocol TLSv1/SSLv3 cipher DHE-RSA-AES256-SHA",
     SYSLOG_FMT_PARTIAL, NULL, NULL, SYSLOG_LEVEL_INFO,
     "ICID 623143 TLS success protocol TLSv1/SSLv3 cipher DHE-RSA-AES256-SHA"},
    {"DCID 58744 TLS success CN=mail.internetsellout.com", SYSLOG_FMT_NONE, NULL, NULL,
     SYSLOG_LEVEL_NONE, "DCID 58744 TLS success CN=mail.internetsellout.com"},
    {"Info: ICID 52525189 ACCEPT SG None match  SBRS 3.7", SYSLOG_FMT_PARTIAL, NULL, NULL,
     SYSLOG_LEVEL_INFO, "ICID 52525189 ACCEPT SG None match  SBRS 3.7"},
    {"Thu Dec 29 00:06:36 2005 Info: MID 20332097 masquerading header 'Cc' from "
     "'<Stephen_B@Ex.com>,\r",
     SYSLOG_FMT_NATIVE, NULL, NULL, SYSLOG_LEVEL_INFO,
     "MID 20332097 masquerading header 'Cc' from '<Stephen_B@Ex.com>,"},
    {"        <foo@tm.net.my>,\r", SYSLOG_FMT_NONE, NULL, NULL, SYSLOG_LEVEL_NONE,
     "<foo@tm.net.my>,"},
    /* bounced-delayed-2018.log */
    {"Mon Mar 19 20:16:02 2018 Info: Bounced: DCID 0 MID 19408690 From: <Exit\\_Desk@sample.net>",
     SYSLOG_FMT_NATIVE, NULL, NULL, SYSLOG_LEVEL_INFO,
     "Bounced: DCID 0 MID 19408690 From: <Exit\\_Desk@sample.net>"},
    /* consolidated-cef-tls-2.log */
    {"<14>Jun 12 14:01:33 consolidated_event: CEF:0|Cisco|C100V Email Security Virtual "
     "Appliance|14.3.0-032|ESA_CONSOLIDATED_LOG_EVENT",
     SYSLOG_FMT_RFC3164, NULL, "consolidated_event", SYSLOG_LEVEL_NONE,
     "CEF:0|Cisco|C100V Email Security Virtual Appliance|14.3.0-032|ESA_CONSOLIDATED_LOG_EVENT"},
    {"Sep 16 16:56:06 consolidated_event: CEF:0|Cisco", SYSLOG_FMT_RFC3164, NULL,
     "consolidated_event", SYSLOG_LEVEL_NONE, "CEF:0|Cisco"},
    /* consolidated-cef-tls.log */
    {"CEF:0|Cisco|C300V Secure Email Gateway Virtual|16.0.0-054|ESA_CONSOLIDATED_LOG_EVENT|"
     "Consolidated Log Event|5|end=Wed Mar 12 11:02:25 2025 ESADLPVerdict=NOT_EVALUATED ",
     SYSLOG_FMT_NONE, NULL, NULL, SYSLOG_LEVEL_NONE,
     "CEF:0|Cisco|C300V Secure Email Gateway Virtual|16.0.0-054|ESA_CONSOLIDATED_LOG_EVENT|"
     "Consolidated Log Event|5|end=Wed Mar 12 11:02:25 2025 ESADLPVerdict=NOT_EVALUATED"},
    /* relay-2013-rfc3164.log */
    {"Jun 26 10:42:23 ip1out.temple.edu mail_logs: Info: New SMTP ICID 69610481 interface "
     "IP-Inbound (155.247.167.43) address 199.101.162.90 reverse dns host maile-fb.linkedin.com "
     "verifi",
     SYSLOG_FMT_RFC3164, "ip1out.temple.edu", "mail_logs", SYSLOG_LEVEL_INFO,
     "New SMTP ICID 69610481 interface IP-Inbound (155.247.167.43) address 199.101.162.90 "
     "reverse dns host maile-fb.linkedin.com verifi"},
    {"ed yes", SYSLOG_FMT_NONE, NULL, NULL, SYSLOG_LEVEL_NONE, "ed yes"},
    {"Jun 26 10:42:29 ip1out.temple.edu mail_logs: Info: ICID 69610481 close", SYSLOG_FMT_RFC3164,
     "ip1out.temple.edu", "mail_logs", SYSLOG_LEVEL_INFO, "ICID 69610481 close"},
    /* relay-custom-tag.log */
    {"esa01.cooperhealth.edu ESA_graymail_logs: Info: graymail [HANDLER] MID 299250257 "
     "To=Dianne <marsango-dianne@cooperhealth.edu>",
     SYSLOG_FMT_PARTIAL, "esa01.cooperhealth.edu", "ESA_graymail_logs", SYSLOG_LEVEL_INFO,
     "graymail [HANDLER] MID 299250257 To=Dianne <marsango-dianne@cooperhealth.edu>"},
    {"esa02.cooperhealth.edu ESA_mail_logs: Info: MID 286962029 Subject 'Synapse Health "
     "Delivery Notice'",
     SYSLOG_FMT_PARTIAL, "esa02.cooperhealth.edu", "ESA_mail_logs", SYSLOG_LEVEL_INFO,
     "MID 286962029 Subject 'Synapse Health Delivery Notice'"},
    /* syslog-push-rfc3164.log */
    {"<166>Mar 17 18:24:37 mail_logs: Critical: Internal SMTP giving up on message to "
     "example.com",
     SYSLOG_FMT_RFC3164, NULL, "mail_logs", SYSLOG_LEVEL_CRITICAL,
     "Internal SMTP giving up on message to example.com"},
    {"<166>Sep 12 11:00:00 mail_logs: Info: Message finished MID 68119155 done", SYSLOG_FMT_RFC3164,
     NULL, "mail_logs", SYSLOG_LEVEL_INFO, "Message finished MID 68119155 done"},
    {"<94>Nov 24 14:22:57 REDACTED.africa.example.net mail_logs: Info: Start MID 204841507 "
     "ICID 146047847",
     SYSLOG_FMT_RFC3164, "REDACTED.africa.example.net", "mail_logs", SYSLOG_LEVEL_INFO,
     "Start MID 204841507 ICID 146047847"},
    {"<94>Nov 24 14:22:57 REDACTED.africa.example.net mail_logs: Info: MID 204841507 Subject "
     "Re: [example: #129226] FW: example MARKETING SOUTH AFRICA\\r\\n (PTY) LTD",
     SYSLOG_FMT_RFC3164, "REDACTED.africa.example.net", "mail_logs", SYSLOG_LEVEL_INFO,
     "MID 204841507 Subject Re: [example: #129226] FW: example MARKETING SOUTH AFRICA\\r\\n "
     "(PTY) LTD"},
};

START_TEST(real_sample_lines)
{
	const struct sample *s = &samples[_i];
	struct syslog_msg m;
	parse(s->line, &m);
	ck_assert_msg(m.format == s->format, "\"%s\": format %d, want %d", s->line, (int)m.format,
	              (int)s->format);
	assert_opt_span(m.host, s->host, "host");
	assert_opt_span(m.tag, s->tag, "tag");
	ck_assert_msg(m.level == s->level, "\"%s\": level %d", s->line, (int)m.level);
	assert_span(m.text, s->text, "text");
	ck_assert_int_eq(m.has_time,
	                 s->format != SYSLOG_FMT_NONE && s->format != SYSLOG_FMT_PARTIAL);
}
END_TEST

START_TEST(real_sample_times)
{
	struct syslog_msg m;
	parse("<94>Nov 24 14:22:57 REDACTED.africa.example.net mail_logs: Info: x", &m);
	ck_assert_int_eq(m.pri, 94);
	assert_time(&m, 0, 11, 24, 14, 22, 57);
	parse("Tue Jun 28 19:08:49 2005 Info: ICID 282204971 lost", &m);
	assert_time(&m, 2005, 6, 28, 19, 8, 49);
	parse("Mon Jan 23 16:55:42 2006 Info: New SMTP DCID 1 interface 172.19.0.21", &m);
	assert_time(&m, 2006, 1, 23, 16, 55, 42);
}
END_TEST

/* --- Collector and forwarder shapes ------------------------------------------------------- */

START_TEST(wrapped_native_line_takes_inner_time)
{
	struct syslog_msg m;
	/* A file-tailing forwarder's header around a line of the ESA log file. */
	parse(
	    "<13>Dec  5 10:00:01 esa1.example.com esa_tail: Fri Dec  4 09:00:00 2026 Info: ICID 5 "
	    "close",
	    &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_WRAPPED);
	ck_assert_int_eq(m.pri, 13);
	assert_time(&m, 2026, 12, 4, 9, 0, 0);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	assert_span(m.host, "esa1.example.com", "host");
	assert_span(m.tag, "esa_tail", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");
}
END_TEST

START_TEST(wrapped_shapes)
{
	struct syslog_msg m;
	/* Tag only, no host: the sender's address will name the appliance. */
	parse("<14>Dec  5 10:00:01 mail_logs: Sat Dec  5 09:59:59 2026 Warning: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_WRAPPED);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "mail_logs", "tag");
	assert_time(&m, 2026, 12, 5, 9, 59, 59);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_WARNING);
	/* RFC 3339 outer stamp with an offset: the inner stamp (the appliance's) wins, offset
	 * included. */
	parse("2026-12-05T10:00:01.123+01:00 relay tail[77]: Sat Dec  5 09:59:59 2026 Info: y", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_WRAPPED);
	assert_span(m.host, "relay", "host");
	assert_span(m.tag, "tail", "tag");
	assert_time(&m, 2026, 12, 5, 9, 59, 59);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	assert_span(m.text, "y", "text");
	/* The outer stamp stripped by a collector: still the inner one. */
	parse("esa2 mail_logs: Sat Dec  5 09:59:59 2026 Info: z", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_WRAPPED);
	assert_span(m.host, "esa2", "host");
	assert_span(m.tag, "mail_logs", "tag");
	assert_time(&m, 2026, 12, 5, 9, 59, 59);
	assert_span(m.text, "z", "text");
}
END_TEST

START_TEST(wrapped_in_rfc5424)
{
	struct syslog_msg m;
	/* logger --rfc5424 sending on a line of the log file. */
	parse("<13>1 2026-12-05T10:00:01.5+01:00 fwd esa_tail - - - Fri Dec  4 09:00:00 2026 Info: "
	      "ICID 5 close",
	      &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_WRAPPED);
	assert_span(m.host, "fwd", "host");
	assert_span(m.tag, "esa_tail", "tag");
	assert_time(&m, 2026, 12, 4, 9, 0, 0);
	ck_assert_int_eq(m.offset_min, LOGTIME_NO_OFFSET);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 5 close", "text");
	/* No level behind the inner stamp: plain RFC 5424 text, the header's time. */
	parse("<13>1 2026-12-05T10:00:01Z fwd t - - - Fri Dec  4 09:00:00 2026 hello", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC5424);
	assert_time(&m, 2026, 12, 5, 10, 0, 1);
	assert_span(m.text, "Fri Dec  4 09:00:00 2026 hello", "text");
}
END_TEST

START_TEST(wrapped_needs_a_tag_and_a_year)
{
	struct syslog_msg m;
	/* A stamp behind a bare word is no forwarder's header. */
	parse("<13>Dec  5 10:00:01 host Sat Dec  5 09:59:59 2026 Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_time(&m, 0, 12, 5, 10, 0, 1);
	/* An inner stamp without a year is no log-file stamp. */
	parse("<13>Dec  5 10:00:01 host tag: Dec  5 09:59:59 Info: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	assert_time(&m, 0, 12, 5, 10, 0, 1);
	assert_span(m.text, "Dec  5 09:59:59 Info: x", "text");
}
END_TEST

START_TEST(collector_year_first)
{
	struct syslog_msg m;
	parse(
	    "2026 Dec 04 09:01:00 esa2.example.com mail [info] mail_logs:nopid Info: ICID 7 close",
	    &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_COLLECTOR);
	ck_assert_int_eq(m.pri, -1);
	assert_time(&m, 2026, 12, 4, 9, 1, 0);
	assert_span(m.host, "esa2.example.com", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
	assert_span(m.text, "ICID 7 close", "text");
	/* facility.severity, bracketed or bare, and a numeric pid. */
	parse("<22>2026 Dec  4 09:01:00 esa2 <mail.info> mail_logs:1234 Debug: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_COLLECTOR);
	assert_span(m.host, "esa2", "host");
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_DEBUG);
	parse("2026 Dec  4 09:01:00 esa2 local3.notice mail_logs: Info: x", &m);
	assert_span(m.host, "esa2", "host");
	assert_span(m.tag, "mail_logs", "tag");
	/* Without a tag: the host, then priority words only. */
	parse("2026 Dec  4 09:01:00 esa2 mail [info] Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_COLLECTOR);
	assert_span(m.host, "esa2", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
}
END_TEST

START_TEST(collector_prefix_must_fit)
{
	struct syslog_msg m;
	/* A word that is neither facility nor severity between host and tag: no header. */
	parse("2026 Dec  4 09:01:00 esa2 said [info] mail_logs: Info: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	/* Too many header tokens before the level. */
	parse("Dec  4 09:01:00 h mail mail mail mail mail t: Info: x", &m);
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_NONE);
	/* A year before 1970 is no year-first stamp. */
	parse("1969 Dec  4 09:01:00 esa2 mail_logs: Info: x", &m);
	ck_assert_int_ne(m.format, SYSLOG_FMT_COLLECTOR);
	ck_assert_int_eq(m.has_time, 0);
}
END_TEST

START_TEST(ipv6_host_is_no_tag)
{
	struct syslog_msg m;
	/* Two colons or more: an address, not "name:pid". */
	parse("<13>Dec  5 10:00:01 2001:db8::25 mail_logs: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_span(m.host, "2001:db8::25", "host");
	assert_span(m.tag, "mail_logs", "tag");
	parse("<13>Dec  5 10:00:01 fe80::1 Info: x", &m);
	assert_span(m.host, "fe80::1", "host");
	ck_assert(!span_present(m.tag));
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
}
END_TEST

START_TEST(relay_year_after_time_and_tag_only_kept)
{
	struct syslog_msg m;
	parse("Dec  4 09:02:00 2026 esa3.example.com mail_logs: Info: x", &m);
	ck_assert_int_eq(m.format, SYSLOG_FMT_RFC3164);
	assert_time(&m, 2026, 12, 4, 9, 2, 0);
	assert_span(m.host, "esa3.example.com", "host");
	assert_span(m.tag, "mail_logs", "tag");
	parse("Dec  4 09:02:00 mail_logs: Info: x", &m);
	ck_assert(!span_present(m.host));
	assert_span(m.tag, "mail_logs", "tag");
	ck_assert_int_eq(m.level, SYSLOG_LEVEL_INFO);
}
END_TEST

START_TEST(format_names)
{
	static const char *const names[] = {"none",    "native",    "rfc3164", "rfc5424",
	                                    "partial", "collector", "wrapped"};
	ck_assert_int_eq(SYSLOG_FMT_COUNT, 7);
	for (int i = 0; i < SYSLOG_FMT_COUNT; i++)
		ck_assert_str_eq(syslog_format_name((enum syslog_format)i), names[i]);
	ck_assert_str_eq(syslog_format_name(SYSLOG_FMT_COUNT), "invalid");
}
END_TEST

static Suite *syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc;

	tc = tcase_create("native");
	tcase_add_test(tc, native_space_padded_day);
	tcase_add_test(tc, native_two_digit_day);
	tcase_add_test(tc, native_unpadded_day);
	tcase_add_test(tc, native_trailing_white_space);
	tcase_add_test(tc, native_without_level);
	tcase_add_test(tc, native_with_pri);
	tcase_add_test(tc, native_level_only_empty_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc3164");
	tcase_add_test(tc, rfc3164_tag_without_host);
	tcase_add_test(tc, rfc3164_host_without_tag);
	tcase_add_test(tc, rfc3164_host_and_tag);
	tcase_add_test(tc, rfc3164_tag_with_pid_zero_padded_day);
	tcase_add_test(tc, rfc3164_tag_with_pid_no_host);
	tcase_add_test(tc, rfc3164_relay_file_line);
	tcase_add_test(tc, rfc3164_leading_weekday);
	tcase_add_test(tc, rfc3164_year_after_time);
	tcase_add_test(tc, rfc3164_year_without_weekday);
	tcase_add_test(tc, rfc3164_weekday_year_and_host);
	tcase_add_test(tc, rfc3164_tag_no_level);
	tcase_add_test(tc, rfc3164_host_tag_no_level);
	tcase_add_test(tc, rfc3164_host_then_plain_text);
	tcase_add_test(tc, rfc3164_stamp_only);
	tcase_add_test(tc, rfc3164_level_with_empty_text);
	tcase_add_test(tc, rfc3164_tabs_and_extra_spaces);
	tcase_add_test(tc, rfc3164_leap_second);
	tcase_add_test(tc, rfc3164_bracket_only_tag_is_host);
	tcase_add_test(tc, rfc3339_stamp_in_rfc3164_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("level");
	tcase_add_test(tc, levels_all_and_case_insensitive);
	tcase_add_test(tc, levels_rejected_shapes);
	tcase_add_test(tc, level_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc5424");
	tcase_add_test(tc, rfc5424_full);
	tcase_add_test(tc, rfc5424_nil_sd_and_positive_offset);
	tcase_add_test(tc, rfc5424_negative_offset_and_microseconds);
	tcase_add_test(tc, rfc5424_nil_host_app_and_time);
	tcase_add_test(tc, rfc5424_bom_skipped);
	tcase_add_test(tc, rfc5424_sd_escapes);
	tcase_add_test(tc, rfc5424_no_msg);
	tcase_add_test(tc, rfc5424_msg_without_level);
	tcase_add_test(tc, rfc5424_cut_short);
	tcase_add_test(tc, rfc5424_malformed_structure);
	tcase_add_test(tc, rfc5424_bad_timestamp_is_no_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("partial");
	tcase_add_test(tc, partial_host_tag_level);
	tcase_add_test(tc, partial_level_only);
	tcase_add_test(tc, partial_pri_and_tag);
	tcase_add_test(tc, partial_host_level);
	tcase_add_test(tc, partial_tag_with_pid);
	tcase_add_test(tc, partial_level_too_late_or_misplaced);
	suite_add_tcase(s, tc);

	tc = tcase_create("collectors");
	tcase_add_test(tc, wrapped_native_line_takes_inner_time);
	tcase_add_test(tc, wrapped_shapes);
	tcase_add_test(tc, wrapped_in_rfc5424);
	tcase_add_test(tc, wrapped_needs_a_tag_and_a_year);
	tcase_add_test(tc, collector_year_first);
	tcase_add_test(tc, collector_prefix_must_fit);
	tcase_add_test(tc, ipv6_host_is_no_tag);
	tcase_add_test(tc, relay_year_after_time_and_tag_only_kept);
	tcase_add_test(tc, format_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("none");
	tcase_add_test(tc, none_shapes);
	tcase_add_test(tc, none_pri_only_is_reported);
	tcase_add_test(tc, null_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("pri_and_time");
	tcase_add_test(tc, pri_bounds);
	tcase_add_test(tc, pri_lone_angle_bracket);
	tcase_add_test(tc, bad_bsd_timestamps_fall_back);
	tcase_add_test(tc, bad_timestamp_with_partial_header_remnant);
	tcase_add_test(tc, month_names_case_insensitive);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, hostile_nul_inside);
	tcase_add_test(tc, hostile_nul_in_timestamp);
	tcase_add_test(tc, hostile_invalid_utf8);
	tcase_add_test(tc, hostile_long_lines);
	tcase_add_test(tc, hostile_every_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("samples");
	tcase_add_loop_test(tc, real_sample_lines, 0, (int)(sizeof(samples) / sizeof(samples[0])));
	tcase_add_test(tc, real_sample_times);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return suite_failures(syslog_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
