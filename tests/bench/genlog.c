/* Benchmark input: writes a large ESA mail log in the native file format to standard output.
 *
 *   genlog [-n CONNECTIONS] [-l LINES] [-w OPEN] [-k] [-s SEED]
 *
 * Between 8 and 64 SMTP connections are in flight at once (a sliding window that drifts; -w sets
 * its middle instead, as a busy appliance keeps about 2,000 open), their
 * lines interleaved at random, inbound (ICID) and outbound (DCID), with every verdict kind: TLS
 * success, TLS failure (with and without "lost" and the "TLS was required" sentence), no TLS,
 * and connections whose open line was never logged (mid-stream). A message takes the path it
 * takes on an appliance: received and queued on an inbound connection (Start MID, From, To,
 * and the lines the classifier skips: Subject, ready, matched, queued), then delivered on an
 * outbound connection opened for the queue (Delivery start, Message done, Response) and
 * finished ("Message finished"). A few deliveries are of messages queued before the capture
 * began (no Start line).
 * -k keeps every connection open (no close line) and packs all timestamps into four minutes, so
 * that none idles out: the memory test replays it and measures the tracker holding them all.
 * The line count goes to standard error. Standalone C11 + libc, no dependencies. */
#define _POSIX_C_SOURCE 200809L /* getopt, gmtime_r, write */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUT_CAP (4u << 20)
#define OUT_SLACK 1024u /* longer than any line written */
#define WINDOW_MIN 8
#define WINDOW_MAX 64
#define OPS_MAX 40
#define OUT_MIDS_MAX 3   /* messages one outbound connection delivers */
#define ORPHAN_PERCENT 3 /* deliveries of messages queued before the capture began */
#define LINES_PER_SECOND 200
#define KEEP_SPAN_SECONDS 240 /* -k: all timestamps within this, well under the idle timeout */
#define START_EPOCH INT64_C(1694006000) /* Wed Sep  6 13:13:20 2023 UTC */

/* One line of a connection's script. */
enum op {
	OP_IN_OPEN,
	OP_IN_POLICY,
	OP_IN_REJECT,
	OP_IN_TLS_OK,
	OP_IN_TLS_FAIL,
	OP_IN_LOST,
	OP_IN_REQUIRED,
	OP_START_MID, /* takes a new MID */
	OP_MID_FROM,
	OP_MID_TO,
	OP_SUBJECT,
	OP_READY,
	OP_MATCHED,
	OP_QUEUED, /* puts the MID in the delivery queue */
	OP_IN_CLOSE,
	OP_OUT_OPEN,
	OP_OUT_TLS_OK,
	OP_OUT_TLS_FAIL,
	OP_DELIVERY_START, /* takes the connection's next queued MID */
	OP_MESSAGE_DONE,
	OP_RESPONSE,
	OP_FINISHED,
	OP_OUT_CLOSE,
};

struct conn {
	uint64_t id;
	uint64_t mid;                    /* message in progress */
	uint64_t attr;                   /* hash of the id: peer address, names, cipher choices */
	uint64_t out_mids[OUT_MIDS_MAX]; /* outbound: the messages it delivers, in order */
	uint8_t ops[OPS_MAX];
	uint8_t n_ops, pos, n_out, out_pos;
};

/* MIDs queued for delivery, first in first out. */
struct mid_queue {
	uint64_t *mid;
	size_t cap, head, len;
};

struct gen {
	char *out;
	size_t len;
	uint64_t rng;
	int keep_open;
	uint64_t lines;
	int64_t now;
	int64_t prefix_time;
	char prefix[48];
	size_t prefix_len;
	uint64_t next_icid, next_dcid, next_mid;
	struct conn *window; /* wmax of them */
	struct mid_queue queue;
	int active, target, wmin, wmax;
	uint64_t lines_per_second;
};

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const rdns_domains[] = {"zoho.com",      "outbound.protection.outlook.com",
                                           "google.com",    "mailgun.net",
                                           "amazonses.com", "sendgrid.net",
                                           "example.org",   "mx.example.net"};
static const char *const countries[] = {"United States", "Germany", "France",         "Netherlands",
                                        "Japan",         "Brazil",  "United Kingdom", "Canada"};
