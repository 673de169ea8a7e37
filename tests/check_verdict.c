/* Verdict JSON encoder: exact records, omission rules, RFC 8259 escaping, U+FFFD repair of
 * ill-formed UTF-8, bounded output, and a strict JSON + UTF-8 checker run over generated input. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"
#include "support.h"

#define R "\xEF\xBF\xBD" /* U+FFFD as the encoder writes it */

/* A JSON Lines record: one valid object, then exactly one "\n" which ends it. */
static int json_line_valid(const char *s, size_t n)
{
	if (n < 3 || s[0] != '{' || s[n - 1] != '\n' || memchr(s, '\n', n - 1) != NULL)
		return 0;
	return json_valid(s, n - 1);
}

/* ---- reference decoding: JSON string back to bytes, and the expected U+FFFD repair ---- */

static size_t put_utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the JSON string s[0..n) (quotes included) into out; returns the length or -1. */
static long json_unquote(const char *s, size_t n, char *out)
{
	size_t i = 1, o = 0;
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return -1;
	while (i < n - 1) {
		char c = s[i++];
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		c = s[i++];
		switch (c) {
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u': {
			unsigned v = 0;
			for (int k = 0; k < 4; k++)
				v = v << 4 | (unsigned)hex_value((unsigned char)s[i++]);
			o += put_utf8(v, out + o);
			break;
		}
		default:
			out[o++] = c;
			break;
		}
	}
	return (long)o;
}

/* True when the first k bytes of an len-byte sequence led by p[0] can still complete to a valid
 * scalar value: the completions span an interval of code points, which must meet
 * [min, D7FF] or [E000, 10FFFF]. */
static int prefix_can_complete(const unsigned char *p, int k, int len)
{
	static const unsigned lead_mask[5] = {0, 0, 0x1F, 0x0F, 0x07};
	static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	unsigned lo = p[0] & lead_mask[len], hi;
	for (int i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		lo = lo << 6 | (p[i] & 0x3F);
	}
	hi = lo;
	for (int i = k; i < len; i++) {
		lo = lo << 6;
		hi = hi << 6 | 0x3F;
	}
	unsigned a = lo > min_cp[len] ? lo : min_cp[len];
	if (a <= 0xD7FF && a <= hi)
		return 1;
	a = a > 0xE000 ? a : 0xE000;
	return a <= hi && a <= 0x10FFFF;
}

/* The repair the encoder promises, computed independently: each maximal subpart becomes U+FFFD. */
static size_t reference_repair(const unsigned char *p, size_t n, char *out)
{
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned c = p[i];
		int len = c < 0x80   ? 1
		          : c < 0xC0 ? 0
		          : c < 0xE0 ? 2
		          : c < 0xF0 ? 3
		          : c < 0xF8 ? 4
		                     : 0;
		if (len == 1) {
			out[o++] = (char)c;
			i++;
			continue;
		}
		int best = 1;
		if (len > 0 && (size_t)len <= n - i && prefix_can_complete(p + i, len, len)) {
			memcpy(out + o, p + i, (size_t)len);
			o += (size_t)len;
			i += (size_t)len;
			continue;
		}
		for (int k = 2; len > 0 && k < len && (size_t)k <= n - i; k++)
			if (prefix_can_complete(p + i, k, len))
				best = k;
		memcpy(out + o, R, 3);
		o += 3;
		i += (size_t)best;
	}
	return o;
}

/* ---- pseudo-random hostile bytes (fixed seed) ---- */

static uint64_t xorshift_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static size_t random_char(uint64_t *s, char *out)
{
	uint64_t r = xorshift_next(s);
	switch (r % 16) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		out[0] = (char)(0x20 + (r >> 8) % 0x5F);
		return 1;
	case 6:
		out[0] = (char)((r >> 8) % 33 == 32 ? 0x7F : (r >> 8) % 33);
		return 1;
	case 7:
		out[0] = (r >> 8) & 1 ? '"' : '\\';
		return 1;
	case 8:
	case 9:
		out[0] = (char)(0x80 + (r >> 8) % 0x40);
		return 1;
	case 10:
	case 11:
	case 12:
		out[0] = (char)(0xC0 + (r >> 8) % 0x40);
		return 1;
	default: {
		static const unsigned lo[3] = {0x80, 0x800, 0x10000},
		                      span[3] = {0x780, 0xF800, 0x100000};
		int k = (int)((r >> 8) % 3);
		unsigned cp = lo[k] + (unsigned)((r >> 16) % span[k]);
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp -= 0x800;
		return put_utf8(cp, out);
	}
	}
}

static size_t random_bytes(uint64_t *s, char *out, size_t max)
{
	size_t want = (size_t)(xorshift_next(s) % (max + 1)), n = 0;
	while (n < want) {
		char c[4];
		size_t k = random_char(s, c);
		if (k > max - n)
			break;
		memcpy(out + n, c, k);
		n += k;
	}
	return n;
}

/* ---- record helpers ---- */

static struct logtime lt(int y, int mo, int d, int h, int mi, int s, int offset)
{
	struct civil c = {y, mo, d, h, mi, s};
	struct logtime t = {logtime_from_civil(&c), (int16_t)offset, 1};
	return t;
}

/* Everything absent: the shortest record. */
static struct verdict minimal(void)
{
	struct verdict v;
	memset(&v, 0, sizeof v);
	v.kind = VERDICT_UNKNOWN;
	v.dir = ESA_DIR_IN;
	v.end = VERDICT_END_EOF;
	v.peer_rdns_verified = -1;
	return v;
}

#define MINIMAL_HEAD                                                                               \
	"{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\",\"direction\":\"inbound\","      \
	"\"icid\":0,\"end\":\"eof\""
#define MINIMAL_TAIL ",\"mids\":[],\"lines\":0}\n"

/* The record of DESIGN.md "Verdict record". */
static struct verdict design_example(void)
{
	struct verdict v = minimal();
	v.kind = VERDICT_TLS_FAILED;
	v.host = sp("esa1.example.com");
	v.conn_id = 282204971;
	v.first_seen = lt(2005, 6, 28, 19, 8, 49, LOGTIME_NO_OFFSET);
	v.last_seen = v.first_seen;
	v.end = VERDICT_END_LOST;
	v.str[VERDICT_S_PEER_IP] = sp("192.168.1.1");
	v.str[VERDICT_S_PEER_RDNS] = sp("unknown");
	v.peer_rdns_verified = 0;
	v.str[VERDICT_S_INTERFACE] = sp("Management");
	v.str[VERDICT_S_LOCAL_IP] = sp("10.10.10.1");
	v.str[VERDICT_S_POLICY] = sp("ACCEPT");
	v.str[VERDICT_S_SENDER_GROUP] = sp("None");
	v.str[VERDICT_S_SBRS] = sp("None");
	v.tls_required = 1;
	v.str[VERDICT_S_TLS_ERROR] = sp("TLS was required but remote host did not initiate it");
	v.lines = 6;
	return v;
}

