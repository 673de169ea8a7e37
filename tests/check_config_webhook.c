/* The webhook keys of a hooks entry (config_webhook.c): https and names, formats, headers from
 * the file, the map and a token file, PagerDuty's routing key, ca_file and tls_verify,
 * nameservers; every error with its position; secrets never in a message; deep copies. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_hooks.h"
#include "support.h"

#ifndef TEST_DATA
#define TEST_DATA "tests/data"
#endif
#define CA TEST_DATA "/webhook-ca.pem"
#define SECRET "s3cr3t-V4LUE"

static struct collected errs;
static char dir[64];

static struct config *parse(const char *text)
{
	errs.n = 0;
	return config_parse("t.yaml", text, strlen(text), collect, &errs);
}

static struct config *parse_ok(const char *text)
{
	struct config *c = parse(text);
	ck_assert_msg(c != NULL, "rejected: %s", errs.n ? errs.s[0] : "-");
	return c;
}

/* Rejected with exactly one message, want; no message holds the secret. */
static void expect_error(const char *text, const char *want)
{
	struct config *c = parse(text);
	ck_assert_msg(c == NULL, "accepted: %s", text);
	ck_assert_msg(errs.n == 1, "%zu messages for %s (first: %s)", errs.n, text,
	              errs.n ? errs.s[0] : "-");
	ck_assert_str_eq(errs.s[0], want);
	ck_assert_ptr_null(strstr(errs.s[0], SECRET));
}

static char *file_in_dir(const char *name, const char *content)
{
	static char path[8][128];
	static int next;
	char *p = path[next++ % 8];
	path_join(p, 128, dir, name);
	write_whole_file(p, content, strlen(content));
	return p;
}

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir), "check_config_webhook");
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

START_TEST(test_full_entry)
{
	char doc[2048];
	const char *hf = file_in_dir("headers", "# for the receiver\n\nX-Api-Key:  " SECRET
	                                        "  \r\nX-Team: mail\n");
	const char *tf = file_in_dir("token", "\n  tok-" SECRET "\n\n");
	snprintf(doc, sizeof(doc),
	         "hooks:\n"
	         "  - name: chat\n"
	         "    webhook: \"https://hooks.example.com/services/x\"\n"
	         "    format: slack\n"
	         "    headers: { X-Env: prod, X-Quoted: \"a \\\"b\\\"\" }\n"
	         "    headers_file: \"%s\"\n"
	         "    token_file: \"%s\"\n"
	         "    ca_file: \"%s\"\n"
	         "    nameservers: [\"127.0.0.1\", \"127.0.0.1:5353\", \"[::1]:53\", \"::1\"]\n",
	         hf, tf, CA);
	struct config *c = parse_ok(doc);
	struct hook_config *h = &c->hooks[0];
	ck_assert_int_eq(h->format, HOOK_FORMAT_SLACK);
	ck_assert_uint_eq(h->n_headers, 5);
	static const char *const want[5][2] = {{"X-Env", "prod"},
	                                       {"X-Quoted", "a \"b\""},
	                                       {"X-Api-Key", SECRET},
	                                       {"X-Team", "mail"},
	                                       {"Authorization", "Bearer tok-" SECRET}};
	for (size_t i = 0; i < 5; i++) {
		ck_assert_str_eq(h->headers[i].name, want[i][0]);
		ck_assert_str_eq(h->headers[i].value, want[i][1]);
	}
	ck_assert_str_eq(h->ca_file, CA);
	ck_assert_int_eq(h->tls_verify, 1);
	ck_assert_uint_eq(h->n_nameservers, 4);
	ck_assert_str_eq(h->nameservers[1], "127.0.0.1:5353");

	struct hook_config copy;
	ck_assert_int_eq(config_hook_copy(&copy, h), 0);
	config_free(c);
	ck_assert_str_eq(copy.headers[4].value, "Bearer tok-" SECRET);
	ck_assert_str_eq(copy.url, "https://hooks.example.com/services/x");
	ck_assert_str_eq(copy.nameservers[3], "::1");
	config_hook_free(&copy);
}
END_TEST

