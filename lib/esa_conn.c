/* ESA connection lines (esa-log-reference.md sections 3 and 4): the "New SMTP ICID|DCID" opens,
 * the "ICID|DCID n ..." lines (policy, TLS outcome, ends, notes), "Connection Error:" and the
 * SMTP and delivery-client notes that name a connection. esa.c picks which of these reads a
 * line, by its first token. */
#include "esa_int.h"

#include <string.h>

#define ESA_PORT_MAX 65535ULL

/* ---- Inbound and outbound opens (sections 3 and 4, "open") ---- */

/* "(23.90.98.53)" after an interface name; a parenthesised word is part of the name. */
static int is_ip_group(struct span t)
{
	size_t i;
	if (t.len < 3 || t.p[0] != '(' || t.p[t.len - 1] != ')')
		return 0;
	for (i = 1; i + 1 < t.len; i++) {
		unsigned char ch = (unsigned char)t.p[i];
		int hex =
		    (ch >= '0' && ch <= '9') || (ascii_lower(ch) >= 'a' && ascii_lower(ch) <= 'f');
		if (!hex && ch != '.' && ch != ':')
			return 0;
	}
	return 1;
}

/* Interface names contain spaces ("Data 1"): the name runs up to the "(IP)" group, or up to
 * "address" in pre-3.8 opens that carry no group ("interface private address ..."). */
static void parse_interface_name(struct cursor *c, struct esa_event *ev)
{
	const char *start = NULL, *end = NULL;
	for (;;) {
		size_t save = c->pos;
		struct span t = next_token(c);
		if (t.len == 0)
			break;
		if (TOK_IS(t, "address")) {
			c->pos = save;
			break;
		}
		if (is_ip_group(t)) {
			ev->local_ip = span_make(t.p + 1, t.len - 2);
			break;
		}
		if (start == NULL)
			start = t.p;
		end = t.p + t.len;
	}
	if (start != NULL)
		ev->interface = span_between(start, end);
}

/* Where " verified yes|no" ends the line, the position of its leading space (else len) and the
 * flag it gives. Matching from the end keeps a hostile reverse name, which may contain spaces
 * and even the words "verified yes", whole. */
static size_t verified_suffix(const struct cursor *c, int *verified)
{
	static const struct {
		const char *text;
		size_t len;
		int flag;
	} suffix[] = {{" verified yes", 13, 1}, {" verified no", 12, 0}};
	for (size_t i = 0; i < sizeof(suffix) / sizeof(*suffix); i++) {
		size_t n = suffix[i].len;
		if (c->len >= n && tok_eq(span_make(c->s + c->len - n, n), suffix[i].text, n)) {
			*verified = suffix[i].flag;
			return c->len - n;
		}
	}
	return c->len;
}

/* "reverse dns host NAME verified yes|no": NAME may follow two spaces, may be empty (then the
 * "verified" keyword must not be taken for it), and runs to the " verified" that ends the line. */
static void parse_rdns(struct cursor *c, struct esa_event *ev)
{
	int verified = -1;
	if (!EXPECT(c, "dns") || !EXPECT(c, "host"))
		return;
	skip_spaces(c);
	size_t end = verified_suffix(c, &verified);
	if (verified < 0) {
		/* No " verified" ending (a cut line): keep one token. */
		struct span t = next_token(c);
		if (t.len)
			ev->peer_rdns = t;
		return;
	}
	if (end > c->pos) {
		struct span name = span_make(c->s + c->pos, end - c->pos);
		while (name.len > 0 && name.p[name.len - 1] == ' ')
			name.len--;
		if (name.len)
			ev->peer_rdns = name;
		c->pos = end;
	}
	/* The loop in esa_parse_open then reads "verified yes|no" itself. */
}

/* A line cut right after "port" keeps the open; a port that is there must be readable. */
static int parse_port(struct cursor *c, uint32_t *port)
{
	unsigned long long v;
	struct span t = next_token(c);
	if (t.len == 0)
		return 0;
	if (span_to_u64(t, ESA_PORT_MAX, &v) != 0)
		return -1;
	*port = (uint32_t)v;
	return 0;
}

