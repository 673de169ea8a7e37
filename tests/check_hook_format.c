/* Webhook bodies (hook_format.c): each format's exact JSON for an ordinary alert, and for hostile
 * values (quotes, backslashes, control bytes, invalid UTF-8, Slack markup, a long reason) a body
 * that is still one valid JSON document of valid UTF-8; the sentence in its forms. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hook_format.h"
#include "support.h"

static void assert_json(const char *body, size_t len)
{
	ck_assert_msg(len > 0 && body[len - 1] == '\n', "no final newline: %s", body);
	ck_assert_msg(json_valid(body, len - 1), "not JSON: %s", body);
}

/* ---- alerts ---- */

#define RECORD "{\"v\":1,\"verdict\":\"tls_failed\",\"icid\":7}\n"

static struct alert alert_of(const char *verdict, const char *dir, const char *host, const char *ip,
                             const char *rdns, const char *err)
{
	struct alert a = {.json = RECORD, .len = strlen(RECORD)};
	a.value[ALERT_ENV_VERDICT] = sp(verdict);
	a.value[ALERT_ENV_DIRECTION] = sp(dir);
	a.value[ALERT_ENV_HOST] = sp(host);
	a.value[ALERT_ENV_CONN_ID] = sp("7");
	a.value[ALERT_ENV_PEER_IP] = sp(ip);
	a.value[ALERT_ENV_PEER_RDNS] = sp(rdns);
	a.value[ALERT_ENV_TLS_ERROR] = sp(err);
	a.value[ALERT_ENV_FIRST_SEEN] = sp("2024-11-28T12:00:00");
	a.value[ALERT_ENV_SUPPRESSED] = sp("0");
	a.value[ALERT_ENV_HOOK] = sp("h");
	return a;
}

static struct alert ordinary(void)
{
	return alert_of("tls_failed", "inbound", "esa1", "192.0.2.1", "mx.example.org",
	                "[Errno 54] Connection reset by peer");
}

static char *body_of(enum hook_format f, const struct alert *a, size_t *len)
{
	struct hook_format_input in = {a, "R0UT1NGKEY", 1732795200}; /* 2024-11-28T12:00:00Z */
	char *body;
	ck_assert_int_eq(hook_format_body(f, &in, &body, len), 0);
	ck_assert_uint_eq(strlen(body), *len);
	assert_json(body, *len);
	return body;
}

static void expect_body(enum hook_format f, const struct alert *a, const char *want)
{
	size_t len;
	char *body = body_of(f, a, &len);
	ck_assert_str_eq(body, want);
	free(body);
}

#define SENTENCE                                                                                   \
	"TLS failed inbound from mx.example.org [192.0.2.1] on esa1: [Errno 54] Connection reset " \
	"by peer"

START_TEST(test_sentence)
{
	char buf[256];
	struct alert a = ordinary();
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, SENTENCE);

	a = alert_of("no_tls", "outbound", "esa2", "192.0.2.9", "", "");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "No TLS outbound to 192.0.2.9 on esa2");

	a = alert_of("tls_failed", "inbound", "", "", "unknown", "");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "TLS failed inbound from an unknown host");

	a = ordinary();
	a.value[ALERT_ENV_SUPPRESSED] = sp("3");
	a.value[ALERT_ENV_TLS_ERROR] = sp("bad\r\nline");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "TLS failed inbound from mx.example.org [192.0.2.1] on esa1: bad  "
	                      "line (3 more held back by the throttle)");

	/* cut to the buffer, always terminated */
	a = ordinary();
	ck_assert_uint_eq(hook_format_sentence(&a, buf, 10), 9);
	ck_assert_str_eq(buf, "TLS faile");
}
END_TEST

/* A feed record says what happened to the appliance's feed; PagerDuty gets one incident per
 * appliance, opened by silence and resolved by its return. */