START_TEST(test_defaults_and_pagerduty)
{
	struct config *c = parse_ok("hooks: [{ name: w, webhook: \"http://localhost/\" }]\n");
	ck_assert_int_eq(c->hooks[0].format, HOOK_FORMAT_RECORD);
	ck_assert_int_eq(c->hooks[0].tls_verify, 1);
	ck_assert_uint_eq(c->hooks[0].n_headers, 0);
	ck_assert_ptr_null(c->hooks[0].routing_key);
	ck_assert_uint_eq(c->hooks[0].n_nameservers, 0);
	config_free(c);

	c = parse_ok("hooks: [{ name: pd, webhook: \"https://events.pagerduty.com/v2/enqueue\", "
	             "format: pagerduty, routing_key: " SECRET " }]\n");
	ck_assert_str_eq(c->hooks[0].routing_key, SECRET);
	config_free(c);

	char doc[512];
	const char *kf = file_in_dir("key", SECRET "\n");
	snprintf(doc, sizeof(doc),
	         "hooks: [{ name: pd, webhook: \"https://127.0.0.1/\", format: pagerduty, "
	         "routing_key_file: \"%s\", tls_verify: false }]\n",
	         kf);
	c = parse_ok(doc);
	ck_assert_str_eq(c->hooks[0].routing_key, SECRET);
	ck_assert_int_eq(c->hooks[0].tls_verify, 0);
	config_free(c);
}
END_TEST

#define W(keys) "hooks: [{ name: w, webhook: \"https://h.example/\", " keys " }]\n"
#define P(keys) "hooks: [{ name: w, webhook: \"http://h.example/\", " keys " }]\n"

START_TEST(test_errors)
{
	expect_error(W("format: Slack"),
	             "t.yaml:1:59: expected record, slack, teams, alertmanager or pagerduty for "
	             "'format' in hooks entry, got \"Slack\"");
	expect_error("hooks: [{ name: e, exec: [/bin/true], format: slack }]\n",
	             "t.yaml:1:39: 'format' applies to webhook hooks only");
	expect_error(W("headers: [a]"),
	             "t.yaml:1:60: expected a mapping of header names to values for 'headers' in "
	             "hooks entry, got a list");
	expect_error(W("headers: { \"Bad Name\": " SECRET " }"),
	             "t.yaml:1:74: 'headers': a header name is 1 to 64 letters, digits or "
	             "!#$%&'*+-.^_`|~, got \"Bad Name\"");
	expect_error(W("headers: { X-A: \"" SECRET "\\r\\nX-Evil: 1\" }"),
	             "t.yaml:1:67: 'headers': the value of header \"X-A\" holds a control "
	             "character (CR, LF, ...)");
	expect_error(W("headers: { host: " SECRET " }"),
	             "t.yaml:1:68: 'headers': header \"host\" is set by esatlsd itself");
	expect_error(W("headers: { X-A: 1, x-a: " SECRET " }"),
	             "t.yaml:1:75: 'headers': header \"x-a\" is given twice");
	expect_error(W("headers: { X-A: [" SECRET "] }"),
	             "t.yaml:1:67: 'headers': expected a string for header \"X-A\"");
	expect_error(W("routing_key: " SECRET),
	             "t.yaml:1:51: 'routing_key' applies to 'format: pagerduty' only");
	expect_error(W("format: pagerduty"),
	             "t.yaml:1:59: 'format: pagerduty' needs 'routing_key' or "
	             "'routing_key_file'");
	expect_error(W("format: pagerduty, routing_key: \"" SECRET " x\""),
	             "t.yaml:1:83: 'routing_key' must be 1 to 4096 visible characters");
	expect_error(P("ca_file: /etc/hosts"),
	             "t.yaml:1:50: 'ca_file' applies to https:// webhooks only");
	expect_error(P("tls_verify: false"),
	             "t.yaml:1:50: 'tls_verify' applies to https:// webhooks only");
	expect_error(W("tls_verify: no"),
	             "t.yaml:1:63: expected true or false for 'tls_verify' in hooks entry, got "
	             "\"no\"");
	expect_error(W("tls_verify: false, ca_file: \"" CA "\""),
	             "t.yaml:1:79: 'ca_file' with 'tls_verify: false': nothing would be checked");
	expect_error(W("ca_file: /nonexistent/ca.pem"),
	             "t.yaml:1:60: cannot read 'ca_file' \"/nonexistent/ca.pem\": No such file or "
	             "directory");
	expect_error(W("nameservers: [dns.example.org]"),
	             "t.yaml:1:65: expected a numeric IP, IP:PORT or [IPv6]:PORT for 'nameservers' "
	             "in hooks entry, got \"dns.example.org\"");
	expect_error(W("nameservers: []"),
	             "t.yaml:1:64: 'nameservers' in hooks entry must hold 1 to 8 addresses");
}
END_TEST

