/* The header tokens a sender or collector puts between its timestamp (or the start of a PARTIAL
 * line) and the ESA level marker: [HOST] [FACILITY|severity...] [TAG] (RFC 3164 4.1.3 and what
 * collectors add). Two readings: syslog_scan_prefix, which gives every token a role and needs the
 * level marker behind them, and syslog_parse_tail, the plain [HOST] [TAG:] [Level:] one. The
 * level marker and the ESA's own stamp that may stand before it are read by syslog.c. */
#include "syslog_int.h"

#include <string.h>

/* Header tokens a collector may put between its timestamp and the ESA level marker: host,
 * facility, severity and tag ("esa1 mail [info] mail_logs:nopid"), with room to spare. */
#define SYSLOG_PREFIX_TOKENS_MAX 6

/* A TAG token "name:" or "name[pid]:" (RFC 3164 4.1.3) spanning [p, e); *tag gets the name. */
static int take_tag(const char *p, const char *e, struct span *tag)
{
	const char *name_end = e - 1;

	if (e - p < 2 || e[-1] != ':')
		return 0;
	if (e[-2] == ']') {
		const char *b = p;
		while (b < e - 2 && *b != '[')
			b++;
		if (b < e - 2)
			name_end = b;
	}
	if (name_end == p)
		return 0;
	*tag = span_make(p, (size_t)(name_end - p));
	return 1;
}

/* A collector's "name:pid" tag ("mail_logs:nopid", "mail_logs:1234"): one colon with a name
 * before it and a word after it. IPv6 host names have two colons or more, so they are not
 * taken for one. */
static int take_tag_pid(const char *p, const char *e, struct span *tag)
{
	const char *colon = memchr(p, ':', (size_t)(e - p));

	if (colon == NULL || colon == p || colon + 1 == e ||
	    memchr(colon + 1, ':', (size_t)(e - colon - 1)) != NULL)
		return 0;
	*tag = span_make(p, (size_t)(colon - p));
	return 1;
}

static int word_in(const char *p, size_t n, const char *const *words)
{
	for (; *words != NULL; words++) {
		size_t i;
		for (i = 0;
		     i < n && (*words)[i] != '\0' && lower(p[i]) == (unsigned char)(*words)[i]; i++)
			;
		if (i == n && (*words)[i] == '\0')
			return 1;
	}
	return 0;
}

/* RFC 5424 6.2.1 facility and severity keywords as collectors print them. */
static int is_facility(const char *p, size_t n)
{
	static const char *const names[] = {
	    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
	    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "local0",
	    "local1", "local2", "local3",   "local4", "local5", "local6",   "local7",  NULL};
	return word_in(p, n, names);
}

static int is_severity(const char *p, size_t n)
{
	static const char *const names[] = {"emerg", "emergency",     "alert",   "crit", "critical",
	                                    "err",   "error",         "warning", "warn", "notice",
	                                    "info",  "informational", "debug",   NULL};
	return word_in(p, n, names);
}

/* A facility, a severity or "facility.severity", bare or in [] or <> brackets, as collectors
 * put between the host and the tag ("mail [info]", "mail.info", "<local0.notice>"). */
static int is_priority_word(const char *p, const char *e)
{
	const char *dot;

	if (e - p >= 2 && ((*p == '[' && e[-1] == ']') || (*p == '<' && e[-1] == '>'))) {
		p++;
		e--;
	}
	if (p == e)
		return 0;
	dot = memchr(p, '.', (size_t)(e - p));
	if (dot != NULL)
		return is_facility(p, (size_t)(dot - p)) &&
		       is_severity(dot + 1, (size_t)(e - dot - 1));
	return is_facility(p, (size_t)(e - p)) || is_severity(p, (size_t)(e - p));
}

/* Gives the tokens before a level marker their roles: [HOST] [FACILITY|[severity]...] [TAG]. The
 * tag is the last token and has a tag's shape; the first token, unless it is that tag, is the
 * host; anything between must be a facility or severity word; an inner stamp needs a tag before
 * it. 0 when they do not fit. */
static int prefix_roles(const struct span *tok, size_t n, struct syslog_tail *tail)
{
	size_t i, mid_end = n;
	const char *e;

	if (n == 0)
		return !tail->inner;
	e = tok[n - 1].p + tok[n - 1].len;
	if (take_tag(tok[n - 1].p, e, &tail->tag) || take_tag_pid(tok[n - 1].p, e, &tail->tag))
		mid_end = n - 1;
	else if (tail->inner)
		return 0; /* a forwarder's own stamp follows its tag */
	if (mid_end > 0) {
		struct span not_a_tag;
		if (take_tag(tok[0].p, tok[0].p + tok[0].len, &not_a_tag))
			return 0;
		tail->host = tok[0];
	}
	for (i = 1; i < mid_end; i++)
		if (!is_priority_word(tok[i].p, tok[i].p + tok[i].len))
			return 0;
	return 1;
}

/* The header tokens between a timestamp (or the start of a PARTIAL line) and the first ESA
 * level marker, read as prefix_roles says, with an inner stamp allowed just before the level.
 * Fills *tail and returns 1 only when a level marker was found behind such a prefix. */
int syslog_scan_prefix(const char *p, const char *end, struct syslog_tail *tail)
{
	struct span tok[SYSLOG_PREFIX_TOKENS_MAX];
	size_t n = 0;
	const char *e, *q;

	tail_clear(tail);
	p = skip_blanks(p, end);
	while ((q = syslog_take_level(p, end, &tail->level)) == NULL &&
	       (q = syslog_take_inner_stamp(p, end, tail)) == NULL) {
		e = token_end(p, end);
		if (e == p || n == SYSLOG_PREFIX_TOKENS_MAX)
			return 0;
		tok[n++] = span_make(p, (size_t)(e - p));
		p = skip_blanks(e, end);
	}
	tail->text = q;
	if (prefix_roles(tok, n, tail))
		return 1;
	tail_clear(tail);
	return 0;
}

/* [HOST] [TAG:] [Level:] after a timestamp (RFC 3164 4.1.3, ESA's "Level: " inside MSG). ESA
 * pushes omit HOST when the appliance sends none ("<166>Mar 17 18:24:37 mail_logs: Info:") and
 * TAG when the subscription has none ("<14>Jun 4 15:45:37 esa.example.com Info:"). */
void syslog_parse_tail(const char *p, const char *end, struct syslog_tail *tail)
{
	const char *e, *q;

	tail_clear(tail);
	p = skip_blanks(p, end);
	if ((q = syslog_take_level(p, end, &tail->level)) != NULL) {
		tail->text = q;
		return;
	}
	e = token_end(p, end);
	if (!take_tag(p, e, &tail->tag)) {
		if (e == p) {
			tail->text = p;
			return;
		}
		tail->host = span_make(p, (size_t)(e - p));
		p = skip_blanks(e, end);
		if ((q = syslog_take_level(p, end, &tail->level)) != NULL) {
			tail->text = q;
			return;
		}
		e = token_end(p, end);
		if (!take_tag(p, e, &tail->tag)) {
			tail->text = p;
			return;
		}
	}
	p = skip_blanks(e, end);
	q = syslog_take_level(p, end, &tail->level);
	tail->text = q != NULL ? q : p;
}
