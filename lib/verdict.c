/* Verdict records as JSON Lines (DESIGN.md "Verdict record").
 * Strings follow RFC 8259 section 7. Bytes that are not well-formed UTF-8 (Unicode 15.0
 * section 3.9, Table 3-7: overlongs, surrogates, values past U+10FFFF, cut or stray continuation
 * bytes) become U+FFFD, one per maximal subpart (section 3.9, "U+FFFD Substitution of Maximal
 * Subparts", also the WHATWG Encoding rule): "\xE2\x82" then "A" gives one U+FFFD then "A",
 * while "\xE0\x80" gives two, since 0x80 can never follow 0xE0. No input byte grows past six
 * output bytes (a \u00XX escape; U+FFFD takes 3), which is what VERDICT_LINE_MAX rests on. */
#include "digits.h"
#include "verdict.h"

#include <string.h>

/* A bounded writer: once a write does not fit, every later one is refused and the result is 0. */
struct out {
	char *buf;
	size_t len;
	size_t cap;
	int full;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		o->full = 1;
		o->cap = o->len;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_byte(struct out *o, char c)
{
	if (o->len == o->cap) {
		o->full = 1;
		return;
	}
	o->buf[o->len++] = c;
}

#define OUT_LIT(o, lit) out_put((o), (lit), sizeof(lit) - 1)

static size_t out_result(const struct out *o)
{
	return o->full ? 0 : o->len;
}

static void out_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	const char *p = digits_u64(tmp + sizeof tmp, v);
	out_put(o, p, (size_t)(tmp + sizeof tmp - p));
}

/* 1 for the bytes a JSON string carries unchanged in the fast path: printable ASCII other than
 * '"' and '\\' (RFC 8259 section 7). DEL is escaped too, so the output stays printable. */
static const unsigned char json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70: DEL */
    /* 0x80..0xFF: multibyte UTF-8, validated one sequence at a time */
};

static void out_escape_ascii(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
	size_t n = 2;
	switch (c) {
	case '"':
	case '\\':
		e[1] = (char)c;
		break;
	case '\b':
		e[1] = 'b';
		break;
	case '\f':
		e[1] = 'f';
		break;
	case '\n':
		e[1] = 'n';
		break;
	case '\r':
		e[1] = 'r';
		break;
	case '\t':
		e[1] = 't';
		break;
	default:
		n = 6;
		break;
	}
	out_put(o, e, n);
}

/* Length of the well-formed UTF-8 sequence at p[0..n) (p[0] >= 0x80), or 0 with *bad set to the
 * length of its maximal subpart. The second byte's range depends on the lead (Table 3-7): E0 and
 * F0 exclude overlongs, ED excludes surrogates, F4 stops at U+10FFFF. */
static size_t utf8_sequence(const unsigned char *p, size_t n, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i = 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		*bad = 1; /* stray continuation byte, C0/C1 (always overlong) or F5..FF */
		return 0;
	}
	if (i < n && p[i] >= lo && p[i] <= hi) {
		i++;
		while (i < need && i < n && (p[i] & 0xC0) == 0x80)
			i++;
	}
	if (i == need)
		return need;
	*bad = i;
	return 0;
}

