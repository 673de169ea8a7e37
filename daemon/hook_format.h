/* The body a webhook posts, by the hook's `format`: the record itself, or the JSON a receiver
 * expects (Slack, Microsoft Teams, Prometheus Alertmanager, PagerDuty), each with one human
 * sentence per alert ("TLS failed inbound from mx.example.org [192.0.2.1] on esa1: [Errno 54]
 * Connection reset by peer"). One table entry per format. Every value taken from the log is
 * escaped as JSON (invalid UTF-8 replaced); nothing here is ever given to a shell. */
#ifndef ESATLSD_HOOK_FORMAT_H
#define ESATLSD_HOOK_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"

/* What a body is made of, besides the alert. */
struct hook_format_input {
	const struct alert *a;
	const char *routing_key; /* pagerduty: the integration's key (a secret) */
	int64_t now;             /* wall clock, seconds since the epoch (alertmanager's startsAt) */
};

/* The body of in->a in format f, in a malloc'd buffer at *body (*len bytes, NUL after them).
 * Returns 0, or -1 when memory ran out. */
int hook_format_body(enum hook_format f, const struct hook_format_input *in, char **body,
                     size_t *len);

/* The sentence alone, as plain text (not escaped), cut to fit buf (always NUL-terminated).
 * Returns its length. */
size_t hook_format_sentence(const struct alert *a, char *buf, size_t size);

/* "record", "slack", ...; and back: 0 with *f set, or -1 for a name no format has. */
const char *hook_format_name(enum hook_format f);
int hook_format_from_name(const char *name, enum hook_format *f);

/* The names of every format, for messages: "record, slack, teams, alertmanager or pagerduty". */
#define HOOK_FORMAT_NAMES "record, slack, teams, alertmanager or pagerduty"

#endif
