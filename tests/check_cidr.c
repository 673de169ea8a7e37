/* Address prefixes: IPv4 and IPv6 text forms (checked against the C library's inet_pton over many
 * generated strings), prefix lengths and host bits, match boundaries, IPv4-mapped senders. */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "support.h"

/* Deterministic xorshift: a failure reproduces. */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32) % n;
}

static void hex16(const uint8_t a[16], char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", a[i]);
}

static void assert_addr_eq(const uint8_t got[16], const uint8_t want[16], const char *text)
{
	char g[33], w[33];
	hex16(got, g);
	hex16(want, w);
	ck_assert_msg(memcmp(got, want, 16) == 0, "\"%s\": got %s, want %s", text, g, w);
}

/* The reference for an address text: inet_pton, IPv4 as ::ffff:a.b.c.d. */
static int ref_parse(const char *text, uint8_t out[16])
{
	if (strchr(text, ':') != NULL)
		return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	return inet_pton(AF_INET, text, out + 12) == 1 ? 0 : -1;
}

static uint8_t *ref_addr(const char *text, uint8_t out[16])
{
	ck_assert_msg(ref_parse(text, out) == 0, "reference rejects \"%s\"", text);
	return out;
}

static struct cidr parse_ok(const char *text)
{
	struct cidr c;
	ck_assert_msg(cidr_parse(sp(text), &c) == 0, "rejected \"%s\"", text);
	return c;
}

static void expect_prefix(const char *text, const char *addr_text, unsigned bits)
{
	uint8_t want[16];
	struct cidr c = parse_ok(text);
	assert_addr_eq(c.addr, ref_addr(addr_text, want), text);
	ck_assert_msg(c.bits == bits, "\"%s\": bits %u, want %u", text, c.bits, bits);
}

static void expect_bad_span(struct span s)
{
	struct cidr c, before;
	memset(&c, 0xa5, sizeof(c));
	before = c;
	ck_assert_msg(cidr_parse(s, &c) == -1, "accepted \"%.*s\"", (int)s.len, s.p ? s.p : "");
	ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0, "\"%.*s\" wrote on error", (int)s.len,
	              s.p ? s.p : "");
}

static void expect_bad(const char *text)
{
	expect_bad_span(sp(text));
}

#define EXPECT_ALL_BAD(list)                                                                       \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < sizeof(list) / sizeof(list[0]); i_++)                     \
			expect_bad(list[i_]);                                                      \
	} while (0)

static int matches(const char *prefix, const char *addr_text)
{
	uint8_t a[16];
	struct cidr c = parse_ok(prefix);
	return cidr_match(&c, ref_addr(addr_text, a));
}

START_TEST(test_ipv4_valid)
{
	expect_prefix("10.1.2.3", "10.1.2.3", 128);
	expect_prefix("127.0.0.0/8", "127.0.0.0", 104);
	expect_prefix("0.0.0.0/0", "0.0.0.0", 96);
	expect_prefix("0.0.0.0", "0.0.0.0", 128);
	expect_prefix("255.255.255.255", "255.255.255.255", 128);
	expect_prefix("255.255.255.255/32", "255.255.255.255", 128);
	expect_prefix("192.168.0.0/16", "192.168.0.0", 112);
	expect_prefix("10.0.0.0/7", "10.0.0.0", 103);
	expect_prefix("172.16.0.0/12", "172.16.0.0", 108);
	expect_prefix("128.0.0.0/1", "128.0.0.0", 97);
	expect_prefix("192.0.2.128/25", "192.0.2.128", 121);
	expect_prefix("192.0.2.254/31", "192.0.2.254", 127);
	expect_prefix("1.2.3.4/32", "1.2.3.4", 128);
	expect_prefix("100.64.0.0/10", "100.64.0.0", 106);
	expect_prefix("0.0.0.0/1", "0.0.0.0", 97);

	/* The stored form spelled out, independent of the reference parser. */
	struct cidr c = parse_ok("127.0.0.0/8");
	static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 0};
	assert_addr_eq(c.addr, want, "127.0.0.0/8");
	ck_assert_uint_eq(c.bits, 104);
}
END_TEST