/* The DESIGN.md example joined into its one line. */
static const char design_json[] =
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"inbound\","
    "\"host\":\"esa1.example.com\",\"icid\":282204971,\"first_seen\":\"2005-06-28T19:08:49\","
    "\"last_seen\":\"2005-06-28T19:08:49\",\"end\":\"lost\",\"peer_ip\":\"192.168.1.1\","
    "\"peer_rdns\":\"unknown\",\"peer_rdns_verified\":false,\"interface\":\"Management\","
    "\"local_ip\":\"10.10.10.1\",\"policy\":\"ACCEPT\",\"sender_group\":\"None\","
    "\"sbrs\":\"None\",\"tls_required\":true,"
    "\"tls_error\":\"TLS was required but remote host did not initiate it\",\"mids\":[],"
    "\"lines\":6}\n";

static const uint64_t outbound_mids[] = {100, 101, 102, 103};

/* An outbound record with every field set. */
static struct verdict outbound_full(void)
{
	struct verdict v = minimal();
	v.kind = VERDICT_TLS_FAILED;
	v.dir = ESA_DIR_OUT;
	v.host = sp("esa2.example.com");
	v.conn_id = 1234567;
	v.first_seen = lt(2023, 9, 6, 13, 13, 16, 120);
	v.last_seen = lt(2023, 9, 6, 13, 14, 2, -360);
	v.end = VERDICT_END_CLOSE;
	v.str[VERDICT_S_PEER_IP] = sp("203.0.113.5");
	v.peer_port = 25;
	v.str[VERDICT_S_PEER_RDNS] = sp("mx.example.net");
	v.peer_rdns_verified = 1;
	v.str[VERDICT_S_INTERFACE] = sp("Data 1");
	v.str[VERDICT_S_LOCAL_IP] = sp("198.51.100.2");
	v.str[VERDICT_S_POLICY] = sp("RELAY");
	v.str[VERDICT_S_SENDER_GROUP] = sp("RELAYLIST");
	v.str[VERDICT_S_SBRS] = sp("3.4");
	v.str[VERDICT_S_COUNTRY] = sp("Germany");
	v.str[VERDICT_S_TLS_PROTOCOL] = sp("TLSv1.2");
	v.str[VERDICT_S_TLS_CIPHER] = sp("ECDHE-RSA-AES256-GCM-SHA384");
	v.str[VERDICT_S_TLS_CN] = sp("mx.example.net");
	v.str[VERDICT_S_TLS_DOMAIN] = sp("example.net");
	v.tls_required = 1;
	v.str[VERDICT_S_TLS_ERROR] = sp("(336151568, 'error:14094410:SSL routines:"
	                                "ssl3_read_bytes:sslv3 alert handshake failure')");
	v.str[VERDICT_S_ERROR] = sp("Connection refused");
	v.mids = outbound_mids;
	v.n_mids = 4;
	v.mids_total = 4;
	v.has_failure_mark = 1;
	v.mids_after_failure_from = 2;
	v.lines = 12;
	return v;
}

static const char outbound_json[] =
    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"tls_failed\",\"direction\":\"outbound\","
    "\"host\":\"esa2.example.com\",\"dcid\":1234567,"
    "\"first_seen\":\"2023-09-06T13:13:16+02:00\",\"last_seen\":\"2023-09-06T13:14:02-06:00\","
    "\"end\":\"close\",\"peer_ip\":\"203.0.113.5\",\"peer_port\":25,"
    "\"peer_rdns\":\"mx.example.net\",\"peer_rdns_verified\":true,\"interface\":\"Data 1\","
    "\"local_ip\":\"198.51.100.2\",\"policy\":\"RELAY\",\"sender_group\":\"RELAYLIST\","
    "\"sbrs\":\"3.4\",\"country\":\"Germany\",\"tls_protocol\":\"TLSv1.2\","
    "\"tls_cipher\":\"ECDHE-RSA-AES256-GCM-SHA384\",\"tls_cn\":\"mx.example.net\","
    "\"tls_domain\":\"example.net\",\"tls_required\":true,"
    "\"tls_error\":\"(336151568, 'error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert "
    "handshake failure')\",\"error\":\"Connection refused\",\"mids\":[100,101,102,103],"
    "\"mids_after_failure\":[102,103],\"lines\":12}\n";

static char out_buf[VERDICT_LINE_MAX + 1];

/* Encodes v into a VERDICT_LINE_MAX buffer, checks it is one valid JSON line, returns it. */
static const char *enc(const struct verdict *v)
{
	size_t n = verdict_encode(v, out_buf, VERDICT_LINE_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, VERDICT_LINE_MAX);
	ck_assert_msg(json_line_valid(out_buf, n), "invalid JSON line: %.*s", (int)n, out_buf);
	out_buf[n] = '\0';
	ck_assert_uint_eq(strlen(out_buf), n);
	return out_buf;
}

/* verdict_json_string of in[0..n) must be exactly want. */
static void check_string(const char *in, size_t n, const char *want, size_t want_len)
{
	char buf[8192];
	size_t len = verdict_json_string(span_make(in, n), buf, sizeof buf);
	ck_assert_msg(len == want_len && memcmp(buf, want, len) == 0,
	              "input of %zu bytes: got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", n, len,
	              (int)len, buf, want_len, (int)want_len, want);
	ck_assert(json_valid(buf, len));
}

#define CHECK_STRING(in, want) check_string((in), sizeof(in) - 1, (want), sizeof(want) - 1)

/* ---- whole records ---- */

START_TEST(test_design_example_byte_for_byte)
{
	struct verdict v = design_example();
	ck_assert_str_eq(enc(&v), design_json);
}
END_TEST

START_TEST(test_minimal_record)
{
	struct verdict v = minimal();
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD MINIMAL_TAIL);
}
END_TEST

START_TEST(test_outbound_every_field)
{
	struct verdict v = outbound_full();
	ck_assert_str_eq(enc(&v), outbound_json);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(verdict_kind_name(VERDICT_TLS), "tls");
	ck_assert_str_eq(verdict_kind_name(VERDICT_TLS_FAILED), "tls_failed");
	ck_assert_str_eq(verdict_kind_name(VERDICT_NO_TLS), "no_tls");
	ck_assert_str_eq(verdict_kind_name(VERDICT_UNKNOWN), "unknown");
	ck_assert_str_eq(verdict_kind_name(VERDICT_KIND_COUNT), "invalid");
	ck_assert_str_eq(verdict_kind_name((enum verdict_kind) - 1), "invalid");

	static const char *const ends[] = {"open",    "close",      "lost", "disconnected",
	                                   "error",   "superseded", "idle", "lifetime",
	                                   "evicted", "shutdown",   "eof"};
	ck_assert_int_eq(VERDICT_END_COUNT, 11);
	for (int e = 0; e < VERDICT_END_COUNT; e++)
		ck_assert_str_eq(verdict_end_name((enum verdict_end)e), ends[e]);
	ck_assert_str_eq(verdict_end_name(VERDICT_END_COUNT), "invalid");

	static const char *const strs[] = {
	    "peer_ip",    "peer_rdns",    "peer_domain", "interface", "local_ip",
	    "policy",     "sender_group", "sbrs",        "country",   "tls_protocol",
	    "tls_cipher", "tls_cn",       "tls_domain",  "tls_error", "error"};
	ck_assert_int_eq(VERDICT_STR_COUNT, 15);
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		ck_assert_str_eq(verdict_str_name((enum verdict_str)f), strs[f]);
	ck_assert_str_eq(verdict_str_name(VERDICT_STR_COUNT), "invalid");
}
END_TEST

