/* ESA mail_logs line classifier (esa-log-reference.md sections 3-5). The first token picks one
 * parser; each parser walks space-separated tokens with a cursor over the caller's text, so a line
 * is read once, left to right, and nothing outside [text, text + len) is ever touched. The message
 * lines are read here, the lines about a connection in esa_conn.c. */
#include "esa_int.h"

#include <string.h>

static const char *const esa_kind_names[] = {
#define ESA_KIND_NAME(name, str) [ESA_##name] = str,
    ESA_EVENT_KINDS(ESA_KIND_NAME)
#undef ESA_KIND_NAME
};

static int is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- Message lines (sections 4 and 5) ---- */

/* "Start MID 26983 ICID 824108" (also "... ICID 0 (ISQ Notification)") */
static int parse_start(struct cursor *c, struct esa_event *ev)
{
	if (!EXPECT(c, "MID") || read_id(c, &ev->mid) != 0 || !EXPECT(c, "ICID") ||
	    read_id(c, &ev->conn_id) != 0)
		return 0;
	ev->dir = ESA_DIR_IN;
	ev->kind = ESA_MSG_LINK;
	return 1;
}

static int msg_relate(struct esa_event *ev, uint64_t parent, uint64_t child)
{
	ev->mid = parent;
	ev->mid2 = child;
	ev->kind = ESA_MSG_RELATE;
	return 1;
}

/* "... generated based on MID b" / "... generated for bounce of MID b": b is the parent. */
static int parse_generated(struct cursor *c, uint64_t child, struct esa_event *ev)
{
	struct span t = next_token(c);
	uint64_t parent;
	if (TOK_IS(t, "based")) {
		if (!EXPECT(c, "on"))
			return 0;
	} else if (TOK_IS(t, "for")) {
		if (!EXPECT(c, "bounce") || !EXPECT(c, "of"))
			return 0;
	} else {
		return 0;
	}
	if (!EXPECT(c, "MID") || read_id(c, &parent) != 0)
		return 0;
	return msg_relate(ev, parent, child);
}

/* "MID 2 rewritten to 3 by antispam" (old) and "MID 1 rewritten to MID 2 by ..." */
static int parse_rewritten(struct cursor *c, uint64_t parent, struct esa_event *ev)
{
	size_t save;
	uint64_t child;
	if (!EXPECT(c, "to"))
		return 0;
	save = c->pos;
	if (!EXPECT(c, "MID"))
		c->pos = save;
	if (read_id(c, &child) != 0)
		return 0;
	return msg_relate(ev, parent, child);
}

/* The domain of "<user@domain>" (or a bare user@domain): after the last '@', up to '>'. */
static struct span address_domain(struct span addr)
{
	const char *at = memrchr(addr.p, '@', addr.len);
	if (at == NULL)
		return span_none();
	const char *d = at + 1, *end = addr.p + addr.len;
	const char *e = memchr(d, '>', (size_t)(end - d));
	if (e == NULL)
		e = end;
	return e > d ? span_between(d, e) : span_none();
}

/* After "MID m ICID n": "RID r To: <user@domain>" names a recipient (its index and domain). */
static void parse_recipient(struct cursor *c, struct esa_event *ev)
{
	unsigned long long rid;
	skip_spaces(c);
	/* Most "MID m ICID n" lines go on with "From:"; look at one byte before reading tokens. */
	if (c->pos >= c->len || ascii_lower((unsigned char)c->s[c->pos]) != 'r')
		return;
	if (!EXPECT(c, "RID") || span_to_u64(next_token(c), UINT32_MAX, &rid) != 0 ||
	    !EXPECT(c, "To:"))
		return;
	ev->rcpt_domain = address_domain(next_token(c));
	if (span_present(ev->rcpt_domain))
		ev->rid = (uint32_t)rid;
}

/* "MID m ICID n ..." links; "MID a was split creating MID b", "MID a [was] generated ...",
 * "MID a rewritten to ..." relate. Every other "MID m ..." line is unclassified. */