START_TEST(test_feed_records)
{
	char buf[256];
	static const char rec[] = "{\"v\":1,\"type\":\"feed\"}\n";
	struct alert a = {.json = rec, .len = sizeof(rec) - 1};
	a.value[ALERT_ENV_TYPE] = sp("feed");
	a.value[ALERT_ENV_FEED_STATE] = sp("silent");
	a.value[ALERT_ENV_HOST] = sp("esa1");
	a.value[ALERT_ENV_SUPPRESSED] = sp("0");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Appliance esa1 sends no log lines");
	size_t len;
	char *body = body_of(HOOK_FORMAT_PAGERDUTY, &a, &len);
	ck_assert_ptr_nonnull(strstr(body, "\"event_action\":\"trigger\",\"dedup_key\":"
	                                   "\"esatlsd/esa1/feed\""));
	ck_assert_ptr_nonnull(strstr(body, "\"class\":\"silent\""));
	free(body);
	body = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
	ck_assert_ptr_nonnull(strstr(body, "\"alertname\":\"EsaFeedSilent\""));
	free(body);
	a.value[ALERT_ENV_FEED_STATE] = sp("resumed");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Appliance esa1 sends log lines again");
	body = body_of(HOOK_FORMAT_PAGERDUTY, &a, &len);
	ck_assert_ptr_nonnull(strstr(body, "\"event_action\":\"resolve\",\"dedup_key\":"
	                                   "\"esatlsd/esa1/feed\""));
	free(body);
	a.value[ALERT_ENV_FEED_STATE] = sp("unrecognised");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Appliance esa1 sends lines not recognised as ESA mail_logs");
}
END_TEST

/* A message record says what happened on its way, by MID; PagerDuty gets one incident per
 * message. */