/* New SMTP ICID n interface NAME (IP) address IP reverse dns host NAME verified yes|no
 * New SMTP DCID n interface IP address IP port N  (no "port" before 4.6) */
int esa_parse_open(struct cursor *c, struct esa_event *ev)
{
	struct span t;
	if (!EXPECT(c, "SMTP"))
		return 0;
	t = next_token(c);
	if (TOK_IS(t, "ICID"))
		ev->dir = ESA_DIR_IN;
	else if (TOK_IS(t, "DCID"))
		ev->dir = ESA_DIR_OUT;
	else
		return 0;
	if (read_id(c, &ev->conn_id) != 0)
		return 0;
	while ((t = next_token(c)).len != 0) {
		if (TOK_IS(t, "interface")) {
			if (ev->dir == ESA_DIR_IN)
				parse_interface_name(c, ev);
			else
				ev->local_ip = value_token(c);
		} else if (TOK_IS(t, "address")) {
			ev->peer_ip = value_token(c);
		} else if (TOK_IS(t, "reverse")) {
			parse_rdns(c, ev);
		} else if (TOK_IS(t, "verified")) {
			t = next_token(c);
			if (TOK_IS(t, "yes"))
				ev->rdns_verified = 1;
			else if (TOK_IS(t, "no"))
				ev->rdns_verified = 0;
		} else if (TOK_IS(t, "port")) {
			if (parse_port(c, &ev->peer_port) != 0)
				return 0;
		}
	}
	ev->kind = ESA_CONN_OPEN;
	return 1;
}

/* ---- Lines that start with "ICID n" or "DCID n" ---- */

static int conn_note(const struct cursor *c, const char *from, enum esa_dir dir, uint64_t id,
                     struct esa_event *ev)
{
	event_reset(ev);
	ev->kind = ESA_CONN_NOTE;
	ev->dir = dir;
	ev->conn_id = id;
	ev->reason = rest_from(c, from);
	return 1;
}

/* "SBRS 3.4 country United States"; the score may be several words ("not enabled", "unable to
 * retrieve"), so it runs up to "country" or the end. */
static void parse_sbrs(struct cursor *c, struct esa_event *ev)
{
	const char *start, *end;
	struct span t;
	skip_spaces(c);
	start = end = c->s + c->pos;
	while ((t = next_token(c)).len != 0) {
		if (TOK_IS(t, "country")) {
			ev->country = rest_or_none(c);
			break;
		}
		end = t.p + t.len;
	}
	if (end > start)
		ev->sbrs = span_between(start, end);
}

/* Policy words are upper case (ACCEPT, REJECT, RELAY, TCPREFUSE, CONTINUE, ...), which tells
 * them apart from verbs such as "Delayed HAT REJECT ...". */
static int is_policy_word(struct span t)
{
	size_t i;
	if (t.len == 0 || t.p[0] < 'A' || t.p[0] > 'Z')
		return 0;
	for (i = 1; i < t.len; i++) {
		char ch = t.p[i];
		if (!(ch >= 'A' && ch <= 'Z') && !(ch >= '0' && ch <= '9') && ch != '_')
			return 0;
	}
	return 1;
}

/* ICID n WORD SG GROUP [match TEXT] SBRS SCORE [country NAME]; "match" text may be empty or
 * missing (fixed in 4.5), so everything up to the "SBRS" token is skipped. */
static int parse_policy(struct cursor *c, struct span word, struct esa_event *ev)
{
	struct span t;
	size_t save = c->pos;
	if (!EXPECT(c, "SG")) {
		c->pos = save;
		return 0;
	}
	ev->policy = word;
	save = c->pos;
	t = next_token(c);
	if (TOK_IS(t, "SBRS"))
		c->pos = save; /* no group name at all: "ACCEPT SG  SBRS None" */
	else if (t.len != 0)
		ev->sender_group = t;
	while ((t = next_token(c)).len != 0)
		if (TOK_IS(t, "SBRS")) {
			parse_sbrs(c, ev);
			break;
		}
	ev->kind = ESA_POLICY;
	return 1;
}

