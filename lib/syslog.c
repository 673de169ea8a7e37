/* Syslog header parser. Each stage looks at the cursor [p, end) and either recognises its part of
 * the header completely or reports "not mine", so a damaged header falls through to the next,
 * looser reading (RFC 5424, then a timestamped header, then PARTIAL, then NONE) instead of being
 * half-guessed. Only the first few tokens are scanned, so the message body costs nothing, except
 * for RFC 5424 structured data, which must be walked to find MSG. The tokens between a timestamp
 * and the level marker are read by syslog_prefix.c. */
#include "syslog_int.h"

#define SYSLOG_PRI_MAX 191
#define SYSLOG_YEAR_MIN 1970
#define SYSLOG_FRAC_DIGITS_MAX 9

/* Which timestamp shape a header began with. */
enum stamp_shape {
	STAMP_RFC3339,    /* 2026-12-05T10:00:00[.frac][offset] */
	STAMP_YEAR_FIRST, /* 2026 Dec  5 10:00:00 (collectors) */
	STAMP_BSD,        /* [Www ]Dec  5 10:00:00[ 2026] */
	STAMP_NATIVE      /* Www Dec  5 10:00:00 2026: the ESA log-file stamp */
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t left(const char *p, const char *end)
{
	return (size_t)(end - p);
}

static const char *trim_end(const char *p, const char *end)
{
	while (end > p && (is_blank(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return end;
}

/* Value of exactly n decimal digits at p (the caller made sure n bytes remain), -1 if any byte
 * is not a digit. n is at most 4, so the value cannot overflow. */
static int fixed_digits(const char *p, int n)
{
	int v = 0;
	int i;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

#define KEY3(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))

/* Three letters at p folded to one case-insensitive key (the caller made sure 3 bytes remain). */
static unsigned key3(const char *p)
{
	return lower(p[0]) << 16 | lower(p[1]) << 8 | lower(p[2]);
}

/* 1..12 for an English month abbreviation, 0 otherwise. */
static int month_number(const char *p)
{
	switch (key3(p)) {
	case KEY3('j', 'a', 'n'):
		return 1;
	case KEY3('f', 'e', 'b'):
		return 2;
	case KEY3('m', 'a', 'r'):
		return 3;
	case KEY3('a', 'p', 'r'):
		return 4;
	case KEY3('m', 'a', 'y'):
		return 5;
	case KEY3('j', 'u', 'n'):
		return 6;
	case KEY3('j', 'u', 'l'):
		return 7;
	case KEY3('a', 'u', 'g'):
		return 8;
	case KEY3('s', 'e', 'p'):
		return 9;
	case KEY3('o', 'c', 't'):
		return 10;
	case KEY3('n', 'o', 'v'):
		return 11;
	case KEY3('d', 'e', 'c'):
		return 12;
	}
	return 0;
}

static int is_weekday(const char *p)
{
	switch (key3(p)) {
	case KEY3('m', 'o', 'n'):
	case KEY3('t', 'u', 'e'):
	case KEY3('w', 'e', 'd'):
	case KEY3('t', 'h', 'u'):
	case KEY3('f', 'r', 'i'):
	case KEY3('s', 'a', 't'):
	case KEY3('s', 'u', 'n'):
		return 1;
	}
	return 0;
}

/* An ESA level marker "Level:" at p, ending the token. Returns the byte after ':' and sets
 * *level, or NULL. */
const char *syslog_take_level(const char *p, const char *end, enum syslog_level *level)
{
	const char *word;
	size_t n, avail = (size_t)(end - p), i;
	enum syslog_level found;

	if (avail < sizeof("info:") - 1)
		return NULL;
	switch (lower(p[0])) {
	case 'i':
		word = "info";
		found = SYSLOG_LEVEL_INFO;
		break;
	case 'w':
		word = "warning";
		found = SYSLOG_LEVEL_WARNING;
		break;
	case 'c':
		word = "critical";
		found = SYSLOG_LEVEL_CRITICAL;
		break;
	case 'd':
		word = "debug";
		found = SYSLOG_LEVEL_DEBUG;
		break;
	case 't':
		word = "trace";
		found = SYSLOG_LEVEL_TRACE;
		break;
	default:
		return NULL;
	}
	for (i = 1; word[i] != '\0'; i++)
		if (i >= avail || lower(p[i]) != (unsigned char)word[i])
			return NULL;
	n = i;
	if (n >= avail || p[n] != ':')
		return NULL;
	if (n + 1 < avail && !is_blank(p[n + 1]))
		return NULL;
	*level = found;
	return p + n + 1;
}

/* <PRI> (RFC 3164 4.1.1, RFC 5424 6.2.1): 1-3 digits, 0..191. Returns p past it, or p unchanged
 * (and *pri = -1) when there is none or it is malformed. */
static const char *parse_pri(const char *p, const char *end, int *pri)
{
	const char *d = p + 1, *q = d;
	unsigned long long v;

	*pri = -1;
	if (p >= end || *p != '<')
		return p;
	while (q < end && q - d < 4 && is_digit(*q))
		q++;
	if (q >= end || *q != '>' || q - d > 3)
		return p;
	if (span_to_u64(span_make(d, (size_t)(q - d)), SYSLOG_PRI_MAX, &v) != 0)
		return p;
	*pri = (int)v;
	return q + 1;
}

/* "hh:mm:ss" at p (8 bytes available). A leap second (60) is accepted. */
static int parse_clock(const char *p, struct civil *t)
{
	int h = fixed_digits(p, 2), m = fixed_digits(p + 3, 2), s = fixed_digits(p + 6, 2);

	if (p[2] != ':' || p[5] != ':')
		return 0;
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
		return 0;
	t->hour = h;
	t->min = m;
	t->sec = s;
	return 1;
}

/* RFC 3164 4.1.2 "Mmm dd hh:mm:ss". The RFC pads the day with a space ("Sep  6"); ESA pushes and
 * relays also write it bare ("Jun 4") or zero-padded ("Jun 04"). */
static const char *parse_bsd_stamp(const char *p, const char *end, struct civil *t)
{
	int mon, mday;

	if (left(p, end) < sizeof("Mmm d hh:mm:ss") - 1)
		return NULL;
	mon = month_number(p);
	if (mon == 0 || p[3] != ' ')
		return NULL;
	p += 4;
	if (*p == ' ')
		p++;
	if (!is_digit(*p))
		return NULL;
	mday = *p++ - '0';
	if (p < end && is_digit(*p))
		mday = mday * 10 + (*p++ - '0');
	if (mday < 1 || mday > 31)
		return NULL;
	if (left(p, end) < sizeof(" hh:mm:ss") - 1 || *p != ' ' || !parse_clock(p + 1, t))
		return NULL;
	p += sizeof(" hh:mm:ss") - 1;
	if (p < end && !is_blank(*p))
		return NULL;
	t->year = 0;
	t->mon = mon;
	t->mday = mday;
	return p;
}

/* Optional " YYYY" after the clock: the ESA native file format ("... 13:13:16 2023 Info:") and
 * relays that add the year. Returns p past it, p unchanged when there is none, NULL when four
 * digits stand there but are no plausible year (a malformed timestamp, not a hostname). */
static const char *parse_year(const char *p, const char *end, int *year)
{
	int y;

	if (end - p < 5 || p[0] != ' ' || (end - p > 5 && !is_blank(p[5])))
		return p;
	y = fixed_digits(p + 1, 4);
	if (y < 0)
		return p;
	if (y < SYSLOG_YEAR_MIN)
		return NULL;
	*year = y;
	return p + 5;
}

/* "Z", "+hh:mm" or "-hh:mm" (RFC 3339 5.6 time-offset) into minutes east of UTC. */
static const char *parse_offset(const char *p, const char *end, int *offset)
{
	int h, m;

	if (p >= end)
		return p;
	if (*p == 'Z' || *p == 'z') {
		*offset = 0;
		return p + 1;
	}
	if (*p != '+' && *p != '-')
		return p;
	if (left(p, end) < sizeof("+hh:mm") - 1 || p[3] != ':')
		return NULL;
	h = fixed_digits(p + 1, 2);
	m = fixed_digits(p + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return NULL;
	*offset = (*p == '-' ? -1 : 1) * (h * 60 + m);
	return p + sizeof("+hh:mm") - 1;
}

/* RFC 5424 6.2.3 TIMESTAMP (RFC 3339): "YYYY-MM-DDThh:mm:ss[.frac]offset", fraction ignored. The
 * offset is required by RFC 5424, but relays writing RFC 3339 stamps into files sometimes drop
 * it; then *offset stays as it was. */
static const char *parse_iso_stamp(const char *p, const char *end, struct civil *t, int *offset)
{
	int y, mo, d;
	const char *frac;

	if (left(p, end) < sizeof("YYYY-MM-DDThh:mm:ss") - 1)
		return NULL;
	y = fixed_digits(p, 4);
	mo = fixed_digits(p + 5, 2);
	d = fixed_digits(p + 8, 2);
	if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't'))
		return NULL;
	if (y < SYSLOG_YEAR_MIN || mo < 1 || mo > 12 || d < 1 || d > 31 || !parse_clock(p + 11, t))
		return NULL;
	p += sizeof("YYYY-MM-DDThh:mm:ss") - 1;
	if (p < end && *p == '.') {
		frac = ++p;
		while (p < end && is_digit(*p))
			p++;
		if (p == frac || p - frac > SYSLOG_FRAC_DIGITS_MAX)
			return NULL;
	}
	p = parse_offset(p, end, offset);
	if (p == NULL || (p < end && !is_blank(*p)))
		return NULL;
	t->year = y;
	t->mon = mo;
	t->mday = d;
	return p;
}

static void set_text(struct syslog_msg *msg, const char *p, const char *end)
{
	p = skip_blanks(p, end);
	msg->text = span_make(p, (size_t)(end - p));
}

static void set_tail(struct syslog_msg *msg, const struct syslog_tail *tail, const char *end)
{
	msg->host = tail->host;
	msg->tag = tail->tag;
	msg->level = tail->level;
	set_text(msg, tail->text, end);
}

/* "YYYY Mmm dd hh:mm:ss", as collectors that put the year first write it. */
static const char *parse_year_first(const char *p, const char *end, struct civil *t)
{
	int y;

	if (left(p, end) < sizeof("YYYY ") - 1 || p[4] != ' ')
		return NULL;
	y = fixed_digits(p, 4);
	if (y < SYSLOG_YEAR_MIN)
		return NULL;
	p = parse_bsd_stamp(p + 5, end, t);
	if (p != NULL)
		t->year = y;
	return p;
}

/* Any timestamp a header starts with: RFC 3339 (rsyslog's forwarding and file formats), a
 * year-first stamp, or [Www ]Mmm dd hh:mm:ss[ YYYY]. Returns the byte after it, or NULL.
 * Inlined: it is on every line's path (measured: a call costs ~2 % of replay). */
static inline __attribute__((always_inline)) const char *
parse_stamp(const char *p, const char *end, struct civil *t, int *offset, enum stamp_shape *shape)
{
	const char *q;
	int weekday = 0;

	if (p < end && is_digit(*p)) {
		if ((q = parse_iso_stamp(p, end, t, offset)) != NULL) {
			*shape = STAMP_RFC3339;
			return q;
		}
		*shape = STAMP_YEAR_FIRST;
		return parse_year_first(p, end, t);
	}
	if (end - p >= 4 && p[3] == ' ' && is_weekday(p)) {
		weekday = 1;
		p += 4;
	}
	q = parse_bsd_stamp(p, end, t);
	if (q != NULL)
		q = parse_year(q, end, &t->year);
	*shape = weekday && t->year != 0 ? STAMP_NATIVE : STAMP_BSD;
	return q;
}

/* The wrapped line's own stamp and the level behind it, as a file-tailing forwarder sends an
 * ESA log file: "... HOST TAG: Www Mmm dd hh:mm:ss YYYY Info: text". */
const char *syslog_take_inner_stamp(const char *p, const char *end, struct syslog_tail *tail)
{
	struct civil t = {0};
	int offset = LOGTIME_NO_OFFSET;
	enum stamp_shape shape;
	const char *q = parse_stamp(p, end, &t, &offset, &shape);

	if (q == NULL || t.year == 0 ||
	    (q = syslog_take_level(skip_blanks(q, end), end, &tail->level)) == NULL)
		return NULL;
	tail->inner = 1;
	tail->inner_time = t;
	tail->inner_offset = offset;
	return q;
}

/* Puts the time of the record into msg: the wrapped line's own stamp when there is one (it is
 * the appliance's), else the header's. */
static void set_time(struct syslog_msg *msg, const struct syslog_tail *tail,
                     const struct civil *outer, int outer_offset)
{
	msg->has_time = 1;
	msg->time = tail->inner ? tail->inner_time : *outer;
	msg->offset_min = tail->inner ? tail->inner_offset : outer_offset;
}

/* A timestamped header, then [HOST] [TAG:] [Level:]. Weekday and year together are the ESA
 * native file format, whose level follows the year directly; a header there is only believed
 * when a level follows it. When no level marker follows a header-shaped prefix, the plain RFC
 * 3164 reading [HOST] [TAG:] text is kept. */
static int parse_timestamped(const char *p, const char *end, struct syslog_msg *msg)
{
	struct civil t = {0};
	struct syslog_tail tail;
	int offset = LOGTIME_NO_OFFSET;
	enum stamp_shape shape;
	const char *q = parse_stamp(p, end, &t, &offset, &shape);

	if (q == NULL)
		return 0;
	/* The level right after the stamp (a native log-file line) needs no prefix scan. */
	tail_clear(&tail);
	if ((tail.text = syslog_take_level(skip_blanks(q, end), end, &tail.level)) == NULL &&
	    !syslog_scan_prefix(q, end, &tail)) {
		syslog_parse_tail(q, end, &tail);
		if (shape == STAMP_NATIVE && tail.level == SYSLOG_LEVEL_NONE) {
			tail.host = span_none();
			tail.tag = span_none();
			tail.text = q;
		}
	}
	if (tail.inner)
		msg->format = SYSLOG_FMT_WRAPPED;
	else if (shape == STAMP_YEAR_FIRST)
		msg->format = SYSLOG_FMT_COLLECTOR;
	else if (shape == STAMP_NATIVE && !span_present(tail.host) && !span_present(tail.tag))
		msg->format = SYSLOG_FMT_NATIVE;
	else
		msg->format = SYSLOG_FMT_RFC3164;
	set_time(msg, &tail, &t, offset);
	set_tail(msg, &tail, end);
	return 1;
}

/* RFC 5424 6.2.4-6.2.7: one space, then a non-empty token; "-" (NILVALUE) is absent. NULL when
 * the header is cut short or spaced wrongly. */
static const char *header_field(const char *p, const char *end, struct span *field)
{
	const char *s;

	if (p >= end || *p != ' ')
		return NULL;
	s = ++p;
	p = token_end(p, end);
	if (p == s)
		return NULL;
	*field = (p - s == 1 && *s == '-') ? span_none() : span_make(s, (size_t)(p - s));
	return p;
}

/* End of one SD-ELEMENT whose '[' precedes p. Inside a quoted PARAM-VALUE '\' escapes the next
 * byte and ']' does not end the element (RFC 5424 6.3.3). */
static const char *sd_element_end(const char *p, const char *end)
{
	int quoted = 0;

	for (; p < end; p++) {
		if (quoted) {
			if (*p == '\\' && end - p > 1)
				p++;
			else if (*p == '"')
				quoted = 0;
		} else if (*p == '"') {
			quoted = 1;
		} else if (*p == ']') {
			return p + 1;
		}
	}
	return NULL;
}

/* " STRUCTURED-DATA" (RFC 5424 6.3): "-" or one or more "[...]" elements, followed by a space
 * or the end of the message. */
static const char *structured_data(const char *p, const char *end)
{
	if (p >= end || *p != ' ')
		return NULL;
	p++;
	if (p < end && *p == '-') {
		p++;
	} else {
		if (p >= end || *p != '[')
			return NULL;
		while (p < end && *p == '[') {
			p = sd_element_end(p + 1, end);
			if (p == NULL)
				return NULL;
		}
	}
	return p == end || *p == ' ' ? p : NULL;
}

/* MSG (RFC 5424 6.4): after one space, optionally a UTF-8 BOM, then ESA's "Level: text", or a
 * whole log-file line ("Www Mmm dd hh:mm:ss YYYY Level: text") that a forwarder sent on, whose
 * own stamp is then the time. */
static void rfc5424_msg(const char *p, const char *end, struct syslog_msg *msg)
{
	static const char bom[] = "\xEF\xBB\xBF";
	struct syslog_tail inner = {.inner = 0};
	const char *q;

	if (p < end)
		p++;
	if (left(p, end) >= 3 && p[0] == bom[0] && p[1] == bom[1] && p[2] == bom[2])
		p += 3;
	p = skip_blanks(p, end);
	q = syslog_take_level(p, end, &msg->level);
	if (q == NULL && (q = syslog_take_inner_stamp(p, end, &inner)) != NULL) {
		msg->format = SYSLOG_FMT_WRAPPED;
		msg->level = inner.level;
		set_time(msg, &inner, &inner.inner_time, inner.inner_offset);
	}
	set_text(msg, q != NULL ? q : p, end);
}

/* HOSTNAME APP-NAME PROCID MSGID SD MSG. When the header breaks off or is malformed, what was read
 * stays and the text starts at the field that failed. */
static void rfc5424_fields(const char *p, const char *end, struct syslog_msg *msg)
{
	struct span host, app, unused;
	const char *q;

	if ((q = header_field(p, end, &host)) == NULL)
		goto broken;
	msg->host = host;
	p = q;
	if ((q = header_field(p, end, &app)) == NULL)
		goto broken;
	msg->tag = app;
	p = q;
	if ((q = header_field(p, end, &unused)) == NULL) /* PROCID */
		goto broken;
	p = q;
	if ((q = header_field(p, end, &unused)) == NULL) /* MSGID */
		goto broken;
	p = q;
	if ((q = structured_data(p, end)) == NULL)
		goto broken;
	rfc5424_msg(q, end, msg);
	return;
broken:
	set_text(msg, p, end);
}

/* "<PRI>1 TIMESTAMP ..." (RFC 5424 6.2.2: VERSION 1). A bad timestamp rejects the whole reading. */
static int parse_rfc5424(const char *p, const char *end, struct syslog_msg *msg)
{
	struct civil t = {0};
	int offset = LOGTIME_NO_OFFSET;
	const char *q;

	if (msg->pri < 0 || end - p < 3 || p[0] != '1' || p[1] != ' ')
		return 0;
	q = p + 2;
	if (q[0] == '-' && (end - q == 1 || q[1] == ' ')) {
		q++;
	} else {
		q = parse_iso_stamp(q, end, &t, &offset);
		if (q == NULL)
			return 0;
		msg->has_time = 1;
		msg->time = t;
		msg->offset_min = offset;
	}
	msg->format = SYSLOG_FMT_RFC5424;
	rfc5424_fields(q, end, msg);
	return 1;
}

/* Header remnants without a timestamp, as left by collectors that strip it ("HOST TAG: Level:",
 * "TAG: Level:", "HOST Level:", "Level:", also with the ESA's own stamp before the level). Every
 * token before the level must fit the header grammar (syslog_scan_prefix), so text that merely
 * contains "Info:" is not taken. */
static int parse_partial(const char *p, const char *end, struct syslog_msg *msg)
{
	struct syslog_tail tail;

	if (!syslog_scan_prefix(p, end, &tail))
		return 0;
	if (tail.inner) {
		msg->format = SYSLOG_FMT_WRAPPED;
		set_time(msg, &tail, &tail.inner_time, tail.inner_offset);
	} else {
		msg->format = SYSLOG_FMT_PARTIAL;
	}
	set_tail(msg, &tail, end);
	return 1;
}

static void reset(struct syslog_msg *msg, const char *buf)
{
	static const struct civil no_time = {0};

	msg->format = SYSLOG_FMT_NONE;
	msg->pri = -1;
	msg->has_time = 0;
	msg->time = no_time;
	msg->offset_min = LOGTIME_NO_OFFSET;
	msg->host = span_none();
	msg->tag = span_none();
	msg->level = SYSLOG_LEVEL_NONE;
	msg->text = span_make(buf, 0);
}

void syslog_parse(const char *buf, size_t len, struct syslog_msg *msg)
{
	const char *p, *end;

	if (buf == NULL) {
		buf = "";
		len = 0;
	}
	reset(msg, buf);
	end = trim_end(buf, buf + len);
	p = parse_pri(buf, end, &msg->pri);
	if (parse_rfc5424(p, end, msg) || parse_timestamped(p, end, msg) ||
	    parse_partial(p, end, msg))
		return;
	/* A valid PRI was still a header part: it is reported and kept out of the text. */
	msg->text = span_trim(span_make(p, (size_t)(end - p)));
}

const char *syslog_format_name(enum syslog_format format)
{
	switch (format) {
#define SYSLOG_FORMAT_CASE(name, str)                                                              \
	case SYSLOG_FMT_##name:                                                                    \
		return str;
		SYSLOG_FORMATS(SYSLOG_FORMAT_CASE)
#undef SYSLOG_FORMAT_CASE
	case SYSLOG_FMT_COUNT:
		break;
	}
	return "invalid";
}

const char *syslog_level_name(enum syslog_level level)
{
	switch (level) {
	case SYSLOG_LEVEL_NONE:
		return "";
	case SYSLOG_LEVEL_INFO:
		return "Info";
	case SYSLOG_LEVEL_WARNING:
		return "Warning";
	case SYSLOG_LEVEL_CRITICAL:
		return "Critical";
	case SYSLOG_LEVEL_DEBUG:
		return "Debug";
	case SYSLOG_LEVEL_TRACE:
		return "Trace";
	}
	return "";
}
