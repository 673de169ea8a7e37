#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "tally.h"

enum field {
	F_TYPE,
	F_VERDICT,
	F_DIRECTION,
	F_HOST,
	F_PEER_IP,
	F_PEER_RDNS,
	F_PEER_DOMAIN,
	F_TLS_DOMAIN,
	F_TLS_ERROR,
	F_FIRST_SEEN,
	F_LAST_SEEN,
	F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "type",        "verdict",    "direction", "host",       "peer_ip",  "peer_rdns",
    "peer_domain", "tls_domain", "tls_error", "first_seen", "last_seen"};

struct tally {
	enum tally_by by;
	char *since;
	struct tally_row *rows;
	size_t n_rows, cap_rows;
	struct tally_day *days; /* sorted by day */
	size_t n_days, cap_days;
	uint32_t *slots; /* open addressing: row index + 1, 0 empty */
	size_t n_slots;
	struct tally_counts count;
};

static const char *const by_names[] = {"domain", "ip", "appliance"};

const char *tally_by_name(enum tally_by by)
{
	return (unsigned)by < 3 ? by_names[by] : "?";
}

int tally_by_parse(const char *name, enum tally_by *by)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, by_names[i]) == 0) {
			*by = (enum tally_by)i;
			return 0;
		}
	return -1;
}

