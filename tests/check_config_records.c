/* The configuration of record types and feed health: `types` on outputs, `type`, `state` and
 * `kind` in a hook's `on`, the `appliances` section; defaults that keep today's behaviour
 * (connection records only) and every bad value refused with its position. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "support.h"

static struct collected errs;

static struct config *load(const char *text)
{
	errs.n = 0;
	return config_parse("t.yaml", text, strlen(text), collect, &errs);
}

/* Refused, and the first message is want. */
static void refused(const char *text, const char *want)
{
	struct config *c = load(text);
	ck_assert_msg(c == NULL, "accepted: %s", text);
	ck_assert_uint_ge(errs.n, 1);
	ck_assert_msg(strcmp(errs.s[0], want) == 0, "%s\n got: %s\nwant: %s", text, errs.s[0],
	              want);
}

START_TEST(defaults_keep_connection_records_only)
{
	struct config *c = load("outputs: [{file: a}]\n"
	                        "hooks: [{name: h, exec: [/bin/true]}]\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->outputs[0].types, 1u << RECORD_CONNECTION);
	ck_assert_uint_eq(c->hooks[0].types, 1u << RECORD_CONNECTION);
	ck_assert_uint_eq(c->hooks[0].states, ALL_FEED_STATES);
	ck_assert_uint_eq(c->hooks[0].kinds, ALL_DOWNGRADE_KINDS);
	ck_assert_uint_eq(ALL_DOWNGRADE_KINDS, 7);
	ck_assert_uint_eq(c->silent_after_ms, 15 * 60 * 1000);
	ck_assert_uint_eq(c->n_expected, 0);
	config_free(c);
	c = config_default();
	ck_assert_uint_eq(c->outputs[0].types, 1u << RECORD_CONNECTION);
	ck_assert_uint_eq(c->silent_after_ms, 15 * 60 * 1000);
	config_free(c);
}
END_TEST

START_TEST(types_states_and_appliances)
{
	struct config *c = load(
	    "outputs:\n"
	    "  - { file: a, types: [feed] }\n"
	    "  - { file: b, types: [connection, feed], verdicts: [tls_failed] }\n"
	    "hooks:\n"
	    "  - { name: p, exec: [/bin/true], on: { type: [feed], state: [silent, missing] } }\n"
	    "  - { name: q, exec: [/bin/true], on: { type: [connection, feed] } }\n"
	    "appliances: { silent_after: 90s, expected: [esa1.example.com, 192.0.2.7] }\n");
	ck_assert_msg(c != NULL, "%s", errs.n ? errs.s[0] : "");
	ck_assert_uint_eq(c->outputs[0].types, 1u << RECORD_FEED);
	ck_assert_uint_eq(c->outputs[1].types, (1u << RECORD_CONNECTION) | (1u << RECORD_FEED));
	ck_assert_uint_eq(c->outputs[1].verdicts, 1u << VERDICT_TLS_FAILED);
	ck_assert_uint_eq(c->hooks[0].types, 1u << RECORD_FEED);
	ck_assert_uint_eq(c->hooks[0].states, (1u << FEED_SILENT) | (1u << FEED_MISSING));
	ck_assert_uint_eq(c->hooks[1].types, 3);
	ck_assert_uint_eq(c->silent_after_ms, 90000);
	ck_assert_uint_eq(c->n_expected, 2);
	ck_assert_str_eq(c->expected[0], "esa1.example.com");
	ck_assert_str_eq(c->expected[1], "192.0.2.7");
	config_free(c);
}
END_TEST

START_TEST(downgrade_kinds)
{
	struct config *c = load("hooks:\n"
	                        "  - { name: p, exec: [/bin/true],\n"
	                        "      on: { type: [downgrade], kind: [tls_lost, restored] } }\n"
	                        "  - { name: q, exec: [/bin/true], on: { kind: [protocol] } }\n");
	ck_assert_msg(c != NULL, "%s", errs.n ? errs.s[0] : "");
	ck_assert_uint_eq(c->hooks[0].types, 1u << RECORD_DOWNGRADE);
	ck_assert_uint_eq(c->hooks[0].kinds,
	                  (1u << DOWNGRADE_TLS_LOST) | (1u << DOWNGRADE_RESTORED));
	ck_assert_uint_eq(c->hooks[1].kinds, 1u << DOWNGRADE_PROTOCOL);
	config_free(c);

	refused(
	    "hooks: [{name: h, exec: [/bin/true], on: {kind: [lost]}}]\n",
	    "t.yaml:1:50: expected tls_lost, protocol or restored for kind entry, got \"lost\"");
	refused(
	    "hooks: [{name: h, exec: [/bin/true], on: {kind: [restored, tls_lost, restored]}}]\n",
	    "t.yaml:1:70: duplicate downgrade kind \"restored\" in 'kind' (first at 1:50)");
	refused("hooks: [{name: h, exec: [/bin/true], on: {kind: []}}]\n",
	        "t.yaml:1:49: 'kind' in 'on' is empty: the hook would never run for a downgrade "
	        "record");
	refused("hooks: [{name: h, exec: [/bin/true], on: {kind: protocol}}]\n",
	        "t.yaml:1:49: expected a list for 'kind' in 'on', got \"protocol\"");
	refused("hooks: [{name: h, exec: [/bin/true], on: {type: [downgrades]}}]\n",
	        "t.yaml:1:50: expected connection, feed, message or downgrade for type entry, got "
	        "\"downgrades\"");
	/* every error, each at its place */
	c = load("hooks:\n"
	         "  - { name: a, exec: [/bin/true], on: { kind: [tls_lost, x] } }\n"
	         "  - { name: b, exec: [/bin/true], on: { kind: [] } }\n");
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.s[0], "t.yaml:2:58: expected tls_lost, protocol or restored for kind "
	                            "entry, got \"x\"");
	ck_assert_str_eq(errs.s[1],
	                 "t.yaml:3:47: 'kind' in 'on' is empty: the hook would never run "
	                 "for a downgrade record");
}
END_TEST