static int parse_mid_line(struct cursor *c, struct esa_event *ev)
{
	uint64_t mid, child;
	struct span t;
	if (read_id(c, &mid) != 0)
		return 0;
	t = next_token(c);
	if (TOK_IS(t, "ICID")) {
		if (read_id(c, &ev->conn_id) != 0)
			return 0;
		ev->mid = mid;
		ev->dir = ESA_DIR_IN;
		ev->kind = ESA_MSG_LINK;
		parse_recipient(c, ev);
		return 1;
	}
	if (TOK_IS(t, "was")) {
		t = next_token(c);
		if (TOK_IS(t, "split")) {
			if (!EXPECT(c, "creating") || !EXPECT(c, "MID") || read_id(c, &child) != 0)
				return 0;
			return msg_relate(ev, mid, child);
		}
		return TOK_IS(t, "generated") && parse_generated(c, mid, ev);
	}
	if (TOK_IS(t, "generated"))
		return parse_generated(c, mid, ev);
	if (TOK_IS(t, "rewritten"))
		return parse_rewritten(c, mid, ev);
	return 0;
}

/* "to RID [0, 1]" or the pre-4.0 "to [0]": the span is the text inside the first brackets. */
static void parse_rids(struct cursor *c, struct esa_event *ev)
{
	const char *open, *close;
	if (!EXPECT(c, "to"))
		return;
	skip_spaces(c);
	if (TOK_STARTS(span_make(c->s + c->pos, c->len - c->pos), "RID") &&
	    (c->len - c->pos == 3 || c->s[c->pos + 3] == ' ' || c->s[c->pos + 3] == '[')) {
		c->pos += 3;
		skip_spaces(c);
	}
	if (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
		/* A bounce names one bare RID: "to RID 0 - ...", pre-3.8 "to 0 - ...". */
		ev->rids = next_token(c);
		return;
	}
	if (c->pos >= c->len || c->s[c->pos] != '[')
		return;
	open = c->s + c->pos + 1;
	close = memchr(open, ']', c->len - c->pos - 1);
	if (close != NULL)
		ev->rids = span_between(open, close);
}

/* Steps over `label` and the address in angle brackets after it, with or without a space
 * between ("To: <a@b>", "To:<a@b>"); 0 if they are not next. The sender chooses the address: a
 * quoted part ("<\"x> RID 1\"@d>", backslash escapes inside) does not end it. */
static int skip_labelled_address(struct cursor *c, const char *label, size_t n)
{
	int quoted = 0;
	skip_spaces(c);
	if (!tok_starts(span_make(c->s + c->pos, c->len - c->pos), label, n))
		return 0;
	c->pos += n;
	skip_spaces(c);
	if (c->pos >= c->len || c->s[c->pos] != '<')
		return 0;
	for (c->pos++; c->pos < c->len; c->pos++) {
		char ch = c->s[c->pos];
		if (quoted && ch == '\\' && c->pos + 1 < c->len)
			c->pos++; /* the escaped byte, whatever it is */
		else if (ch == '"')
			quoted = !quoted;
		else if (ch == '>' && !quoted)
			break;
	}
	if (c->pos >= c->len)
		return 0;
	c->pos++;
	return 1;
}