static const char *const accept_groups[] = {"ACCEPTLIST", "UNKNOWNLIST", "SUSPECTLIST"};
static const char *const in_ciphers[] = {"ECDHE-RSA-AES256-GCM-SHA384",
                                         "ECDHE-RSA-AES128-GCM-SHA256", "AES256-SHA",
                                         "ECDHE-ECDSA-AES256-GCM-SHA384"};
static const char *const out_ciphers[] = {"ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                                          "AES128-SHA", "DHE-RSA-AES256-SHA"};
static const char *const in_tls_errors[] = {
    "[Errno 54] Connection reset by peer", "[Errno 104] Connection reset by peer",
    "(336151574, 'error:14094416:SSL routines:ssl3_read_bytes:sslv3 alert certificate unknown')",
    "[Errno 110] Connection timed out"};
static const char *const subjects[] = {"Invoice 2023-0917",      "Re: quarterly report",
                                       "Your order has shipped", "Meeting notes",
                                       "[list] weekly digest",   "Password reset request"};
static const char *const users[] = {"alice", "bob", "noreply", "billing", "support", "j.doe"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t gen_random(struct gen *g)
{
	return splitmix64(&g->rng);
}

/* A uniform-enough number in [0, n). */
static unsigned gen_below(struct gen *g, unsigned n)
{
	return (unsigned)((gen_random(g) >> 32) * n >> 32);
}

static uint64_t hash_id(uint64_t id)
{
	uint64_t s = id * UINT64_C(0xD6E8FEB86659FD93);
	return splitmix64(&s);
}

/* Field `slot` (a few bits) of a connection's attribute hash, in [0, n). */
static unsigned attr_pick(uint64_t attr, unsigned slot, unsigned n)
{
	return (unsigned)((attr >> (slot * 8)) & 0xff) % n;
}

static void out_flush(struct gen *g)
{
	size_t off = 0;
	while (off < g->len) {
		ssize_t n = write(STDOUT_FILENO, g->out + off, g->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("genlog: write");
			exit(1);
		}
		off += (size_t)n;
	}
	g->len = 0;
}

static void put_mem(struct gen *g, const char *s, size_t n)
{
	memcpy(g->out + g->len, s, n);
	g->len += n;
}

static void put_str(struct gen *g, const char *s)
{
	put_mem(g, s, strlen(s));
}

static void put_char(struct gen *g, char c)
{
	g->out[g->len++] = c;
}

static void put_u64(struct gen *g, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		g->out[g->len++] = tmp[--n];
}

static void put_2digits(char *dst, int v)
{
	dst[0] = (char)('0' + v / 10);
	dst[1] = (char)('0' + v % 10);
}

/* "Www Mmm dd HH:MM:SS YYYY Info: ", rebuilt only when the second changes. */
static void prefix_update(struct gen *g)
{
	time_t t = (time_t)g->now;
	struct tm tm;
	char *p = g->prefix;

	gmtime_r(&t, &tm);
	memcpy(p, day_names[tm.tm_wday], 3);
	p[3] = ' ';
	memcpy(p + 4, month_names[tm.tm_mon], 3);
	p[7] = ' ';
	put_2digits(p + 8, tm.tm_mday);
	if (p[8] == '0')
		p[8] = ' '; /* the native format pads the day with a space: "Sep  6" */
	p[10] = ' ';
	put_2digits(p + 11, tm.tm_hour);
	p[13] = ':';
	put_2digits(p + 14, tm.tm_min);
	p[16] = ':';
	put_2digits(p + 17, tm.tm_sec);
	p[19] = ' ';
	int year = tm.tm_year + 1900;
	put_2digits(p + 20, year / 100);
	put_2digits(p + 22, year % 100);
	memcpy(p + 24, " Info: ", 7);
	g->prefix_len = 31;
	g->prefix_time = g->now;
}

static void line_begin(struct gen *g)
{
	if (g->len + OUT_SLACK > OUT_CAP)
		out_flush(g);
	if (g->prefix_time != g->now)
		prefix_update(g);
	put_mem(g, g->prefix, g->prefix_len);
}

static void line_end(struct gen *g)
{
	put_char(g, '\n');
	g->lines++;
	if (!g->keep_open && g->lines % g->lines_per_second == 0)
		g->now++;
}

static void put_ip(struct gen *g, uint64_t h)
{
	put_u64(g, 1 + (h & 0xff) % 223);
	put_char(g, '.');
	put_u64(g, (h >> 8) & 0xff);
	put_char(g, '.');
	put_u64(g, (h >> 16) & 0xff);
	put_char(g, '.');
	put_u64(g, 1 + ((h >> 24) & 0xff) % 254);
}

static void put_conn(struct gen *g, const char *kind, uint64_t id)
{
	put_str(g, kind);
	put_u64(g, id);
}

static void put_mid(struct gen *g, uint64_t mid)
{
	put_str(g, "MID ");
	put_u64(g, mid);
}

/* An address like <billing@mailgun.net>. */
static void put_address(struct gen *g, uint64_t h)
{
	put_char(g, '<');
	put_str(g, users[h % COUNT(users)]);
	put_char(g, '@');
	put_str(g, rdns_domains[(h >> 8) % COUNT(rdns_domains)]);
	put_char(g, '>');
}

/* SBRS as logged: one decimal, -10.0 to 10.0, sometimes "None". */
static void put_sbrs(struct gen *g, uint64_t attr)
{
	unsigned tenths = (unsigned)((attr >> 40) % 201);
	if (tenths == 200) {
		put_str(g, "None");
		return;
	}
	int v = (int)tenths - 100;
	if (v < 0) {
		put_char(g, '-');
		v = -v;
	}
	put_u64(g, (uint64_t)(v / 10));
	put_char(g, '.');
	put_u64(g, (uint64_t)(v % 10));
}

static void emit_in_open(struct gen *g, const struct conn *c)
{
	put_conn(g, "New SMTP ICID ", c->id);
	put_str(g, " interface Data 1 (23.90.98.53) address ");
	put_ip(g, c->attr);
	if (attr_pick(c->attr, 4, 5) == 0) {
		put_str(g, " reverse dns host unknown verified no");
		return;
	}
	put_str(g, " reverse dns host mail-");
	put_u64(g, (c->attr >> 20) & 0xfff);
	put_char(g, '.');
	put_str(g, rdns_domains[attr_pick(c->attr, 5, COUNT(rdns_domains))]);
	put_str(g, " verified yes");
}

static void emit_in_policy(struct gen *g, const struct conn *c, int reject)
{
	put_conn(g, "ICID ", c->id);
	if (reject) {
		put_str(g, " REJECT SG BLOCKLIST match sbrs[-10.0:-3.0] SBRS -");
		put_u64(g, 3 + attr_pick(c->attr, 6, 7));
		put_str(g, ".");
		put_u64(g, attr_pick(c->attr, 7, 10));
	} else {
		put_str(g, " ACCEPT SG ");
		put_str(g, accept_groups[attr_pick(c->attr, 6, COUNT(accept_groups))]);
		put_str(g, " match sbrs[0.0:10.0] SBRS ");
		put_sbrs(g, c->attr);
	}
	put_str(g, " country ");
	put_str(g, countries[attr_pick(c->attr, 3, COUNT(countries))]);
}

static void emit_tls_ok(struct gen *g, const char *kind, const struct conn *c,
                        const char *const *ciphers, size_t n_ciphers)
{
	put_conn(g, kind, c->id);
	unsigned pick = attr_pick(c->attr, 2, 8);
	if (pick == 0) {
		put_str(g, " TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384");
		return;
	}
	put_str(g, " TLS success protocol TLSv1.2 cipher ");
	put_str(g, ciphers[pick % n_ciphers]);
}

static void emit_in_tls_fail(struct gen *g, const struct conn *c)
{
	put_conn(g, "ICID ", c->id);
	put_str(g, " TLS failed: ");
	put_str(g, in_tls_errors[attr_pick(c->attr, 2, COUNT(in_tls_errors))]);
}

static void emit_mid_line(struct gen *g, const struct conn *c, enum op op)
{
	uint64_t h = c->attr ^ c->mid;
	switch (op) {
	case OP_START_MID:
		put_str(g, "Start ");
		put_mid(g, c->mid);
		put_conn(g, " ICID ", c->id);
		break;
	case OP_MID_FROM:
		put_mid(g, c->mid);
		put_conn(g, " ICID ", c->id);
		put_str(g, " From: ");
		put_address(g, h);
		break;
	case OP_MID_TO:
		put_mid(g, c->mid);
		put_conn(g, " ICID ", c->id);
		put_str(g, " RID 0 To: ");
		put_address(g, h >> 16);
		break;
	case OP_SUBJECT:
		put_mid(g, c->mid);
		put_str(g, " Subject '");
		put_str(g, subjects[h % COUNT(subjects)]);
		put_char(g, '\'');
		break;
	case OP_READY:
		put_mid(g, c->mid);
		put_str(g, " ready ");
		put_u64(g, 1024 + (h >> 12) % 200000);
		put_str(g, " bytes from ");
		put_address(g, h);
		break;
	case OP_MATCHED:
		put_mid(g, c->mid);
		put_str(g, " matched all recipients for per-recipient policy DEFAULT in the "
		           "inbound table");
		break;
	case OP_QUEUED:
		put_mid(g, c->mid);
		put_str(g, " queued for delivery");
		break;
	default:
		put_str(g, "Message finished ");
		put_mid(g, c->mid);
		put_str(g, " done");
		break;
	}
}

static void emit_out_open(struct gen *g, const struct conn *c)
{
	put_conn(g, "New SMTP DCID ", c->id);
	put_str(g, " interface 10.0.0.5 address ");
	put_ip(g, c->attr);
	put_str(g, " port 25");
}

static void emit_delivery(struct gen *g, const struct conn *c, const char *what)
{
	put_str(g, what);
	put_conn(g, " DCID ", c->id);
	put_char(g, ' ');
	put_mid(g, c->mid);
	put_str(g, " to RID [0]");
}

static void queue_push(struct mid_queue *q, uint64_t mid)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 1024;
		uint64_t *m = malloc(cap * sizeof(*m));
		if (m == NULL) {
			fprintf(stderr, "genlog: out of memory\n");
			exit(1);
		}
		for (size_t i = 0; i < q->len; i++)
			m[i] = q->mid[(q->head + i) % q->cap];
		free(q->mid);
		q->mid = m;
		q->cap = cap;
		q->head = 0;
	}
	q->mid[(q->head + q->len++) % q->cap] = mid;
}

