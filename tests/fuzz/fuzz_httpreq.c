/* libFuzzer target for HTTP request heads: any bytes in. An accepted head must end in an empty
 * line inside the input, its method a token, its target starting with "/" and its path a prefix
 * of the target; every shorter prefix of an accepted head is incomplete, never accepted or
 * refused differently (the parser decides on what it has read, never on what lies beyond). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static int inside(struct span s, const char *p, size_t n)
{
	return s.len == 0 || (s.p >= p && s.p + s.len <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct httpreq r, again;
	enum httpreq_result res = httpreq_parse(span_make(size ? p : NULL, size), &r);

	if (res != HTTPREQ_OK)
		return 0;
	require(r.head_len >= 2 && r.head_len <= size && p[r.head_len - 1] == '\n');
	require(inside(r.method, p, size) && inside(r.target, p, size) && inside(r.path, p, size));
	require(r.method.len > 0 && r.target.len > 0 && r.target.p[0] == '/');
	require(r.path.p == r.target.p && r.path.len <= r.target.len);
	require(r.minor == 0 || r.minor == 1);
	/* the head alone parses the same */
	require(httpreq_parse(span_make(p, r.head_len), &again) == HTTPREQ_OK);
	require(again.head_len == r.head_len && again.keep_alive == r.keep_alive &&
	        again.has_body == r.has_body);
	/* and one byte less is never accepted */
	require(httpreq_parse(span_make(p, r.head_len - 1), &again) != HTTPREQ_OK);
	return 0;
}