/* Copies or replaces the non-ASCII sequence at p[0..n); returns the bytes consumed. */
static size_t out_utf8(struct out *o, const unsigned char *p, size_t n)
{
	size_t bad = 0, len = utf8_sequence(p, n, &bad);
	if (len > 0) {
		out_put(o, (const char *)p, len);
		return len;
	}
	OUT_LIT(o, "\xEF\xBF\xBD");
	return bad;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* True when all 8 bytes at p are plain (see json_plain), tested a word at a time: a high bit
 * marks a byte below 0x20, equal to '"' or '\\', 0x7F (+1 reaches 0x80) or non-ASCII. Exact
 * when it says "plain", which is all the fast path needs. */
static int word_plain(const unsigned char *p)
{
	uint64_t w, quote, bslash;
	memcpy(&w, p, sizeof w);
	quote = w ^ (ONES * '"');
	bslash = w ^ (ONES * '\\');
	uint64_t flags = ((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
	                 ((bslash - ONES) & ~bslash) | (w + ONES) | w;
	return (flags & HIGHS) == 0;
}

static void out_json_string(struct out *o, struct span s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0;
	out_byte(o, '"');
	while (i < s.len && !o->full) {
		size_t start = i;
		while (s.len - i >= 8 && word_plain(p + i))
			i += 8;
		while (i < s.len && json_plain[p[i]])
			i++;
		if (i > start)
			out_put(o, s.p + start, i - start);
		if (i == s.len)
			break;
		if (p[i] < 0x80)
			out_escape_ascii(o, p[i++]);
		else
			i += out_utf8(o, p + i, s.len - i);
	}
	out_byte(o, '"');
}

struct name {
	const char *s;
	size_t len;
};

#define NAME_ENTRY(id, str) {str, sizeof(str) - 1},
static const struct name kind_names[] = {VERDICT_KINDS(NAME_ENTRY)};
static const struct name end_names[] = {VERDICT_ENDS(NAME_ENTRY)};
static const struct name str_names[] = {VERDICT_STRINGS(NAME_ENTRY)};
#undef NAME_ENTRY

/* The keys of the string fields with their leading comma: ,"peer_ip": */
#define KEY_ENTRY(id, str) {",\"" str "\":", sizeof(",\"" str "\":") - 1},
static const struct name str_keys[] = {VERDICT_STRINGS(KEY_ENTRY)};
#undef KEY_ENTRY

static const struct name invalid_name = {"invalid", sizeof("invalid") - 1};

static const struct name *kind_name(enum verdict_kind kind)
{
	return (unsigned)kind < VERDICT_KIND_COUNT ? &kind_names[kind] : &invalid_name;
}

static const struct name *end_name(enum verdict_end end)
{
	return (unsigned)end < VERDICT_END_COUNT ? &end_names[end] : &invalid_name;
}

const char *verdict_kind_name(enum verdict_kind kind)
{
	return kind_name(kind)->s;
}

const char *verdict_end_name(enum verdict_end end)
{
	return end_name(end)->s;
}

const char *verdict_str_name(enum verdict_str field)
{
	return (unsigned)field < VERDICT_STR_COUNT ? str_names[field].s : invalid_name.s;
}

/* A name from the tables above: plain ASCII, so it goes out without escaping. */
static void out_name_value(struct out *o, const struct name *n)
{
	out_byte(o, '"');
	out_put(o, n->s, n->len);
	out_byte(o, '"');
}

static void out_time(struct out *o, const char *key, size_t key_len, const struct logtime *t)
{
	char iso[32];
	if (!t->valid)
		return;
	int n = logtime_format_iso(t, iso);
	out_put(o, key, key_len);
	out_put(o, iso, (size_t)n);
	out_byte(o, '"');
}

static void out_head(struct out *o, const struct verdict *v)
{
	OUT_LIT(o, "{\"v\":1,\"type\":\"connection\",\"verdict\":");
	out_name_value(o, kind_name(v->kind));
	/* ESA_DIR_NONE names no connection; the tracker never emits it, and it reads as inbound. */
	if (v->dir == ESA_DIR_OUT)
		OUT_LIT(o, ",\"direction\":\"outbound\"");
	else
		OUT_LIT(o, ",\"direction\":\"inbound\"");
	if (span_present(v->host) && v->host.len > 0) {
		OUT_LIT(o, ",\"host\":");
		out_json_string(o, v->host);
	}
	if (v->dir == ESA_DIR_OUT)
		OUT_LIT(o, ",\"dcid\":");
	else
		OUT_LIT(o, ",\"icid\":");
	out_u64(o, v->conn_id);
	out_time(o, ",\"first_seen\":\"", sizeof(",\"first_seen\":\"") - 1, &v->first_seen);
	out_time(o, ",\"last_seen\":\"", sizeof(",\"last_seen\":\"") - 1, &v->last_seen);
	OUT_LIT(o, ",\"end\":");
	out_name_value(o, end_name(v->end));
}

/* The string fields in VERDICT_STRINGS order, with the non-string fields that sit beside them. */
static void out_strings(struct out *o, const struct verdict *v)
{
	for (int f = 0; f < VERDICT_STR_COUNT; f++) {
		if (f == VERDICT_S_TLS_ERROR && v->tls_required)
			OUT_LIT(o, ",\"tls_required\":true");
		if (span_present(v->str[f])) {
			out_put(o, str_keys[f].s, str_keys[f].len);
			out_json_string(o, v->str[f]);
		}
		if (f == VERDICT_S_PEER_IP && v->peer_port != 0) {
			OUT_LIT(o, ",\"peer_port\":");
			out_u64(o, v->peer_port);
		}
		if (f == VERDICT_S_PEER_RDNS && v->peer_rdns_verified != -1) {
			if (v->peer_rdns_verified)
				OUT_LIT(o, ",\"peer_rdns_verified\":true");
			else
				OUT_LIT(o, ",\"peer_rdns_verified\":false");
		}
	}
}

static void out_mid_list(struct out *o, const uint64_t *mids, size_t from, size_t to)
{
	out_byte(o, '[');
	for (size_t i = from; i < to; i++) {
		if (i > from)
			out_byte(o, ',');
		out_u64(o, mids[i]);
	}
	out_byte(o, ']');
}

static void out_mids(struct out *o, const struct verdict *v)
{
	size_t n = v->mids != NULL ? v->n_mids : 0;
	size_t shown = n < VERDICT_MIDS_MAX ? n : VERDICT_MIDS_MAX;
	OUT_LIT(o, ",\"mids\":");
	out_mid_list(o, v->mids, 0, shown);
	if (v->mids_total > shown) {
		OUT_LIT(o, ",\"mids_total\":");
		out_u64(o, v->mids_total);
	}
	if (v->has_failure_mark) {
		size_t from = v->mids_after_failure_from < n ? v->mids_after_failure_from : n;
		size_t to = n - from > VERDICT_MIDS_MAX ? from + VERDICT_MIDS_MAX : n;
		OUT_LIT(o, ",\"mids_after_failure\":");
		out_mid_list(o, v->mids, from, to);
		if (v->mids_after_failure_total > to - from) {
			OUT_LIT(o, ",\"mids_after_failure_total\":");
			out_u64(o, v->mids_after_failure_total);
		}
	}
}

size_t verdict_encode(const struct verdict *v, char *buf, size_t cap)
{
	struct out o = {buf, 0, cap, 0};
	out_head(&o, v);
	out_strings(&o, v);
	out_mids(&o, v);
	OUT_LIT(&o, ",\"lines\":");
	out_u64(&o, v->lines);
	OUT_LIT(&o, "}\n");
	return out_result(&o);
}

size_t verdict_json_string(struct span s, char *buf, size_t cap)
{
	struct out o = {buf, 0, cap, 0};
	out_json_string(&o, s);
	return out_result(&o);
}