static uint64_t queue_pop(struct mid_queue *q)
{
	uint64_t mid = q->mid[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return mid;
}

static void emit_response(struct gen *g, const struct conn *c)
{
	put_mid(g, c->mid);
	put_str(g, " RID [0] Response '2.0.0 Ok: queued as ");
	put_u64(g, hash_id(c->mid) & 0xffffffffffu);
	put_char(g, '\'');
}

/* Writes the connection's next line and advances it. */
static void conn_step(struct gen *g, struct conn *c)
{
	enum op op = (enum op)c->ops[c->pos++];

	if (op == OP_START_MID)
		c->mid = g->next_mid++;
	else if (op == OP_DELIVERY_START)
		c->mid = c->out_mids[c->out_pos++];
	else if (op == OP_QUEUED)
		queue_push(&g->queue, c->mid);
	line_begin(g);
	switch (op) {
	case OP_IN_OPEN:
		emit_in_open(g, c);
		break;
	case OP_IN_POLICY:
	case OP_IN_REJECT:
		emit_in_policy(g, c, op == OP_IN_REJECT);
		break;
	case OP_IN_TLS_OK:
		emit_tls_ok(g, "ICID ", c, in_ciphers, COUNT(in_ciphers));
		break;
	case OP_IN_TLS_FAIL:
		emit_in_tls_fail(g, c);
		break;
	case OP_IN_LOST:
		put_conn(g, "ICID ", c->id);
		put_str(g, " lost");
		break;
	case OP_IN_REQUIRED:
		put_conn(g, "ICID ", c->id);
		put_str(g, " TLS was required but remote host did not initiate it");
		break;
	case OP_START_MID:
	case OP_MID_FROM:
	case OP_MID_TO:
	case OP_SUBJECT:
	case OP_READY:
	case OP_MATCHED:
	case OP_QUEUED:
	case OP_FINISHED:
		emit_mid_line(g, c, op);
		break;
	case OP_IN_CLOSE:
		put_conn(g, "ICID ", c->id);
		put_str(g, " close");
		break;
	case OP_OUT_OPEN:
		emit_out_open(g, c);
		break;
	case OP_OUT_TLS_OK:
		emit_tls_ok(g, "DCID ", c, out_ciphers, COUNT(out_ciphers));
		break;
	case OP_OUT_TLS_FAIL:
		put_conn(g, "DCID ", c->id);
		put_str(g, " TLS failed: STARTTLS unexpected response");
		break;
	case OP_DELIVERY_START:
		emit_delivery(g, c, "Delivery start");
		break;
	case OP_MESSAGE_DONE:
		emit_delivery(g, c, "Message done");
		break;
	case OP_RESPONSE:
		emit_response(g, c);
		break;
	case OP_OUT_CLOSE:
		put_conn(g, "DCID ", c->id);
		put_str(g, " close");
		break;
	}
	line_end(g);
}

static void script_add(struct conn *c, enum op op)
{
	c->ops[c->n_ops++] = (uint8_t)op;
}

/* 0 to 3 messages, mostly one. */
static unsigned pick_message_count(struct gen *g)
{
	unsigned r = gen_below(g, 100);
	return r < 15 ? 0 : r < 70 ? 1 : r < 90 ? 2 : 3;
}

static void script_inbound(struct gen *g, struct conn *c)
{
	unsigned r = gen_below(g, 100);
	unsigned msgs = pick_message_count(g);

	c->id = g->next_icid++;
	if (gen_below(g, 100) >= 4) /* the rest began before the capture did */
		script_add(c, OP_IN_OPEN);
	if (r < 8) { /* rejected by the host access table: no TLS, no messages */
		script_add(c, OP_IN_REJECT);
		script_add(c, OP_IN_CLOSE);
		return;
	}
	script_add(c, OP_IN_POLICY);
	if (r < 12) { /* TLS failed, connection lost, and TLS was mandatory */
		script_add(c, OP_IN_TLS_FAIL);
		script_add(c, OP_IN_LOST);
		script_add(c, OP_IN_REQUIRED);
		script_add(c, OP_IN_CLOSE);
		return;
	}
	if (r < 16) {
		script_add(c, OP_IN_TLS_FAIL);
		msgs = msgs > 1 ? 1 : msgs;
	} else if (r < 70) {
		script_add(c, OP_IN_TLS_OK);
	}
	for (unsigned m = 0; m < msgs; m++)
		for (enum op op = OP_START_MID; op <= OP_QUEUED; op++)
			script_add(c, op);
	script_add(c, OP_IN_CLOSE);
}

/* Up to `want` messages for an outbound connection: the oldest queued ones, and now and then one
 * queued before the capture began (a MID the log never started). At least one. */
static void claim_messages(struct gen *g, struct conn *c, unsigned want)
{
	c->n_out = 0;
	c->out_pos = 0;
	while (c->n_out < want) {
		if (gen_below(g, 100) < ORPHAN_PERCENT)
			c->out_mids[c->n_out++] = g->next_mid++;
		else if (g->queue.len > 0)
			c->out_mids[c->n_out++] = queue_pop(&g->queue);
		else if (c->n_out == 0)
			c->out_mids[c->n_out++] = g->next_mid++;
		else
			break;
	}
}

/* Opened because messages wait in the queue (conn_start): it delivers up to three of them. */
static void script_outbound(struct gen *g, struct conn *c)
{
	unsigned r = gen_below(g, 100);

	claim_messages(g, c, 1 + gen_below(g, OUT_MIDS_MAX));
	c->id = g->next_dcid++;
	if (gen_below(g, 100) >= 3)
		script_add(c, OP_OUT_OPEN);
	if (r < 8) /* STARTTLS refused; TLS "preferred" goes on in the clear */
		script_add(c, OP_OUT_TLS_FAIL);
	else if (r < 78)
		script_add(c, OP_OUT_TLS_OK);
	for (unsigned m = 0; m < c->n_out; m++) {
		script_add(c, OP_DELIVERY_START);
		script_add(c, OP_MESSAGE_DONE);
		script_add(c, OP_RESPONSE);
		script_add(c, OP_FINISHED);
	}
	script_add(c, OP_OUT_CLOSE);
}

static void conn_start(struct gen *g, struct conn *c)
{
	c->n_ops = 0;
	c->pos = 0;
	c->mid = 0;
	/* About 60 % inbound; an outbound connection opens only for a queued message. */
	if (gen_below(g, 100) < 60 || g->queue.len == 0)
		script_inbound(g, c);
	else
		script_outbound(g, c);
	if (g->keep_open)
		c->n_ops--; /* every script ends with its close line */
	c->attr = hash_id(c->id ^ (g->rng << 1));
}

static void drift_window(struct gen *g)
{
	int step = g->wmax / 16 > 4 ? g->wmax / 16 : 4;
	g->target += (int)gen_below(g, (unsigned)(2 * step + 1)) - step;
	if (g->target < g->wmin)
		g->target = g->wmin;
	if (g->target > g->wmax)
		g->target = g->wmax;
}

static void write_header(struct gen *g)
{
	line_begin(g);
	put_str(g, "Begin Logfile");
	line_end(g);
	line_begin(g);
	put_str(g, "Version: 14.2.0-620 SN: 4229B6A1C0DE-BENCH001");
	line_end(g);
	line_begin(g);
	put_str(g, "Time offset from UTC: 0 seconds");
	line_end(g);
}

/* Stops opening connections after `connections` of them, or once `max_lines` lines are out (0: no
 * line limit); the ones in flight then run to their end. */
static uint64_t run(struct gen *g, uint64_t connections, uint64_t max_lines)
{
	uint64_t started = 0;
	uint64_t per_second = connections / KEEP_SPAN_SECONDS + 1;

	write_header(g);
	while (started < connections || g->active > 0) {
		if (max_lines != 0 && g->lines >= max_lines)
			connections = started;
		if (g->active < g->target && started < connections) {
			struct conn *c = &g->window[g->active++];
			conn_start(g, c);
			started++;
			if (g->keep_open && started % per_second == 0)
				g->now++;
			if (c->n_ops == 0) {
				g->active--;
				continue;
			}
		}
		int i = (int)gen_below(g, (unsigned)g->active);
		struct conn *c = &g->window[i];
		conn_step(g, c);
		if (c->pos == c->n_ops)
			*c = g->window[--g->active];
		if ((g->lines & 255) == 0)
			drift_window(g);
	}
	out_flush(g);
	return started;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return -1;
	*v = x;
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: genlog [-n CONNECTIONS] [-l LINES] [-w OPEN] [-k] [-s SEED] >FILE\n"
	        "  -n N  connections to write (default 100000)\n"
	        "  -l L  open no new connection once L lines are written (default: no limit)\n"
	        "  -w W  about W connections open at once (default: 8 to 64)\n"
	        "  -k    keep every connection open: no close lines, timestamps within 4 minutes\n"
	        "  -s S  random seed (default 1)\n");
}