struct tally *tally_new(enum tally_by by, const char *since)
{
	struct tally *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->by = by;
	if (since != NULL && (t->since = strdup(since)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static void row_free(struct tally_row *r)
{
	free(r->peer);
	for (size_t i = 0; i < r->n_reasons; i++)
		free(r->reasons[i].text);
}

void tally_free(struct tally *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_rows; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	free(t->days);
	free(t->slots);
	free(t->since);
	free(t);
}

/* A string field decoded into buf (cut at TALLY_TEXT_MAX - 1 bytes), NUL-terminated; "" when
 * absent, not a string or not decodable. */
static const char *text_of(const struct jsonl_value *v, char buf[TALLY_TEXT_MAX])
{
	char tmp[4 * TALLY_TEXT_MAX];
	buf[0] = '\0';
	if (v->type != JSONL_STRING)
		return buf;
	struct span raw = v->raw;
	if (raw.len > sizeof(tmp) / 4)
		raw.len = sizeof(tmp) / 4; /* a cut escape makes it undecodable: then it is "" */
	long n = jsonl_unescape(raw, tmp, sizeof(tmp));
	if (n < 0)
		return buf;
	if (n > TALLY_TEXT_MAX - 1)
		n = TALLY_TEXT_MAX - 1;
	memcpy(buf, tmp, (size_t)n);
	buf[n] = '\0';
	return buf;
}

/* The last two labels of a host name, or three when the last two look like a country's
 * second level ("example.co.uk"): a stand-in for the registered domain without the public
 * suffix list. */
static const char *host_domain(const char *host)
{
	const char *dots[3] = {NULL, NULL, NULL};
	for (const char *p = host; *p; p++)
		if (*p == '.') {
			dots[2] = dots[1];
			dots[1] = dots[0];
			dots[0] = p;
		}
	if (dots[1] == NULL)
		return host;
	size_t tld = strlen(dots[0] + 1), sld = (size_t)(dots[0] - dots[1] - 1);
	if (tld == 2 && sld <= 3 && dots[2] != NULL)
		return dots[2] + 1;
	return dots[1] + 1;
}

static const char *peer_of(const struct tally *t, const struct jsonl_value *v, int out,
                           char buf[TALLY_TEXT_MAX])
{
	char tmp[TALLY_TEXT_MAX];
	const char *s;
	switch (t->by) {
	case TALLY_BY_APPLIANCE:
		s = text_of(&v[F_HOST], buf);
		return *s ? s : "(none)";
	case TALLY_BY_DOMAIN:
		if (out) {
			s = text_of(&v[F_PEER_DOMAIN], buf);
			if (!*s)
				s = text_of(&v[F_TLS_DOMAIN], buf);
			if (*s)
				return s;
		} else {
			s = text_of(&v[F_PEER_RDNS], tmp);
			if (*s && strcmp(s, "unknown") != 0 && strchr(s, '.') != NULL) {
				const char *d = host_domain(s);
				memmove(buf, d, strlen(d) + 1);
				return buf;
			}
		}
		break;
	case TALLY_BY_IP:
		break;
	}
	s = text_of(&v[F_PEER_IP], buf);
	return *s ? s : "(unknown)";
}

static uint64_t hash_key(enum esa_dir dir, const char *peer)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)dir;
	for (const unsigned char *p = (const unsigned char *)peer; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int grow_slots(struct tally *t)
{
	size_t n = t->n_slots ? t->n_slots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->n_rows; i++) {
		size_t j = hash_key(t->rows[i].dir, t->rows[i].peer) & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = (uint32_t)(i + 1);
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n;
	return 0;
}

/* The row of (dir, peer), added if new; NULL past the bound or out of memory. */
static struct tally_row *row_get(struct tally *t, enum esa_dir dir, const char *peer)
{
	if ((t->n_rows + 1) * 2 > t->n_slots && grow_slots(t) != 0)
		return NULL;
	size_t j = hash_key(dir, peer) & (t->n_slots - 1);
	for (; t->slots[j] != 0; j = (j + 1) & (t->n_slots - 1)) {
		struct tally_row *r = &t->rows[t->slots[j] - 1];
		if (r->dir == dir && strcmp(r->peer, peer) == 0)
			return r;
	}
	if (t->n_rows >= TALLY_PEERS_MAX)
		return NULL;
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		struct tally_row *rows = realloc(t->rows, cap * sizeof(*rows));
		if (rows == NULL)
			return NULL;
		t->rows = rows;
		t->cap_rows = cap;
	}
	struct tally_row *r = &t->rows[t->n_rows];
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	if ((r->peer = strdup(peer)) == NULL)
		return NULL;
	t->slots[j] = (uint32_t)++t->n_rows;
	return r;
}

static void count_reason(struct tally_row *r, const char *why)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (strcmp(r->reasons[i].text, why) == 0) {
			r->reasons[i].count++;
			return;
		}
	if (r->n_reasons < TALLY_REASONS_KEPT &&
	    (r->reasons[r->n_reasons].text = strdup(why)) != NULL) {
		r->reasons[r->n_reasons++].count = 1;
		return;
	}
	r->other_reasons++;
}

/* The timeline entry of the day `seen` starts with, added in order if new; NULL when seen has
 * no date or the timeline is full. */
static struct tally_day *day_get(struct tally *t, const char *seen)
{
	size_t lo = 0, hi = t->n_days;
	if (strlen(seen) < 10 || seen[4] != '-' || seen[7] != '-')
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(t->days[mid].day, seen, 10);
		if (c == 0)
			return &t->days[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->n_days >= TALLY_DAYS_MAX) {
		t->count.days_dropped++;
		return NULL;
	}
	if (t->n_days == t->cap_days) {
		size_t cap = t->cap_days ? t->cap_days * 2 : 64;
		struct tally_day *days = realloc(t->days, cap * sizeof(*days));
		if (days == NULL)
			return NULL;
		t->days = days;
		t->cap_days = cap;
	}
	memmove(&t->days[lo + 1], &t->days[lo], (t->n_days - lo) * sizeof(*t->days));
	t->n_days++;
	memset(&t->days[lo], 0, sizeof(t->days[lo]));
	memcpy(t->days[lo].day, seen, 10);
	return &t->days[lo];
}

static int verdict_of(const struct jsonl_value *v, enum verdict_kind *kind)
{
	for (int k = 0; k < VERDICT_KIND_COUNT; k++)
		if (jsonl_is(v, verdict_kind_name((enum verdict_kind)k))) {
			*kind = (enum verdict_kind)k;
			return 0;
		}
	return -1;
}

static enum tally_line tally_line_of(struct tally *t, const char *line, size_t len)
{
	struct jsonl_value v[F_COUNT];
	char seen[TALLY_TEXT_MAX], peer[TALLY_TEXT_MAX], why[TALLY_TEXT_MAX];
	enum verdict_kind kind;
	if (jsonl_fields(line, len, field_names, F_COUNT, v) != 0)
		return TALLY_MALFORMED;
	if (!jsonl_is(&v[F_TYPE], "connection"))
		return v[F_TYPE].type == JSONL_STRING ? TALLY_OTHER_TYPE : TALLY_MALFORMED;
	int out = jsonl_is(&v[F_DIRECTION], "outbound");
	if (verdict_of(&v[F_VERDICT], &kind) != 0 ||
	    (!out && !jsonl_is(&v[F_DIRECTION], "inbound")))
		return TALLY_MALFORMED;
	text_of(v[F_LAST_SEEN].type == JSONL_STRING ? &v[F_LAST_SEEN] : &v[F_FIRST_SEEN], seen);
	if (t->since != NULL && *seen && strcmp(seen, t->since) < 0)
		return TALLY_TOO_OLD;
	struct tally_row *r = row_get(t, out ? ESA_DIR_OUT : ESA_DIR_IN, peer_of(t, v, out, peer));
	if (r == NULL)
		return TALLY_DROPPED;
	r->total++;
	r->by_verdict[kind]++;
	struct tally_day *d = day_get(t, seen);
	if (d != NULL) {
		d->connections++;
		d->failed += kind == VERDICT_TLS_FAILED;
	}
	if (strcmp(seen, r->last_seen) > 0)
		memcpy(r->last_seen, seen, strlen(seen) + 1);
	if (kind == VERDICT_TLS_FAILED) {
		text_of(&v[F_TLS_ERROR], why);
		count_reason(r, *why ? why : "(no reason logged)");
	}
	return TALLY_COUNTED;
}

enum tally_line tally_add(struct tally *t, const char *line, size_t len)
{
	uint64_t *const counter[] = {&t->count.counted, &t->count.other_type, &t->count.too_old,
	                             &t->count.malformed, &t->count.dropped};
	enum tally_line r = tally_line_of(t, line, len);
	t->count.lines++;
	(*counter[r])++;
	return r;
}

static int row_order(const void *a, const void *b)
{
	const struct tally_row *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return strcmp(x->peer, y->peer);
}

void tally_sort(struct tally *t)
{
	if (t->n_rows > 1)
		qsort(t->rows, t->n_rows, sizeof(*t->rows), row_order);
	/* Row numbers changed: the index is rebuilt for further adds. */
	free(t->slots);
	t->slots = NULL;
	t->n_slots = 0;
	if (t->n_rows > 0 && grow_slots(t) != 0) {
		t->slots = NULL;
		t->n_slots = 0;
	}
}

size_t tally_rows(const struct tally *t)
{
	return t->n_rows;
}

const struct tally_row *tally_row(const struct tally *t, size_t i)
{
	return i < t->n_rows ? &t->rows[i] : NULL;
}

size_t tally_top_reasons(const struct tally_row *r, const struct tally_reason **out)
{
	size_t n = 0;
	int used[TALLY_REASONS_KEPT] = {0};
	while (n < TALLY_REASONS && n < r->n_reasons) {
		size_t best = r->n_reasons;
		for (size_t i = 0; i < r->n_reasons; i++)
			if (!used[i] &&
			    (best == r->n_reasons || r->reasons[i].count > r->reasons[best].count))
				best = i;
		used[best] = 1;
		out[n++] = &r->reasons[best];
	}
	return n;
}

const struct tally_counts *tally_counts(const struct tally *t)
{
	return &t->count;
}

const struct tally_day *tally_days(const struct tally *t, size_t *n)
{
	*n = t->n_days;
	return t->days;
}
