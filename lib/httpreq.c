/* HTTP/1.x request heads (httpreq.h). */
#include <string.h>

#include "httpreq.h"

/* RFC 9110 section 5.6.2 tchar. */
static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(struct span s)
{
	if (s.len == 0)
		return 0;
	for (size_t i = 0; i < s.len; i++)
		if (!is_tchar(s.p[i]))
			return 0;
	return 1;
}

/* The line at *pos (without its CR LF or LF), moving *pos past it; -1 when no LF is left. */
static int next_line(struct span in, size_t *pos, struct span *line)
{
	const char *lf = memchr(in.p + *pos, '\n', in.len - *pos);
	if (lf == NULL)
		return -1;
	size_t end = (size_t)(lf - in.p);
	*line = span_make(in.p + *pos, end - *pos);
	if (line->len > 0 && line->p[line->len - 1] == '\r')
		line->len--;
	*pos = end + 1;
	return 0;
}

/* method SP request-target SP HTTP/1.x, the target in origin form ("/..."). */
static int parse_request_line(struct span line, struct httpreq *r)
{
	const char *sp1 = memchr(line.p, ' ', line.len);
	if (sp1 == NULL)
		return -1;
	r->method = span_make(line.p, (size_t)(sp1 - line.p));
	struct span rest = span_make(sp1 + 1, line.len - r->method.len - 1);
	const char *sp2 = memchr(rest.p, ' ', rest.len);
	if (sp2 == NULL)
		return -1;
	r->target = span_make(rest.p, (size_t)(sp2 - rest.p));
	struct span version = span_make(sp2 + 1, rest.len - r->target.len - 1);
	if (!is_token(r->method) || r->target.len == 0 || r->target.p[0] != '/' ||
	    version.len != 8 || memcmp(version.p, "HTTP/1.", 7) != 0 ||
	    (version.p[7] != '0' && version.p[7] != '1'))
		return -1;
	for (size_t i = 0; i < r->target.len; i++)
		if ((unsigned char)r->target.p[i] <= 0x20 || (unsigned char)r->target.p[i] >= 0x7f)
			return -1;
	const char *q = memchr(r->target.p, '?', r->target.len);
	r->path = span_make(r->target.p, q != NULL ? (size_t)(q - r->target.p) : r->target.len);
	r->minor = version.p[7] - '0';
	r->keep_alive = r->minor == 1;
	return 0;
}

/* True when the comma-separated list names the token (case-insensitive). */
static int list_has(struct span value, const char *token)
{
	size_t start = 0;
	for (size_t i = 0; i <= value.len; i++) {
		if (i < value.len && value.p[i] != ',')
			continue;
		if (span_eq_ci(span_trim(span_make(value.p + start, i - start)), token))
			return 1;
		start = i + 1;
	}
	return 0;
}

static int parse_field(struct span line, struct httpreq *r)
{
	const char *colon = memchr(line.p, ':', line.len);
	if (colon == NULL)
		return -1;
	struct span name = span_make(line.p, (size_t)(colon - line.p));
	struct span value = span_trim(span_make(colon + 1, line.len - name.len - 1));
	if (!is_token(name)) /* also refuses "Name :" (RFC 9112 section 5.1) */
		return -1;
	if (span_eq_ci(name, "connection")) {
		if (list_has(value, "close"))
			r->keep_alive = 0;
		else if (list_has(value, "keep-alive"))
			r->keep_alive = 1;
	} else if (span_eq_ci(name, "content-length")) {
		unsigned long long n;
		if (span_to_u64(value, ~0ULL, &n) != 0)
			return -1;
		r->has_body |= n > 0;
	} else if (span_eq_ci(name, "transfer-encoding")) {
		r->has_body = 1;
	}
	return 0;
}

enum httpreq_result httpreq_parse(struct span in, struct httpreq *r)
{
	struct span line;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	if (in.len == 0)
		return HTTPREQ_INCOMPLETE;
	if (next_line(in, &pos, &line) != 0)
		return HTTPREQ_INCOMPLETE;
	if (parse_request_line(line, r) != 0)
		return HTTPREQ_BAD;
	for (;;) {
		if (next_line(in, &pos, &line) != 0)
			return HTTPREQ_INCOMPLETE;
		if (line.len == 0)
			break;
		if (parse_field(line, r) != 0)
			return HTTPREQ_BAD;
	}
	r->head_len = pos;
	return HTTPREQ_OK;
}
