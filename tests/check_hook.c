/* The hook dispatcher (hook.c) with real exec runners: which records a hook is offered
 * (on.verdict, on.direction, on.host; on.type, on.state and on.kind for feed and downgrade
 * records) and the environment a downgrade gives, what the throttle lets through and the count
 * it carries
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

/* A downgrade of peer (the posture key) whose new connection has this verdict, direction,
 * appliance and address. */
static void offer_downgrade(struct hooks *h, enum downgrade_kind kind, enum verdict_kind verdict,
                            enum esa_dir dir_, const char *host, const char *peer,
                            const char *peer_ip, uint64_t now)
{
	struct verdict v = {
	    .kind = verdict, .dir = dir_, .conn_id = 7, .purpose = VERDICT_FOR_FILES};
	v.host = sp(host);
	v.str[VERDICT_S_PEER_IP] = sp(peer_ip);
	struct downgrade_record g = {.kind = kind, .peer = sp(peer), .conn = &v};
	char json[DOWNGRADE_RECORD_MAX];
	size_t len = downgrade_record_encode(&g, json, sizeof(json));
	ck_assert_uint_gt(len, 0);
	hooks_offer_downgrade(h, &g, json, len, now);
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

static int line_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* text's lines in order: hooks run side by side, so their lines land in any order. */
static char *sorted_lines(char *text)
{
	char *line[64], *save = NULL, *sorted = calloc(1, strlen(text) + 1);
	size_t n = 0, w = 0;
	ck_assert_ptr_nonnull(sorted);
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_lt(n, 64);
		line[n++] = l;
	}
	qsort(line, n, sizeof(line[0]), line_cmp);
	for (size_t i = 0; i < n; i++) {
		memcpy(sorted + w, line[i], strlen(line[i]));
		w += strlen(line[i]);
		sorted[w++] = '\n';
	}
	free(text);
	return sorted;
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
	char *text = sorted_lines(alerts_written(h));
	ck_assert_str_eq(text, "a 192.0.2.1 0\nb 192.0.2.1 0\n");
	free(text);

	struct hook_config second[2] = {exec_hook("c", argv_c), exec_hook("a", argv_a)};
	second[1].throttle_key = THROTTLE_PEER_IP;
	second[1].throttle_interval_ms = 60000;
	ck_assert_int_eq(hooks_reload(h, second, 2), 0);
	ck_assert_uint_eq(hooks_count(h), 2); /* b was idle: closed at once */
	offer(h, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1", "192.0.2.1", 2000);
	text = sorted_lines(alerts_written(h));
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

static const char downgrade_script[] =
    "printf '%s %s %s %s\\n' \"$ESATLSD_HOOK\" \"$ESATLSD_TYPE\" "
    "\"$ESATLSD_DOWNGRADE\" \"$ESATLSD_PEER\" >> \"$0\"";

/* Each hook of hc[0..n) writes a line per downgrade alert to its own file, dir/NAME. */
static void downgrade_hooks(struct hook_config *hc, size_t n, char (*paths)[300])
{
	for (size_t i = 0; i < n; i++) {
		path_join(paths[i], sizeof(paths[i]), dir, hc[i].name);
		hc[i].argv[2] = (char *)downgrade_script;
		hc[i].argv[3] = paths[i];
	}
}

static char *file_text(const char *path)
{
	char *text = slurp(path, NULL);
	return text != NULL ? text : strdup("");
}

START_TEST(test_downgrade_type_and_kind)
{
	/* Only a hook whose on.type names downgrade gets one; on.kind chooses among them;
	 * on.verdict (tls_failed by default) does not apply: a peer now in the clear is what
	 * matters most. */
	char *argv[3][5];
	char paths[3][300];
	struct hook_config hc[3] = {exec_hook("plain", argv[0]), exec_hook("all", argv[1]),
	                            exec_hook("back", argv[2])};
	hc[1].types = 1u << RECORD_DOWNGRADE;
	hc[2].types = (1u << RECORD_CONNECTION) | (1u << RECORD_DOWNGRADE);
	hc[2].kinds = 1u << DOWNGRADE_RESTORED;
	hc[2].verdicts = 1u << VERDICT_UNKNOWN;
	downgrade_hooks(hc, 3, paths);
	struct hooks *h = hooks_new(base, hc, 3);
	ck_assert_ptr_nonnull(h);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_NO_TLS, ESA_DIR_IN, "esa1", "mx.example.org",
	                "192.0.2.1", 0);
	offer_downgrade(h, DOWNGRADE_PROTOCOL, VERDICT_TLS, ESA_DIR_OUT, "esa1", "example.com",
	                "192.0.2.2", 0);
	offer_downgrade(h, DOWNGRADE_RESTORED, VERDICT_TLS, ESA_DIR_IN, "esa1", "mx.example.org",
	                "192.0.2.1", 0);
	ck_assert(run_until(base, idle, h, 10000));
	char *text = file_text(paths[0]);
	ck_assert_str_eq(text, "");
	free(text);
	text = file_text(paths[1]);
	ck_assert_str_eq(text, "all downgrade tls_lost mx.example.org\n"
	                       "all downgrade protocol example.com\n"
	                       "all downgrade restored mx.example.org\n");
	free(text);
	text = file_text(paths[2]);
	ck_assert_str_eq(text, "back downgrade restored mx.example.org\n");
	free(text);
	ck_assert_uint_eq(stats_of(h, "plain").offered, 0);
	ck_assert_uint_eq(stats_of(h, "back").offered, 1);
	hooks_free(h);
}
END_TEST

START_TEST(test_downgrade_direction_and_host)
{
	/* on.direction is the new connection's, on.host its appliance's (case aside). */
	char *argv[5], *hosts[] = {"esa1.example.com"};
	char paths[1][300];
	struct hook_config hc = exec_hook("in", argv);
	hc.types = 1u << RECORD_DOWNGRADE;
	hc.directions = 1u << ESA_DIR_IN;
	hc.hosts = hosts;
	hc.n_hosts = 1;
	downgrade_hooks(&hc, 1, paths);
	struct hooks *h = hooks_new(base, &hc, 1);
	ck_assert_ptr_nonnull(h);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa1.example.com",
	                "a.example", "192.0.2.1", 0);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_TLS_FAILED, ESA_DIR_OUT, "esa1.example.com",
	                "b.example", "192.0.2.2", 0);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_TLS_FAILED, ESA_DIR_IN, "ESA1.example.COM",
	                "c.example", "192.0.2.3", 0);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_TLS_FAILED, ESA_DIR_IN, "esa2.example.com",
	                "d.example", "192.0.2.4", 0);
	ck_assert(run_until(base, idle, h, 10000));
	char *text = file_text(paths[0]);
	ck_assert_str_eq(text,
	                 "in downgrade tls_lost a.example\nin downgrade tls_lost c.example\n");
	free(text);
	hooks_free(h);
}
END_TEST