START_TEST(test_every_kind_and_end_in_record)
{
	char want[512];
	for (int k = 0; k < VERDICT_KIND_COUNT; k++) {
		for (int e = 0; e < VERDICT_END_COUNT; e++) {
			struct verdict v = minimal();
			v.kind = (enum verdict_kind)k;
			v.end = (enum verdict_end)e;
			snprintf(
			    want, sizeof want,
			    "{\"v\":1,\"type\":\"connection\",\"verdict\":\"%s\",\"direction\":"
			    "\"inbound\",\"icid\":0,\"end\":\"%s\"" MINIMAL_TAIL,
			    verdict_kind_name(v.kind), verdict_end_name(v.end));
			ck_assert_str_eq(enc(&v), want);
		}
	}
}
END_TEST

START_TEST(test_host_omission)
{
	struct verdict v = minimal();
	v.host = span_none();
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD MINIMAL_TAIL);
	v.host = span_make("esa1", 0); /* present but empty */
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD MINIMAL_TAIL);
	v.host = span_make("esa1.example.com trailing", 16);
	ck_assert_str_eq(enc(&v), "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                          "\"direction\":\"inbound\",\"host\":\"esa1.example.com\","
	                          "\"icid\":0,\"end\":\"eof\"" MINIMAL_TAIL);
	v.host = span_make("a\"b\0\xFF", 5);
	ck_assert_str_eq(enc(&v), "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                          "\"direction\":\"inbound\",\"host\":\"a\\\"b\\u0000" R "\","
	                          "\"icid\":0,\"end\":\"eof\"" MINIMAL_TAIL);
}
END_TEST

/* Each string field alone lands between "end" and "mids"; a present empty value is kept as "". */
START_TEST(test_each_string_field_alone)
{
	char want[512];
	for (int f = 0; f < VERDICT_STR_COUNT; f++) {
		struct verdict v = minimal();
		v.str[f] = sp("x y");
		snprintf(want, sizeof want, MINIMAL_HEAD ",\"%s\":\"x y\"" MINIMAL_TAIL,
		         verdict_str_name((enum verdict_str)f));
		ck_assert_str_eq(enc(&v), want);

		v.str[f] = span_make("ignored", 0);
		snprintf(want, sizeof want, MINIMAL_HEAD ",\"%s\":\"\"" MINIMAL_TAIL,
		         verdict_str_name((enum verdict_str)f));
		ck_assert_str_eq(enc(&v), want);

		v.str[f] = span_none();
		ck_assert_str_eq(enc(&v), MINIMAL_HEAD MINIMAL_TAIL);
	}
}
END_TEST

START_TEST(test_timestamps)
{
	struct verdict v = minimal();
	v.first_seen = lt(2023, 9, 6, 13, 13, 16, LOGTIME_NO_OFFSET);
	ck_assert_str_eq(enc(&v),
	                 "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                 "\"direction\":\"inbound\",\"icid\":0,"
	                 "\"first_seen\":\"2023-09-06T13:13:16\",\"end\":\"eof\"" MINIMAL_TAIL);
	v.first_seen.valid = 0;
	v.last_seen = lt(1999, 12, 31, 23, 59, 59, 330);
	ck_assert_str_eq(
	    enc(&v), "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	             "\"direction\":\"inbound\",\"icid\":0,"
	             "\"last_seen\":\"1999-12-31T23:59:59+05:30\",\"end\":\"eof\"" MINIMAL_TAIL);
	v.first_seen = lt(1970, 1, 1, 0, 0, 0, 0);
	v.last_seen = lt(2038, 1, 19, 3, 14, 8, -570);
	ck_assert_str_eq(
	    enc(&v), "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	             "\"direction\":\"inbound\",\"icid\":0,"
	             "\"first_seen\":\"1970-01-01T00:00:00+00:00\","
	             "\"last_seen\":\"2038-01-19T03:14:08-09:30\",\"end\":\"eof\"" MINIMAL_TAIL);
	/* A wall time with valid unset is never looked at. */
	v.first_seen.valid = 0;
	v.first_seen.wall = INT64_MIN;
	v.last_seen.valid = 0;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD MINIMAL_TAIL);
}
END_TEST

START_TEST(test_peer_port_placement)
{
	struct verdict v = minimal();
	v.peer_port = 2525;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_port\":2525" MINIMAL_TAIL);
	v.str[VERDICT_S_PEER_IP] = sp("::1");
	v.str[VERDICT_S_PEER_RDNS] = sp("localhost");
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_ip\":\"::1\",\"peer_port\":2525,"
	                                       "\"peer_rdns\":\"localhost\"" MINIMAL_TAIL);
	v.peer_port = 0;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_ip\":\"::1\","
	                                       "\"peer_rdns\":\"localhost\"" MINIMAL_TAIL);
	v.peer_port = UINT32_MAX;
	v.str[VERDICT_S_PEER_IP] = span_none();
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_port\":4294967295,"
	                                       "\"peer_rdns\":\"localhost\"" MINIMAL_TAIL);
}
END_TEST

START_TEST(test_peer_rdns_verified)
{
	struct verdict v = minimal();
	v.str[VERDICT_S_PEER_RDNS] = sp("mx.example.org");
	v.str[VERDICT_S_INTERFACE] = sp("Data 1");
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_rdns\":\"mx.example.org\","
	                                       "\"interface\":\"Data 1\"" MINIMAL_TAIL);
	v.peer_rdns_verified = 1;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_rdns\":\"mx.example.org\","
	                                       "\"peer_rdns_verified\":true,"
	                                       "\"interface\":\"Data 1\"" MINIMAL_TAIL);
	v.peer_rdns_verified = 0;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_rdns\":\"mx.example.org\","
	                                       "\"peer_rdns_verified\":false,"
	                                       "\"interface\":\"Data 1\"" MINIMAL_TAIL);
	/* Without the name the flag still sits where it belongs. */
	v.str[VERDICT_S_PEER_RDNS] = span_none();
	v.str[VERDICT_S_PEER_IP] = sp("10.0.0.1");
	v.peer_port = 25;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"peer_ip\":\"10.0.0.1\",\"peer_port\":25,"
	                                       "\"peer_rdns_verified\":false,"
	                                       "\"interface\":\"Data 1\"" MINIMAL_TAIL);
}
END_TEST

