/* The hook dispatcher (hook.c) with real exec runners: which records a hook is offered
 * (on.verdict, on.direction, on.host), what the throttle lets through and the count it carries
 * ("suppressed"), and what a reload keeps (a hook's throttle state), adds, and retires (a removed
 * hook takes nothing new and closes once idle). Each hook appends one line per alert to a file:
 * "HOOK PEER_IP SUPPRESSED". */
#include <check.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "support.h"

static struct event_base *base;
static char dir[256], out[300];

static const char script[] =
    "printf '%s %s %s\\n' \"$ESATLSD_HOOK\" \"$ESATLSD_PEER_IP\" \"$ESATLSD_SUPPRESSED\" >> \"$0\"";

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemon does */
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	tmpdir_make(dir, sizeof(dir), "check_hook");
	path_join(out, sizeof(out), dir, "alerts");
}

static void teardown(void)
{
	event_base_free(base);
	tmpdir_remove(dir);
}

/* An exec hook that writes its alerts to `out`, on tls_failed in both directions. */
static struct hook_config exec_hook(const char *name, char **argv)
{
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = out;
	argv[4] = NULL;
	struct hook_config hc = {
	    .name = (char *)name,
	    .kind = HOOK_EXEC,
	    .argv = argv,
	    .argc = 4,
	    .verdicts = 1u << VERDICT_TLS_FAILED,
	    .directions = (1u << ESA_DIR_IN) | (1u << ESA_DIR_OUT),
	    .timeout_ms = 5000,
	    .max_concurrent = 1, /* one at a time: lines land in offer order */
	    .queue = 100,
	};
	return hc;
}

static void offer(struct hooks *h, enum verdict_kind kind, enum esa_dir dir_, const char *host,
                  const char *peer_ip, uint64_t now)
{
	struct verdict v = {.kind = kind, .dir = dir_, .conn_id = 7, .purpose = VERDICT_FOR_HOOKS};
	char json[VERDICT_LINE_MAX];

	v.host = sp(host);
	v.str[VERDICT_S_PEER_IP] = sp(peer_ip);
	size_t len = verdict_encode(&v, json, sizeof(json));
	ck_assert_uint_gt(len, 0);
	hooks_offer(h, &v, json, len, now);
}

static int idle(const void *h)
{
	return hooks_idle(h);
}

static char *alerts_written(struct hooks *h)
{
	ck_assert(run_until(base, idle, h, 10000));
	size_t len;
	char *text = slurp(out, &len);
	return text != NULL ? text : strdup("");
}

static struct hook_stats stats_of(const struct hooks *h, const char *name)
{
	struct hook_stats s;
	for (size_t i = 0; i < hooks_count(h); i++) {
		hooks_stats(h, i, &s);
		if (strcmp(s.name, name) == 0)
			return s;
	}
	ck_abort_msg("no hook %s", name);
	return s;
}

START_TEST(test_filters)
{
	char *argv[5], *hosts[] = {"esa1.example.com"};
	struct hook_config hc = exec_hook("filtered", argv);
	hc.directions = 1u << ESA_DIR_IN;
	hc.hosts = hosts;
	hc.n_hosts = 1;
	struct hooks *h = hooks_new(base, &hc, 1);
	ck_assert_ptr_nonnull(h);

	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1.example.com", "192.0.2.1", 0);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_OUT, "esa1.example.com", "192.0.2.2", 0);
	offer(h, VERDICT_NO_TLS, ESA_DIR_IN, "esa1.example.com", "192.0.2.3", 0);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "ESA1.Example.COM", "192.0.2.4", 0);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa2.example.com", "192.0.2.5", 0);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "filtered 192.0.2.1 0\nfiltered 192.0.2.4 0\n");
	struct hook_stats s = stats_of(h, "filtered");
	ck_assert_uint_eq(s.offered, 2);
	ck_assert_uint_eq(s.ok, 2);
	ck_assert_str_eq(s.kind, "exec");
	free(text);
	hooks_free(h);
}
END_TEST

