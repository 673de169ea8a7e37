/* libFuzzer target for Retry-After values: any bytes in, at any "now"; an accepted date never
 * asks for more than the seconds to it, a number only for digits, and no input reads past its
 * span (each shorter prefix is tried too). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "retry_after.h"

#define PREFIXES_UP_TO 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static void check_one(const char *p, size_t n, int64_t now)
{
	uint64_t s = 12345, t;
	int rc = retry_after_parse(span_make(p, n), now, &s);
	require(rc == 0 || (rc == -1 && s == 12345));
	if (rc == 0) {
		/* the same value later never asks for longer */
		require(retry_after_parse(span_make(p, n), now + 1, &t) == 0 && t <= s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now = 0;
	if (size >= 4) {
		uint32_t v;
		memcpy(&v, data, 4);
		now = (int64_t)v;
		data += 4;
		size -= 4;
	}
	const char *p = (const char *)data;
	check_one(size == 0 ? NULL : p, size, now);
	if (size <= PREFIXES_UP_TO)
		for (size_t n = 1; n < size; n++)
			check_one(p, n, now);
	return 0;
}
