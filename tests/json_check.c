/* A strict JSON checker for the suites (RFC 8259 grammar, well-formed UTF-8 per Unicode
 * Table 3-7): support.h json_valid. */
#include <string.h>

#include "support.h"

struct jp {
	const unsigned char *p, *end;
	int depth;
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_word(struct jp *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int jp_hex4(struct jp *j, unsigned *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return 0;
	for (int k = 0; k < 4; k++) {
		int h = hex_value(j->p[k]);
		if (h < 0)
			return 0;
		*v = *v << 4 | (unsigned)h;
	}
	j->p += 4;
	return 1;
}

/* Decodes one multibyte character by code point arithmetic; rejects anything ill-formed. */
static int utf8_decode(const unsigned char *p, const unsigned char *end, unsigned *cp_out)
{
	unsigned c = p[0], cp, min;
	int len;
	if (c >= 0xC0 && c < 0xE0) {
		len = 2, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c < 0xF0) {
		len = 3, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c < 0xF8) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (end - p < len)
		return 0;
	for (int k = 1; k < len; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	if (cp_out)
		*cp_out = cp;
	return len;
}

static int jp_escape(struct jp *j)
{
	unsigned v, lo;
	if (j->p >= j->end)
		return 0;
	unsigned char c = *j->p++;
	if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
		return 1;
	if (c != 'u' || !jp_hex4(j, &v))
		return 0;
	if (v >= 0xDC00 && v <= 0xDFFF)
		return 0;
	if (v >= 0xD800 && v <= 0xDBFF)
		return jp_word(j, "\\u") && jp_hex4(j, &lo) && lo >= 0xDC00 && lo <= 0xDFFF;
	return 1;
}

static int jp_string(struct jp *j)
{
	if (!jp_word(j, "\""))
		return 0;
	while (j->p < j->end) {
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			j->p++;
			if (!jp_escape(j))
				return 0;
		} else if (c < 0x80) {
			j->p++;
		} else {
			int len = utf8_decode(j->p, j->end, NULL);
			if (len == 0)
				return 0;
			j->p += len;
		}
	}
	return 0;
}

static int jp_digits(struct jp *j)
{
	const unsigned char *start = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

static int jp_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p >= j->end || *j->p < '1' || *j->p > '9' || !jp_digits(j))
		return 0;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jp_digits(j))
			return 0;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jp_digits(j))
			return 0;
	}
	return 1;
}

static int jp_value(struct jp *j);

static int jp_members(struct jp *j, char close, int keyed)
{
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 1;
	}
	for (;;) {
		jp_ws(j);
		if (keyed) {
			if (!jp_string(j))
				return 0;
			jp_ws(j);
			if (!jp_word(j, ":"))
				return 0;
		}
		if (!jp_value(j))
			return 0;
		jp_ws(j);
		if (j->p >= j->end)
			return 0;
		unsigned char c = *j->p++;
		if (c == (unsigned char)close)
			return 1;
		if (c != ',')
			return 0;
	}
}

static int jp_value(struct jp *j)
{
	int ok;
	jp_ws(j);
	if (j->p >= j->end)
		return 0;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 64)
			return 0;
		ok = *j->p == '{';
		j->p++;
		ok = jp_members(j, ok ? '}' : ']', ok);
		j->depth--;
		return ok;
	case '"':
		return jp_string(j);
	case 't':
		return jp_word(j, "true");
	case 'f':
		return jp_word(j, "false");
	case 'n':
		return jp_word(j, "null");
	default:
		return jp_number(j);
	}
}

int json_valid(const char *s, size_t n)
{
	struct jp j = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
	if (!jp_value(&j))
		return 0;
	jp_ws(&j);
	return j.p == j.end;
}
