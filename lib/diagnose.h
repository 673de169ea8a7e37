/* Why a line was not read as ESA mail_logs: one cause per unclassified line, told from what the
 * syslog header parser and the ESA classifier made of it (and of its text, parsed again as a
 * header to find a log line wrapped in another). Shared by the daemon's feed warnings and
 * `esatlsd explain`; pure, allocates nothing. */
#ifndef ESATLS_DIAGNOSE_H
#define ESATLS_DIAGNOSE_H

#include "esa.h"
#include "syslog.h"

/* X(id, label, what it means and the likely fix) */
#define DIAG_CAUSES(X)                                                                             \
	X(RECOGNISED, "recognised", "an ESA mail_logs line esatlsd reads")                         \
	X(CONTINUATION, "continuation",                                                            \
	  "no header at all: read as the tail of a message split by a newline, never on its "      \
	  "own (a relay writing a date shape esatlsd cannot read, or bare text)")                  \
	X(HEADER, "unreadable_header",                                                             \
	  "a header of no shape esatlsd reads after the <PRI> (a relay or wrapper format)")        \
	X(YEARLESS, "yearless_inner_stamp",                                                        \
	  "a log-file line without the year of its stamp, wrapped in another header (forward "     \
	  "the native file lines whole, with the year)")                                           \
	X(WRAPPED, "wrapped_header",                                                               \
	  "a second syslog header inside the message: a wrapper shape esatlsd cannot read "        \
	  "(let the relay forward the original message, not a rewritten one)")                     \
	X(CEF, "consolidated_log",                                                                 \
	  "a consolidated event log (CEF) line: another log subscription, not Text Mail Logs")     \
	X(NO_LEVEL, "no_level",                                                                    \
	  "no ESA level marker (Info:, Warning:...) after the header: not an ESA log, or "         \
	  "another program's lines")                                                               \
	X(OTHER_TEXT, "other_esa_text",                                                            \
	  "ESA text of no connection shape: normal for message lines of mail_logs; when a "        \
	  "source sends nothing else, another log subscription (antispam, system or status "       \
	  "logs) rather than Text Mail Logs")

enum diag_cause {
#define DIAG_CAUSE_ENUM(id, label, text) DIAG_##id,
	DIAG_CAUSES(DIAG_CAUSE_ENUM)
#undef DIAG_CAUSE_ENUM
	    DIAG_CAUSE_COUNT
};

/* The cause for a message that syslog_parse read as *m and esa_classify (its text) as `kind`:
 * DIAG_RECOGNISED for a line the engine reads, DIAG_CONTINUATION for one it never classifies. */
enum diag_cause diag_cause(const struct syslog_msg *m, enum esa_kind kind);

/* Its label ("no_level") and its explanation (one sentence, no final period). */
const char *diag_cause_name(enum diag_cause cause);
const char *diag_cause_text(enum diag_cause cause);

#endif