START_TEST(test_ipv4_malformed)
{
	/* shape */
	static const char *const shape[] = {
	    "1.2.3",    "1.2.3.4.5", "1..2.3",     ".1.2.3",    "1.2.3.",     "1.2.3.4.",
	    ".1.2.3.4", "...",       "1.2.3.4..",  "1",         "127.1",      "2130706433",
	    "1.2.3.a",  "a.b.c.d",   "0x7f.0.0.1", "1.2.3.0x4", "1234.2.3.4", "1.2.3.1000",
	};
	/* range */
	static const char *const range[] = {
	    "256.0.0.0",
	    "0.256.0.0",
	    "0.0.256.0",
	    "0.0.0.256",
	    "999.1.1.1",
	    "300.300.300.300",
	    "1.2.3.99999999999999999999",
	};
	/* leading zeros: inet_aton would read these as octal */
	static const char *const leading_zero[] = {
	    "01.2.3.4", "1.02.3.4", "1.2.03.4",    "1.2.3.04",
	    "00.0.0.0", "1.2.3.00", "010.0.0.0/8", "1.2.3.0004",
	};
	/* signs, white space, junk, zone, brackets, quotes */
	static const char *const junk[] = {
	    "+1.2.3.4",  "-1.2.3.4",  "1.-2.3.4", "1.+2.3.4",     " 1.2.3.4",   "1.2.3.4 ",
	    "1.2.3.4\t", "1.2.3.4\n", "1. 2.3.4", "1.2.3.4%eth0", "[1.2.3.4]",  "\"1.2.3.4\"",
	    "1.2.3.4\\", "1,2,3,4",   "1.2.3.4x", "1.2.3.4:80",   "1.2.3.\xff", "1.2.3.\xd9\xa4",
	};
	/* prefix length */
	static const char *const prefix_len[] = {
	    "1.2.3.4/",
	    "/8",
	    "/",
	    "1.2.3.4/33",
	    "0.0.0.0/33",
	    "0.0.0.0/128",
	    "1.2.3.4/032",
	    "0.0.0.0/00",
	    "0.0.0.0/-0",
	    "0.0.0.0/+0",
	    "1.2.3.4/-1",
	    "1.2.3.4/+32",
	    "1.2.3.4/1000",
	    "1.2.3.4/32/32",
	    "1.2.3.4//32",
	    "1.2.3.4/ 32",
	    "1.2.3.4/32 ",
	    "1.2.3.4/3 2",
	    "1.2.3.4/0x20",
	    "1.2.3.4/32x",
	    "1.2.3.4/255.255.255.255",
	    "10.0.0.0/255.0.0.0",
	    "1.2.3.4/99999999999999999999999",
	};
	/* host bits past the prefix */
	static const char *const host_bits[] = {
	    "10.0.0.1/8", "10.0.0.0/6",  "11.0.0.0/7", "192.168.1.0/16",
	    "1.2.3.5/31", "128.0.0.0/0", "0.0.0.1/31", "192.0.2.129/25",
	};
	EXPECT_ALL_BAD(shape);
	EXPECT_ALL_BAD(range);
	EXPECT_ALL_BAD(leading_zero);
	EXPECT_ALL_BAD(junk);
	EXPECT_ALL_BAD(prefix_len);
	EXPECT_ALL_BAD(host_bits);
}
END_TEST

START_TEST(test_ipv6_valid)
{
	expect_prefix("::", "::", 128);
	expect_prefix("::/0", "::", 0);
	expect_prefix("::1", "::1", 128);
	expect_prefix("::1/128", "::1", 128);
	expect_prefix("2001:db8::/32", "2001:db8::", 32);
	expect_prefix("2001:DB8::/32", "2001:db8::", 32);
	expect_prefix("fe80::/10", "fe80::", 10);
	expect_prefix("fc00::/7", "fc00::", 7);
	expect_prefix("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 128);
	expect_prefix("1::", "1::", 128);
	expect_prefix("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", 128);
	expect_prefix("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", 128);
	expect_prefix("1:2:3::6:7:8", "1:2:3:0:0:6:7:8", 128);
	expect_prefix("1:2:3:4::5:6:7", "1:2:3:4:0:5:6:7", 128);
	expect_prefix("0000:0000:0000:0000:0000:0000:0000:0001", "::1", 128);
	expect_prefix("ABCD:ef01:2345:6789:aBcD:EF01:2345:6789",
	              "abcd:ef01:2345:6789:abcd:ef01:2345:6789", 128);
	expect_prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128);
	expect_prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
	              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127);
	expect_prefix("8000::/1", "8000::", 1);
	expect_prefix("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 128);
	expect_prefix("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329", 128);
	/* RFC 4291 2.2 form 3: a dotted IPv4 tail. */
	expect_prefix("::ffff:10.0.0.1", "10.0.0.1", 128);
	expect_prefix("::FFFF:10.0.0.1", "10.0.0.1", 128);
	expect_prefix("::ffff:0:0/96", "0.0.0.0", 96);
	expect_prefix("::ffff:10.0.0.0/104", "10.0.0.0", 104);
	expect_prefix("::1.2.3.4", "::1.2.3.4", 128);
	expect_prefix("::0.0.0.0", "::", 128);
	expect_prefix("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", 128);
	expect_prefix("1::1.2.3.4", "1::102:304", 128);
	expect_prefix("64:ff9b::192.0.2.33", "64:ff9b::c000:221", 128);
	expect_prefix("0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1", 128);
}
END_TEST

