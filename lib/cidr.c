#include "cidr.h"

#include <string.h>

#define CIDR_V4_OFFSET 12 /* ::ffff:a.b.c.d puts the IPv4 address in the last 4 bytes */

static const uint8_t v4_mapped_prefix[CIDR_V4_OFFSET] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses all of s as a decimal number no larger than max, without a leading zero: "010" reads as
 * 8 to inet_aton (octal), so it is refused rather than guessed. */
static int parse_plain_decimal(struct span s, unsigned max, unsigned *out)
{
	unsigned long long v;

	if (s.len == 0 || s.len > 3 || (s.len > 1 && s.p[0] == '0'))
		return -1;
	if (span_to_u64(s, max, &v) != 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Exactly four dotted decimal parts 0..255, all of s. */
static int parse_ipv4(struct span s, uint8_t out[4])
{
	size_t pos = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = pos;
		unsigned v;
		while (pos < s.len && is_digit(s.p[pos]))
			pos++;
		if (parse_plain_decimal(span_make(s.p + start, pos - start), 255, &v) != 0)
			return -1;
		out[part] = (uint8_t)v;
		if (part < 3) {
			if (pos >= s.len || s.p[pos] != '.')
				return -1;
			pos++;
		}
	}
	return pos == s.len ? 0 : -1;
}

/* One group of 1..4 hex digits at s.p[*pos] (RFC 4291 2.2, form 1). */
static int parse_hex_group(struct span s, size_t *pos, uint8_t out[2])
{
	unsigned v = 0;
	size_t n = 0;
	int h;

	while (*pos + n < s.len && (h = hex_value(s.p[*pos + n])) >= 0) {
		if (++n > 4)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	if (n == 0)
		return -1;
	out[0] = (uint8_t)(v >> 8);
	out[1] = (uint8_t)v;
	*pos += n;
	return 0;
}

/* True when the group starting at pos is the dotted IPv4 tail of RFC 4291 2.2 form 3. */
static int starts_ipv4_tail(struct span s, size_t pos)
{
	while (pos < s.len && is_digit(s.p[pos]))
		pos++;
	return pos < s.len && s.p[pos] == '.';
}

/* Moves the groups after a "::" to the end of the address and zeroes the gap it stands for. */
static void expand_gap(uint8_t out[16], size_t gap, size_t filled)
{
	size_t tail = filled - gap;
	memmove(out + 16 - tail, out + gap, tail);
	memset(out + gap, 0, 16 - filled);
}

/* RFC 4291 2.2: up to eight hex groups, one "::" standing for one or more zero groups, and
 * optionally a dotted IPv4 address as the last 32 bits. No zone id (RFC 4007 "%eth0"). */
static int parse_ipv6(struct span s, uint8_t out[16])
{
	size_t pos = 0, filled = 0, gap = SIZE_MAX;

	if (s.len >= 2 && s.p[0] == ':' && s.p[1] == ':') {
		gap = 0;
		pos = 2;
	}
	while (pos < s.len) {
		if (filled == 16)
			return -1;
		if (starts_ipv4_tail(s, pos)) {
			if (filled > 12 ||
			    parse_ipv4(span_make(s.p + pos, s.len - pos), out + filled) != 0)
				return -1;
			filled += 4;
			break;
		}
		if (parse_hex_group(s, &pos, out + filled) != 0)
			return -1;
		filled += 2;
		if (pos == s.len)
			break;
		if (s.p[pos++] != ':' || pos == s.len)
			return -1; /* junk, or a lone trailing ':' */
		if (s.p[pos] == ':') {
			if (gap != SIZE_MAX)
				return -1;
			gap = filled;
			pos++;
		}
	}
	if (gap == SIZE_MAX)
		return filled == 16 ? 0 : -1;
	if (filled == 16)
		return -1; /* "::" must stand for at least one group */
	expand_gap(out, gap, filled);
	return 0;
}

static int host_bits_zero(const uint8_t addr[16], unsigned bits)
{
	size_t i = bits / 8;

	if (bits % 8 != 0) {
		if (addr[i] & (0xffu >> (bits % 8)))
			return 0;
		i++;
	}
	for (; i < 16; i++)
		if (addr[i] != 0)
			return 0;
	return 1;
}

static int prefix_equal(const uint8_t a[16], const uint8_t b[16], unsigned bits)
{
	size_t whole = bits / 8;
	unsigned rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ b[whole]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

static int parse_address(struct span s, uint8_t addr[16], int *is_v4)
{
	*is_v4 = memchr(s.p, ':', s.len) == NULL;
	if (!*is_v4)
		return parse_ipv6(s, addr);
	memcpy(addr, v4_mapped_prefix, CIDR_V4_OFFSET);
	return parse_ipv4(s, addr + CIDR_V4_OFFSET);
}

int cidr_parse(struct span s, struct cidr *out)
{
	struct cidr c;
	const char *slash;
	struct span addr_text;
	unsigned bits = 128;
	int is_v4;

	if (s.len == 0)
		return -1;
	slash = memchr(s.p, '/', s.len);
	addr_text = span_make(s.p, slash ? (size_t)(slash - s.p) : s.len);
	if (addr_text.len == 0 || parse_address(addr_text, c.addr, &is_v4) != 0)
		return -1;
	if (slash != NULL) {
		struct span len_text = span_make(slash + 1, s.len - addr_text.len - 1);
		if (parse_plain_decimal(len_text, is_v4 ? 32 : 128, &bits) != 0)
			return -1;
		if (is_v4)
			bits += CIDR_V4_OFFSET * 8;
	}
	if (!host_bits_zero(c.addr, bits))
		return -1;
	c.bits = (uint8_t)bits;
	*out = c;
	return 0;
}

/* Any length other than 4 or 16 gives "::", which only a "::/n" prefix can match. */
void cidr_addr_from_bytes(const uint8_t *bytes, size_t len, uint8_t out[16])
{
	if (len == 16) {
		memcpy(out, bytes, 16);
	} else if (len == 4) {
		memcpy(out, v4_mapped_prefix, CIDR_V4_OFFSET);
		memcpy(out + CIDR_V4_OFFSET, bytes, 4);
	} else {
		memset(out, 0, 16);
	}
}

int cidr_match(const struct cidr *c, const uint8_t addr[16])
{
	unsigned bits = c->bits > 128 ? 128 : c->bits;
	return prefix_equal(c->addr, addr, bits);
}

int cidr_match_any(const struct cidr *list, size_t n, const uint8_t addr[16])
{
	for (size_t i = 0; i < n; i++)
		if (cidr_match(&list[i], addr))
			return 1;
	return 0;
}
