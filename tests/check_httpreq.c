/* HTTP/1.x request heads: the request line's parts, keep-alive by version and Connection, a
 * body announced, the head's length, and every way a head is incomplete or refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"
#include "support.h"

static int span_is(struct span s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

START_TEST(test_get_with_fields)
{
	static const char head[] = "GET /metrics?name[]=x HTTP/1.1\r\nHost: 127.0.0.1:9514\r\n"
	                           "Accept: text/plain;version=0.0.4\r\n\r\nNEXT";
	struct httpreq r;
	ck_assert_int_eq(httpreq_parse(sp(head), &r), HTTPREQ_OK);
	ck_assert(span_is(r.method, "GET"));
	ck_assert(span_is(r.target, "/metrics?name[]=x"));
	ck_assert(span_is(r.path, "/metrics"));
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(r.has_body, 0);
	ck_assert_uint_eq(r.head_len, strlen(head) - 4);
}
END_TEST

START_TEST(test_keep_alive_rules)
{
	static const struct {
		const char *head;
		int keep_alive;
	} cases[] = {
	    {"GET / HTTP/1.1\r\n\r\n", 1},
	    {"GET / HTTP/1.0\r\n\r\n", 0},
	    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1},
	    {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0},
	    {"GET / HTTP/1.1\r\nconnection:  TE, Close \r\n\r\n", 0},
	    {"GET / HTTP/1.1\nConnection: upgrade\n\n", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct httpreq r;
		ck_assert_int_eq(httpreq_parse(sp(cases[i].head), &r), HTTPREQ_OK);
		ck_assert_msg(r.keep_alive == cases[i].keep_alive, "case %zu", i);
	}
}
END_TEST

START_TEST(test_body_announced)
{
	struct httpreq r;
	ck_assert_int_eq(
	    httpreq_parse(sp("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), &r),
	    HTTPREQ_OK);
	ck_assert_int_eq(r.has_body, 1);
	ck_assert_int_eq(
	    httpreq_parse(sp("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), &r),
	    HTTPREQ_OK);
	ck_assert_int_eq(r.has_body, 1);
	ck_assert_int_eq(httpreq_parse(sp("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), &r),
	                 HTTPREQ_OK);
	ck_assert_int_eq(r.has_body, 0);
}
END_TEST

START_TEST(test_incomplete)
{
	static const char *const cases[] = {"", "GET", "GET / HTTP/1.1", "GET / HTTP/1.1\r\n",
	                                    "GET / HTTP/1.1\r\nHost: x\r\n"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct httpreq r;
		ck_assert_msg(httpreq_parse(sp(cases[i]), &r) == HTTPREQ_INCOMPLETE, "case %zu", i);
	}
}
END_TEST

START_TEST(test_refused)
{
	static const char *const cases[] = {
	    "\x01\xff garbage\r\n\r\n",
	    "GET /\r\n\r\n",
	    "GET / HTTP/2.0\r\n\r\n",
	    "GET / HTTP/1.1 \r\n\r\n",
	    "GET  / HTTP/1.1\r\n\r\n",
	    "GET http://x/ HTTP/1.1\r\n\r\n",
	    "G(T / HTTP/1.1\r\n\r\n",
	    "GET /a\x7f HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
	    "GET / HTTP/1.1\r\n: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct httpreq r;
		ck_assert_msg(httpreq_parse(sp(cases[i]), &r) == HTTPREQ_BAD, "case %zu", i);
	}
}
END_TEST

/* A NUL in the request line is not a target character: the parser never reads past its span. */
START_TEST(test_span_bounds)
{
	static const char head[] = "GET /x HTTP/1.1\r\n\r\n";
	struct httpreq r;
	for (size_t n = 0; n < sizeof(head) - 1; n++)
		ck_assert_int_eq(httpreq_parse(span_make(head, n), &r), HTTPREQ_INCOMPLETE);
	ck_assert_int_eq(httpreq_parse(span_make(head, sizeof(head) - 1), &r), HTTPREQ_OK);
	static const char nul[] = "GET /a\0b HTTP/1.1\r\n\r\n";
	ck_assert_int_eq(httpreq_parse(span_make(nul, sizeof(nul) - 1), &r), HTTPREQ_BAD);
}
END_TEST

static Suite *httpreq_suite(void)
{
	Suite *s = suite_create("httpreq");
	TCase *t = tcase_create("httpreq");
	tcase_add_test(t, test_get_with_fields);
	tcase_add_test(t, test_keep_alive_rules);
	tcase_add_test(t, test_body_announced);
	tcase_add_test(t, test_incomplete);
	tcase_add_test(t, test_refused);
	tcase_add_test(t, test_span_bounds);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(httpreq_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