START_TEST(bad_values_refused)
{
	refused("outputs: [{file: a, types: [messages]}]\n",
	        "t.yaml:1:29: expected connection, feed, message or downgrade for types entry, got "
	        "\"messages\"");
	refused("outputs: [{file: a, types: []}]\n",
	        "t.yaml:1:28: 'types' in outputs entry is empty: the output would write nothing");
	refused("hooks: [{name: h, exec: [/bin/true], on: {type: [feed, feed]}}]\n",
	        "t.yaml:1:56: duplicate record type \"feed\" in 'type' (first at 1:50)");
	refused("hooks: [{name: h, exec: [/bin/true], on: {state: [asleep]}}]\n",
	        "t.yaml:1:51: expected silent, resumed, missing, unrecognised or recognised for "
	        "state entry, got \"asleep\"");
	refused("appliances: { silent_after: 0s }\n",
	        "t.yaml:1:29: 'silent_after' in 'appliances' must be more than 0, got \"0s\"");
	refused("appliances: { silent_after: 500ms }\n",
	        "t.yaml:1:29: 'silent_after' in 'appliances' must be between 1s and 30d");
	refused("appliances: { expected: [a, b, a] }\n",
	        "t.yaml:1:32: duplicate appliance a in 'expected' in 'appliances' (first at 1:26)");
	refused(
	    "appliances: { expected: esa1 }\n",
	    "t.yaml:1:25: expected a list of appliance names for 'expected' in 'appliances', got "
	    "\"esa1\"");
	refused("appliances: { silent: 1m }\n",
	        "t.yaml:1:15: unknown key 'silent' in 'appliances'");
}
END_TEST

START_TEST(posture_section)
{
	struct config *c = load("outputs: [{file: a, types: [connection, downgrade]}]\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(config_record_types(c),
	                  (1u << RECORD_CONNECTION) | (1u << RECORD_DOWNGRADE));
	ck_assert_int_eq(c->engine.posture.window, 30 * 86400);
	ck_assert_int_eq(c->engine.posture.throttle, 86400);
	ck_assert_uint_eq(c->engine.posture.max_peers, 100000);
	config_free(c);
	c = load("posture: { window: 7d, throttle: 0s, max_peers: 500 }\n");
	ck_assert_msg(c != NULL, "%s", errs.n ? errs.s[0] : "");
	ck_assert_int_eq(c->engine.posture.window, 7 * 86400);
	ck_assert_int_eq(c->engine.posture.throttle, 0);
	ck_assert_uint_eq(c->engine.posture.max_peers, 500);
	config_free(c);
	refused("posture: { window: 10m }\n",
	        "t.yaml:1:20: 'window' in 'posture' must be between 1h and 366d");
	refused("posture: { throttle: 31d }\n",
	        "t.yaml:1:22: 'throttle' in 'posture' must be at most 30d");
	refused("posture: { max_peers: 0 }\n",
	        "t.yaml:1:23: 'max_peers' in 'posture' must be between 1 and 10000000, got \"0\"");
	refused("posture: { windows: 1d }\n", "t.yaml:1:12: unknown key 'windows' in 'posture'");
	refused("posture: [1d]\n", "t.yaml:1:10: expected a mapping for 'posture', got a list");
}
END_TEST

static Suite *config_records_suite(void)
{
	Suite *s = suite_create("config_records");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_keep_connection_records_only);
	tcase_add_test(tc, types_states_and_appliances);
	tcase_add_test(tc, downgrade_kinds);
	tcase_add_test(tc, bad_values_refused);
	tcase_add_test(tc, posture_section);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(config_records_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
