#include "span.h"

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int span_eq_ci(struct span s, const char *w)
{
	size_t n = strlen(w);
	return s.len == n && span_starts_ci(s, w);
}

int span_starts_ci(struct span s, const char *w)
{
	size_t i;
	for (i = 0; w[i] != '\0'; i++)
		if (i >= s.len || lower((unsigned char)s.p[i]) != lower((unsigned char)w[i]))
			return 0;
	return 1;
}

/* The digits of s as a number when there are at most 19 of them (no overflow is possible);
 * -1 when a byte is not a digit. */
static int digits_to_u64(struct span s, unsigned long long *out)
{
	unsigned long long v = 0;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int span_to_u64(struct span s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	if (s.len == 0)
		return -1;
	if (s.len <= 19) { /* 10^19 - 1 < 2^64: checked once at the end */
		if (digits_to_u64(s, &v) != 0 || v > max)
			return -1;
		*out = v;
		return 0;
	}
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return -1;
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct span span_trim(struct span s)
{
	while (s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}
