/* libFuzzer target for address prefixes. Any bytes in; the address part must be accepted exactly
 * when the C library's inet_pton accepts it (to the same 16 bytes), the "/bits" part exactly when
 * it is plain decimal in range with the host bits clear. A parsed prefix must match its own
 * address, and an address with one bit flipped exactly when the bit lies past the prefix. The
 * input's first bytes, read as a raw address, are matched bit by bit against every prefix. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define TEXT_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static int bit_at(const uint8_t a[16], unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static int ref_match(const struct cidr *c, const uint8_t a[16])
{
	for (unsigned i = 0; i < c->bits; i++)
		if (bit_at(c->addr, i) != bit_at(a, i))
			return 0;
	return 1;
}

/* inet_pton on a NUL-terminated copy; a NUL inside the text is not an address. */
static int ref_address(const char *p, size_t n, uint8_t out[16], int *is_v4)
{
	char text[TEXT_MAX];

	if (n == 0 || n >= sizeof(text) || memchr(p, '\0', n) != NULL)
		return -1;
	memcpy(text, p, n);
	text[n] = '\0';
	*is_v4 = memchr(p, ':', n) == NULL;
	if (!*is_v4)
		return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	return inet_pton(AF_INET, text, out + 12) == 1 ? 0 : -1;
}

/* Decimal without sign or leading zero, at most max; -1 otherwise. */
static int ref_bits(const char *p, size_t n, unsigned max)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

static int ref_host_bits_clear(const uint8_t a[16], unsigned bits)
{
	for (unsigned i = bits; i < 128; i++)
		if (bit_at(a, i))
			return 0;
	return 1;
}

/* The whole of cidr_parse's contract, read the slow way: 0 and *out, or -1. */
static int ref_parse(const char *p, size_t n, struct cidr *out)
{
	const char *slash = n ? memchr(p, '/', n) : NULL;
	size_t alen = slash ? (size_t)(slash - p) : n;
	int is_v4, bits = 128;

	if (ref_address(p, alen, out->addr, &is_v4) != 0)
		return -1;
	if (slash != NULL) {
		bits = ref_bits(slash + 1, n - alen - 1, is_v4 ? 32 : 128);
		if (bits < 0)
			return -1;
		if (is_v4)
			bits += 96;
	}
	if (!ref_host_bits_clear(out->addr, (unsigned)bits))
		return -1;
	out->bits = (uint8_t)bits;
	return 0;
}

static void check_parsed(const struct cidr *c, const uint8_t *data, size_t size)
{
	uint8_t probe[16];

	require(c->bits <= 128);
	require(cidr_match(c, c->addr));
	require(cidr_match_any(c, 1, c->addr));
	require(!cidr_match_any(c, 0, c->addr));
	for (unsigned j = 0; j < 128; j++) {
		memcpy(probe, c->addr, 16);
		probe[j / 8] ^= (uint8_t)(0x80u >> (j % 8));
		require(cidr_match(c, probe) == (j >= c->bits));
	}
	if (size >= 16) {
		cidr_addr_from_bytes(data, 16, probe);
		require(memcmp(probe, data, 16) == 0);
		require(cidr_match(c, probe) == ref_match(c, probe));
	}
	if (size >= 4) {
		cidr_addr_from_bytes(data, 4, probe);
		require(memcmp(probe + 12, data, 4) == 0 && probe[10] == 0xff && probe[11] == 0xff);
		require(cidr_match(c, probe) == ref_match(c, probe));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = size ? (const char *)data : NULL;
	struct cidr got, want, before;
	int rc, ref;

	memset(&got, 0xa5, sizeof(got));
	before = got;
	rc = cidr_parse(span_make(p, size), &got);
	ref = ref_parse(p, size, &want);
	require(rc == ref);
	if (rc != 0) {
		require(memcmp(&got, &before, sizeof(got)) == 0);
		return 0;
	}
	require(memcmp(got.addr, want.addr, 16) == 0 && got.bits == want.bits);
	check_parsed(&got, data, size);
	return 0;
}