START_TEST(test_ipv6_malformed)
{
	/* colons */
	static const char *const colons[] = {
	    ":",
	    ":::",
	    "::::",
	    "1:::2",
	    "1::2::3",
	    "::1::",
	    ":1::",
	    "1::2:",
	    ":1:2:3:4:5:6:7:8",
	    "1:2:3:4:5:6:7:8:",
	    "1:2:3:4:5:6:7:8::",
	    "::1:2:3:4:5:6:7:8",
	    "1:2:3:4::5:6:7:8",
	    "1:2:3:4:5:6:7:8:9",
	    "1:2:3:4:5:6:7",
	    "1:2",
	    "1:",
	    ":1",
	    "1::2:3:4:5:6:7:8",
	};
	/* groups */
	static const char *const groups[] = {
	    "12345::", "::12345", "00000::1", "g::",        "::g",  "1:2:3:4:5:6:7:g",
	    "::-1",    "::+1",    "0x1::",    "1 ::",       ":: 1", "::1 ",
	    " ::1",    "::1\n",   "\xff::",   "::\xc3\xa9",
	};
	/* zone ids (RFC 4007) and URL brackets */
	static const char *const zone_or_brackets[] = {
	    "fe80::1%eth0", "fe80::1%1", "fe80::%eth0/64", "[::1]", "[::1]/128", "::1%",
	};
	/* the IPv4 tail */
	static const char *const v4_tail[] = {
	    "::ffff:1.2.3.4.5",
	    "::ffff:1.2.3",
	    "::ffff:01.2.3.4",
	    "::ffff:1.2.3.04",
	    "::ffff:256.1.1.1",
	    "::1.2.3.4:1",
	    "1.2.3.4::",
	    "1.2.3.4::1",
	    "::1.2.3.4::",
	    "1:2:3:4:5:6:7:1.2.3.4",
	    "1:2:3:4:5:6:7:8:1.2.3.4",
	    "::1:2:3:4:5:6:1.2.3.4",
	    "1:2:3:4:5:1.2.3.4",
	    "::ffff:1.2.3.4.",
	    "::ffff:.1.2.3.4",
	    "::ffff:a.2.3.4",
	    "::ffff:1a.2.3.4",
	    "::ffff:1.2.3.4/129",
	    "::1.2.3.4:",
	    "::ffff:1..3.4",
	    "::ffff:1.2.3.4%eth0",
	};
	/* prefix length */
	static const char *const prefix_len[] = {
	    "::/",
	    "::1/129",
	    "::/129",
	    "::/0128",
	    "::/00",
	    "::/-1",
	    "::/+1",
	    "::1/1000",
	    "::/0/0",
	    "::1/12x",
	    "::1/ 128",
	    "::/ffff::",
	    "::1/99999999999999999999",
	};
	/* host bits past the prefix */
	static const char *const host_bits[] = {
	    "2001:db8::1/32",
	    "::1/127",
	    "8000::/0",
	    "fe80::1/64",
	    "fd00::/7",
	    "::ffff:10.0.0.1/104",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127",
	    "0:0:0:0:0:0:0:1/0",
	    "::ffff:0:0/95",
	};
	EXPECT_ALL_BAD(colons);
	EXPECT_ALL_BAD(groups);
	EXPECT_ALL_BAD(zone_or_brackets);
	EXPECT_ALL_BAD(v4_tail);
	EXPECT_ALL_BAD(prefix_len);
	EXPECT_ALL_BAD(host_bits);
}
END_TEST