START_TEST(test_tls_required_placement)
{
	struct verdict v = minimal();
	v.str[VERDICT_S_TLS_DOMAIN] = sp("example.com");
	v.str[VERDICT_S_ERROR] = sp("refused");
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"tls_domain\":\"example.com\","
	                                       "\"error\":\"refused\"" MINIMAL_TAIL);
	v.tls_required = 1;
	ck_assert_str_eq(enc(&v),
	                 MINIMAL_HEAD ",\"tls_domain\":\"example.com\","
	                              "\"tls_required\":true,\"error\":\"refused\"" MINIMAL_TAIL);
	v.str[VERDICT_S_TLS_ERROR] = sp("bad cert");
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"tls_domain\":\"example.com\","
	                                       "\"tls_required\":true,\"tls_error\":\"bad cert\","
	                                       "\"error\":\"refused\"" MINIMAL_TAIL);
	v.tls_required = 0;
	ck_assert_str_eq(enc(&v), MINIMAL_HEAD ",\"tls_domain\":\"example.com\","
	                                       "\"tls_error\":\"bad cert\","
	                                       "\"error\":\"refused\"" MINIMAL_TAIL);
}
END_TEST

START_TEST(test_direction_and_id)
{
	struct verdict v = minimal();
	v.dir = ESA_DIR_OUT;
	v.conn_id = 42;
	ck_assert_str_eq(enc(&v),
	                 "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                 "\"direction\":\"outbound\",\"dcid\":42,\"end\":\"eof\"" MINIMAL_TAIL);
	v.dir = ESA_DIR_IN;
	v.conn_id = UINT64_MAX;
	ck_assert_str_eq(enc(&v), "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                          "\"direction\":\"inbound\",\"icid\":18446744073709551615,"
	                          "\"end\":\"eof\"" MINIMAL_TAIL);
	/* ESA_DIR_NONE is never emitted by the tracker; it reads as inbound rather than failing. */
	v.dir = ESA_DIR_NONE;
	v.conn_id = 7;
	ck_assert_str_eq(enc(&v),
	                 "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\","
	                 "\"direction\":\"inbound\",\"icid\":7,\"end\":\"eof\"" MINIMAL_TAIL);
}
END_TEST

/* The number writer against printf over edges (powers of ten, their neighbours) and random values.
 */
START_TEST(test_numbers)
{
	char want[512];
	uint64_t seed = 0x5EED0001, vals[80];
	size_t n = 0;
	uint64_t p = 1;
	vals[n++] = 0;
	vals[n++] = UINT64_MAX;
	for (int k = 0; k < 20; k++, p *= 10) {
		vals[n++] = p;
		vals[n++] = p - 1;
		vals[n++] = p + 1;
	}
	while (n < sizeof vals / sizeof vals[0])
		vals[n++] = xorshift_next(&seed) >> (xorshift_next(&seed) % 64);
	for (size_t i = 0; i < n; i++) {
		struct verdict v = minimal();
		v.conn_id = vals[i];
		v.lines = (uint32_t)vals[i];
		snprintf(want, sizeof want,
		         "{\"v\":1,\"type\":\"connection\",\"verdict\":\"unknown\",\"direction\":"
		         "\"inbound\",\"icid\":%llu,\"end\":\"eof\",\"mids\":[],\"lines\":%lu}\n",
		         (unsigned long long)vals[i], (unsigned long)(uint32_t)vals[i]);
		ck_assert_str_eq(enc(&v), want);
	}
}
END_TEST

/* ---- MIDs ---- */

static uint64_t many_mids[200];

static void fill_mids(void)
{
	for (size_t i = 0; i < 200; i++)
		many_mids[i] = 1000 + i;
}

/* "[a,b,...]" of many_mids[from..to). */
static void mid_list(char *out, size_t from, size_t to)
{
	size_t o = 0;
	out[o++] = '[';
	for (size_t i = from; i < to; i++)
		o += (size_t)snprintf(out + o, 32, "%s%llu", i > from ? "," : "",
		                      (unsigned long long)many_mids[i]);
	out[o++] = ']';
	out[o] = '\0';
}

static void check_mids(const struct verdict *v, const char *mids_part)
{
	char want[8192];
	snprintf(want, sizeof want, MINIMAL_HEAD "%s,\"lines\":0}\n", mids_part);
	ck_assert_str_eq(enc(v), want);
}

START_TEST(test_mids_listing)
{
	char list[2048], part[4096];
	fill_mids();
	struct verdict v = minimal();
	v.mids = many_mids;

	v.n_mids = 1;
	v.mids_total = 1;
	check_mids(&v, ",\"mids\":[1000]");

	v.n_mids = 3;
	v.mids_total = 0; /* not larger than the list: omitted */
	check_mids(&v, ",\"mids\":[1000,1001,1002]");

	v.n_mids = VERDICT_MIDS_MAX;
	v.mids_total = VERDICT_MIDS_MAX;
	mid_list(list, 0, VERDICT_MIDS_MAX);
	snprintf(part, sizeof part, ",\"mids\":%s", list);
	check_mids(&v, part);

	/* One past the cap: 64 printed, the total says there were more. */
	v.n_mids = VERDICT_MIDS_MAX + 1;
	v.mids_total = VERDICT_MIDS_MAX + 1;
	snprintf(part, sizeof part, ",\"mids\":%s,\"mids_total\":65", list);
	check_mids(&v, part);

	v.n_mids = 200;
	v.mids_total = 123456789012ULL;
	snprintf(part, sizeof part, ",\"mids\":%s,\"mids_total\":123456789012", list);
	check_mids(&v, part);

	/* The tracker kept fewer than it counted. */
	v.n_mids = 2;
	v.mids_total = 9;
	check_mids(&v, ",\"mids\":[1000,1001],\"mids_total\":9");

	v.n_mids = 0;
	v.mids_total = 0;
	check_mids(&v, ",\"mids\":[]");

	/* No array with a count is treated as no MIDs. */
	v.mids = NULL;
	v.n_mids = 5;
	check_mids(&v, ",\"mids\":[]");
}
END_TEST

