/* JSON syntax per RFC 8259: value = object / array / string / number / true / false / null. */
#include <string.h>

#include "jsonl.h"

struct cur {
	const char *p, *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A string at c->p (at its opening quote); on success c->p is past the closing quote and raw
 * holds the contents. RFC 8259 section 7: control bytes must be escaped. */
static int scan_string(struct cur *c, struct span *raw)
{
	const char *start = ++c->p;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '"') {
			*raw = span_make(start, (size_t)(c->p - start));
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return -1;
			char e = c->p[1];
			if (e == 'u') {
				if (c->end - c->p < 6)
					return -1;
				for (int i = 2; i < 6; i++)
					if (hex_value(c->p[i]) < 0)
						return -1;
				c->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0')
				return -1;
			c->p += 2;
			continue;
		}
		c->p++;
	}
	return -1;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int scan_number(struct cur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || !is_digit(*c->p))
		return -1;
	if (*c->p == '0')
		c->p++;
	else
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return -1;
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return -1;
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	}
	return 0;
}

static int scan_word(struct cur *c, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* A scalar value (string, number, literal) at c->p; fills v. */
static int scan_scalar(struct cur *c, struct jsonl_value *v)
{
	const char *start = c->p;
	switch (*c->p) {
	case '"':
		v->type = JSONL_STRING;
		return scan_string(c, &v->raw);
	case 't':
		v->type = JSONL_TRUE;
		break;
	case 'f':
		v->type = JSONL_FALSE;
		break;
	case 'n':
		v->type = JSONL_NULL;
		break;
	default:
		v->type = JSONL_NUMBER;
		if (scan_number(c) != 0)
			return -1;
		v->raw = span_make(start, (size_t)(c->p - start));
		return 0;
	}
	if (scan_word(c, v->type == JSONL_TRUE    ? "true"
	                 : v->type == JSONL_FALSE ? "false"
	                                          : "null"))
		return -1;
	v->raw = span_make(start, (size_t)(c->p - start));
	return 0;
}

/* Any value at c->p (after white space); containers are walked without recursion, their
 * nesting kept as a stack of bracket kinds. */
static int scan_value(struct cur *c, struct jsonl_value *v)
{
	char stack[JSONL_DEPTH_MAX];
	int depth = 0;
	const char *start;
	skip_ws(c);
	if (c->p >= c->end)
		return -1;
	if (*c->p != '{' && *c->p != '[')
		return scan_scalar(c, v);
	start = c->p;
	v->type = *c->p == '{' ? JSONL_OBJECT : JSONL_ARRAY;
	for (;;) {
		/* At an opening bracket or after a member/element separator. */
		if (*c->p == '{' || *c->p == '[') {
			if (depth == JSONL_DEPTH_MAX)
				return -1;
			stack[depth++] = *c->p == '{' ? '}' : ']';
			c->p++;
			skip_ws(c);
			if (c->p < c->end && *c->p == stack[depth - 1])
				goto close;
		}
		/* One member (name: value) or element. */
		if (stack[depth - 1] == '}') {
			struct span name;
			if (c->p >= c->end || *c->p != '"' || scan_string(c, &name) != 0)
				return -1;
			skip_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -1;
			c->p++;
		}
		skip_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == '{' || *c->p == '[')
			continue;
		struct jsonl_value inner;
		if (scan_scalar(c, &inner) != 0)
			return -1;
		for (;;) {
			skip_ws(c);
			if (c->p >= c->end)
				return -1;
			if (*c->p == ',') {
				c->p++;
				skip_ws(c);
				if (c->p >= c->end)
					return -1;
				break;
			}
			if (*c->p != stack[depth - 1])
				return -1;
		close:
			c->p++;
			if (--depth == 0) {
				v->raw = span_make(start, (size_t)(c->p - start));
				return 0;
			}
		}
		if (stack[depth - 1] == ']' && (*c->p == '{' || *c->p == '['))
			continue;
	}
}

int jsonl_fields(const char *line, size_t len, const char *const *keys, size_t n_keys,
                 struct jsonl_value *vals)
{
	struct cur c = {line, line + len};
	for (size_t i = 0; i < n_keys; i++)
		vals[i] = (struct jsonl_value){JSONL_ABSENT, span_none()};
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -1;
	c.p++;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
		goto done;
	}
	for (;;) {
		struct span name;
		struct jsonl_value v;
		skip_ws(&c);
		if (c.p >= c.end || *c.p != '"' || scan_string(&c, &name) != 0)
			return -1;
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return -1;
		c.p++;
		if (scan_value(&c, &v) != 0)
			return -1;
		for (size_t i = 0; i < n_keys; i++)
			if (vals[i].type == JSONL_ABSENT && strlen(keys[i]) == name.len &&
			    memcmp(keys[i], name.p, name.len) == 0) {
				vals[i] = v;
				break;
			}
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.end && *c.p == '}') {
			c.p++;
			break;
		}
		return -1;
	}
done:
	skip_ws(&c);
	return c.p == c.end ? 0 : -1;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int read_hex4(const char *p, const char *end, uint32_t *cp)
{
	if (end - p < 4)
		return -1;
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(p[i]);
		if (h < 0)
			return -1;
		*cp = *cp << 4 | (uint32_t)h;
	}
	return 0;
}

long jsonl_unescape(struct span raw, char *buf, size_t cap)
{
	const char *p = raw.p, *end = raw.p + raw.len;
	size_t n = 0;
	while (p < end) {
		char tmp[4];
		size_t k = 1;
		if (*p != '\\') {
			tmp[0] = *p++;
		} else if (end - p < 2) {
			return -1;
		} else if (p[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e = memchr(from, p[1], sizeof(from) - 1);
			if (e == NULL)
				return -1;
			tmp[0] = to[e - from];
			p += 2;
		} else {
			uint32_t cp, lo;
			if (read_hex4(p + 2, end, &cp) != 0)
				return -1;
			p += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u' && read_hex4(p + 2, end, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			k = utf8_put(tmp, cp);
		}
		if (cap - n < k)
			return -1;
		memcpy(buf + n, tmp, k);
		n += k;
	}
	return (long)n;
}

int jsonl_u64(const struct jsonl_value *v, uint64_t *out)
{
	uint64_t x = 0;
	if (v->type != JSONL_NUMBER || v->raw.len == 0)
		return -1;
	for (size_t i = 0; i < v->raw.len; i++) {
		unsigned d = (unsigned)(v->raw.p[i] - '0');
		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int jsonl_is(const struct jsonl_value *v, const char *s)
{
	size_t n = strlen(s);
	return v->type == JSONL_STRING && v->raw.len == n && memcmp(v->raw.p, s, n) == 0;
}