START_TEST(test_empty_and_hostile)
{
	expect_bad("");
	expect_bad_span(span_none());
	expect_bad_span(span_make("::1", 0));
	/* A NUL is data: it cannot end the address early. */
	expect_bad_span(span_make("::1\0", 4));
	expect_bad_span(span_make("1.2.3.4\0", 8));
	expect_bad_span(span_make("1.2.3.4\0/8", 10));
	expect_bad_span(span_make("\0::1", 4));
	expect_bad_span(span_make("::\0001", 4));
	expect_bad_span(span_make("10.0.0.0/8\0", 11));
	expect_bad("\"::1\"");
	expect_bad("'10.0.0.0/8'");
	expect_bad("localhost");
	expect_bad("any");
	expect_bad("*");
}
END_TEST

/* The span's length ends the text, not a NUL: a longer buffer behind it is never read. */
START_TEST(test_span_bounds)
{
	struct cidr c;
	uint8_t want[16];

	ck_assert_int_eq(cidr_parse(span_make("10.0.0.0/8x", 10), &c), 0);
	assert_addr_eq(c.addr, ref_addr("10.0.0.0", want), "10.0.0.0/8x");
	ck_assert_uint_eq(c.bits, 104);
	ck_assert_int_eq(cidr_parse(span_make("0.0.0.0/16", 9), &c), 0);
	ck_assert_uint_eq(c.bits, 97);                 /* "0.0.0.0/1" */
	expect_bad_span(span_make("10.0.0.0/16", 10)); /* "10.0.0.0/1" has host bits */
	ck_assert_int_eq(cidr_parse(span_make("::12", 3), &c), 0);
	assert_addr_eq(c.addr, ref_addr("::1", want), "::12 as ::1");
	ck_assert_int_eq(cidr_parse(span_make("1.2.3.45", 7), &c), 0);
	assert_addr_eq(c.addr, ref_addr("1.2.3.4", want), "1.2.3.45 as 1.2.3.4");
	ck_assert_int_eq(cidr_parse(span_make("::/128", 4), &c), 0);
	ck_assert_uint_eq(c.bits, 1);
	expect_bad_span(span_make("10.0.0.0/8", 9));
	expect_bad_span(span_make("1::2", 2));
	expect_bad_span(span_make("1.2.3.4", 6));
}
END_TEST

START_TEST(test_same_prefix_two_spellings)
{
	struct cidr a = parse_ok("10.0.0.0/8"), b = parse_ok("::ffff:10.0.0.0/104");
	ck_assert_mem_eq(a.addr, b.addr, 16);
	ck_assert_uint_eq(a.bits, b.bits);
	a = parse_ok("192.0.2.1");
	b = parse_ok("::ffff:c000:201");
	ck_assert_mem_eq(a.addr, b.addr, 16);
	ck_assert_uint_eq(a.bits, b.bits);
}
END_TEST

START_TEST(test_addr_from_bytes)
{
	static const uint8_t v4[4] = {192, 0, 2, 7};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2,  3,  4,
	                               5,    6,    7,    8,    9, 10, 11, 12};
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
	static const uint8_t zero[16] = {0};
	uint8_t out[16];

	cidr_addr_from_bytes(v4, 4, out);
	assert_addr_eq(out, mapped, "4 bytes");
	cidr_addr_from_bytes(v6, 16, out);
	assert_addr_eq(out, v6, "16 bytes");
	cidr_addr_from_bytes(mapped, 16, out);
	assert_addr_eq(out, mapped, "16 bytes, mapped");
	memset(out, 0x5a, sizeof(out));
	cidr_addr_from_bytes(v6, 5, out);
	assert_addr_eq(out, zero, "5 bytes");
	memset(out, 0x5a, sizeof(out));
	cidr_addr_from_bytes(NULL, 0, out);
	assert_addr_eq(out, zero, "0 bytes");
}
END_TEST