START_TEST(test_mids_after_failure)
{
	char list[2048], after[2048], part[8192];
	fill_mids();
	struct verdict v = minimal();
	v.mids = many_mids;
	v.n_mids = 5;
	v.mids_total = 5;

	v.mids_after_failure_from = 2;
	check_mids(&v, ",\"mids\":[1000,1001,1002,1003,1004]");
	v.has_failure_mark = 1;
	check_mids(&v,
	           ",\"mids\":[1000,1001,1002,1003,1004],\"mids_after_failure\":[1002,1003,1004]");
	v.mids_after_failure_from = 0;
	check_mids(&v, ",\"mids\":[1000,1001,1002,1003,1004],"
	               "\"mids_after_failure\":[1000,1001,1002,1003,1004]");
	v.mids_after_failure_from = 4;
	check_mids(&v, ",\"mids\":[1000,1001,1002,1003,1004],\"mids_after_failure\":[1004]");
	v.mids_after_failure_from = 5;
	check_mids(&v, ",\"mids\":[1000,1001,1002,1003,1004],\"mids_after_failure\":[]");
	v.mids_after_failure_from = SIZE_MAX;
	check_mids(&v, ",\"mids\":[1000,1001,1002,1003,1004],\"mids_after_failure\":[]");

	/* Capped the same way: at most 64 from the mark on. */
	v.n_mids = 200;
	v.mids_total = 200;
	v.mids_after_failure_from = 10;
	mid_list(list, 0, VERDICT_MIDS_MAX);
	mid_list(after, 10, 10 + VERDICT_MIDS_MAX);
	snprintf(part, sizeof part, ",\"mids\":%s,\"mids_total\":200,\"mids_after_failure\":%s",
	         list, after);
	check_mids(&v, part);

	v.mids_after_failure_from = 150;
	mid_list(after, 150, 200);
	snprintf(part, sizeof part, ",\"mids\":%s,\"mids_total\":200,\"mids_after_failure\":%s",
	         list, after);
	check_mids(&v, part);

	v.n_mids = 0;
	v.mids_total = 0;
	v.mids_after_failure_from = 0;
	check_mids(&v, ",\"mids\":[],\"mids_after_failure\":[]");
}
END_TEST

/* ---- strings: escaping ---- */

START_TEST(test_escape_each_control_byte)
{
	static const char *const short_forms[32] = {
	    ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n", ['\f'] = "\\f", ['\r'] = "\\r"};
	char in[1], want[16];
	for (int c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		if (short_forms[c])
			snprintf(want, sizeof want, "\"%s\"", short_forms[c]);
		else
			snprintf(want, sizeof want, "\"\\u%04x\"", (unsigned)c);
		check_string(in, 1, want, strlen(want));
	}
	CHECK_STRING("\x7F", "\"\\u007f\"");
	CHECK_STRING("\x1F", "\"\\u001f\"");
	CHECK_STRING("\x00", "\"\\u0000\"");
	CHECK_STRING("a\0b", "\"a\\u0000b\"");
}
END_TEST

START_TEST(test_escape_quote_backslash_and_plain_ascii)
{
	CHECK_STRING("\"", "\"\\\"\"");
	CHECK_STRING("\\", "\"\\\\\"");
	CHECK_STRING("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_STRING("\\\"\\\"", "\"\\\\\\\"\\\\\\\"\"");
	CHECK_STRING("/</script>", "\"/</script>\"");
	CHECK_STRING("", "\"\"");

	/* Every other printable ASCII byte passes unchanged. */
	char in[128], want[130];
	size_t n = 0;
	for (int c = 0x20; c < 0x7F; c++)
		if (c != '"' && c != '\\')
			in[n++] = (char)c;
	want[0] = '"';
	memcpy(want + 1, in, n);
	want[n + 1] = '"';
	check_string(in, n, want, n + 2);
}
END_TEST

START_TEST(test_absent_span_is_empty_string)
{
	char buf[4];
	ck_assert_uint_eq(verdict_json_string(span_none(), buf, sizeof buf), 2);
	ck_assert_mem_eq(buf, "\"\"", 2);
}
END_TEST

/* One special byte at every position of a plain run: the fast path (which looks at 8 bytes at a
 * time) must stop on it and resume exactly. Neighbours of the special bytes must pass as is. */
START_TEST(test_special_byte_at_every_position)
{
	static const struct {
		unsigned char c;
		const char *out;
	} cases[] = {
	    {0x00, "\\u0000"}, {'\n', "\\n"}, {0x1F, "\\u001f"}, {'"', "\\\""}, {'\\', "\\\\"},
	    {0x7F, "\\u007f"}, {0x80, R},     {0xFF, R},         {0x20, " "},   {0x21, "!"},
	    {0x23, "#"},       {0x5B, "["},   {0x5D, "]"},       {0x7E, "~"},
	};
	char in[40], want[64];
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		for (size_t at = 0; at < sizeof in; at++) {
			for (size_t i = 0; i < sizeof in; i++)
				in[i] = (char)('a' + i % 26);
			in[at] = (char)cases[k].c;
			size_t w = 0, e = strlen(cases[k].out);
			want[w++] = '"';
			memcpy(want + w, in, at);
			w += at;
			memcpy(want + w, cases[k].out, e);
			w += e;
			memcpy(want + w, in + at + 1, sizeof in - at - 1);
			w += sizeof in - at - 1;
			want[w++] = '"';
			check_string(in, sizeof in, want, w);
			/* The same run ending right after the byte. */
			want[at + 1 + e] = '"';
			check_string(in, at + 1, want, at + e + 2);
		}
	}
}
END_TEST

/* ---- strings: UTF-8 ---- */