/* The RID after the addresses of an outcome line: "From: <a> To: <b> RID 0 - ...". */
static void parse_addressed_rid(struct cursor *c, struct esa_event *ev)
{
	if (!skip_labelled_address(c, "From:", 5) || !skip_labelled_address(c, "To:", 3) ||
	    !EXPECT(c, "RID"))
		return;
	skip_spaces(c);
	if (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
		ev->rids = next_token(c);
}

/* "Delivery start DCID n MID m to RID [..]" and "Message done DCID n MID m to RID [..]" */
static int parse_delivery(struct cursor *c, enum esa_kind kind, struct esa_event *ev)
{
	if (!EXPECT(c, "DCID") || read_id(c, &ev->conn_id) != 0 || !EXPECT(c, "MID") ||
	    read_id(c, &ev->mid) != 0)
		return 0;
	parse_rids(c, ev);
	ev->dir = ESA_DIR_OUT;
	ev->kind = kind;
	return 1;
}

/* "Message done ...", "Message finished MID n done|aborted", "Message aborted MID n why" */
static int parse_message(struct cursor *c, struct esa_event *ev)
{
	struct span t = next_token(c);
	if (TOK_IS(t, "done"))
		return parse_delivery(c, ESA_DELIVERY_DONE, ev);
	if (TOK_IS(t, "finished")) {
		if (!EXPECT(c, "MID") || read_id(c, &ev->mid) != 0)
			return 0;
		t = next_token(c);
		if (TOK_IS(t, "done"))
			ev->finished_ok = 1;
		else if (!TOK_IS(t, "aborted"))
			return 0;
		ev->kind = ESA_MSG_FINISHED;
		return 1;
	}
	if (TOK_IS(t, "aborted")) {
		if (!EXPECT(c, "MID") || read_id(c, &ev->mid) != 0)
			return 0;
		ev->reason = rest_or_none(c);
		ev->kind = ESA_MSG_FINISHED;
		return 1;
	}
	return 0;
}

/* "Bounced: DCID 0 MID 8 to RID 0 - ...", "Delayed: DCID 8414309 MID 19410908 From: ...",
 * pre-3.8 "Bounced: DCID: 1911 Message 3993 to 0 - ..." and "Possible Delivery: DCID: n MID m". */
static int parse_outcome(struct cursor *c, enum esa_outcome outcome, struct esa_event *ev)
{
	struct span t = next_token(c);
	size_t save;
	if (!TOK_IS(t, "DCID") && !TOK_IS(t, "DCID:"))
		return 0;
	if (read_id(c, &ev->conn_id) != 0)
		return 0;
	save = c->pos;
	t = next_token(c);
	if (TOK_IS(t, "MID") || TOK_IS(t, "Message")) {
		t = next_token(c);
		if (t.len != 0 && token_to_id(t, &ev->mid) != 0)
			return 0;
		save = c->pos;
		parse_rids(c, ev);
		c->pos = save;
		if (!span_present(ev->rids)) {
			parse_addressed_rid(c, ev);
			c->pos = save;
		}
	} else {
		c->pos = save;
	}
	ev->reason = rest_or_none(c);
	ev->dir = ESA_DIR_OUT;
	ev->outcome = outcome;
	ev->kind = ESA_MSG_OUTCOME;
	return 1;
}

/* "Time offset from UTC: -21600 seconds" (native log-file header) */
static int parse_time_offset(struct cursor *c, struct esa_event *ev)
{
	struct span t;
	unsigned long long mag;
	int negative = 0;
	if (!EXPECT(c, "offset") || !EXPECT(c, "from") || !EXPECT(c, "UTC:"))
		return 0;
	t = next_token(c);
	if (t.len && (t.p[0] == '-' || t.p[0] == '+')) {
		negative = t.p[0] == '-';
		t.p++;
		t.len--;
	}
	if (span_to_u64(t, INT64_MAX, &mag) != 0)
		return 0;
	ev->offset_seconds = negative ? -(int64_t)mag : (int64_t)mag;
	ev->kind = ESA_TIME_OFFSET;
	return 1;
}

/* ---- Dispatch on the first token: its length, then its first letter ---- */

static int dispatch_len4(struct cursor *c, struct span first, struct esa_event *ev)
{
	switch (ascii_lower((unsigned char)first.p[0])) {
	case 'i':
		return TOK_IS(first, "ICID") && esa_parse_conn_line(c, ESA_DIR_IN, ev);
	case 'd':
		return TOK_IS(first, "DCID") && esa_parse_conn_line(c, ESA_DIR_OUT, ev);
	case 's':
		return TOK_IS(first, "SMTP") && esa_parse_smtp(c, first, ev);
	case 't':
		return TOK_IS(first, "Time") && parse_time_offset(c, ev);
	case 'm':
		return TOK_IS(first, "Mail") && esa_parse_mail(c, ev);
	default:
		return 0;
	}
}

static int dispatch_len5(struct cursor *c, struct span first, struct esa_event *ev)
{
	switch (ascii_lower((unsigned char)first.p[0])) {
	case 's':
		return TOK_IS(first, "Start") && parse_start(c, ev);
	/* "ICID: n ..." / "DCID: n ...": the colon form some lines use. */
	case 'i':
		return TOK_IS(first, "ICID:") && esa_parse_conn_line(c, ESA_DIR_IN, ev);
	case 'd':
		return TOK_IS(first, "DCID:") && esa_parse_conn_line(c, ESA_DIR_OUT, ev);
	default:
		return 0;
	}
}

static int dispatch_len8(struct cursor *c, struct span first, struct esa_event *ev)
{
	if (TOK_IS(first, "Delivery"))
		return EXPECT(c, "start") && parse_delivery(c, ESA_DELIVERY_START, ev);
	if (TOK_IS(first, "Bounced:"))
		return parse_outcome(c, ESA_OUTCOME_BOUNCED, ev);
	if (TOK_IS(first, "Delayed:"))
		return parse_outcome(c, ESA_OUTCOME_DELAYED, ev);
	if (TOK_IS(first, "Possible"))
		return EXPECT(c, "Delivery:") && parse_outcome(c, ESA_OUTCOME_POSSIBLE, ev);
	return 0;
}

static int dispatch(struct cursor *c, struct span first, struct esa_event *ev)
{
	switch (first.len) {
	case 3:
		if (TOK_IS(first, "MID"))
			return parse_mid_line(c, ev);
		return TOK_IS(first, "New") && esa_parse_open(c, ev);
	case 4:
		return dispatch_len4(c, first, ev);
	case 5:
		return dispatch_len5(c, first, ev);
	case 7:
		return TOK_IS(first, "Message") && parse_message(c, ev);
	case 8:
		return dispatch_len8(c, first, ev);
	case 10:
		return TOK_IS(first, "Connection") && esa_parse_connection_error(c, ev);
	default:
		return 0;
	}
}

void esa_classify(const char *text, size_t len, struct esa_event *ev)
{
	struct cursor c;
	event_reset(ev);
	if (text == NULL)
		return;
	while (len > 0 && is_trailing_space(text[len - 1]))
		len--;
	c.s = text;
	c.len = len;
	c.pos = 0;
	if (!dispatch(&c, next_token(&c), ev))
		event_reset(ev);
}

int esa_first_rid(struct span rids, uint32_t *rid)
{
	const char *p = rids.p, *end = rids.p + rids.len, *q;
	unsigned long long v;
	if (!span_present(rids))
		return -1;
	while (p < end && *p == ' ')
		p++;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (span_to_u64(span_between(p, q), UINT32_MAX, &v) != 0)
		return -1;
	*rid = (uint32_t)v;
	return 0;
}

uint64_t esa_rid_mask(struct span rids)
{
	uint64_t mask = 0;
	const char *p = rids.p, *end = rids.p + rids.len;
	if (!span_present(rids))
		return 0;
	/* One pass, read as esa_first_rid reads each comma-separated item: spaces, then digits
	 * (their value saturates at 64, past any bit), the rest of the item ignored. */
	while (p < end) {
		unsigned v = 0;
		const char *digits;
		while (p < end && *p == ' ')
			p++;
		for (digits = p; p < end && *p >= '0' && *p <= '9'; p++)
			v = v < 64 ? v * 10 + (unsigned)(*p - '0') : 64;
		if (p > digits && v < 64)
			mask |= (uint64_t)1 << v;
		while (p < end && *p != ',')
			p++;
		p += p < end;
	}
	return mask;
}

const char *esa_kind_name(enum esa_kind kind)
{
	if ((unsigned)kind >= ESA_KIND_COUNT)
		return "invalid";
	return esa_kind_names[kind];
}
