/* Webhook URLs: every part of "SCHEME://HOST[:PORT][/PATH][?QUERY]" read into its place, the
 * defaults (port per scheme, empty target), and each way a URL is refused, with its reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "support.h"

static int span_is(struct span s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

struct good {
	const char *text;
	enum url_scheme scheme;
	enum url_host_kind kind;
	const char *host;
	unsigned port;
	const char *target;
};

START_TEST(test_parts)
{
	static const struct good cases[] = {
	    {"http://127.0.0.1:8080/hooks/tls", URL_HTTP, URL_HOST_IPV4, "127.0.0.1", 8080,
	     "/hooks/tls"},
	    {"http://192.0.2.1", URL_HTTP, URL_HOST_IPV4, "192.0.2.1", 80, ""},
	    {"HTTP://192.0.2.1?a=b", URL_HTTP, URL_HOST_IPV4, "192.0.2.1", 80, "?a=b"},
	    {"https://hooks.slack.com/services/T0/B0/x", URL_HTTPS, URL_HOST_NAME,
	     "hooks.slack.com", 443, "/services/T0/B0/x"},
	    {"HttpS://[2001:db8::5]:8443/a?team=mail", URL_HTTPS, URL_HOST_IPV6, "2001:db8::5",
	     8443, "/a?team=mail"},
	    {"http://[::1]/v6", URL_HTTP, URL_HOST_IPV6, "::1", 80, "/v6"},
	    /* RFC 3986 section 3.2.3: an empty port is the scheme's default */
	    {"http://127.0.0.1:/x", URL_HTTP, URL_HOST_IPV4, "127.0.0.1", 80, "/x"},
	    {"https://[::1]:/x", URL_HTTPS, URL_HOST_IPV6, "::1", 443, "/x"},
	    {"http://alert-manager_1.example.:9093/api/v2/alerts", URL_HTTP, URL_HOST_NAME,
	     "alert-manager_1.example.", 9093, "/api/v2/alerts"},
	    {"http://localhost:65535/%41b~c!$&'()*+,;=:@/?x", URL_HTTP, URL_HOST_NAME, "localhost",
	     65535, "/%41b~c!$&'()*+,;=:@/?x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct good *c = &cases[i];
		struct url u;
		ck_assert_msg(url_parse(sp(c->text), &u) == URL_OK, "refused %s", c->text);
		ck_assert_int_eq(u.scheme, c->scheme);
		ck_assert_int_eq(u.host_kind, c->kind);
		ck_assert_msg(span_is(u.host, c->host), "%s: host %.*s", c->text, (int)u.host.len,
		              u.host.p);
		ck_assert_uint_eq(u.port, c->port);
		ck_assert_msg(span_is(u.target, c->target), "%s: target %.*s", c->text,
		              (int)u.target.len, u.target.p);
	}
}
END_TEST

struct bad {
	const char *text;
	enum url_error error;
};