START_TEST(test_file_errors)
{
	char doc[1024], want[1024];
	const char *ca_junk = file_in_dir("junk.pem", "not a certificate\n");
	snprintf(doc, sizeof(doc), W("ca_file: \"%s\""), ca_junk);
	snprintf(want, sizeof(want),
	         "t.yaml:1:60: cannot use 'ca_file' \"%s\": no PEM certificate can be loaded from "
	         "it: no start line",
	         ca_junk);
	expect_error(doc, want);

	const char *hf = file_in_dir("h2", "X-Ok: 1\nno colon " SECRET "\nBad Name: " SECRET "\n");
	snprintf(doc, sizeof(doc), W("headers_file: \"%s\""), hf);
	struct config *c = parse(doc);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(errs.n, 2);
	snprintf(want, sizeof(want),
	         "t.yaml:1:65: 'headers_file' \"%s\" line 2: expected \"Name: value\"", hf);
	ck_assert_str_eq(errs.s[0], want);
	ck_assert_ptr_nonnull(strstr(errs.s[1], "line 3: a header name is"));
	for (size_t i = 0; i < errs.n; i++)
		ck_assert_ptr_null(strstr(errs.s[i], SECRET));

	snprintf(doc, sizeof(doc), W("headers_file: \"%s/missing\""), dir);
	snprintf(want, sizeof(want),
	         "t.yaml:1:65: cannot read 'headers_file' \"%s/missing\": No such file or "
	         "directory",
	         dir);
	expect_error(doc, want);

	snprintf(doc, sizeof(doc), W("token_file: \"%s\""), dir);
	snprintf(want, sizeof(want), "t.yaml:1:63: 'token_file' \"%s\" is not a regular file", dir);
	expect_error(doc, want);

	const char *tf = file_in_dir("t2", SECRET " and more\n");
	snprintf(doc, sizeof(doc), W("token_file: \"%s\""), tf);
	snprintf(want, sizeof(want),
	         "t.yaml:1:63: 'token_file' \"%s\" must hold one token: 1 to 4096 visible "
	         "characters on one line",
	         tf);
	expect_error(doc, want);

	const char *tok = file_in_dir("t3", SECRET);
	snprintf(doc, sizeof(doc), W("headers: { authorization: x }, token_file: \"%s\""), tok);
	snprintf(want, sizeof(want),
	         "t.yaml:1:94: 'token_file' \"%s\": header \"Authorization\" is given twice", tok);
	expect_error(doc, want);
}
END_TEST

static Suite *config_webhook_suite(void)
{
	Suite *s = suite_create("config_webhook");
	TCase *tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_entry);
	tcase_add_test(tc, test_defaults_and_pagerduty);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_file_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(config_webhook_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