int main(int argc, char **argv)
{
	static struct gen g;
	uint64_t connections = 100000, max_lines = 0, seed = 1, open = 0;
	int c;

	while ((c = getopt(argc, argv, "n:l:w:ks:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &connections) != 0) {
				fprintf(stderr, "genlog: bad -n %s\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_u64(optarg, &max_lines) != 0) {
				fprintf(stderr, "genlog: bad -l %s\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_u64(optarg, &open) != 0 || open < 1 || open > 1000000) {
				fprintf(stderr, "genlog: bad -w %s (1 to 1000000)\n", optarg);
				return 2;
			}
			break;
		case 'k':
			g.keep_open = 1;
			break;
		case 's':
			if (parse_u64(optarg, &seed) != 0) {
				fprintf(stderr, "genlog: bad -s %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	g.wmin = open != 0 ? (int)(open - open / 8) : WINDOW_MIN;
	g.wmax = open != 0 ? (int)(open + open / 8 + 1) : WINDOW_MAX;
	/* A connection lives about as long in seconds whatever the window: more open, more lines a
	 * second, so that none idles out. */
	g.lines_per_second = LINES_PER_SECOND * (open > 2000 ? open / 2000 : 1);
	g.out = malloc(OUT_CAP);
	g.window = calloc((size_t)g.wmax, sizeof(*g.window));
	if (g.out == NULL || g.window == NULL) {
		fprintf(stderr, "genlog: out of memory\n");
		return 1;
	}
	g.rng = seed;
	g.now = START_EPOCH;
	g.prefix_time = -1;
	g.target = (g.wmin + g.wmax) / 2;
	g.next_icid = 800000 + gen_below(&g, 100000);
	g.next_dcid = 6500000 + gen_below(&g, 100000);
	g.next_mid = 26000 + gen_below(&g, 100000);
	uint64_t written = run(&g, connections, max_lines);
	fprintf(stderr, "genlog: %" PRIu64 " lines, %" PRIu64 " connections\n", g.lines, written);
	free(g.out);
	free(g.window);
	free(g.queue.mid);
	return 0;
}