/* After "TLS success": [protocol P] [cipher C] [CN: <x> | CN: x | CN=x] [for DOMAIN]. */
static struct span cn_after_colon(struct cursor *c)
{
	const char *open, *close;
	skip_spaces(c);
	if (c->pos >= c->len || c->s[c->pos] != '<')
		return value_token(c);
	open = c->s + c->pos + 1;
	close = memchr(open, '>', c->len - c->pos - 1);
	if (close == NULL) {
		close = c->s + c->len; /* truncated line: keep what arrived */
		seek_to(c, close);
	} else {
		seek_to(c, close + 1);
	}
	return close > open ? span_between(open, close) : span_none();
}

/* "CN=Messaging Gateway Appliance Demo Cert for example.com": the name may hold spaces. */
static struct span cn_after_equals(struct cursor *c, struct span tok)
{
	const char *start = tok.p + 3, *end = tok.p + tok.len;
	for (;;) {
		size_t save = c->pos;
		struct span t = next_token(c);
		if (t.len == 0)
			break;
		if (TOK_IS(t, "for")) {
			c->pos = save;
			break;
		}
		end = t.p + t.len;
	}
	return end > start ? span_between(start, end) : span_none();
}

static void parse_tls_details(struct cursor *c, struct esa_event *ev)
{
	struct span t;
	while ((t = next_token(c)).len != 0) {
		if (TOK_IS(t, "protocol")) {
			ev->tls_protocol = value_token(c);
		} else if (TOK_IS(t, "cipher")) {
			ev->tls_cipher = value_token(c);
		} else if (TOK_IS(t, "for")) {
			ev->tls_domain = value_token(c);
		} else if (TOK_STARTS(t, "CN:")) {
			seek_to(c, t.p + 3);
			ev->tls_cn = cn_after_colon(c);
		} else if (TOK_STARTS(t, "CN=")) {
			ev->tls_cn = cn_after_equals(c, t);
		}
	}
}

/* After "TLS": success | failed[: why] | was required but ... */
static int parse_tls(struct cursor *c, const char *tls, struct esa_event *ev)
{
	struct span t = next_token(c);
	if (TOK_IS(t, "success")) {
		ev->kind = ESA_TLS_OK;
		parse_tls_details(c, ev);
		return 1;
	}
	if (TOK_STARTS(t, "failed") && (t.len == 6 || t.p[6] == ':')) {
		seek_to(c, t.p + 6);
		skip_spaces(c);
		if (c->pos < c->len && c->s[c->pos] == ':')
			c->pos++;
		skip_spaces(c);
		/* A bare "TLS failed" still reports a (present, empty) reason. */
		ev->reason = rest_from(c, c->s + c->pos);
		ev->kind = ESA_TLS_FAIL;
		return 1;
	}
	if (TOK_IS(t, "was") && EXPECT(c, "required")) {
		ev->reason = rest_from(c, tls);
		ev->kind = ESA_TLS_REQUIRED;
		return 1;
	}
	return 0;
}

/* "DCID 123 STARTTLS command not supported." */
static int parse_starttls(struct cursor *c, const char *starttls, struct esa_event *ev)
{
	struct span t;
	if (!EXPECT(c, "command") || !EXPECT(c, "not"))
		return 0;
	t = next_token(c);
	if (!TOK_IS(t, "supported") && !TOK_IS(t, "supported."))
		return 0;
	ev->reason = span_between(starttls, t.p + sizeof("supported") - 1);
	ev->kind = ESA_STARTTLS_UNSUPPORTED;
	return 1;
}

/* "DCID 2386070 IP 192.168.2.2 TLS failed: ..." (the inconsistent form of AsyncOS 4.5), also
 * with colons: "DCID: 5633 IP: 192.0.2.7 TLS failed: ...". */
