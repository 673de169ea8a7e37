/* The ESA line classifier's insides, shared by the files behind esa.h: esa.c picks a parser by
 * the first token and reads the message lines, esa_conn.c reads the connection lines. Both walk
 * the text with the cursor below. Not for other modules. */
#ifndef ESATLS_ESA_INT_H
#define ESATLS_ESA_INT_H

#include "esa.h"

/* IDs reach ~1.8e9 in the field; anything past 2^63 is garbage, not a wrapped counter. */
#define ESA_ID_MAX (1ULL << 63)

/* A position in one line's text. */
struct cursor {
	const char *s;
	size_t len; /* trailing white space already cut off */
	size_t pos;
};

static inline int ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static inline void event_reset(struct esa_event *ev)
{
	static const struct esa_event blank = {.rdns_verified = -1};
	*ev = blank;
}

/* True when t starts with w[0..n), ignoring ASCII case. */
static inline int tok_starts(struct span t, const char *w, size_t n)
{
	size_t i;
	if (t.len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)t.p[i]) != ascii_lower((unsigned char)w[i]))
			return 0;
	return 1;
}

static inline int tok_eq(struct span t, const char *w, size_t n)
{
	return t.len == n && tok_starts(t, w, n);
}

#define TOK_IS(t, w) tok_eq((t), (w), sizeof(w) - 1)
#define TOK_STARTS(t, w) tok_starts((t), (w), sizeof(w) - 1)
#define EXPECT(c, w) expect((c), (w), sizeof(w) - 1)

static inline void skip_spaces(struct cursor *c)
{
	while (c->pos < c->len && c->s[c->pos] == ' ')
		c->pos++;
}

/* The next run of non-space bytes; an empty span at the end of the text. Double spaces between
 * tokens are common in real captures, so any run of spaces separates. */
static inline struct span next_token(struct cursor *c)
{
	size_t start;
	skip_spaces(c);
	start = c->pos;
	while (c->pos < c->len && c->s[c->pos] != ' ')
		c->pos++;
	return span_make(c->s + start, c->pos - start);
}

static inline int expect(struct cursor *c, const char *w, size_t n)
{
	return tok_eq(next_token(c), w, n);
}

/* Moves the cursor to p, a position inside its text. */
static inline void seek_to(struct cursor *c, const char *p)
{
	c->pos = (size_t)(p - c->s);
}

static inline int token_to_id(struct span t, uint64_t *out)
{
	unsigned long long v;
	if (span_to_u64(t, ESA_ID_MAX, &v) != 0)
		return -1;
	*out = v;
	return 0;
}

/* A number counts only as a whole token: "ICID 5," or "ICID 5x" is not ICID 5. */
static inline int read_id(struct cursor *c, uint64_t *out)
{
	return token_to_id(next_token(c), out);
}

/* The next token, or absent when the text ends. */
static inline struct span value_token(struct cursor *c)
{
	struct span t = next_token(c);
	return t.len ? t : span_none();
}

/* Everything from the next non-space byte to the end (already right-trimmed), absent if empty. */
static inline struct span rest_or_none(struct cursor *c)
{
	skip_spaces(c);
	if (c->pos >= c->len)
		return span_none();
	return span_make(c->s + c->pos, c->len - c->pos);
}

/* From p (inside the text) to the end. */
static inline struct span rest_from(const struct cursor *c, const char *p)
{
	return span_make(p, c->len - (size_t)(p - c->s));
}

static inline struct span span_between(const char *start, const char *end)
{
	return span_make(start, (size_t)(end - start));
}

/* esa_conn.c: the parsers of the lines about a connection, called with the cursor after the
 * first token (after "New" for an open). Each returns 1 and fills *ev when the line has its
 * shape, else 0 (the caller then resets *ev). */

/* "New SMTP ICID|DCID n ..." */
int esa_parse_open(struct cursor *c, struct esa_event *ev);

/* "ICID|DCID[:] n VERB ...", dir being the side the first token named. */
int esa_parse_conn_line(struct cursor *c, enum esa_dir dir, struct esa_event *ev);

/* "SMTP server|client connection killed ..." and "SMTP Auth ..."; smtp is the first token. */
int esa_parse_smtp(struct cursor *c, struct span smtp, struct esa_event *ev);

/* "Mail delivery client with DCID n ..." */
int esa_parse_mail(struct cursor *c, struct esa_event *ev);

/* "Connection Error: ... DCID[:] n ..." */
int esa_parse_connection_error(struct cursor *c, struct esa_event *ev);

#endif
