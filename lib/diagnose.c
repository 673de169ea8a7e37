#include "diagnose.h"
#include "span.h"

/* Text that opens a consolidated event log line (samples/real/consolidated-cef-tls.log). */
static int diag_is_cef(struct span text)
{
	return span_starts_ci(text, "CEF:");
}

/* A header-less line's text parsed again: a stamp (and perhaps a host and tag) before a level
 * marker means one log line inside another's header. */
static enum diag_cause diag_inner(struct span text)
{
	struct syslog_msg inner;
	syslog_parse(text.p, text.len, &inner);
	if (inner.level == SYSLOG_LEVEL_NONE)
		return DIAG_NO_LEVEL;
	if (inner.has_time && inner.time.year == 0 && !span_present(inner.host) &&
	    !span_present(inner.tag))
		return DIAG_YEARLESS;
	return DIAG_WRAPPED;
}

enum diag_cause diag_cause(const struct syslog_msg *m, enum esa_kind kind)
{
	/* The engine never classifies a message without any header (engine_feed). */
	if (m->format == SYSLOG_FMT_NONE && m->pri < 0 && !diag_is_cef(m->text))
		return DIAG_CONTINUATION;
	if (kind != ESA_UNCLASSIFIED)
		return DIAG_RECOGNISED;
	if (m->format == SYSLOG_FMT_NONE)
		return diag_is_cef(m->text) ? DIAG_CEF : DIAG_HEADER;
	if (m->level != SYSLOG_LEVEL_NONE)
		return DIAG_OTHER_TEXT;
	if (diag_is_cef(m->text))
		return DIAG_CEF;
	return diag_inner(m->text);
}

static const struct {
	const char *name, *text;
} diag_causes[DIAG_CAUSE_COUNT] = {
#define DIAG_CAUSE_ROW(id, label, text) {label, text},
    DIAG_CAUSES(DIAG_CAUSE_ROW)
#undef DIAG_CAUSE_ROW
};

const char *diag_cause_name(enum diag_cause cause)
{
	return (unsigned)cause < DIAG_CAUSE_COUNT ? diag_causes[cause].name : "?";
}

const char *diag_cause_text(enum diag_cause cause)
{
	return (unsigned)cause < DIAG_CAUSE_COUNT ? diag_causes[cause].text : "?";
}