START_TEST(test_valid_utf8_passes)
{
	CHECK_STRING("caf\xC3\xA9", "\"caf\xC3\xA9\"");
	CHECK_STRING("\xE2\x82\xAC", "\"\xE2\x82\xAC\"");
	CHECK_STRING("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"");
	/* The edges of Table 3-7. */
	CHECK_STRING("\xC2\x80", "\"\xC2\x80\"");                 /* U+0080 */
	CHECK_STRING("\xDF\xBF", "\"\xDF\xBF\"");                 /* U+07FF */
	CHECK_STRING("\xE0\xA0\x80", "\"\xE0\xA0\x80\"");         /* U+0800 */
	CHECK_STRING("\xED\x9F\xBF", "\"\xED\x9F\xBF\"");         /* U+D7FF */
	CHECK_STRING("\xEE\x80\x80", "\"\xEE\x80\x80\"");         /* U+E000 */
	CHECK_STRING("\xEF\xBF\xBF", "\"\xEF\xBF\xBF\"");         /* U+FFFF */
	CHECK_STRING("\xEF\xBF\xBD", "\"\xEF\xBF\xBD\"");         /* U+FFFD itself */
	CHECK_STRING("\xF0\x90\x80\x80", "\"\xF0\x90\x80\x80\""); /* U+10000 */
	CHECK_STRING("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\""); /* U+10FFFF */
	CHECK_STRING("\xE2\x80\xA8", "\"\xE2\x80\xA8\"");         /* U+2028 is legal in JSON */
	CHECK_STRING("a\xC3\xA9\"\xE2\x82\xAC\n", "\"a\xC3\xA9\\\"\xE2\x82\xAC\\n\"");
}
END_TEST

START_TEST(test_overlong_forms)
{
	CHECK_STRING("\xC0\x80", "\"" R R "\"");
	CHECK_STRING("\xC0\xAF", "\"" R R "\"");
	CHECK_STRING("\xC1\xBF", "\"" R R "\"");
	CHECK_STRING("\xE0\x80\x80", "\"" R R R "\"");
	CHECK_STRING("\xE0\x9F\xBF", "\"" R R R "\"");
	CHECK_STRING("\xF0\x80\x80\x80", "\"" R R R R "\"");
	CHECK_STRING("\xF0\x8F\xBF\xBF", "\"" R R R R "\"");
	CHECK_STRING("a\xC0\xAF"
	             "b",
	             "\"a" R R "b\"");
}
END_TEST

START_TEST(test_surrogates)
{
	CHECK_STRING("\xED\xA0\x80", "\"" R R R "\"");                   /* U+D800 */
	CHECK_STRING("\xED\xAF\xBF", "\"" R R R "\"");                   /* U+DBFF */
	CHECK_STRING("\xED\xB0\x80", "\"" R R R "\"");                   /* U+DC00 */
	CHECK_STRING("\xED\xBF\xBF", "\"" R R R "\"");                   /* U+DFFF */
	CHECK_STRING("\xED\xA0\xBD\xED\xB8\x80", "\"" R R R R R R "\""); /* CESU-8 pair */
}
END_TEST

START_TEST(test_beyond_max_code_point)
{
	CHECK_STRING("\xF4\x90\x80\x80", "\"" R R R R "\""); /* U+110000 */
	CHECK_STRING("\xF5\x80\x80\x80", "\"" R R R R "\"");
	CHECK_STRING("\xF7\xBF\xBF\xBF", "\"" R R R R "\"");
	CHECK_STRING("\xF8\x88\x80\x80\x80", "\"" R R R R R "\""); /* old 5-byte form */
	CHECK_STRING("\xFC\x84\x80\x80\x80\x80", "\"" R R R R R R "\"");
	CHECK_STRING("\xFE", "\"" R "\"");
	CHECK_STRING("\xFF\xFE", "\"" R R "\"");
}
END_TEST

START_TEST(test_truncated_sequences)
{
	/* A cut sequence is one maximal subpart: one U+FFFD, then the next byte stands alone. */
	CHECK_STRING("\xC3", "\"" R "\"");
	CHECK_STRING("\xE2\x82", "\"" R "\"");
	CHECK_STRING("\xF0\x9F\x98", "\"" R "\"");
	CHECK_STRING("\xE2", "\"" R "\"");
	CHECK_STRING("\xE2\x82"
	             "A",
	             "\"" R "A\"");
	CHECK_STRING("\xF0\x9F"
	             "x",
	             "\"" R "x\"");
	CHECK_STRING("\xF0\x9F\x98\"", "\"" R "\\\"\"");
	CHECK_STRING("\xC3\n", "\"" R "\\n\"");
	CHECK_STRING("\xE2\xE2\x82\xAC", "\"" R "\xE2\x82\xAC\"");
	CHECK_STRING("\xF0\x9F\x98\xF0\x9F\x98\x80", "\"" R "\xF0\x9F\x98\x80\"");
	CHECK_STRING("\xC3\xC3\xA9", "\"" R "\xC3\xA9\"");
	/* A value cut at VERDICT_FIELD_MAX in the middle of a character. */
	char in[VERDICT_FIELD_MAX], want[VERDICT_FIELD_MAX + 8];
	memset(in, 'a', sizeof in);
	memcpy(in + sizeof in - 2, "\xE2\x82", 2);
	want[0] = '"';
	memcpy(want + 1, in, sizeof in - 2);
	memcpy(want + sizeof in - 1, R "\"", 4);
	check_string(in, sizeof in, want, sizeof in + 3);
}
END_TEST

START_TEST(test_stray_continuation_bytes)
{
	CHECK_STRING("\x80", "\"" R "\"");
	CHECK_STRING("\xBF\xBF", "\"" R R "\"");
	CHECK_STRING("a\x80"
	             "b",
	             "\"a" R "b\"");
	CHECK_STRING("\xC3\xA9\xA9", "\"\xC3\xA9" R "\"");
	CHECK_STRING("\xE2\x82\xAC\x80\x80", "\"\xE2\x82\xAC" R R "\"");
	CHECK_STRING("\xF0\x9F\x98\x80\x80", "\"\xF0\x9F\x98\x80" R "\"");
}
END_TEST

/* The worked example of Unicode 15.0 section 3.9 (Table 3-8): maximal subparts. */
START_TEST(test_unicode_maximal_subpart_example)
{
	CHECK_STRING("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
	             "\"a" R R R "b" R "c" R R "d\"");
}
END_TEST

/* Every byte pair and every lead byte with each continuation: the encoder against the reference. */
START_TEST(test_all_short_sequences_against_reference)
{
	unsigned char in[4];
	char got[64], want[64];
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			for (size_t n = 1; n <= 2; n++) {
				size_t len =
				    verdict_json_string(span_make((char *)in, n), got, sizeof got);
				require(json_valid(got, len), "bytes %02x %02x", a, b);
				char dec[64];
				long d = json_unquote(got, len, dec);
				size_t w = reference_repair(in, n, want);
				require(d == (long)w && memcmp(dec, want, w) == 0,
				        "bytes %02x %02x (n=%zu)", a, b, n);
			}
		}
	}
	/* Three- and four-byte leads with edge continuations and cut points. */
	static const unsigned char conts[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
	                                      0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xFF};
	for (unsigned a = 0xE0; a < 0x100; a++)
		for (size_t i = 0; i < sizeof conts; i++)
			for (size_t j = 0; j < sizeof conts; j++)
				for (size_t k = 0; k < sizeof conts; k++) {
					in[0] = (unsigned char)a;
					in[1] = conts[i];
					in[2] = conts[j];
					in[3] = conts[k];
					for (size_t n = 3; n <= 4; n++) {
						size_t len = verdict_json_string(
						    span_make((char *)in, n), got, sizeof got);
						require(json_valid(got, len), "lead %02x", a);
						char dec[64];
						long d = json_unquote(got, len, dec);
						size_t w = reference_repair(in, n, want);
						require(d == (long)w && memcmp(dec, want, w) == 0,
						        "bytes %02x %02x %02x %02x n=%zu", a, in[1],
						        in[2], in[3], n);
					}
				}
}
END_TEST

/* Pseudo-random hostile strings: always valid JSON, and decoding gives the input repaired. */
START_TEST(test_random_strings_round_trip)
{
	uint64_t seed = 0xC0FFEE1234567ULL;
	static char in[600], got[600 * 6 + 2], dec[600 * 6], want[600 * 3];
	for (int iter = 0; iter < 50000; iter++) {
		size_t n = random_bytes(&seed, in, iter % 10 == 0 ? sizeof in : 40);
		size_t len = verdict_json_string(span_make(in, n), got, sizeof got);
		require(len > 1 && json_valid(got, len), "iteration %d", iter);
		long d = json_unquote(got, len, dec);
		size_t w = reference_repair((unsigned char *)in, n, want);
		require(d == (long)w && memcmp(dec, want, w) == 0, "iteration %d", iter);
	}
}
END_TEST