START_TEST(test_refused)
{
	static const struct bad cases[] = {
	    {"", URL_ERR_SCHEME},
	    {"ftp://127.0.0.1/x", URL_ERR_SCHEME},
	    {"127.0.0.1:80/x", URL_ERR_SCHEME},
	    {"http:/127.0.0.1/x", URL_ERR_SCHEME},
	    {"http://127.0.0.1/x#frag", URL_ERR_FRAGMENT},
	    {"http://user:secret@127.0.0.1/x", URL_ERR_USERINFO},
	    {"http:///x", URL_ERR_HOST},
	    {"http://", URL_ERR_HOST},
	    {"http://1.2.3/x", URL_ERR_HOST},
	    {"http://256.1.1.1/x", URL_ERR_HOST},
	    {"http://::1/x", URL_ERR_HOST},
	    {"http://[::1/x", URL_ERR_HOST},
	    {"http://[127.0.0.1]/x", URL_ERR_HOST},
	    {"http://[fe80::1%25eth0]:80/x", URL_ERR_HOST},
	    {"http://[::1]x/", URL_ERR_HOST},
	    {"http://a..b/", URL_ERR_HOST},
	    {"http://./", URL_ERR_HOST},
	    {"http://exa mple.com/", URL_ERR_HOST},
	    {"http://127.0.0.1:0/x", URL_ERR_PORT},
	    {"http://127.0.0.1:65536/x", URL_ERR_PORT},
	    {"http://127.0.0.1:99999999999999999999/x", URL_ERR_PORT},
	    {"http://127.0.0.1:8a/x", URL_ERR_PORT},
	    {"http://127.0.0.1:-1/x", URL_ERR_PORT},
	    {"http://127.0.0.1/a b", URL_ERR_PATH},
	    {"http://127.0.0.1/a\r\nX-Evil: 1", URL_ERR_PATH},
	    {"http://127.0.0.1/\xc3\xa9", URL_ERR_PATH},
	    {"http://127.0.0.1/\x7f", URL_ERR_PATH},
	    {"http://127.0.0.1/a%4", URL_ERR_PATH},
	    {"http://127.0.0.1/a%zz", URL_ERR_PATH},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct url u;
		enum url_error e = url_parse(sp(cases[i].text), &u);
		ck_assert_msg(e == cases[i].error, "%s: %d, want %d", cases[i].text, e,
		              cases[i].error);
		ck_assert_ptr_nonnull(strstr(url_error_text(e), " "));
	}
}
END_TEST

/* A 64-character label is too long for DNS; 63 is the limit; the whole name at most 253. */
START_TEST(test_name_limits)
{
	char text[400], label[70];
	struct url u;

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(text, sizeof(text), "https://%s.example/", label);
	ck_assert_int_eq(url_parse(sp(text), &u), URL_OK);
	snprintf(text, sizeof(text), "https://%sa.example/", label);
	ck_assert_int_eq(url_parse(sp(text), &u), URL_ERR_HOST);
	strcpy(text, "https://");
	for (int i = 0; i < 126; i++)
		strcat(text, "a.");
	strcat(text, "ab/"); /* a name of 254 characters */
	ck_assert_int_eq(url_parse(sp(text), &u), URL_ERR_HOST);
	strcpy(text + strlen(text) - 2, "/"); /* 253 */
	ck_assert_int_eq(url_parse(sp(text), &u), URL_OK);
}
END_TEST

/* The parser reads only the span it is given: a URL cut inside a buffer stays cut. */
START_TEST(test_span_bounds)
{
	const char *text = "http://127.0.0.1:80/x y";
	struct url u;

	ck_assert_int_eq(url_parse(span_make(text, 21), &u), URL_OK);
	ck_assert(span_is(u.target, "/x"));
	ck_assert_int_eq(url_parse(span_make(text, 18), &u), URL_OK);
	ck_assert_uint_eq(u.port, 8);
	ck_assert_int_eq(url_parse(span_make(text, 23), &u), URL_ERR_PATH);
	ck_assert_int_eq(url_parse(span_make(NULL, 0), &u), URL_ERR_SCHEME);
	/* a NUL inside the host ends the address for inet_pton, not for us */
	static const char nul_host[] = "http://0.4.40.4\0\0\0[";
	ck_assert_int_eq(url_parse(span_make(nul_host, sizeof(nul_host) - 1), &u), URL_ERR_HOST);
	static const char nul_v6[] = "http://[::1\0x]/";
	ck_assert_int_eq(url_parse(span_make(nul_v6, sizeof(nul_v6) - 1), &u), URL_ERR_HOST);
}
END_TEST

static Suite *url_suite(void)
{
	Suite *s = suite_create("url");
	TCase *t = tcase_create("url");
	tcase_add_test(t, test_parts);
	tcase_add_test(t, test_refused);
	tcase_add_test(t, test_name_limits);
	tcase_add_test(t, test_span_bounds);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(url_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
