#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hook_format.h"
#include "verdict.h"

#define SENTENCE_MAX 1024  /* PagerDuty's limit of payload.summary, and plenty for a chat */
#define DEDUP_HOST_MAX 160 /* keeps PagerDuty's dedup_key under its 255 characters */
#define TEAMS_SCHEMA "http://adaptivecards.io/schemas/adaptive-card.json"

/* A growing body; after a failed allocation every append is a no-op and `failed` says so. */
struct body {
	char *p;
	size_t len, cap;
	int failed;
};

static int body_reserve(struct body *b, size_t more)
{
	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put_raw(struct body *b, const char *s, size_t n)
{
	if (body_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put(struct body *b, const char *s)
{
	put_raw(b, s, strlen(s));
}

/* s as a JSON string: six bytes per input byte is the most an escape takes. */
static void put_json(struct body *b, struct span s)
{
	if (s.p == NULL)
		s = span_make("", 0);
	if (body_reserve(b, 6 * s.len + 3) != 0)
		return;
	size_t n = verdict_json_string(s, b->p + b->len, b->cap - b->len - 1);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_json_cstr(struct body *b, const char *s)
{
	put_json(b, span_make(s, strlen(s)));
}

/* "key":"value" (with a comma before unless first). */
static void put_field(struct body *b, int *first, const char *key, struct span value)
{
	if (!*first)
		put(b, ",");
	*first = 0;
	put_json_cstr(b, key);
	put(b, ":");
	put_json(b, value);
}

static struct span value(const struct alert *a, enum alert_env i)
{
	return a->value[i].p != NULL ? a->value[i] : span_make("", 0);
}

static int present(const struct alert *a, enum alert_env i)
{
	return a->value[i].len > 0;
}

static int is(const struct alert *a, enum alert_env i, const char *word)
{
	struct span v = value(a, i);
	return v.len == strlen(word) && memcmp(v.p, word, v.len) == 0;
}

/* The record's line without its final newline: a JSON object. */
static struct span record_object(const struct alert *a)
{
	size_t len = a->len;
	while (len > 0 && (a->json[len - 1] == '\n' || a->json[len - 1] == '\r'))
		len--;
	return span_make(a->json, len);
}

/* ---- the sentence ---- */

static void cat(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static void cat_str(char *buf, size_t size, size_t *len, const char *s)
{
	cat(buf, size, len, s, strlen(s));
}

static void cat_span(char *buf, size_t size, size_t *len, struct span s)
{
	cat(buf, size, len, s.p != NULL ? s.p : "", s.len);
}

/* What each verdict is called in a sentence, in Alertmanager's alertname and as PagerDuty's
 * severity; the last entry is for anything else. */
static const struct verdict_words {
	const char *verdict, *phrase, *alertname, *severity;
} verdict_words[] = {
    {"tls_failed", "TLS failed", "EsaTlsFailed", "error"},
    {"no_tls", "No TLS", "EsaNoTls", "warning"},
    {"tls", "TLS", "EsaTls", "info"},
    {NULL, "TLS unknown", "EsaTlsUnknown", "warning"},
};

/* The same for feed records, by state ("verdict" holds the state). */
static const struct verdict_words feed_words[] = {
    {"silent", "sends no log lines", "EsaFeedSilent", "error"},
    {"missing", "was expected but has sent nothing", "EsaFeedMissing", "error"},
    {"unrecognised", "sends lines not recognised as ESA mail_logs", "EsaFeedUnrecognised",
     "warning"},
    {"resumed", "sends log lines again", "EsaFeedResumed", "info"},
    {NULL, "sends ESA mail_logs", "EsaFeedRecognised", "info"},
};

static int is_feed(const struct alert *a)
{
	return is(a, ALERT_ENV_TYPE, "feed");
}

static int is_message(const struct alert *a)
{
	return is(a, ALERT_ENV_TYPE, "message");
}

static int is_downgrade(const struct alert *a)
{
	return is(a, ALERT_ENV_TYPE, "downgrade");
}

/* What a message's end-to-end verdict says of its way, by verdict. */
static const char *message_phrase(const struct alert *a)
{
	if (is(a, ALERT_ENV_VERDICT, "tls"))
		return " travelled under TLS end to end";
	if (is(a, ALERT_ENV_VERDICT, "tls_failed"))
		return ": TLS failed on its way";
	if (is(a, ALERT_ENV_VERDICT, "no_tls"))
		return " travelled without TLS on part of its way";
	return ": TLS unknown on part of its way";
}

/* "Message 4 on esa1: TLS failed on its way". */
static void message_sentence(const struct alert *a, char *buf, size_t size, size_t *len)
{
	cat_str(buf, size, len, "Message ");
	cat_span(buf, size, len, value(a, ALERT_ENV_CONN_ID));
	if (present(a, ALERT_ENV_HOST)) {
		cat_str(buf, size, len, " on ");
		cat_span(buf, size, len, value(a, ALERT_ENV_HOST));
	}
	cat_str(buf, size, len, message_phrase(a));
}

static const struct verdict_words *words_of(const struct alert *a)
{
	int feed = is_feed(a);
	const struct verdict_words *w = feed ? feed_words : verdict_words;
	while (w->verdict != NULL &&
	       !is(a, feed ? ALERT_ENV_FEED_STATE : ALERT_ENV_VERDICT, w->verdict))
		w++;
	return w;
}

/* "Appliance esa1 sends no log lines". */
static void feed_sentence(const struct alert *a, char *buf, size_t size, size_t *len)
{
	cat_str(buf, size, len, "Appliance ");
	cat_span(buf, size, len, value(a, ALERT_ENV_HOST));
	cat_str(buf, size, len, " ");
	cat_str(buf, size, len, words_of(a)->phrase);
}

/* " inbound from NAME [IP] on esa1": the peer by name (its reverse DNS for a connection, its
 * posture key for a downgrade) and its address when the name is not the address. */
static void peer_phrase(const struct alert *a, enum alert_env name_field, char *buf, size_t size,
                        size_t *len)
{
	cat_str(buf, size, len,
	        is(a, ALERT_ENV_DIRECTION, "outbound") ? " outbound to " : " inbound from ");
	struct span name = value(a, name_field), ip = value(a, ALERT_ENV_PEER_IP);
	/* "unknown" is what the ESA logs for a peer without reverse DNS. */
	int named = name.len > 0 && !is(a, name_field, "unknown") &&
	            !(name.len == ip.len && memcmp(name.p, ip.p, ip.len) == 0);
	if (named)
		cat_span(buf, size, len, name);
	if (ip.len > 0) {
		cat_str(buf, size, len, named ? " [" : "");
		cat_span(buf, size, len, ip);
		cat_str(buf, size, len, named ? "]" : "");
	} else if (!named) {
		cat_str(buf, size, len, "an unknown host");
	}
	if (present(a, ALERT_ENV_HOST)) {
		cat_str(buf, size, len, " on ");
		cat_span(buf, size, len, value(a, ALERT_ENV_HOST));
	}
}

/* "TLS failed inbound from mx.example.org [192.0.2.1] on esa1: REASON". */
static void connection_sentence(const struct alert *a, char *buf, size_t size, size_t *len)
{
	cat_str(buf, size, len, words_of(a)->phrase);
	peer_phrase(a, ALERT_ENV_PEER_RDNS, buf, size, len);
	if (present(a, ALERT_ENV_TLS_ERROR)) {
		cat_str(buf, size, len, ": ");
		cat_span(buf, size, len, value(a, ALERT_ENV_TLS_ERROR));
	}
}

/* What the peer had before: "; TLSv1.3 on 2026-11-27T12:00:00" ("; TLSv1.3 before" without
 * its time, "; TLS on ..." without its protocol, nothing without either). */
static void downgrade_before(const struct alert *a, char *buf, size_t size, size_t *len)
{
	int proto = present(a, ALERT_ENV_LAST_TLS_PROTOCOL), when = present(a, ALERT_ENV_LAST_TLS);
	if (!proto && !when)
		return;
	cat_str(buf, size, len, "; ");
	if (proto)
		cat_span(buf, size, len, value(a, ALERT_ENV_LAST_TLS_PROTOCOL));
	else
		cat_str(buf, size, len, "TLS");
	if (when) {
		cat_str(buf, size, len, " on ");
		cat_span(buf, size, len, value(a, ALERT_ENV_LAST_TLS));
	} else {
		cat_str(buf, size, len, " before");
	}
}

/* "TLS lost inbound from mx.example.org [192.0.2.1] on esa1: no TLS now; TLSv1.3 on ...",
 * "TLS protocol dropped ...: TLSv1.2 now; TLSv1.3 on ...", "TLS restored ... (TLSv1.3)". */
static void downgrade_sentence(const struct alert *a, char *buf, size_t size, size_t *len)
{
	int lost = is(a, ALERT_ENV_DOWNGRADE, "tls_lost");
	int restored = is(a, ALERT_ENV_DOWNGRADE, "restored");
	cat_str(buf, size, len,
	        lost       ? "TLS lost"
	        : restored ? "TLS restored"
	                   : "TLS protocol dropped");
	peer_phrase(a, ALERT_ENV_PEER, buf, size, len);
	if (restored) {
		if (present(a, ALERT_ENV_TLS_PROTOCOL)) {
			cat_str(buf, size, len, " (");
			cat_span(buf, size, len, value(a, ALERT_ENV_TLS_PROTOCOL));
			cat_str(buf, size, len, ")");
		}
		return;
	}
	cat_str(buf, size, len, ": ");
	if (!lost && present(a, ALERT_ENV_TLS_PROTOCOL))
		cat_span(buf, size, len, value(a, ALERT_ENV_TLS_PROTOCOL));
	else if (!lost)
		cat_str(buf, size, len, "TLS");
	else if (is(a, ALERT_ENV_VERDICT, "tls_failed"))
		cat_str(buf, size, len, "TLS failed");
	else
		cat_str(buf, size, len, "no TLS");
	cat_str(buf, size, len, " now");
	if (lost && present(a, ALERT_ENV_TLS_ERROR)) {
		cat_str(buf, size, len, " (");
		cat_span(buf, size, len, value(a, ALERT_ENV_TLS_ERROR));
		cat_str(buf, size, len, ")");
	}
	downgrade_before(a, buf, size, len);
}

size_t hook_format_sentence(const struct alert *a, char *buf, size_t size)
{
	size_t len = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (is_feed(a))
		feed_sentence(a, buf, size, &len);
	else if (is_downgrade(a))
		downgrade_sentence(a, buf, size, &len);
	else if (is_message(a))
		message_sentence(a, buf, size, &len);
	else
		connection_sentence(a, buf, size, &len);
	if (present(a, ALERT_ENV_SUPPRESSED) && !is(a, ALERT_ENV_SUPPRESSED, "0")) {
		cat_str(buf, size, &len, " (");
		cat_span(buf, size, &len, value(a, ALERT_ENV_SUPPRESSED));
		cat_str(buf, size, &len, " more held back by the throttle)");
	}
	/* Control bytes (a hostile reverse DNS name can hold any) would break a chat line. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	return len;
}

static struct span sentence(const struct alert *a, char buf[SENTENCE_MAX + 1])
{
	return span_make(buf, hook_format_sentence(a, buf, SENTENCE_MAX + 1));
}

/* ---- the formats ---- */

static void format_record(struct body *b, const struct hook_format_input *in)
{
	put_raw(b, in->a->json, in->a->len);
}

/* Slack incoming webhooks: {"text": ...}. Slack reads &, < and > as markup ("<!channel>"
 * notifies everyone), so those three are escaped as its documentation asks. */
static void format_slack(struct body *b, const struct hook_format_input *in)
{
	char s[SENTENCE_MAX + 1], escaped[5 * SENTENCE_MAX + 1];
	size_t n = hook_format_sentence(in->a, s, sizeof(s)), w = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '&'   ? "&amp;"
		                  : s[i] == '<' ? "&lt;"
		                  : s[i] == '>' ? "&gt;"
		                                : NULL;
		if (rep != NULL) {
			memcpy(escaped + w, rep, strlen(rep));
			w += strlen(rep);
		} else {
			escaped[w++] = s[i];
		}
	}
	put(b, "{\"text\":");
	put_json(b, span_make(escaped, w));
	put(b, "}\n");
}

/* A name for one of the alert's values: a Teams fact's title, an Alertmanager label's or
 * annotation's name. */
struct named_value {
	const char *name;
	enum alert_env field;
};

#define COUNT_OF(t) (sizeof(t) / sizeof((t)[0]))

static const struct named_value teams_facts[] = {
    {"Appliance", ALERT_ENV_HOST},        {"Direction", ALERT_ENV_DIRECTION},
    {"Peer", ALERT_ENV_PEER_IP},          {"Reverse DNS", ALERT_ENV_PEER_RDNS},
    {"Connection", ALERT_ENV_CONN_ID},    {"TLS error", ALERT_ENV_TLS_ERROR},
    {"First seen", ALERT_ENV_FIRST_SEEN}, {"Verdict", ALERT_ENV_VERDICT},
};

static const struct named_value teams_downgrade_facts[] = {
    {"Appliance", ALERT_ENV_HOST},
    {"Direction", ALERT_ENV_DIRECTION},
    {"Peer", ALERT_ENV_PEER},
    {"Address", ALERT_ENV_PEER_IP},
    {"Reverse DNS", ALERT_ENV_PEER_RDNS},
    {"Downgrade", ALERT_ENV_DOWNGRADE},
    {"Verdict", ALERT_ENV_VERDICT},
    {"TLS error", ALERT_ENV_TLS_ERROR},
    {"Protocol", ALERT_ENV_TLS_PROTOCOL},
    {"Last TLS", ALERT_ENV_LAST_TLS},
    {"Last protocol", ALERT_ENV_LAST_TLS_PROTOCOL},
    {"Connection", ALERT_ENV_CONN_ID},
    {"First seen", ALERT_ENV_FIRST_SEEN},
};

/* The Teams facts of the values present: {"title":...,"value":...}, comma-separated. */
static void teams_facts_of(struct body *b, const struct alert *a, const struct named_value *t,
                           size_t n)
{
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		if (!present(a, t[i].field))
			continue;
		put(b, first ? "{" : ",{");
		first = 0;
		int f = 1;
		put_field(b, &f, "title", span_make(t[i].name, strlen(t[i].name)));
		put_field(b, &f, "value", value(a, t[i].field));
		put(b, "}");
	}
}

/* "name":"value" for each value present, after a comma unless *first. */
static void put_present_fields(struct body *b, int *first, const struct alert *a,
                               const struct named_value *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (present(a, t[i].field))
			put_field(b, first, t[i].name, value(a, t[i].field));
}

/* Microsoft Teams: a message with one Adaptive Card (1.4), the form that Teams' Workflows
 * ("when a Teams webhook request is received") and incoming webhooks both take. */
static void format_teams(struct body *b, const struct hook_format_input *in)
{
	const struct alert *a = in->a;
	char s[SENTENCE_MAX + 1];
	put(b, "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
	       "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{"
	       "\"$schema\":\"" TEAMS_SCHEMA "\",\"type\":\"AdaptiveCard\",\"version\":\"1.4\","
	       "\"body\":[{\"type\":\"TextBlock\",\"wrap\":true,\"weight\":\"Bolder\",\"text\":");
	put_json(b, sentence(a, s));
	put(b, "},{\"type\":\"FactSet\",\"facts\":[");
	if (is_downgrade(a))
		teams_facts_of(b, a, teams_downgrade_facts, COUNT_OF(teams_downgrade_facts));
	else
		teams_facts_of(b, a, teams_facts, COUNT_OF(teams_facts));
	put(b, "]}]}}]}\n");
}

static const struct named_value am_labels[] = {{"appliance", ALERT_ENV_HOST},
                                               {"direction", ALERT_ENV_DIRECTION},
                                               {"peer_ip", ALERT_ENV_PEER_IP},
                                               {"verdict", ALERT_ENV_VERDICT}};
static const struct named_value am_notes[] = {{"tls_error", ALERT_ENV_TLS_ERROR},
                                              {"peer_rdns", ALERT_ENV_PEER_RDNS},
                                              {"conn_id", ALERT_ENV_CONN_ID},
                                              {"first_seen", ALERT_ENV_FIRST_SEEN},
                                              {"suppressed", ALERT_ENV_SUPPRESSED}};
/* A downgrade is one alert per peer and direction, whatever appliance saw it: its restored
 * record must carry the very same labels to resolve it, so the rest are annotations. */
static const struct named_value am_downgrade_labels[] = {{"direction", ALERT_ENV_DIRECTION},
                                                         {"peer", ALERT_ENV_PEER}};
static const struct named_value am_downgrade_notes[] = {
    {"kind", ALERT_ENV_DOWNGRADE},
    {"appliance", ALERT_ENV_HOST},
    {"verdict", ALERT_ENV_VERDICT},
    {"peer_ip", ALERT_ENV_PEER_IP},
    {"peer_rdns", ALERT_ENV_PEER_RDNS},
    {"tls_error", ALERT_ENV_TLS_ERROR},
    {"tls_protocol", ALERT_ENV_TLS_PROTOCOL},
    {"last_tls", ALERT_ENV_LAST_TLS},
    {"last_tls_protocol", ALERT_ENV_LAST_TLS_PROTOCOL},
    {"conn_id", ALERT_ENV_CONN_ID},
    {"first_seen", ALERT_ENV_FIRST_SEEN},
    {"suppressed", ALERT_ENV_SUPPRESSED}};

#define DOWNGRADE_FIRING_S (30 * 86400)

/* "YYYY-MM-DDTHH:MM:SSZ" of t (seconds since the epoch) into buf[32]. */
static void iso_utc(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

/* Prometheus Alertmanager, POST /api/v2/alerts: a list of postable alerts. Labels identify the
 * alert (an empty value would be no label, so absent ones are left out). A connection's alert is
 * one event: endsAt is left to Alertmanager's resolve_timeout. A downgrade is a state, posted
 * once: it fires until its peer's restored ends it with endsAt now (an alert whose endsAt is
 * past is resolved), or at most DOWNGRADE_FIRING_S, the default posture window. */
static void format_alertmanager(struct body *b, const struct hook_format_input *in)
{
	const struct alert *a = in->a;
	int downgrade = is_downgrade(a);
	char s[SENTENCE_MAX + 1], when[32], until[32];
	iso_utc(in->now, when);
	put(b, "[{\"labels\":{\"alertname\":");
	put_json_cstr(b, downgrade ? "EsaTlsDowngrade" : words_of(a)->alertname);
	int first = 0;
	if (downgrade)
		put_present_fields(b, &first, a, am_downgrade_labels,
		                   COUNT_OF(am_downgrade_labels));
	else
		put_present_fields(b, &first, a, am_labels, COUNT_OF(am_labels));
	put(b, "},\"annotations\":{");
	first = 1;
	put_field(b, &first, "summary", sentence(a, s));
	if (downgrade)
		put_present_fields(b, &first, a, am_downgrade_notes, COUNT_OF(am_downgrade_notes));
	else
		put_present_fields(b, &first, a, am_notes, COUNT_OF(am_notes));
	put(b, "},\"startsAt\":");
	put_json_cstr(b, when);
	if (downgrade) {
		int restored = is(a, ALERT_ENV_DOWNGRADE, "restored");
		iso_utc(restored ? in->now : in->now + DOWNGRADE_FIRING_S, until);
		put(b, ",\"endsAt\":");
		put_json_cstr(b, until);
	}
	put(b, "}]\n");
}

/* One key per connection, so that a repeated alert of the same connection (a retry that did
 * arrive) opens no second incident: appliance, direction, ID and its first line's time. */
static void pagerduty_dedup_key(const struct alert *a, struct body *key)
{
	struct span host = value(a, ALERT_ENV_HOST);
	if (host.len > DEDUP_HOST_MAX)
		host.len = DEDUP_HOST_MAX;
	put(key, "esatlsd/");
	if (is_downgrade(a)) { /* one incident per peer and direction: "restored" resolves it */
		struct span peer = value(a, ALERT_ENV_PEER);
		if (peer.len > DEDUP_HOST_MAX)
			peer.len = DEDUP_HOST_MAX;
		put(key, is(a, ALERT_ENV_DIRECTION, "outbound") ? "downgrade/outbound/"
		                                                : "downgrade/inbound/");
		put_raw(key, peer.p, peer.len);
		return;
	}
	put_raw(key, host.p != NULL ? host.p : "", host.len);
	if (is_feed(a)) { /* one incident per appliance's feed: "resumed" resolves it */
		put(key, "/feed");
		return;
	}
	if (is_message(a)) {
		put(key, "/mid/");
		put_raw(key, value(a, ALERT_ENV_CONN_ID).p, value(a, ALERT_ENV_CONN_ID).len);
		return;
	}
	put(key, is(a, ALERT_ENV_DIRECTION, "outbound") ? "/dcid/" : "/icid/");
	put_raw(key, value(a, ALERT_ENV_CONN_ID).p, value(a, ALERT_ENV_CONN_ID).len);
	if (present(a, ALERT_ENV_FIRST_SEEN)) {
		put(key, "/");
		put_raw(key, value(a, ALERT_ENV_FIRST_SEEN).p, value(a, ALERT_ENV_FIRST_SEEN).len);
	}
}

/* A downgrade's severity: a peer whose TLS now fails is an error; one now in the clear, or on an
 * older protocol, a warning. */
static const char *pagerduty_severity(const struct alert *a)
{
	if (!is_downgrade(a))
		return words_of(a)->severity;
	if (is(a, ALERT_ENV_DOWNGRADE, "restored"))
		return "info";
	if (is(a, ALERT_ENV_DOWNGRADE, "tls_lost") && is(a, ALERT_ENV_VERDICT, "tls_failed"))
		return "error";
	return "warning";
}

/* PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue): a trigger event with
 * the record itself as custom_details. */
static void format_pagerduty(struct body *b, const struct hook_format_input *in)
{
	const struct alert *a = in->a;
	char s[SENTENCE_MAX + 1];
	struct body key = {0};
	pagerduty_dedup_key(a, &key);
	if (key.failed) {
		b->failed = 1;
		free(key.p);
		return;
	}
	put(b, "{\"routing_key\":");
	put_json_cstr(b, in->routing_key != NULL ? in->routing_key : "");
	/* A feed that recovers closes the incident its silence opened; a peer's restored TLS, the
	 * one its downgrade opened. */
	int resolve = (is_feed(a) && (is(a, ALERT_ENV_FEED_STATE, "resumed") ||
	                              is(a, ALERT_ENV_FEED_STATE, "recognised"))) ||
	              (is_downgrade(a) && is(a, ALERT_ENV_DOWNGRADE, "restored"));
	put(b, resolve ? ",\"event_action\":\"resolve\",\"dedup_key\":"
	               : ",\"event_action\":\"trigger\",\"dedup_key\":");
	put_json(b, span_make(key.p, key.len));
	free(key.p);
	put(b, ",\"client\":\"esatlsd\",\"payload\":{");
	int first = 1;
	put_field(b, &first, "summary", sentence(a, s));
	put_field(b, &first, "source",
	          present(a, ALERT_ENV_HOST) ? value(a, ALERT_ENV_HOST) : span_make("esatlsd", 7));
	put(b, ",\"severity\":");
	put_json_cstr(b, pagerduty_severity(a));
	put_field(b, &first, "component",
	          is_feed(a) ? span_make("syslog-feed", 11) : span_make("smtp-tls", 8));
	put_field(b, &first, "group", value(a, ALERT_ENV_DIRECTION));
	put_field(b, &first, "class",
	          value(a, is_feed(a)        ? ALERT_ENV_FEED_STATE
	                   : is_downgrade(a) ? ALERT_ENV_DOWNGRADE
	                                     : ALERT_ENV_VERDICT));
	put(b, ",\"custom_details\":");
	struct span rec = record_object(a);
	put_raw(b, rec.p, rec.len);
	put(b, "}}\n");
}

static const struct {
	const char *name;
	void (*format)(struct body *b, const struct hook_format_input *in);
} formats[HOOK_FORMAT_COUNT] = {
    [HOOK_FORMAT_RECORD] = {"record", format_record},
    [HOOK_FORMAT_SLACK] = {"slack", format_slack},
    [HOOK_FORMAT_TEAMS] = {"teams", format_teams},
    [HOOK_FORMAT_ALERTMANAGER] = {"alertmanager", format_alertmanager},
    [HOOK_FORMAT_PAGERDUTY] = {"pagerduty", format_pagerduty},
};

int hook_format_body(enum hook_format f, const struct hook_format_input *in, char **out,
                     size_t *len)
{
	struct body b = {0};
	if ((unsigned)f >= HOOK_FORMAT_COUNT)
		f = HOOK_FORMAT_RECORD;
	formats[f].format(&b, in);
	if (b.failed || b.p == NULL) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

const char *hook_format_name(enum hook_format f)
{
	return (unsigned)f < HOOK_FORMAT_COUNT ? formats[f].name : "?";
}

int hook_format_from_name(const char *name, enum hook_format *f)
{
	for (int i = 0; i < HOOK_FORMAT_COUNT; i++) {
		if (strcmp(formats[i].name, name) == 0) {
			*f = (enum hook_format)i;
			return 0;
		}
	}
	return -1;
}