/* ---- bounded output ---- */

#define CANARY 0xA5

/* Every cap below the record's length returns 0 and writes nothing at or past cap; the exact cap
 * gives the same bytes as a roomy buffer. */
static void check_every_cap(const struct verdict *v)
{
	static char full[VERDICT_LINE_MAX];
	size_t need = verdict_encode(v, full, sizeof full);
	ck_assert_uint_gt(need, 0);
	size_t room = need + 64;
	unsigned char *buf = malloc(room);
	ck_assert_ptr_nonnull(buf);
	for (size_t cap = 0; cap <= need; cap++) {
		memset(buf, CANARY, room);
		size_t got = verdict_encode(v, (char *)buf, cap);
		require(got == (cap == need ? need : 0), "cap %zu gave %zu", cap, got);
		require(cap < need || memcmp(buf, full, need) == 0, "exact cap differs");
		for (size_t k = cap; k < room; k++)
			require(buf[k] == CANARY, "cap %zu wrote byte %zu", cap, k);

		/* Exactly cap bytes of heap: the sanitizer sees any overrun too. */
		char *exact = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(exact);
		got = verdict_encode(v, exact, cap);
		require(got == (cap == need ? need : 0), "cap %zu gave %zu", cap, got);
		free(exact);
	}
	free(buf);
	ck_assert_uint_eq(verdict_encode(v, NULL, 0), 0);
}

START_TEST(test_cap_too_small_record)
{
	struct verdict v = outbound_full();
	check_every_cap(&v);
	v = design_example();
	check_every_cap(&v);
	/* Caps that fall inside escapes, replacement characters and multibyte characters. */
	static const char hostile[] = "\x01\xE2\x82\xAC\xFF\"\xF0\x9F\x98\x80\\";
	v.str[VERDICT_S_TLS_CN] = span_make(hostile, sizeof hostile - 1);
	v.host = span_make("\xC3\xA9\n\x7F", 4);
	check_every_cap(&v);
}
END_TEST

START_TEST(test_cap_too_small_string)
{
	static const char in[] = "a\x01\"\xE2\x82\xAC\xFF\xF0\x9F\x98\x80\\z";
	char full[128];
	unsigned char buf[160];
	size_t need = verdict_json_string(span_make(in, sizeof in - 1), full, sizeof full);
	ck_assert_uint_eq(need, 2 + 1 + 6 + 2 + 3 + 3 + 4 + 2 + 1);
	for (size_t cap = 0; cap <= need; cap++) {
		memset(buf, CANARY, sizeof buf);
		size_t got = verdict_json_string(span_make(in, sizeof in - 1), (char *)buf, cap);
		ck_assert_uint_eq(got, cap == need ? need : 0);
		for (size_t k = cap; k < sizeof buf; k++)
			ck_assert_uint_eq(buf[k], CANARY);
	}
	ck_assert_uint_eq(verdict_json_string(sp("x"), NULL, 0), 0);
}
END_TEST

/* A value far longer than VERDICT_FIELD_MAX still encodes when the buffer allows it. */
START_TEST(test_long_value)
{
	size_t n = 100000;
	char *in = malloc(n), *buf = malloc(6 * n + 2);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < n; i++)
		in[i] = i % 1000 == 999 ? '\t' : 'x';
	size_t len = verdict_json_string(span_make(in, n), buf, 6 * n + 2);
	ck_assert_uint_eq(len, n + 2 + n / 1000);
	ck_assert(json_valid(buf, len));
	ck_assert_uint_eq(verdict_json_string(span_make(in, n), buf, len - 1), 0);

	struct verdict v = minimal();
	v.str[VERDICT_S_ERROR] = span_make(in, n);
	ck_assert_uint_eq(verdict_encode(&v, buf, VERDICT_LINE_MAX), 0);
	free(in);
	free(buf);
}
END_TEST

static uint64_t worst_mids[VERDICT_MIDS_MAX];

/* Every string field and the host VERDICT_FIELD_MAX bytes of one byte, every number at its widest.
 */
static struct verdict widest(const char *field, size_t len)
{
	struct verdict v = minimal();
	for (size_t i = 0; i < VERDICT_MIDS_MAX; i++)
		worst_mids[i] = UINT64_MAX - i;
	v.kind = VERDICT_TLS_FAILED;
	v.dir = ESA_DIR_OUT;
	v.host = span_make(field, len);
	v.conn_id = UINT64_MAX;
	v.first_seen = lt(9999, 12, 31, 23, 59, 59, -720);
	v.last_seen = v.first_seen;
	v.end = VERDICT_END_DISCONNECTED;
	for (int f = 0; f < VERDICT_STR_COUNT; f++)
		v.str[f] = span_make(field, len);
	v.peer_rdns_verified = 0;
	v.tls_required = 1;
	v.peer_port = UINT32_MAX;
	v.mids = worst_mids;
	v.n_mids = VERDICT_MIDS_MAX;
	v.mids_total = UINT64_MAX;
	v.has_failure_mark = 1;
	v.lines = UINT32_MAX;
	return v;
}

/* A control byte costs six output bytes (\u00XX), more than any other input byte (U+FFFD: 3,
 * '"': 2), so a record of them is the largest one. */
START_TEST(test_worst_case_fits_line_max)
{
	static const unsigned char worst[] = {0x01, 0x7F, '"', 0x80, 0xFF, 0xC3, 0xF0, 'a'};
	char field[VERDICT_FIELD_MAX];
	static char buf[VERDICT_LINE_MAX];
	size_t largest = 0;
	for (size_t w = 0; w < sizeof worst; w++) {
		memset(field, worst[w], sizeof field);
		struct verdict v = widest(field, sizeof field);
		size_t len = verdict_encode(&v, buf, sizeof buf);
		ck_assert_uint_gt(len, 0);
		ck_assert(json_line_valid(buf, len));
		if (len > largest)
			largest = len;
	}
	/* Exact size of the largest: the same record with empty values plus 15 fields of 6 * 255.
	 */
	struct verdict v = widest("", 0);
	size_t skeleton = verdict_encode(&v, buf, sizeof buf);
	ck_assert_uint_gt(skeleton, 0);
	/* An empty host is omitted: add back its key, quotes and comma. */
	skeleton += sizeof(",\"host\":\"\"") - 1;
	ck_assert_uint_eq(largest, skeleton + (VERDICT_STR_COUNT + 1) * VERDICT_FIELD_MAX * 6);
	ck_assert_uint_le(largest, VERDICT_LINE_MAX);

	/* Random mixtures of the worst bytes fit as well. */
	uint64_t seed = 0xBADC0DE;
	for (int iter = 0; iter < 200; iter++) {
		for (size_t i = 0; i < sizeof field; i++)
			field[i] = (char)worst[xorshift_next(&seed) % sizeof worst];
		struct verdict m = widest(field, sizeof field);
		size_t len = verdict_encode(&m, buf, sizeof buf);
		ck_assert_uint_gt(len, 0);
		ck_assert_uint_le(len, largest);
		ck_assert(json_line_valid(buf, len));
	}
}
END_TEST