/* An IPv4 prefix matches the sender whether the socket gave 4 bytes or ::ffff:a.b.c.d. */
START_TEST(test_mapped_senders)
{
	static const uint8_t v4[4] = {127, 0, 0, 1};
	uint8_t a[16], b[16];
	struct cidr lo = parse_ok("127.0.0.0/8");

	cidr_addr_from_bytes(v4, 4, a);
	ck_assert(cidr_match(&lo, a));
	ck_assert(cidr_match(&lo, ref_addr("::ffff:127.0.0.1", b)));
	ck_assert(cidr_match(&lo, ref_addr("::ffff:7fff:ffff", b)));
	/* Other ways of putting 127.0.0.1 in IPv6 are different addresses. */
	ck_assert(!cidr_match(&lo, ref_addr("::127.0.0.1", b)));
	ck_assert(!cidr_match(&lo, ref_addr("64:ff9b::127.0.0.1", b)));
	ck_assert(!cidr_match(&lo, ref_addr("::ffff:0:127.0.0.1", b)));
	ck_assert(!cidr_match(&lo, ref_addr("::1", b)));

	/* And a mapped prefix written as IPv6 matches a 4-byte sender. */
	struct cidr m = parse_ok("::ffff:127.0.0.0/104");
	ck_assert(cidr_match(&m, a));
	struct cidr host = parse_ok("::ffff:127.0.0.1");
	ck_assert(cidr_match(&host, a));
}
END_TEST