static int parse_ip_prefixed(struct cursor *c, struct esa_event *ev)
{
	struct span t;
	ev->peer_ip = value_token(c);
	t = next_token(c);
	if (TOK_IS(t, "TLS"))
		return parse_tls(c, t.p, ev);
	if (TOK_IS(t, "STARTTLS"))
		return parse_starttls(c, t.p, ev);
	return 0;
}

/* "ICID 3 disconnected address 10.1.1.101, no messages injected within timeout period" */
static int parse_disconnected(struct cursor *c, struct esa_event *ev)
{
	size_t save = c->pos;
	struct span t = next_token(c);
	if (TOK_IS(t, "address")) {
		t = next_token(c);
		if (t.len && t.p[t.len - 1] == ',')
			t.len--;
		if (t.len)
			ev->peer_ip = t;
	} else {
		c->pos = save;
	}
	ev->reason = rest_or_none(c);
	ev->end = ESA_END_DISCONNECTED;
	ev->kind = ESA_CONN_END;
	return 1;
}

static int conn_end(struct esa_event *ev, enum esa_end end)
{
	ev->end = end;
	ev->kind = ESA_CONN_END;
	return 1;
}

/* Known verbs after "ICID|DCID n"; 1 when classified, 0 for a plain note, -1 for an unreadable
 * number inside a known shape. */
static int parse_conn_verb(struct cursor *c, struct span verb, struct esa_event *ev)
{
	int inbound = ev->dir == ESA_DIR_IN;
	if (TOK_IS(verb, "close"))
		return conn_end(ev, ESA_END_CLOSE);
	if (TOK_IS(verb, "lost"))
		return conn_end(ev, ESA_END_LOST);
	if (TOK_IS(verb, "disconnected"))
		return parse_disconnected(c, ev);
	if (TOK_IS(verb, "TLS"))
		return parse_tls(c, verb.p, ev);
	if (TOK_IS(verb, "IP") || TOK_IS(verb, "IP:"))
		return parse_ip_prefixed(c, ev);
	if (TOK_IS(verb, "STARTTLS"))
		return parse_starttls(c, verb.p, ev);
	if (!inbound)
		return 0;
	if (TOK_IS(verb, "MID")) {
		/* "ICID 3 MID 1 Invalid recipient address: ..." */
		if (read_id(c, &ev->mid) != 0)
			return -1;
		ev->kind = ESA_MSG_LINK;
		return 1;
	}
	if (TOK_IS(verb, "SBRS")) {
		/* "ICID 9461571 SBRS None" (3.7.3): a policy line without the policy part. */
		parse_sbrs(c, ev);
		ev->kind = ESA_POLICY;
		return 1;
	}
	if (is_policy_word(verb))
		return parse_policy(c, verb, ev);
	return 0;
}

int esa_parse_conn_line(struct cursor *c, enum esa_dir dir, struct esa_event *ev)
{
	struct span verb;
	int r;
	if (read_id(c, &ev->conn_id) != 0)
		return 0;
	ev->dir = dir;
	verb = next_token(c);
	if (verb.len == 0)
		return 0;
	r = parse_conn_verb(c, verb, ev);
	if (r < 0)
		return 0;
	if (r == 0)
		return conn_note(c, verb.p, dir, ev->conn_id, ev);
	return 1;
}

/* ---- Other connection lines ---- */

/* "Connection Error: [text] DCID[:] n [domain: D] [IP: a] [port: N] [details: X] [interface: I]
 * [reason: R]"; keys may have empty values ("interface: reason: network error"). */
static int is_error_key(struct span t)
{
	return TOK_IS(t, "domain:") || TOK_IS(t, "IP:") || TOK_IS(t, "port:") ||
	       TOK_IS(t, "details:") || TOK_IS(t, "interface:") || TOK_IS(t, "reason:");
}

static struct span error_value(struct cursor *c)
{
	size_t save = c->pos;
	struct span t = next_token(c);
	if (t.len == 0 || is_error_key(t)) {
		c->pos = save;
		return span_none();
	}
	return t;
}

