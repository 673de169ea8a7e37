/* Pointer + length views over a caller's buffer: the parsers return these and never copy. */
#ifndef ESATLS_SPAN_H
#define ESATLS_SPAN_H

#include <stddef.h>
#include <string.h>

struct span {
	const char *p; /* not NUL-terminated; NULL with len 0 when absent */
	size_t len;
};

static inline struct span span_make(const char *p, size_t len)
{
	struct span s = {p, len};
	return s;
}

static inline struct span span_none(void)
{
	struct span s = {NULL, 0};
	return s;
}

static inline int span_present(struct span s)
{
	return s.p != NULL;
}

/* True when s equals the NUL-terminated word w, ignoring ASCII case. */
int span_eq_ci(struct span s, const char *w);

/* True when s starts with w, ignoring ASCII case. */
int span_starts_ci(struct span s, const char *w);

/* Parses all of s as a decimal unsigned number no larger than max; returns 0 on success. */
int span_to_u64(struct span s, unsigned long long max, unsigned long long *out);

/* s without leading and trailing ASCII white space (space, tab, CR, LF). */
struct span span_trim(struct span s);

#endif
