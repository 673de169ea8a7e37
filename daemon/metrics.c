/* The Prometheus text exposition format, version 0.0.4 (metrics.h). */
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* ---- the exposition format ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Text with the escapes of the format: backslash and newline always, the double quote inside
 * label values. Invalid UTF-8 becomes U+FFFD: a scraper rejects the whole page otherwise. */
static void put_escaped(struct evbuffer *out, const char *text, int quote)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);
	while (n > 0) {
		size_t len = utf8_sequence(p, n);
		if (len == 0) {
			evbuffer_add(out, "\xef\xbf\xbd", 3);
			len = 1;
		} else if (p[0] == '\\') {
			evbuffer_add(out, "\\\\", 2);
		} else if (p[0] == '\n') {
			evbuffer_add(out, "\\n", 2);
		} else if (p[0] == '"' && quote) {
			evbuffer_add(out, "\\\"", 2);
		} else {
			evbuffer_add(out, p, len);
		}
		p += len;
		n -= len;
	}
}

struct metrics_family metrics_family(struct evbuffer *out, enum metrics_type type, const char *name,
                                     const char *help)
{
	evbuffer_add_printf(out, "# HELP %s ", name);
	put_escaped(out, help, 0);
	evbuffer_add_printf(out, "\n# TYPE %s %s\n", name,
	                    type == METRICS_COUNTER ? "counter" : "gauge");
	return (struct metrics_family){out, name};
}

void metrics_sample(const struct metrics_family *f, const struct metrics_label *labels,
                    size_t n_labels, uint64_t value)
{
	evbuffer_add(f->out, f->name, strlen(f->name));
	for (size_t i = 0; i < n_labels; i++) {
		evbuffer_add_printf(f->out, "%s%s=\"", i == 0 ? "{" : ",", labels[i].name);
		put_escaped(f->out, labels[i].value, 1);
		evbuffer_add(f->out, "\"", 1);
	}
	evbuffer_add_printf(f->out, "%s %" PRIu64 "\n", n_labels > 0 ? "}" : "", value);
}

void metrics_value(const struct metrics_family *f, uint64_t value)
{
	metrics_sample(f, NULL, 0, value);
}

void metrics_value1(const struct metrics_family *f, const char *label, const char *label_value,
                    uint64_t value)
{
	struct metrics_label l = {label, label_value};
	metrics_sample(f, &l, 1, value);
}