/* One alert per peer per interval; the next one says how many were held back. */
START_TEST(test_feed_records)
{
	/* A hook takes feed records only when on.type says so, filtered by on.state and on.host;
	 * verdict and direction do not apply to them. A default hook never sees one. */
	char *argv_f[5], *argv_d[5];
	static const char feed_script[] =
	    "printf '%s %s %s %s\\n' \"$ESATLSD_HOOK\" \"$ESATLSD_TYPE\" "
	    "\"$ESATLSD_FEED_STATE\" \"$ESATLSD_HOST\" >> \"$0\"";
	struct hook_config hc[2] = {exec_hook("pager", argv_f), exec_hook("plain", argv_d)};
	argv_f[2] = (char *)feed_script;
	argv_d[2] = (char *)feed_script;
	hc[0].types = 1u << RECORD_FEED;
	hc[0].states = 1u << FEED_SILENT;
	hc[0].verdicts = 0;
	hc[0].directions = 0;
	struct hooks *h = hooks_new(base, hc, 2);
	ck_assert_ptr_nonnull(h);
	struct feed_record r = {
	    .state = FEED_SILENT, .host = sp("esa1"), .time = 1, .silent_for = 9};
	char json[FEED_RECORD_MAX];
	size_t len = feed_record_encode(&r, json, sizeof(json));
	hooks_offer_feed(h, &r, json, len, 0);
	r.state = FEED_RESUMED;
	hooks_offer_feed(h, &r, json, len, 0);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "pager feed silent esa1\n");
	ck_assert_uint_eq(stats_of(h, "plain").offered, 0);
	free(text);
	hooks_free(h);
}
END_TEST

START_TEST(test_throttle)
{
	char *argv[5];
	struct hook_config hc = exec_hook("quiet", argv);
	hc.throttle_key = THROTTLE_PEER_IP;
	hc.throttle_interval_ms = 1000;
	struct hooks *h = hooks_new(base, &hc, 1);

	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 10000);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 10010);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_OUT, "esa1", "192.0.2.1", 10500);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.2", 10600);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 11000);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 11100);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "quiet 192.0.2.1 0\nquiet 192.0.2.2 0\nquiet 192.0.2.1 2\n");
	struct hook_stats s = stats_of(h, "quiet");
	ck_assert_uint_eq(s.offered, 6);
	ck_assert_uint_eq(s.throttled, 3);
	free(text);
	hooks_free(h);
}
END_TEST

/* A reload keeps a hook of the same name (and its throttle), adds a new one and retires a
 * removed one, which is offered nothing and closes once it is idle. */
START_TEST(test_reload_keeps_adds_retires)
{
	char *argv_a[5], *argv_b[5], *argv_c[5];
	struct hook_config first[2] = {exec_hook("a", argv_a), exec_hook("b", argv_b)};
	first[0].throttle_key = THROTTLE_PEER_IP;
	first[0].throttle_interval_ms = 60000;
	struct hooks *h = hooks_new(base, first, 2);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 1000);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "a 192.0.2.1 0\nb 192.0.2.1 0\n");
	free(text);

	struct hook_config second[2] = {exec_hook("c", argv_c), exec_hook("a", argv_a)};
	second[1].throttle_key = THROTTLE_PEER_IP;
	second[1].throttle_interval_ms = 60000;
	ck_assert_int_eq(hooks_reload(h, second, 2), 0);
	ck_assert_uint_eq(hooks_count(h), 2); /* b was idle: closed at once */
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 2000);
	text = alerts_written(h);
	/* a still holds 192.0.2.1 back: its throttle state survived the reload */
	ck_assert_str_eq(text, "a 192.0.2.1 0\nb 192.0.2.1 0\nc 192.0.2.1 0\n");
	ck_assert_uint_eq(stats_of(h, "a").throttled, 1);
	free(text);
	hooks_free(h);
}
END_TEST

/* A reload whose new hook cannot start changes nothing. */
START_TEST(test_reload_failure_changes_nothing)
{
	char *argv_a[5];
	struct hook_config hc = exec_hook("a", argv_a);
	struct hooks *h = hooks_new(base, &hc, 1);
	struct hook_config bad[2] = {exec_hook("a", argv_a),
	                             {.name = "w", .kind = HOOK_WEBHOOK, .url = "ftp://x/"}};
	capture_log(dir);
	ck_assert_int_eq(hooks_reload(h, bad, 2), -1);
	free(captured_log());
	ck_assert_uint_eq(hooks_count(h), 1);
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.9", 0);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "a 192.0.2.9 0\n");
	free(text);
	hooks_free(h);
}
END_TEST

static Suite *hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *t = tcase_create("dispatch");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_filters);
	tcase_add_test(t, test_throttle);
	tcase_add_test(t, test_feed_records);
	tcase_add_test(t, test_reload_keeps_adds_retires);
	tcase_add_test(t, test_reload_failure_changes_nothing);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(hook_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
