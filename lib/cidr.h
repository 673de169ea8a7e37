/* Address prefixes for allow lists: "127.0.0.0/8", "::1", "2001:db8::/32", "10.1.2.3".
 * IPv4-mapped IPv6 senders (::ffff:a.b.c.d) match IPv4 prefixes. Pure, allocation-free. */
#ifndef ESATLS_CIDR_H
#define ESATLS_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

struct cidr {
	uint8_t addr[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
	uint8_t bits;     /* prefix length over the 128-bit form (IPv4 /n is 96 + n) */
};

/* Parses an address with an optional "/bits" (none = a single host). Host bits past the prefix
 * must be zero ("10.0.0.1/8" is rejected, since it usually hides a typo). Returns 0 or -1. */
int cidr_parse(struct span s, struct cidr *out);

/* Converts a 4-byte IPv4 or 16-byte IPv6 address (network order) to the 128-bit form. */
void cidr_addr_from_bytes(const uint8_t *bytes, size_t len, uint8_t out[16]);

/* True when addr (128-bit form) lies inside c. */
int cidr_match(const struct cidr *c, const uint8_t addr[16]);

/* True when addr lies inside any of the n prefixes (an empty list matches nothing). */
int cidr_match_any(const struct cidr *list, size_t n, const uint8_t addr[16]);

#endif
