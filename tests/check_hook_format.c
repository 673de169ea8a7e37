/* Webhook bodies (hook_format.c): each format's exact JSON for an ordinary alert, and for hostile
 * values (quotes, backslashes, control bytes, invalid UTF-8, Slack markup, a long reason) a body
 * that is still one valid JSON document of valid UTF-8; the sentence in its forms; downgrade
 * alerts in every format, and the restored one that ends what tls_lost opened (the same
 * Alertmanager labels, the same PagerDuty dedup_key). */
#include <check.h>
#include <stdio.h>
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

/* A Teams message up to its facts, with the sentence s. */
#define TEAMS_CARD(s)                                                                              \
	"{\"type\":\"message\",\"attachments\":[{\"contentType\":"                                 \
	"\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{"            \
	"\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\",\"type\":"             \
	"\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{\"type\":\"TextBlock\",\"wrap\":true,"    \
	"\"weight\":\"Bolder\",\"text\":\"" s "\"},{\"type\":\"FactSet\",\"facts\":["

START_TEST(test_teams)
{
	struct alert a = ordinary();
	expect_body(HOOK_FORMAT_TEAMS, &a,
	            TEAMS_CARD(SENTENCE) "{\"title\":\"Appliance\",\"value\":\"esa1\"},{\"title\":"
	                                 "\"Direction\",\"value\":"
	                                 "\"inbound\"},{\"title\":\"Peer\",\"value\":\"192.0.2.1\"}"
	                                 ",{\"title\":\"Reverse DNS\","
	                                 "\"value\":\"mx.example.org\"},{\"title\":\"Connection\","
	                                 "\"value\":\"7\"},{\"title\":"
	                                 "\"TLS error\",\"value\":\"[Errno 54] Connection reset by "
	                                 "peer\"},{\"title\":\"First "
	                                 "seen\",\"value\":\"2024-11-28T12:00:00\"},{\"title\":"
	                                 "\"Verdict\",\"value\":"
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

/* ---- downgrade records ---- */

#define DOWNGRADE_JSON "{\"v\":1,\"type\":\"downgrade\",\"kind\":\"tls_lost\"}\n"

/* A downgrade of peer (the posture key) on esa1 whose connection has this verdict and address;
 * the peer had TLSv1.3 on 2026-11-27T12:00:00, and protocol/restored connections TLSv1.2. */
static struct alert downgrade_of(const char *kind, const char *verdict, const char *dir,
                                 const char *peer, const char *ip)
{
	struct alert a = alert_of(verdict, dir, "esa1", ip, "", "");
	a.json = DOWNGRADE_JSON;
	a.len = strlen(DOWNGRADE_JSON);
	a.value[ALERT_ENV_END] = sp("close");
	a.value[ALERT_ENV_TYPE] = sp("downgrade");
	a.value[ALERT_ENV_DOWNGRADE] = sp(kind);
	a.value[ALERT_ENV_PEER] = sp(peer);
	a.value[ALERT_ENV_LAST_TLS] = sp("2026-11-27T12:00:00");
	a.value[ALERT_ENV_LAST_TLS_PROTOCOL] = sp("TLSv1.3");
	a.value[ALERT_ENV_TLS_PROTOCOL] = sp(strcmp(kind, "tls_lost") == 0 ? "" : "TLSv1.2");
	return a;
}

static struct alert lost_inbound(void)
{
	return downgrade_of("tls_lost", "no_tls", "inbound", "mx.example.org", "192.0.2.1");
}

static void expect_sentence(const struct alert *a, const char *want)
{
	char buf[1100];
	hook_format_sentence(a, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	/* and the same words in every format's body */
	for (int f = HOOK_FORMAT_SLACK; f < HOOK_FORMAT_COUNT; f++) {
		size_t len;
		char *body = body_of((enum hook_format)f, a, &len);
		ck_assert_msg(strstr(body, want) != NULL, "%s: %s", hook_format_name(f), body);
		free(body);
	}
}

#define LOST_SENTENCE                                                                              \
	"TLS lost inbound from mx.example.org [192.0.2.1] on esa1: no TLS now; TLSv1.3 on "        \
	"2026-11-27T12:00:00"

START_TEST(test_downgrade_sentences)
{
	struct alert a = lost_inbound();
	expect_sentence(&a, LOST_SENTENCE);
	a = downgrade_of("tls_lost", "tls_failed", "outbound", "example.com", "");
	a.value[ALERT_ENV_TLS_ERROR] = sp("unsupported protocol");
	a.value[ALERT_ENV_LAST_TLS_PROTOCOL] = sp("TLSv1.2");
	expect_sentence(&a, "TLS lost outbound to example.com on esa1: TLS failed now (unsupported "
	                    "protocol); TLSv1.2 on 2026-11-27T12:00:00");
	/* the key is a domain: the connection's address follows it */
	a = downgrade_of("tls_lost", "tls_failed", "outbound", "example.com", "198.51.100.7");
	expect_sentence(&a, "TLS lost outbound to example.com [198.51.100.7] on esa1: TLS failed "
	                    "now; TLSv1.3 on 2026-11-27T12:00:00");
	a = downgrade_of("protocol", "tls", "inbound", "mx.example.org", "192.0.2.1");
	expect_sentence(&a, "TLS protocol dropped inbound from mx.example.org [192.0.2.1] on esa1: "
	                    "TLSv1.2 now; TLSv1.3 on 2026-11-27T12:00:00");
	a = downgrade_of("restored", "tls", "outbound", "example.com", "");
	a.value[ALERT_ENV_TLS_PROTOCOL] = sp("TLSv1.3");
	expect_sentence(&a, "TLS restored outbound to example.com on esa1 (TLSv1.3)");
	/* the key is the address (no verified reverse DNS): named once */
	a = downgrade_of("tls_lost", "no_tls", "inbound", "192.0.2.1", "192.0.2.1");
	expect_sentence(&a, "TLS lost inbound from 192.0.2.1 on esa1: no TLS now; TLSv1.3 on "
	                    "2026-11-27T12:00:00");
	/* what the peer had is said as far as it is known */
	a = lost_inbound();
	a.value[ALERT_ENV_LAST_TLS] = sp("");
	a.value[ALERT_ENV_SUPPRESSED] = sp("2");
	expect_sentence(&a, "TLS lost inbound from mx.example.org [192.0.2.1] on esa1: no TLS now; "
	                    "TLSv1.3 before (2 more held back by the throttle)");
	a.value[ALERT_ENV_LAST_TLS_PROTOCOL] = sp("");
	a.value[ALERT_ENV_SUPPRESSED] = sp("0");
	expect_sentence(&a, "TLS lost inbound from mx.example.org [192.0.2.1] on esa1: no TLS now");
}
END_TEST

START_TEST(test_downgrade_record_slack_teams)
{
	struct alert a = lost_inbound();
	expect_body(HOOK_FORMAT_RECORD, &a, DOWNGRADE_JSON);
	expect_body(HOOK_FORMAT_SLACK, &a, "{\"text\":\"" LOST_SENTENCE "\"}\n");
	a.value[ALERT_ENV_TLS_PROTOCOL] = sp("TLSv1.2"); /* shown when present */
	expect_body(
	    HOOK_FORMAT_TEAMS, &a,
	    TEAMS_CARD(LOST_SENTENCE) "{\"title\":\"Appliance\",\"value\":\"esa1\"},"
	                              "{\"title\":\"Direction\",\"value\":\"inbound\"},"
	                              "{\"title\":\"Peer\",\"value\":\"mx.example.org\"},"
	                              "{\"title\":\"Address\",\"value\":\"192.0.2.1\"},"
	                              "{\"title\":\"Downgrade\",\"value\":\"tls_lost\"},"
	                              "{\"title\":\"Verdict\",\"value\":\"no_tls\"},"
	                              "{\"title\":\"Protocol\",\"value\":\"TLSv1.2\"},"
	                              "{\"title\":\"Last TLS\",\"value\":\"2026-11-27T12:00:00\"},"
	                              "{\"title\":\"Last protocol\",\"value\":\"TLSv1.3\"},"
	                              "{\"title\":\"Connection\",\"value\":\"7\"},"
	                              "{\"title\":\"First "
	                              "seen\",\"value\":\"2024-11-28T12:00:00\"}]}]}}]}\n");
}
END_TEST

/* The text of body between the first `from` and the next `to` after it. */
static char *between(const char *body, const char *from, const char *to)
{
	const char *p = strstr(body, from);
	ck_assert_msg(p != NULL, "no %s in %s", from, body);
	const char *q = strstr(p, to);
	ck_assert_msg(q != NULL, "no %s in %s", to, body);
	return strndup(p, (size_t)(q - p));
}

START_TEST(test_downgrade_alertmanager)
{
	struct alert a = lost_inbound();
	expect_body(HOOK_FORMAT_ALERTMANAGER, &a,
	            "[{\"labels\":{\"alertname\":\"EsaTlsDowngrade\",\"direction\":\"inbound\","
	            "\"peer\":\"mx.example.org\"},\"annotations\":{\"summary\":\"" LOST_SENTENCE
	            "\",\"kind\":\"tls_lost\",\"appliance\":\"esa1\",\"verdict\":\"no_tls\","
	            "\"peer_ip\":\"192.0.2.1\",\"last_tls\":\"2026-11-27T12:00:00\","
	            "\"last_tls_protocol\":\"TLSv1.3\",\"conn_id\":\"7\",\"first_seen\":"
	            "\"2024-11-28T12:00:00\",\"suppressed\":\"0\"},\"startsAt\":"
	            "\"2024-11-28T12:00:00Z\",\"endsAt\":\"2024-12-28T12:00:00Z\"}]\n");
	size_t len;
	char *lost = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
	char *lost_labels = between(lost, "\"labels\":", "},");

	/* a protocol drop and the restoration, seen by another appliance, are the same alert */
	static const char *const kinds[] = {"protocol", "restored"};
	for (size_t i = 0; i < 2; i++) {
		a = downgrade_of(kinds[i], "tls", "inbound", "mx.example.org", "192.0.2.9");
		a.value[ALERT_ENV_HOST] = sp("esa2");
		char *body = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
		char *labels = between(body, "\"labels\":", "},");
		ck_assert_str_eq(labels, lost_labels);
		ck_assert_ptr_nonnull(strstr(body, "\"startsAt\":\"2024-11-28T12:00:00Z\""));
		/* a downgrade fires for 30 days unless restored ends it: an endsAt of now
		 * resolves the alert */
		ck_assert_ptr_nonnull(
		    strstr(body, i == 1 ? "\"startsAt\":\"2024-11-28T12:00:00Z\","
		                          "\"endsAt\":\"2024-11-28T12:00:00Z\"}]\n"
		                        : "\"startsAt\":\"2024-11-28T12:00:00Z\","
		                          "\"endsAt\":\"2024-12-28T12:00:00Z\"}]\n"));
		free(labels);
		free(body);
	}
	ck_assert_ptr_nonnull(strstr(lost, "\"endsAt\":\"2024-12-28T12:00:00Z\""));
	/* another direction is another alert */
	a = downgrade_of("restored", "tls", "outbound", "mx.example.org", "192.0.2.1");
	char *body = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
	char *labels = between(body, "\"labels\":", "},");
	ck_assert_str_ne(labels, lost_labels);
	free(labels);
	free(body);
	free(lost_labels);
	free(lost);
}
END_TEST

/* The event_action and dedup_key of a PagerDuty body, and its severity. */
static void expect_pagerduty(const struct alert *a, const char *action_and_key,
                             const char *severity)
{
	size_t len;
	char *body = body_of(HOOK_FORMAT_PAGERDUTY, a, &len);
	ck_assert_msg(strstr(body, action_and_key) != NULL, "%s", body);
	ck_assert_msg(strstr(body, severity) != NULL, "%s", body);
	free(body);
}

START_TEST(test_downgrade_pagerduty)
{
	struct alert a = lost_inbound();
	expect_body(HOOK_FORMAT_PAGERDUTY, &a,
	            "{\"routing_key\":\"R0UT1NGKEY\",\"event_action\":\"trigger\",\"dedup_key\":"
	            "\"esatlsd/downgrade/inbound/mx.example.org\",\"client\":\"esatlsd\","
	            "\"payload\":{\"summary\":\"" LOST_SENTENCE "\",\"source\":\"esa1\","
	            "\"severity\":\"warning\",\"component\":\"smtp-tls\",\"group\":\"inbound\","
	            "\"class\":\"tls_lost\",\"custom_details\":{\"v\":1,\"type\":\"downgrade\","
	            "\"kind\":\"tls_lost\"}}}\n");
	/* one incident per peer and direction, whatever the appliance: restored resolves it */
	static const struct {
		const char *kind, *verdict, *host, *action, *detail;
	} events[] = {
	    {"tls_lost", "tls_failed", "esa1", "trigger", "\"severity\":\"error\""},
	    {"protocol", "tls", "esa2", "trigger", "\"severity\":\"warning\""},
	    {"restored", "tls", "esa3", "resolve", "\"class\":\"restored\""},
	};
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		char want[200];
		snprintf(want, sizeof(want),
		         "\"event_action\":\"%s\",\"dedup_key\":\"esatlsd/downgrade/outbound/"
		         "example.com\"",
		         events[i].action);
		a = downgrade_of(events[i].kind, events[i].verdict, "outbound", "example.com",
		                 "198.51.100.7");
		a.value[ALERT_ENV_HOST] = sp(events[i].host);
		expect_pagerduty(&a, want, events[i].detail);
	}
	/* a long key keeps the dedup_key within PagerDuty's 255 characters */
	char peer[300];
	memset(peer, 'p', sizeof(peer) - 1);
	peer[sizeof(peer) - 1] = '\0';
	a = downgrade_of("tls_lost", "no_tls", "outbound", peer, "");
	size_t len;
	char *body = body_of(HOOK_FORMAT_PAGERDUTY, &a, &len);
	const char *key = strstr(body, "\"dedup_key\":\"");
	ck_assert_ptr_nonnull(key);
	ck_assert_uint_le((size_t)(strchr(key + 13, '"') - (key + 13)), 255);
	free(body);
}
END_TEST

/* A peer names itself (its reverse DNS, its domain): quotes, control bytes and invalid UTF-8 in
 * it are escaped in every format and for every kind, and kept out of a chat line. */
START_TEST(test_downgrade_hostile_peer)
{
	static const char peer[] = "mx\"},{\\\"x\n\x1b[31m\xff\xc3.example";
	static const char *const kinds[] = {"tls_lost", "protocol", "restored"};
	for (size_t k = 0; k < 3; k++) {
		for (int f = 0; f < HOOK_FORMAT_COUNT; f++) {
			struct alert a =
			    downgrade_of(kinds[k], "no_tls", "inbound", peer, "192.0.2.1");
			a.value[ALERT_ENV_TLS_ERROR] = sp(peer);
			a.value[ALERT_ENV_TLS_PROTOCOL] = sp(peer);
			a.value[ALERT_ENV_LAST_TLS_PROTOCOL] = sp(peer);
			a.value[ALERT_ENV_LAST_TLS] = sp(peer);
			size_t len;
			char *body = body_of((enum hook_format)f, &a, &len);
			ck_assert_ptr_null(strstr(body, "\x1b"));
			ck_assert_ptr_null(strstr(body, "\xff"));
			free(body);
		}
	}
	struct alert a = lost_inbound();
	a.value[ALERT_ENV_PEER] = sp(peer);
	size_t len;
	char *body = body_of(HOOK_FORMAT_SLACK, &a, &len);
	ck_assert_str_eq(body,
	                 "{\"text\":\"TLS lost inbound from mx\\\"},{\\\\\\\"x  [31m\xef\xbf\xbd"
	                 "\xef\xbf\xbd.example [192.0.2.1] on esa1: no TLS now; TLSv1.3 on "
	                 "2026-11-27T12:00:00\"}\n");
	free(body);
	body = body_of(HOOK_FORMAT_ALERTMANAGER, &a, &len);
	ck_assert_ptr_nonnull(strstr(body, "\"peer\":\"mx\\\"},{\\\\\\\"x\\n\\u001b[31m\xef\xbf\xbd"
	                                   "\xef\xbf\xbd.example\"}"));
	free(body);
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
	tcase_add_test(tc, test_downgrade_sentences);
	tcase_add_test(tc, test_downgrade_record_slack_teams);
	tcase_add_test(tc, test_downgrade_alertmanager);
	tcase_add_test(tc, test_downgrade_pagerduty);
	tcase_add_test(tc, test_downgrade_hostile_peer);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(hook_format_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