/* The details text ("[Errno 0] Error", "EOF") runs up to "interface:" or the end. */
static struct span error_details(struct cursor *c)
{
	const char *start, *end;
	skip_spaces(c);
	start = end = c->s + c->pos;
	for (;;) {
		size_t save = c->pos;
		struct span t = next_token(c);
		if (t.len == 0)
			break;
		if (TOK_IS(t, "interface:")) {
			c->pos = save;
			break;
		}
		end = t.p + t.len;
	}
	return span_between(start, end);
}

static int parse_error_fields(struct cursor *c, struct esa_event *ev)
{
	struct span t, v;
	while ((t = next_token(c)).len != 0) {
		if (TOK_IS(t, "domain:")) {
			ev->tls_domain = error_value(c);
		} else if (TOK_IS(t, "IP:")) {
			ev->peer_ip = error_value(c);
		} else if (TOK_IS(t, "port:")) {
			unsigned long long port = 0;
			v = error_value(c);
			if (span_present(v) && span_to_u64(v, ESA_PORT_MAX, &port) != 0)
				return -1;
			ev->peer_port = (uint32_t)port;
		} else if (TOK_IS(t, "details:")) {
			ev->reason = error_details(c);
		} else if (TOK_IS(t, "interface:")) {
			ev->local_ip = error_value(c);
		} else if (TOK_IS(t, "reason:")) {
			break;
		}
	}
	return 0;
}

int esa_parse_connection_error(struct cursor *c, struct esa_event *ev)
{
	struct span body, t;
	if (!EXPECT(c, "Error:"))
		return 0;
	body = rest_or_none(c);
	do {
		t = next_token(c);
		if (t.len == 0)
			return 0;
	} while (!TOK_IS(t, "DCID") && !TOK_IS(t, "DCID:"));
	if (read_id(c, &ev->conn_id) != 0 || parse_error_fields(c, ev) != 0)
		return 0;
	if (!span_present(ev->reason))
		ev->reason = body;
	ev->dir = ESA_DIR_OUT;
	ev->kind = ESA_CONN_ERROR;
	return 1;
}

/* "SMTP server connection killed ICID: 629531", "SMTP client connection killed DCID: n" and
 * "SMTP Auth[:] (ICID 30) was required but ..." (an auth note, not a TLS outcome). */
int esa_parse_smtp(struct cursor *c, struct span smtp, struct esa_event *ev)
{
	struct span t = next_token(c);
	if (TOK_IS(t, "server") || TOK_IS(t, "client")) {
		if (!EXPECT(c, "connection"))
			return 0;
		t = next_token(c);
		if (!TOK_IS(t, "killed"))
			return 0;
		ev->reason = span_between(smtp.p, t.p + t.len);
		t = next_token(c);
		if (TOK_IS(t, "ICID:") || TOK_IS(t, "ICID"))
			ev->dir = ESA_DIR_IN;
		else if (TOK_IS(t, "DCID:") || TOK_IS(t, "DCID"))
			ev->dir = ESA_DIR_OUT;
		else
			return 0;
		if (read_id(c, &ev->conn_id) != 0)
			return 0;
	} else if (TOK_IS(t, "Auth") || TOK_IS(t, "Auth:")) {
		if (!EXPECT(c, "(ICID"))
			return 0;
		t = next_token(c);
		if (t.len < 2 || t.p[t.len - 1] != ')')
			return 0;
		t.len--;
		if (token_to_id(t, &ev->conn_id) != 0)
			return 0;
		ev->dir = ESA_DIR_IN;
		ev->reason = rest_or_none(c);
	} else {
		return 0;
	}
	ev->kind = ESA_CONN_NOTE;
	return 1;
}

/* "Mail delivery client with DCID 8163315 exited due to the maximum concurrency ..." */
int esa_parse_mail(struct cursor *c, struct esa_event *ev)
{
	if (!EXPECT(c, "delivery") || !EXPECT(c, "client") || !EXPECT(c, "with") ||
	    !EXPECT(c, "DCID") || read_id(c, &ev->conn_id) != 0)
		return 0;
	ev->dir = ESA_DIR_OUT;
	ev->reason = rest_or_none(c);
	ev->kind = ESA_CONN_NOTE;
	return 1;
}