START_TEST(test_downgrade_throttle_by_peer_ip)
{
	/* key peer_ip is the new connection's address, whatever the posture key. */
	char *argv[5];
	struct hook_config hc = exec_hook("quiet", argv);
	hc.types = 1u << RECORD_DOWNGRADE;
	hc.throttle_key = THROTTLE_PEER_IP;
	hc.throttle_interval_ms = 1000;
	struct hooks *h = hooks_new(base, &hc, 1);
	ck_assert_ptr_nonnull(h);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_NO_TLS, ESA_DIR_OUT, "esa1", "a.example",
	                "192.0.2.1", 10000);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_NO_TLS, ESA_DIR_OUT, "esa1", "b.example",
	                "192.0.2.1", 10100);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_NO_TLS, ESA_DIR_OUT, "esa1", "a.example",
	                "192.0.2.2", 10200);
	offer_downgrade(h, DOWNGRADE_TLS_LOST, VERDICT_NO_TLS, ESA_DIR_OUT, "esa1", "b.example",
	                "192.0.2.1", 11000);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "quiet 192.0.2.1 0\nquiet 192.0.2.2 0\nquiet 192.0.2.1 1\n");
	free(text);
	hooks_free(h);
}
END_TEST

START_TEST(test_downgrade_environment)
{
	/* An exec hook gets the downgrade's own variables and its connection's, with control bytes
	 * removed from what the log (and the peer) chose. */
	static const char env_script[] =
	    "printf 'TYPE=%s\\nDOWNGRADE=%s\\nPEER=%s\\nLAST_TLS=%s\\nTLS_PROTOCOL=%s\\n"
	    "LAST_TLS_PROTOCOL=%s\\nVERDICT=%s\\nDIRECTION=%s\\nHOST=%s\\nCONN_ID=%s\\nEND=%s\\n"
	    "PEER_IP=%s\\nPEER_RDNS=%s\\nTLS_ERROR=%s\\nFIRST_SEEN=%s\\nFEED_STATE=%s\\n' "
	    "\"$ESATLSD_TYPE\" \"$ESATLSD_DOWNGRADE\" \"$ESATLSD_PEER\" \"$ESATLSD_LAST_TLS\" "
	    "\"$ESATLSD_TLS_PROTOCOL\" \"$ESATLSD_LAST_TLS_PROTOCOL\" \"$ESATLSD_VERDICT\" "
	    "\"$ESATLSD_DIRECTION\" \"$ESATLSD_HOST\" \"$ESATLSD_CONN_ID\" \"$ESATLSD_END\" "
	    "\"$ESATLSD_PEER_IP\" \"$ESATLSD_PEER_RDNS\" \"$ESATLSD_TLS_ERROR\" "
	    "\"$ESATLSD_FIRST_SEEN\" \"$ESATLSD_FEED_STATE\" >> \"$0\"";
	char *argv[5];
	struct hook_config hc = exec_hook("env", argv);
	argv[2] = (char *)env_script;
	hc.types = 1u << RECORD_DOWNGRADE;
	struct hooks *h = hooks_new(base, &hc, 1);
	ck_assert_ptr_nonnull(h);
	struct verdict v = {.kind = VERDICT_TLS_FAILED,
	                    .dir = ESA_DIR_IN,
	                    .conn_id = 4242,
	                    .end = VERDICT_END_CLOSE,
	                    .purpose = VERDICT_FOR_FILES};
	v.host = sp("esa1");
	v.str[VERDICT_S_PEER_IP] = sp("192.0.2.1");
	v.str[VERDICT_S_PEER_RDNS] = sp("mx.\"evil\"\n.org\x1b[31m");
	v.str[VERDICT_S_TLS_ERROR] = sp("bad\r\nline");
	v.str[VERDICT_S_TLS_PROTOCOL] = sp("TLSv1.2");
	v.first_seen = (struct logtime){1795867200, LOGTIME_NO_OFFSET, 1}; /* 2026-11-28T12:00 */
	struct downgrade_record g = {.kind = DOWNGRADE_TLS_LOST,
	                             .peer = sp("mx.\"evil\"\n.org\x1b[31m"),
	                             .conn = &v,
	                             .last_protocol = sp("TLSv1.3"),
	                             .last_tls = {1795780800, 60, 1}}; /* 2026-11-27T12:00+01:00 */
	char json[DOWNGRADE_RECORD_MAX];
	size_t len = downgrade_record_encode(&g, json, sizeof(json));
	hooks_offer_downgrade(h, &g, json, len, 0);
	char *text = alerts_written(h);
	ck_assert_str_eq(text, "TYPE=downgrade\n"
	                       "DOWNGRADE=tls_lost\n"
	                       "PEER=mx.\"evil\".org[31m\n"
	                       "LAST_TLS=2026-11-27T12:00:00+01:00\n"
	                       "TLS_PROTOCOL=TLSv1.2\n"
	                       "LAST_TLS_PROTOCOL=TLSv1.3\n"
	                       "VERDICT=tls_failed\n"
	                       "DIRECTION=inbound\n"
	                       "HOST=esa1\n"
	                       "CONN_ID=4242\n"
	                       "END=close\n"
	                       "PEER_IP=192.0.2.1\n"
	                       "PEER_RDNS=mx.\"evil\".org[31m\n"
	                       "TLS_ERROR=badline\n"
	                       "FIRST_SEEN=2026-11-28T12:00:00\n"
	                       "FEED_STATE=\n");
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
	tcase_add_test(t, test_downgrade_type_and_kind);
	tcase_add_test(t, test_downgrade_direction_and_host);
	tcase_add_test(t, test_downgrade_throttle_by_peer_ip);
	tcase_add_test(t, test_downgrade_environment);
	tcase_add_test(t, test_reload_keeps_adds_retires);
	tcase_add_test(t, test_reload_failure_changes_nothing);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(hook_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