START_TEST(test_match_zero_length)
{
	/* 0.0.0.0/0 is all of IPv4, not all addresses. */
	ck_assert(matches("0.0.0.0/0", "0.0.0.0"));
	ck_assert(matches("0.0.0.0/0", "255.255.255.255"));
	ck_assert(matches("0.0.0.0/0", "10.1.2.3"));
	ck_assert(!matches("0.0.0.0/0", "::1"));
	ck_assert(!matches("0.0.0.0/0", "::"));
	ck_assert(!matches("0.0.0.0/0", "2001:db8::1"));
	ck_assert(!matches("0.0.0.0/0", "::fffe:ffff:ffff"));
	ck_assert(!matches("0.0.0.0/0", "::1:0:0:0"));
	/* ::/0 is everything, IPv4 included. */
	ck_assert(matches("::/0", "::"));
	ck_assert(matches("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(matches("::/0", "10.1.2.3"));
	ck_assert(matches("::/0", "2001:db8::1"));
}
END_TEST

START_TEST(test_match_host)
{
	ck_assert(matches("192.0.2.7", "192.0.2.7"));
	ck_assert(!matches("192.0.2.7", "192.0.2.6"));
	ck_assert(!matches("192.0.2.7", "192.0.2.8"));
	ck_assert(!matches("192.0.2.7", "193.0.2.7"));
	ck_assert(matches("192.0.2.7/32", "192.0.2.7"));
	ck_assert(!matches("192.0.2.7/32", "192.0.2.6"));
	ck_assert(matches("255.255.255.255/32", "255.255.255.255"));
	ck_assert(!matches("255.255.255.255/32", "255.255.255.254"));
	ck_assert(matches("0.0.0.0", "0.0.0.0"));
	ck_assert(!matches("0.0.0.0", "0.0.0.1"));
	ck_assert(!matches("0.0.0.0", "::"));
	ck_assert(matches("::1", "::1"));
	ck_assert(!matches("::1", "::"));
	ck_assert(!matches("::1", "::2"));
	ck_assert(!matches("::1", "1::1"));
	ck_assert(!matches("::1", "0.0.0.1"));
	ck_assert(!matches("::1", "127.0.0.1"));
	ck_assert(matches("2001:db8::1/128", "2001:db8::1"));
	ck_assert(!matches("2001:db8::1/128", "2001:db8::"));
	ck_assert(!matches("2001:db8::1/128", "2001:db8::1:1"));
	ck_assert(!matches("2001:db8::1/128", "2001:db8::1:0:0:1"));
	ck_assert(!matches("2001:db8::1/128", "2001:db9::1"));
	ck_assert(matches("::", "::"));
	ck_assert(!matches("::", "::1"));
	ck_assert(!matches("::", "8000::"));
}
END_TEST

/* A prefix that does not end on a byte boundary, both sides of both ends. */
START_TEST(test_match_odd_lengths)
{
	ck_assert(!matches("10.0.0.0/7", "9.255.255.255"));
	ck_assert(matches("10.0.0.0/7", "10.0.0.0"));
	ck_assert(matches("10.0.0.0/7", "10.255.255.255"));
	ck_assert(matches("10.0.0.0/7", "11.0.0.0"));
	ck_assert(matches("10.0.0.0/7", "11.255.255.255"));
	ck_assert(!matches("10.0.0.0/7", "12.0.0.0"));
	ck_assert(!matches("10.0.0.0/7", "138.0.0.0"));

	ck_assert(!matches("192.0.2.128/25", "192.0.2.127"));
	ck_assert(matches("192.0.2.128/25", "192.0.2.128"));
	ck_assert(matches("192.0.2.128/25", "192.0.2.255"));
	ck_assert(!matches("192.0.2.128/25", "192.0.3.0"));

	ck_assert(!matches("172.16.0.0/12", "172.15.255.255"));
	ck_assert(matches("172.16.0.0/12", "172.16.0.0"));
	ck_assert(matches("172.16.0.0/12", "172.31.255.255"));
	ck_assert(!matches("172.16.0.0/12", "172.32.0.0"));

	ck_assert(!matches("fc00::/7", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(matches("fc00::/7", "fc00::"));
	ck_assert(matches("fc00::/7", "fd12:3456::1"));
	ck_assert(matches("fc00::/7", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!matches("fc00::/7", "fe00::"));

	ck_assert(!matches("fe80::/10", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(matches("fe80::/10", "fe80::1"));
	ck_assert(matches("fe80::/10", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!matches("fe80::/10", "fec0::"));

	ck_assert(!matches("2001:db8::/127", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(matches("2001:db8::/127", "2001:db8::"));
	ck_assert(matches("2001:db8::/127", "2001:db8::1"));
	ck_assert(!matches("2001:db8::/127", "2001:db8::2"));

	ck_assert(matches("8000::/1", "8000::"));
	ck_assert(matches("8000::/1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!matches("8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!matches("8000::/1", "10.0.0.1"));
	ck_assert(matches("128.0.0.0/1", "128.0.0.0"));
	ck_assert(matches("128.0.0.0/1", "255.255.255.255"));
	ck_assert(!matches("128.0.0.0/1", "127.255.255.255"));
}
END_TEST

START_TEST(test_match_any)
{
	static const char *const texts[] = {"127.0.0.0/8", "::1", "2001:db8::/32", "192.0.2.7"};
	struct cidr list[4];
	uint8_t a[16];

	for (int i = 0; i < 4; i++)
		list[i] = parse_ok(texts[i]);
	ck_assert(cidr_match_any(list, 4, ref_addr("127.1.2.3", a)));
	ck_assert(cidr_match_any(list, 4, ref_addr("::1", a)));
	ck_assert(cidr_match_any(list, 4, ref_addr("2001:db8:ffff::1", a)));
	ck_assert(cidr_match_any(list, 4, ref_addr("192.0.2.7", a)));
	ck_assert(!cidr_match_any(list, 4, ref_addr("192.0.2.8", a)));
	ck_assert(!cidr_match_any(list, 4, ref_addr("128.0.0.1", a)));
	ck_assert(!cidr_match_any(list, 4, ref_addr("::2", a)));
	ck_assert(!cidr_match_any(list, 4, ref_addr("2001:db9::", a)));
	/* n bounds the list: the last entry is outside a list of 3. */
	ck_assert(!cidr_match_any(list, 3, ref_addr("192.0.2.7", a)));
	ck_assert(cidr_match_any(list + 3, 1, ref_addr("192.0.2.7", a)));
	/* An empty list matches nothing, even a NULL one. */
	ck_assert(!cidr_match_any(list, 0, ref_addr("127.0.0.1", a)));
	ck_assert(!cidr_match_any(NULL, 0, ref_addr("127.0.0.1", a)));
}
END_TEST

static void mask_to(uint8_t a[16], unsigned bits)
{
	for (unsigned i = bits; i < 128; i++)
		a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

static void flip_bit(uint8_t a[16], unsigned i)
{
	a[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
}

/* Every IPv6 length: the prefix parses from its own text, matches an address exactly when no bit
 * inside the prefix differs, and refuses to parse with any host bit set. */
START_TEST(test_sweep_ipv6_lengths)
{
	char text[INET6_ADDRSTRLEN + 8], host[INET6_ADDRSTRLEN];
	uint8_t a[16], probe[16];

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (unsigned bits = 0; bits <= 128; bits++) {
		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd(256);
		mask_to(a, bits);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a, host, sizeof(host)));
		snprintf(text, sizeof(text), "%s/%u", host, bits);
		struct cidr c = parse_ok(text);
		assert_addr_eq(c.addr, a, text);
		ck_assert_uint_eq(c.bits, bits);
		ck_assert(cidr_match(&c, a));
		for (unsigned j = 0; j < 128; j++) {
			memcpy(probe, a, 16);
			flip_bit(probe, j);
			ck_assert_msg(cidr_match(&c, probe) == (j >= bits), "%s, bit %u", text, j);
			if (j < bits)
				continue;
			char bad[INET6_ADDRSTRLEN + 8];
			ck_assert_ptr_nonnull(inet_ntop(AF_INET6, probe, host, sizeof(host)));
			snprintf(bad, sizeof(bad), "%s/%u", host, bits);
			expect_bad(bad);
		}
	}
}
END_TEST

START_TEST(test_sweep_ipv4_lengths)
{
	char text[INET_ADDRSTRLEN + 8], host[INET_ADDRSTRLEN];
	uint8_t v4[4], a[16], probe[16];

	rng_state = 0x2545f4914f6cdd1dULL;
	for (unsigned bits = 0; bits <= 32; bits++) {
		for (int i = 0; i < 4; i++)
			v4[i] = (uint8_t)rnd(256);
		cidr_addr_from_bytes(v4, 4, a);
		mask_to(a, 96 + bits);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, a + 12, host, sizeof(host)));
		snprintf(text, sizeof(text), "%s/%u", host, bits);
		struct cidr c = parse_ok(text);
		assert_addr_eq(c.addr, a, text);
		ck_assert_uint_eq(c.bits, 96 + bits);
		for (unsigned j = 0; j < 128; j++) {
			memcpy(probe, a, 16);
			flip_bit(probe, j);
			ck_assert_msg(cidr_match(&c, probe) == (j >= 96 + bits), "%s, bit %u", text,
			              j);
			if (j < 96 + bits)
				continue;
			char bad[INET_ADDRSTRLEN + 8];
			ck_assert_ptr_nonnull(inet_ntop(AF_INET, probe + 12, host, sizeof(host)));
			snprintf(bad, sizeof(bad), "%s/%u", host, bits);
			expect_bad(bad);
		}
	}
}
END_TEST

/* Writes one random RFC 4291 text form of a random address: random zero groups, "::" over a
 * random run of them (not only the longest), hex digits in random case with random leading
 * zeros, and sometimes a dotted IPv4 tail. */
static void random_ipv6_text(char *out, size_t cap)
{
	uint16_t g[8];
	int ngroups, v4_tail = rnd(4) == 0, gap = -1, gap_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++) {
		switch (rnd(4)) {
		case 0:
		case 1:
			g[i] = 0;
			break;
		case 2:
			g[i] = (uint16_t)rnd(16);
			break;
		default:
			g[i] = (uint16_t)rnd(65536);
		}
	}
	ngroups = v4_tail ? 6 : 8;
	if (rnd(3) != 0) {
		int start = (int)rnd((uint32_t)ngroups);
		while (start < ngroups && g[start] != 0)
			start++;
		if (start < ngroups) {
			int maxlen = 0;
			while (start + maxlen < ngroups && g[start + maxlen] == 0)
				maxlen++;
			gap = start;
			gap_len = 1 + (int)rnd((uint32_t)maxlen);
		}
	}
	for (int i = 0; i < ngroups; i++) {
		if (i == gap) {
			n += (size_t)snprintf(out + n, cap - n, "::");
			i += gap_len - 1;
			continue;
		}
		if (i > 0 && i != gap + gap_len)
			n += (size_t)snprintf(out + n, cap - n, ":");
		int width = 1 + (int)rnd(4);
		n += (size_t)snprintf(out + n, cap - n, rnd(2) ? "%0*x" : "%0*X", width, g[i]);
	}
	if (v4_tail) {
		if (gap + gap_len != ngroups)
			n += (size_t)snprintf(out + n, cap - n, ":");
		snprintf(out + n, cap - n, "%u.%u.%u.%u", g[6] >> 8, g[6] & 0xff, g[7] >> 8,
		         g[7] & 0xff);
	}
}

/* Returns 1 when both accept, 0 when both reject. */
static int compare_with_reference(const char *text)
{
	uint8_t want[16];
	struct cidr c;
	int ref = ref_parse(text, want);
	int got = cidr_parse(sp(text), &c);

	ck_assert_msg(got == ref, "\"%s\": cidr_parse %d, inet_pton %d", text, got, ref);
	if (got == 0) {
		assert_addr_eq(c.addr, want, text);
		ck_assert_uint_eq(c.bits, 128);
	}
	return got == 0;
}

START_TEST(test_ipv6_against_inet_pton)
{
	char text[128];

	rng_state = 0xd1b54a32d192ed03ULL;
	for (int i = 0; i < 200000; i++) {
		random_ipv6_text(text, sizeof(text));
		uint8_t want[16];
		ck_assert_msg(ref_parse(text, want) == 0, "generator made \"%s\"", text);
		compare_with_reference(text);
	}
}
END_TEST

/* One edit away from a valid form, the two parsers must still agree on accept, reject and value. */
START_TEST(test_mutations_against_inet_pton)
{
	static const char alphabet[] = "0123456789abcdefABCDEFg:.:.:/%";
	char text[128];

	int accepted = 0, rejected = 0;

	rng_state = 0x94d049bb133111ebULL;
	for (int i = 0; i < 300000; i++) {
		if (rnd(4) == 0) {
			uint8_t q[4];
			for (int k = 0; k < 4; k++)
				q[k] = (uint8_t)(rnd(3) == 0 ? rnd(10) : rnd(256));
			snprintf(text, sizeof(text), "%u.%u.%u.%u", q[0], q[1], q[2], q[3]);
		} else {
			random_ipv6_text(text, sizeof(text));
		}
		size_t len = strlen(text), pos = rnd((uint32_t)len + 1);
		char c = alphabet[rnd(sizeof(alphabet) - 1)];
		switch (rnd(3)) {
		case 0: /* insert */
			memmove(text + pos + 1, text + pos, len - pos + 1);
			text[pos] = c;
			break;
		case 1: /* delete */
			if (pos < len)
				memmove(text + pos, text + pos + 1, len - pos);
			break;
		default: /* replace */
			if (pos < len)
				text[pos] = c;
		}
		if (strchr(text, '/') || strchr(text, '%'))
			continue; /* inet_pton knows no prefixes; zones are covered above */
		if (compare_with_reference(text))
			accepted++;
		else
			rejected++;
	}
	/* Both outcomes in bulk, or the comparison proves little. */
	ck_assert_int_gt(accepted, 100000);
	ck_assert_int_gt(rejected, 100000);
}
END_TEST

/* Short strings over the address alphabet, mostly garbage: the parsers agree on all of them. */
START_TEST(test_random_strings_against_inet_pton)
{
	static const char alphabet[] = "0123456789af:::...";
	char text[48];

	int accepted = 0;

	rng_state = 0xbf58476d1ce4e5b9ULL;
	for (int i = 0; i < 500000; i++) {
		size_t len = rnd(sizeof(text) - 1);
		for (size_t k = 0; k < len; k++)
			text[k] = alphabet[rnd(sizeof(alphabet) - 1)];
		text[len] = '\0';
		accepted += compare_with_reference(text);
	}
	ck_assert_int_gt(accepted, 1000);
}
END_TEST

static Suite *cidr_suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *p = tcase_create("parse");
	tcase_add_test(p, test_ipv4_valid);
	tcase_add_test(p, test_ipv4_malformed);
	tcase_add_test(p, test_ipv6_valid);
	tcase_add_test(p, test_ipv6_malformed);
	tcase_add_test(p, test_empty_and_hostile);
	tcase_add_test(p, test_span_bounds);
	tcase_add_test(p, test_same_prefix_two_spellings);
	suite_add_tcase(s, p);
	TCase *m = tcase_create("match");
	tcase_add_test(m, test_addr_from_bytes);
	tcase_add_test(m, test_mapped_senders);
	tcase_add_test(m, test_match_zero_length);
	tcase_add_test(m, test_match_host);
	tcase_add_test(m, test_match_odd_lengths);
	tcase_add_test(m, test_match_any);
	tcase_add_test(m, test_sweep_ipv6_lengths);
	tcase_add_test(m, test_sweep_ipv4_lengths);
	suite_add_tcase(s, m);
	TCase *r = tcase_create("reference");
	tcase_set_timeout(r, 120);
	tcase_add_test(r, test_ipv6_against_inet_pton);
	tcase_add_test(r, test_mutations_against_inet_pton);
	tcase_add_test(r, test_random_strings_against_inet_pton);
	suite_add_tcase(s, r);
	return s;
}

int main(void)
{
	return suite_failures(cidr_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