/* Random bytes in every string field: always one valid JSON line, each value encoded in place. */
START_TEST(test_random_records_valid_json)
{
	uint64_t seed = 0x1234ABCD5678EF01ULL;
	static char fields[VERDICT_STR_COUNT + 1][VERDICT_FIELD_MAX];
	static uint64_t mids[100];
	static char want[VERDICT_LINE_MAX];
	for (int iter = 0; iter < 3000; iter++) {
		struct verdict v = minimal();
		uint64_t r = xorshift_next(&seed);
		v.kind = (enum verdict_kind)(r % VERDICT_KIND_COUNT);
		v.dir = (r >> 4) & 1 ? ESA_DIR_OUT : ESA_DIR_IN;
		v.end = (enum verdict_end)((r >> 8) % VERDICT_END_COUNT);
		v.conn_id = xorshift_next(&seed);
		size_t hn = random_bytes(&seed, fields[VERDICT_STR_COUNT], VERDICT_FIELD_MAX);
		v.host = (r >> 5) & 1 ? span_make(fields[VERDICT_STR_COUNT], hn) : span_none();
		for (int f = 0; f < VERDICT_STR_COUNT; f++) {
			size_t n = random_bytes(&seed, fields[f], VERDICT_FIELD_MAX);
			v.str[f] =
			    (xorshift_next(&seed) & 3) ? span_make(fields[f], n) : span_none();
		}
		if ((r >> 12) & 1)
			v.first_seen =
			    lt(1970 + (int)((r >> 16) % 8000), 1 + (int)((r >> 20) % 12),
			       1 + (int)((r >> 24) % 28), (int)((r >> 28) % 24),
			       (int)((r >> 32) % 60), (int)((r >> 38) % 60),
			       (r >> 44) & 1 ? LOGTIME_NO_OFFSET : (int)((r >> 45) % 1681) - 840);
		if ((r >> 13) & 1)
			v.last_seen = v.first_seen;
		v.peer_rdns_verified = (int)((r >> 50) % 3) - 1;
		v.tls_required = (r >> 52) & 1;
		v.peer_port = (r >> 53) & 1 ? (uint32_t)xorshift_next(&seed) : 0;
		v.n_mids = (size_t)(xorshift_next(&seed) % 100);
		for (size_t i = 0; i < v.n_mids; i++)
			mids[i] = xorshift_next(&seed) >> (xorshift_next(&seed) % 64);
		v.mids = mids;
		v.mids_total = v.n_mids + (r >> 54) % 3;
		v.has_failure_mark = (r >> 56) & 1;
		v.mids_after_failure_from = (size_t)(xorshift_next(&seed) % 110);
		v.lines = (uint32_t)xorshift_next(&seed);

		const char *got = enc(&v);
		for (int f = 0; f < VERDICT_STR_COUNT; f++) {
			if (!span_present(v.str[f]))
				continue;
			size_t k = (size_t)snprintf(
			    want, sizeof want, ",\"%s\":", verdict_str_name((enum verdict_str)f));
			size_t n = verdict_json_string(v.str[f], want + k, sizeof want - k - 1);
			ck_assert_uint_gt(n, 0);
			want[k + n] = '\0';
			ck_assert_msg(strstr(got, want) != NULL, "iteration %d field %d", iter, f);
		}
	}
}
END_TEST

/* ---- the checker itself must reject what is not JSON ---- */

START_TEST(test_checker_rejects)
{
	static const char *const good[] = {"{}",
	                                   "[]",
	                                   "{\"a\":[1,-2,3.5,4e10,0,true,false,null]}",
	                                   "\"\\u00e9\\ud83d\\ude00\"",
	                                   " { \"a\" : \"b\" } ",
	                                   "\"\xF4\x8F\xBF\xBF\""};
	static const char *const bad[] = {"",
	                                  "{",
	                                  "{\"a\":1,}",
	                                  "[1,]",
	                                  "{\"a\" 1}",
	                                  "01",
	                                  "1.",
	                                  "-",
	                                  "+1",
	                                  "\"\x01\"",
	                                  "\"\\x\"",
	                                  "\"\\u12\"",
	                                  "\"\\ud800\"",
	                                  "\"\\udc00\"",
	                                  "\"\xC0\x80\"",
	                                  "\"\xED\xA0\x80\"",
	                                  "\"\xF4\x90\x80\x80\"",
	                                  "\"\xE2\x82\"",
	                                  "\"\x80\"",
	                                  "\"abc",
	                                  "{} {}",
	                                  "tru",
	                                  "{\"a\":1}x",
	                                  "\"\t\""};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(json_valid(good[i], strlen(good[i])), "good %zu", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!json_valid(bad[i], strlen(bad[i])), "bad %zu", i);
	ck_assert(!json_valid("\"a\0b\"", 5));
	ck_assert(json_line_valid("{}\n", 3));
	ck_assert(!json_line_valid("{}", 2));
	ck_assert(!json_line_valid("{}\n\n", 4));
	ck_assert(!json_line_valid("[1]\n", 4));
}
END_TEST

static Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, test_design_example_byte_for_byte);
	tcase_add_test(tc, test_minimal_record);
	tcase_add_test(tc, test_outbound_every_field);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_every_kind_and_end_in_record);
	tcase_add_test(tc, test_host_omission);
	tcase_add_test(tc, test_each_string_field_alone);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_peer_port_placement);
	tcase_add_test(tc, test_peer_rdns_verified);
	tcase_add_test(tc, test_tls_required_placement);
	tcase_add_test(tc, test_direction_and_id);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_mids_listing);
	tcase_add_test(tc, test_mids_after_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("string");
	tcase_add_test(tc, test_escape_each_control_byte);
	tcase_add_test(tc, test_escape_quote_backslash_and_plain_ascii);
	tcase_add_test(tc, test_absent_span_is_empty_string);
	tcase_add_test(tc, test_special_byte_at_every_position);
	tcase_add_test(tc, test_valid_utf8_passes);
	tcase_add_test(tc, test_overlong_forms);
	tcase_add_test(tc, test_surrogates);
	tcase_add_test(tc, test_beyond_max_code_point);
	tcase_add_test(tc, test_truncated_sequences);
	tcase_add_test(tc, test_stray_continuation_bytes);
	tcase_add_test(tc, test_unicode_maximal_subpart_example);
	tcase_add_test(tc, test_all_short_sequences_against_reference);
	tcase_add_test(tc, test_random_strings_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cap_too_small_record);
	tcase_add_test(tc, test_cap_too_small_string);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_worst_case_fits_line_max);
	tcase_add_test(tc, test_random_records_valid_json);
	tcase_add_test(tc, test_checker_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(verdict_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
