/* libFuzzer target for webhook URLs: any bytes in; an accepted URL must have every part inside
 * the input where the grammar puts it (host after "//", target from the first '/' or '?'), a
 * port from 1 to 65535 and a host of the kind it claims; every error must have a sentence. The
 * same holds for each shorter prefix, which catches a parser reading past its span. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

#define PREFIXES_UP_TO 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static int inside(struct span part, const char *p, size_t n)
{
	return part.len == 0 || (part.p >= p && part.p + part.len <= p + n);
}

static void check_one(const char *p, size_t n)
{
	struct url u;
	enum url_error e = url_parse(span_make(p, n), &u);

	require(url_error_text(e) != NULL && strlen(url_error_text(e)) > 0);
	if (e != URL_OK)
		return;
	require(u.scheme == URL_HTTP || u.scheme == URL_HTTPS);
	require(u.port >= 1);
	require(inside(u.host, p, n) && inside(u.target, p, n));
	require(u.host.len > 0 && u.host.len <= URL_HOST_MAX);
	require(memchr(p, '#', n) == NULL && memchr(u.host.p, '@', u.host.len) == NULL);
	require(u.target.len == 0 || u.target.p[0] == '/' || u.target.p[0] == '?');
	require(u.target.len == 0 || u.target.p + u.target.len == p + n);
	for (size_t i = 0; i < u.target.len; i++)
		require((unsigned char)u.target.p[i] > 0x20 && (unsigned char)u.target.p[i] < 0x7f);
	if (u.host_kind == URL_HOST_IPV6)
		require(u.host.p[-1] == '[' && memchr(u.host.p, ':', u.host.len) != NULL);
	else
		require(memchr(u.host.p, ':', u.host.len) == NULL &&
		        memchr(u.host.p, '[', u.host.len) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	check_one(size == 0 ? NULL : p, size);
	if (size <= PREFIXES_UP_TO)
		for (size_t n = 1; n < size; n++)
			check_one(p, n);
	return 0;
}
