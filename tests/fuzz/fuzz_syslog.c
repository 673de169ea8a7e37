/* libFuzzer target for the syslog header parser: any bytes in, and the result must keep the
 * contract (spans inside the input and in header order, text present and right-trimmed, every
 * number in its range, absent parts really absent). Any violation aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static int is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Present spans lie inside [buf, buf + len); absent ones are {NULL, 0}. */
static void check_span(struct span s, const char *buf, size_t len)
{
	if (!span_present(s)) {
		require(s.len == 0);
		return;
	}
	require(s.p >= buf && s.p <= buf + len);
	require(s.len <= (size_t)(buf + len - s.p));
	require(s.len > 0);
}

static void check_time(const struct syslog_msg *m)
{
	const struct civil *t = &m->time;

	if (!m->has_time) {
		require(t->year == 0 && t->mon == 0 && t->mday == 0);
		require(t->hour == 0 && t->min == 0 && t->sec == 0);
		require(m->offset_min == LOGTIME_NO_OFFSET);
		return;
	}
	require(t->year == 0 || (t->year >= 1970 && t->year <= 9999));
	require(t->mon >= 1 && t->mon <= 12);
	require(t->mday >= 1 && t->mday <= 31);
	require(t->hour >= 0 && t->hour <= 23);
	require(t->min >= 0 && t->min <= 59);
	require(t->sec >= 0 && t->sec <= 60);
	require(m->offset_min == LOGTIME_NO_OFFSET ||
	        (m->offset_min >= -(23 * 60 + 59) && m->offset_min <= 23 * 60 + 59));
}

static void check_format(const struct syslog_msg *m)
{
	switch (m->format) {
	case SYSLOG_FMT_NONE:
		require(!m->has_time && m->level == SYSLOG_LEVEL_NONE);
		require(!span_present(m->host) && !span_present(m->tag));
		break;
	case SYSLOG_FMT_NATIVE:
		require(m->has_time && m->time.year != 0);
		require(!span_present(m->host) && !span_present(m->tag));
		require(m->offset_min == LOGTIME_NO_OFFSET);
		break;
	case SYSLOG_FMT_RFC3164:
		require(m->has_time);
		break;
	case SYSLOG_FMT_RFC5424:
		require(m->pri >= 0);
		break;
	case SYSLOG_FMT_PARTIAL:
		require(!m->has_time && m->level != SYSLOG_LEVEL_NONE);
		break;
	case SYSLOG_FMT_COLLECTOR:
		require(m->has_time && m->time.year != 0);
		break;
	case SYSLOG_FMT_WRAPPED:
		/* The time is the wrapped line's own stamp, which has a year, and a level follows.
		 */
		require(m->has_time && m->time.year != 0 && m->level != SYSLOG_LEVEL_NONE);
		break;
	case SYSLOG_FMT_COUNT:
	default:
		abort();
	}
	require(m->level >= SYSLOG_LEVEL_NONE && m->level <= SYSLOG_LEVEL_TRACE);
	require(syslog_level_name(m->level) != NULL);
	require((m->level == SYSLOG_LEVEL_NONE) == (syslog_level_name(m->level)[0] == '\0'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *end;
	struct syslog_msg m, again;

	syslog_parse(buf, size, &m);

	require(m.pri >= -1 && m.pri <= 191);
	check_format(&m);
	check_time(&m);
	check_span(m.host, buf, size);
	check_span(m.tag, buf, size);

	/* Text: present, inside, ends where the trailing white space of the input begins. */
	require(m.text.p != NULL);
	if (size > 0) {
		require(m.text.p >= buf && m.text.p <= buf + size);
		require(m.text.len <= (size_t)(buf + size - m.text.p));
	}
	end = buf + size;
	while (end > buf && is_trailing_space(end[-1]))
		end--;
	if (size > 0)
		require(m.text.p + m.text.len == end);
	if (m.text.len > 0)
		require(!is_trailing_space(m.text.p[m.text.len - 1]));

	/* Header parts come in order: host, tag, then text. */
	if (span_present(m.host) && span_present(m.tag))
		require(m.host.p + m.host.len <= m.tag.p);
	if (span_present(m.tag))
		require(m.tag.p + m.tag.len <= m.text.p);
	if (span_present(m.host))
		require(m.host.p + m.host.len <= m.text.p);

	/* No hidden state: a second parse gives the same answer. */
	syslog_parse(buf, size, &again);
	require(again.format == m.format && again.pri == m.pri && again.level == m.level);
	require(again.text.p == m.text.p && again.text.len == m.text.len);
	require(again.host.p == m.host.p && again.tag.p == m.tag.p);
	return 0;
}