START_TEST(test_message_records)
{
	char buf[256];
	static const char rec[] = "{\"v\":1,\"type\":\"message\",\"mid\":4}\n";
	struct alert a = {.json = rec, .len = sizeof(rec) - 1};
	a.value[ALERT_ENV_TYPE] = sp("message");
	a.value[ALERT_ENV_VERDICT] = sp("tls_failed");
	a.value[ALERT_ENV_CONN_ID] = sp("4");
	a.value[ALERT_ENV_HOST] = sp("esa1");
	a.value[ALERT_ENV_SUPPRESSED] = sp("0");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Message 4 on esa1: TLS failed on its way");
	size_t len;
	char *body = body_of(HOOK_FORMAT_PAGERDUTY, &a, &len);
	ck_assert_ptr_nonnull(strstr(body, "\"dedup_key\":\"esatlsd/esa1/mid/4\""));
	free(body);
	a.value[ALERT_ENV_VERDICT] = sp("tls");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Message 4 on esa1 travelled under TLS end to end");
	a.value[ALERT_ENV_VERDICT] = sp("no_tls");
	hook_format_sentence(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Message 4 on esa1 travelled without TLS on part of its way");
}
END_TEST

START_TEST(test_record)
{
	struct alert a = ordinary();
	expect_body(HOOK_FORMAT_RECORD, &a, RECORD);
}
END_TEST

START_TEST(test_slack)
{
	struct alert a = ordinary();
	expect_body(HOOK_FORMAT_SLACK, &a, "{\"text\":\"" SENTENCE "\"}\n");
	/* Slack's markup: a peer cannot notify the channel or forge a link. */
	a.value[ALERT_ENV_PEER_RDNS] = sp("<!channel> & <http://x|y>");
	expect_body(HOOK_FORMAT_SLACK, &a,
	            "{\"text\":\"TLS failed inbound from &lt;!channel&gt; &amp; "
	            "&lt;http://x|y&gt; [192.0.2.1] on esa1: [Errno 54] Connection reset by "
	            "peer\"}\n");
}
END_TEST

START_TEST(test_teams)
{
	struct alert a = ordinary();
	expect_body(
	    HOOK_FORMAT_TEAMS, &a,
	    "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
	    "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{"
	    "\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\",\"type\":"
	    "\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{\"type\":\"TextBlock\",\"wrap\":true,"
	    "\"weight\":\"Bolder\",\"text\":\"" SENTENCE "\"},{\"type\":\"FactSet\",\"facts\":["
	    "{\"title\":\"Appliance\",\"value\":\"esa1\"},{\"title\":\"Direction\",\"value\":"
	    "\"inbound\"},{\"title\":\"Peer\",\"value\":\"192.0.2.1\"},{\"title\":\"Reverse DNS\","
	    "\"value\":\"mx.example.org\"},{\"title\":\"Connection\",\"value\":\"7\"},{\"title\":"
	    "\"TLS error\",\"value\":\"[Errno 54] Connection reset by peer\"},{\"title\":\"First "
	    "seen\",\"value\":\"2024-11-28T12:00:00\"},{\"title\":\"Verdict\",\"value\":"
	    "\"tls_failed\"}]}]}}]}\n");
}
END_TEST

START_TEST(test_alertmanager)
{
	struct alert a = ordinary();
	expect_body(
	    HOOK_FORMAT_ALERTMANAGER, &a,
	    "[{\"labels\":{\"alertname\":\"EsaTlsFailed\",\"appliance\":\"esa1\","
	    "\"direction\":\"inbound\",\"peer_ip\":\"192.0.2.1\",\"verdict\":"
	    "\"tls_failed\"},\"annotations\":{\"summary\":\"" SENTENCE "\",\"tls_error\":"
	    "\"[Errno 54] Connection reset by peer\",\"peer_rdns\":\"mx.example.org\","
	    "\"conn_id\":\"7\",\"first_seen\":\"2024-11-28T12:00:00\",\"suppressed\":\"0\"},"
	    "\"startsAt\":\"2024-11-28T12:00:00Z\"}]\n");
	/* an absent label is left out, not sent empty */
	a = alert_of("no_tls", "outbound", "esa1", "", "", "");
	size_t len;
	char *body = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
	ck_assert_ptr_null(strstr(body, "peer_ip"));
	ck_assert_ptr_nonnull(strstr(body, "\"alertname\":\"EsaNoTls\""));
	free(body);
}
END_TEST

START_TEST(test_pagerduty)
{
	struct alert a = ordinary();
	expect_body(HOOK_FORMAT_PAGERDUTY, &a,
	            "{\"routing_key\":\"R0UT1NGKEY\",\"event_action\":\"trigger\",\"dedup_key\":"
	            "\"esatlsd/esa1/icid/7/2024-11-28T12:00:00\",\"client\":\"esatlsd\","
	            "\"payload\":{\"summary\":\"" SENTENCE "\",\"source\":\"esa1\",\"severity\":"
	            "\"error\",\"component\":\"smtp-tls\",\"group\":\"inbound\",\"class\":"
	            "\"tls_failed\",\"custom_details\":{\"v\":1,\"verdict\":\"tls_failed\","
	            "\"icid\":7}}}\n");
	/* the summary stays within PagerDuty's 1024 characters, the dedup_key within 255 */
	char reason[3000], host[400];
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	a.value[ALERT_ENV_TLS_ERROR] = sp(reason);
	a.value[ALERT_ENV_HOST] = sp(host);
	size_t len;
	char *body = body_of(HOOK_FORMAT_PAGERDUTY, &a, &len);
	const char *sum = strstr(body, "\"summary\":\"");
	ck_assert_ptr_nonnull(sum);
	ck_assert_uint_le((size_t)(strchr(sum + 11, '"') - (sum + 11)), 1024);
	const char *key = strstr(body, "\"dedup_key\":\"");
	ck_assert_uint_le((size_t)(strchr(key + 13, '"') - (key + 13)), 255);
	free(body);
}
END_TEST

/* Whatever bytes the log carried, every format is one valid JSON document of valid UTF-8. */
START_TEST(test_hostile_values)
{
	static const char *const nasty[] = {
	    "a\"b\\c",          "\"},{\"x\":\"", "line\nbreak\r\t", "\x01\x02\x1f\x7f",
	    "\xff\xfe",         "\xc3",          "caf\xc3\xa9",     "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "</script>",     "${jndi:x}",       "\\u0000",
	};
	for (int f = 0; f < HOOK_FORMAT_COUNT; f++) {
		for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
			struct alert a =
			    alert_of(nasty[i], nasty[i], nasty[i], nasty[i], nasty[i], nasty[i]);
			a.value[ALERT_ENV_CONN_ID] = sp(nasty[i]);
			a.value[ALERT_ENV_FIRST_SEEN] = sp(nasty[i]);
			size_t len;
			char *body = body_of((enum hook_format)f, &a, &len);
			free(body);
		}
	}
}
END_TEST

START_TEST(test_names)
{
	enum hook_format f;
	for (int i = 0; i < HOOK_FORMAT_COUNT; i++) {
		ck_assert_int_eq(hook_format_from_name(hook_format_name((enum hook_format)i), &f),
		                 0);
		ck_assert_int_eq(f, i);
		ck_assert_ptr_nonnull(
		    strstr(HOOK_FORMAT_NAMES, hook_format_name((enum hook_format)i)));
	}
	ck_assert_int_eq(hook_format_from_name("Slack", &f), -1);
	ck_assert_int_eq(hook_format_from_name("", &f), -1);
}
END_TEST

static Suite *hook_format_suite(void)
{
	Suite *s = suite_create("hook_format");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, test_sentence);
	tcase_add_test(tc, test_feed_records);
	tcase_add_test(tc, test_message_records);
	tcase_add_test(tc, test_record);
	tcase_add_test(tc, test_slack);
	tcase_add_test(tc, test_teams);
	tcase_add_test(tc, test_alertmanager);
	tcase_add_test(tc, test_pagerduty);
	tcase_add_test(tc, test_hostile_values);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(hook_format_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
