/* The configuration file: libyaml events are built into a small tree (aliases refused, nesting
 * bounded), then the tree is checked key by key against DESIGN.md "Configuration". Problems are
 * collected and reported sorted by position, so that they read in file order. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "esa.h"
#include "units.h"
#include "verdict.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_DEPTH 32
#define CONFIG_MAX_ERRORS 100 /* stored and reported; the rest are only counted */
#define SHOWN_MAX 60          /* bytes of a bad value quoted in a message */
#define SHOWN_BUF (SHOWN_MAX * 6 + 8)
#define SUBJECT_BUF 160

#define DEFAULT_LISTEN_ADDRESS "127.0.0.1:5514"
#define DEFAULT_TCP_MAX_CONNECTIONS 256
#define DEFAULT_TCP_IDLE_MS (10 * 60 * 1000)
#define MAX_TCP_CONNECTIONS 65536
#define MAX_RCVBUF (512ULL * 1024 * 1024)
#define DEFAULT_MAX_MESSAGE (64 * 1024)
#define MIN_MAX_MESSAGE 1024
#define MAX_MAX_MESSAGE (1024 * 1024)
#define DEFAULT_ALERT_DELAY_MS 2000
#define DEFAULT_CHECKPOINT_MS 60000
#define DEFAULT_LOG_BURST 5
#define DEFAULT_LOG_INTERVAL_MS 60000
#define MAX_LOG_BURST 1000
#define MAX_LOG_INTERVAL_MS 86400000ull
#define MAX_TRACKED 100000000
#define DEFAULT_QUEUE 10000
#define MAX_QUEUE 10000000
#define ALL_VERDICTS ((1u << VERDICT_KIND_COUNT) - 1)
#define HOOK_NAME_MAX 64
#define HOOK_ARGS_MAX 64 /* the program included */
#define HOOK_ARG_BYTES 4096
#define DEFAULT_HOOK_TIMEOUT_MS 10000
#define MAX_HOOK_TIMEOUT_MS (60 * 60 * 1000)
#define DEFAULT_HOOK_CONCURRENT 4
#define MAX_HOOK_CONCURRENT 64
#define DEFAULT_HOOK_QUEUE 1000
#define MAX_HOOK_QUEUE 1000000
#define DEFAULT_HOOK_RETRIES 3
#define MAX_HOOK_RETRIES 10
#define BOTH_DIRECTIONS ((1u << ESA_DIR_IN) | (1u << ESA_DIR_OUT))

/* ---- the document tree ---- */

enum node_kind {
	NODE_SCALAR,
	NODE_LIST,
	NODE_MAP,
	NODE_ALIAS /* already reported: every check skips it silently */
};

struct node {
	enum node_kind kind;
	int plain;             /* unquoted scalar: the only style in which "" and "~" are null */
	unsigned line, column; /* 1-based */
	char *text;            /* scalar, NUL-terminated; it may hold NULs of its own ("\0") */
	size_t len;
	struct node **items; /* list items; map keys and values alternating */
	size_t n, cap;
};

static void node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static int node_append(struct node *parent, struct node *child)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct node **items = realloc(parent->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->n++] = child;
	return 0;
}

/* ---- problems ---- */

struct problem {
	unsigned line, column;
	size_t seq;
	char *text;
};

struct parse {
	const char *name;
	config_report_fn report;
	void *arg;
	struct problem *problems;
	size_t n_problems;
	size_t n_errors; /* all found, stored or not */
	int stop;        /* the document cannot be read further */
	struct config *cfg;
};

static void report_now(struct parse *p, const char *text)
{
	if (p->report != NULL)
		p->report(text, p->arg);
}

/* When a problem cannot even be stored: said at once, unsorted. */
static void report_oom(struct parse *p)
{
	char text[256];

	snprintf(text, sizeof(text), "%.200s: out of memory", p->name);
	report_now(p, text);
}

/* Records a problem at line:column (line 0: the file as a whole). */
static void error_at(struct parse *p, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void error_at(struct parse *p, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	int plen, blen;
	char *text;

	if (p->n_errors++ >= CONFIG_MAX_ERRORS)
		return;
	if (p->problems == NULL) {
		p->problems = calloc(CONFIG_MAX_ERRORS, sizeof(*p->problems));
		if (p->problems == NULL) {
			report_oom(p);
			return;
		}
	}
	va_start(ap, fmt);
	blen = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (line != 0)
		plen = snprintf(NULL, 0, "%s:%u:%u: ", p->name, line, column);
	else
		plen = snprintf(NULL, 0, "%s: ", p->name);
	if (blen < 0 || plen < 0 || (text = malloc((size_t)plen + (size_t)blen + 1)) == NULL) {
		report_oom(p);
		return;
	}
	if (line != 0)
		snprintf(text, (size_t)plen + 1, "%s:%u:%u: ", p->name, line, column);
	else
		snprintf(text, (size_t)plen + 1, "%s: ", p->name);
	va_start(ap, fmt);
	vsnprintf(text + plen, (size_t)blen + 1, fmt, ap);
	va_end(ap);
	p->problems[p->n_problems] = (struct problem){line, column, p->n_problems, text};
	p->n_problems++;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void report_problems(struct parse *p)
{
	qsort(p->problems, p->n_problems, sizeof(*p->problems), problem_cmp);
	for (size_t i = 0; i < p->n_problems; i++) {
		report_now(p, p->problems[i].text);
		free(p->problems[i].text);
	}
	free(p->problems);
	p->problems = NULL;
	if (p->n_errors > CONFIG_MAX_ERRORS) {
		char text[256];
		snprintf(text, sizeof(text), "%.160s: %zu more errors not shown", p->name,
		         p->n_errors - CONFIG_MAX_ERRORS);
		report_now(p, text);
	}
}

/* ---- showing values in messages ---- */

static void put(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + *len, s, n);
	*len += n;
}

/* Writes text quoted with `quote`, control characters (C0, DEL, C1) escaped, cut after
 * SHOWN_MAX bytes at a character boundary. buf holds SHOWN_BUF bytes. */
static void quote_text(char *buf, const char *text, size_t len, char quote)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0, cut = len;
	int truncated = len > SHOWN_MAX;

	if (truncated) {
		cut = SHOWN_MAX;
		while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
	}
	buf[out++] = quote;
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			put(buf, &out, "\\n");
		} else if (c == '\t') {
			put(buf, &out, "\\t");
		} else if (c == '\r') {
			put(buf, &out, "\\r");
		} else if (c == (unsigned char)quote || c == '\\') {
			buf[out++] = '\\';
			buf[out++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			put(buf, &out, "\\x");
			buf[out++] = hex[c >> 4];
			buf[out++] = hex[c & 15];
		} else if (c == 0xc2 && i + 1 < cut && (unsigned char)text[i + 1] >= 0x80 &&
		           (unsigned char)text[i + 1] <= 0x9f) {
			/* U+0080..U+009F: C1 controls, which some terminals act on */
			unsigned char c1 = (unsigned char)text[++i];
			put(buf, &out, "\\u00");
			buf[out++] = hex[c1 >> 4];
			buf[out++] = hex[c1 & 15];
		} else {
			buf[out++] = (char)c;
		}
	}
	if (truncated)
		put(buf, &out, "...");
	buf[out++] = quote;
	buf[out] = '\0';
}

static int scalar_is_null(const struct node *n)
{
	return n->kind == NODE_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	        strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

/* What a node is, for "got ...": a quoted value, "nothing", "a list" or "a mapping". */
static const char *show(const struct node *n, char buf[SHOWN_BUF])
{
	switch (n->kind) {
	case NODE_LIST:
		return "a list";
	case NODE_MAP:
		return "a mapping";
	case NODE_ALIAS:
		return "an alias";
	case NODE_SCALAR:
		break;
	}
	if (n->plain && n->len == 0)
		return "nothing";
	quote_text(buf, n->text, n->len, '"');
	return buf;
}

/* "'key' in listen entry" */
static const char *subject(char buf[SUBJECT_BUF], const char *key, const char *where)
{
	snprintf(buf, SUBJECT_BUF, "'%s'%s", key, where);
	return buf;
}

/* ---- building the tree from libyaml events ---- */

struct builder {
	struct node *root;
	struct node *stack[CONFIG_MAX_DEPTH];
	size_t depth;
	int documents;
};

/* Line and column (1-based, in characters) of byte `offset`, counting lines at LF. */
static void offset_position(const char *buf, size_t len, size_t offset, unsigned *line,
                            unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			++*line;
			*column = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			++*column;
		}
	}
}

/* The byte that starts the character at line:column, or -1. */
static int byte_at(const char *buf, size_t len, unsigned line, unsigned column)
{
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (l == line && c == column)
			return (unsigned char)buf[i];
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	return -1;
}

static void yaml_error(struct parse *p, const yaml_parser_t *y, const char *buf, size_t len)
{
	const char *problem = y->problem ? y->problem : "syntax error";
	const char *hint;
	unsigned line, column;

	p->stop = 1;
	switch (y->error) {
	case YAML_MEMORY_ERROR:
		error_at(p, 0, 0, "out of memory");
		return;
	case YAML_READER_ERROR:
		/* The reader gives a byte offset, not a mark. */
		offset_position(buf, len, y->problem_offset, &line, &column);
		if (y->problem_value >= 0)
			error_at(p, line, column, "%s (byte 0x%02x)", problem,
			         (unsigned)y->problem_value & 0xffffffu);
		else
			error_at(p, line, column, "%s", problem);
		return;
	default:
		break;
	}
	line = (unsigned)y->problem_mark.line + 1;
	column = (unsigned)y->problem_mark.column + 1;
	/* The most common mistake gets named: YAML indents with spaces only. */
	hint = byte_at(buf, len, line, column) == '\t' && strstr(problem, "tab") == NULL
	           ? " (a tab: indent with spaces)"
	           : "";
	if (y->context != NULL)
		error_at(p, line, column, "%s%s (%s at %u:%u)", problem, hint, y->context,
		         (unsigned)y->context_mark.line + 1, (unsigned)y->context_mark.column + 1);
	else
		error_at(p, line, column, "%s%s", problem, hint);
}

static struct node *builder_add(struct parse *p, struct builder *b, enum node_kind kind,
                                const yaml_mark_t *mark)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		goto oom;
	n->kind = kind;
	n->line = (unsigned)mark->line + 1;
	n->column = (unsigned)mark->column + 1;
	if (b->depth == 0) {
		b->root = n;
		return n;
	}
	if (node_append(b->stack[b->depth - 1], n) == 0)
		return n;
	free(n);
oom:
	error_at(p, (unsigned)mark->line + 1, (unsigned)mark->column + 1, "out of memory");
	p->stop = 1;
	return NULL;
}

static void builder_scalar(struct parse *p, struct builder *b, const yaml_event_t *ev)
{
	struct node *n = builder_add(p, b, NODE_SCALAR, &ev->start_mark);

	if (n == NULL)
		return;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->len = ev->data.scalar.length;
	n->text = malloc(n->len + 1);
	if (n->text == NULL) {
		n->len = 0;
		error_at(p, n->line, n->column, "out of memory");
		p->stop = 1;
		return;
	}
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
}

static void builder_open(struct parse *p, struct builder *b, enum node_kind kind,
                         const yaml_mark_t *mark)
{
	struct node *n;

	/* Nothing in the schema nests deeply; a bound keeps hostile input cheap. */
	if (b->depth == CONFIG_MAX_DEPTH) {
		error_at(p, (unsigned)mark->line + 1, (unsigned)mark->column + 1,
		         "nesting deeper than %d levels", CONFIG_MAX_DEPTH);
		p->stop = 1;
		return;
	}
	if ((n = builder_add(p, b, kind, mark)) != NULL)
		b->stack[b->depth++] = n;
}

/* Applies one event; returns 1 at the end of the stream. */
static int builder_event(struct parse *p, struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0) {
			error_at(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
			         "only one YAML document is allowed");
			p->stop = 1;
		}
		break;
	case YAML_ALIAS_EVENT:
		/* Not needed for any setting, and what makes "billion laughs" possible. */
		error_at(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
		         "aliases are not supported (*%.60s)", (const char *)ev->data.alias.anchor);
		builder_add(p, b, NODE_ALIAS, m);
		break;
	case YAML_SCALAR_EVENT:
		builder_scalar(p, b, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		builder_open(p, b, NODE_LIST, m);
		break;
	case YAML_MAPPING_START_EVENT:
		builder_open(p, b, NODE_MAP, m);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		break;
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		break;
	}
	return 0;
}

/* The document's tree, NULL when it is empty or could not be read (p->stop then). */
static struct node *load_tree(struct parse *p, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	int done = 0;

	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&parser)) {
		error_at(p, 0, 0, "out of memory");
		p->stop = 1;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !p->stop) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_error(p, &parser, buf, len);
			break;
		}
		done = builder_event(p, &b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (p->stop) {
		node_free(b.root);
		return NULL;
	}
	return b.root;
}

/* ---- checking values ---- */

/* True when n is of `kind`; otherwise reports "expected <expected> for <what>, got ...". */
static int expect(struct parse *p, const struct node *n, enum node_kind kind, const char *expected,
                  const char *what)
{
	char shown[SHOWN_BUF];

	if (n->kind == kind)
		return 1;
	if (n->kind != NODE_ALIAS)
		error_at(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		         show(n, shown));
	return 0;
}

/* Looks up the keys of a mapping: vals[i] is the value of keys[i] or NULL. Reports unknown and
 * duplicate keys (the first one counts). */
static void map_keys(struct parse *p, const struct node *map, const char *where,
                     const char *const *keys, size_t n_keys, const struct node **vals,
                     const struct node **key_nodes)
{
	char shown[SHOWN_BUF];

	for (size_t k = 0; k < n_keys; k++)
		vals[k] = key_nodes[k] = NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *key = map->items[i], *val = map->items[i + 1];
		size_t k;
		if (key->kind == NODE_ALIAS)
			continue;
		if (key->kind != NODE_SCALAR) {
			error_at(p, key->line, key->column, "expected a key name%s, got %s", where,
			         show(key, shown));
			continue;
		}
		for (k = 0; k < n_keys; k++)
			if (strlen(keys[k]) == key->len &&
			    memcmp(keys[k], key->text, key->len) == 0)
				break;
		if (k == n_keys) {
			quote_text(shown, key->text, key->len, '\'');
			error_at(p, key->line, key->column, "unknown key %s%s", shown, where);
		} else if (vals[k] != NULL) {
			error_at(p, key->line, key->column, "duplicate key '%s'%s (first at %u:%u)",
			         keys[k], where, key_nodes[k]->line, key_nodes[k]->column);
		} else {
			vals[k] = val;
			key_nodes[k] = key;
		}
	}
}

static int digits_only(const struct node *n)
{
	size_t i = n->len > 0 && n->text[0] == '-';
	if (i == n->len)
		return 0;
	for (; i < n->len; i++)
		if (n->text[i] < '0' || n->text[i] > '9')
			return 0;
	return 1;
}

static int get_number(struct parse *p, const struct node *n, const char *what,
                      unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char shown[SHOWN_BUF];
	unsigned long long v;

	if (!expect(p, n, NODE_SCALAR, "a number", what))
		return -1;
	if (span_to_u64(span_make(n->text, n->len), max, &v) == 0 && v >= min) {
		*out = v;
		return 0;
	}
	if (digits_only(n))
		error_at(p, n->line, n->column, "%s must be between %llu and %llu, got %s", what,
		         min, max, show(n, shown));
	else
		error_at(p, n->line, n->column, "expected a number for %s, got %s", what,
		         show(n, shown));
	return -1;
}

/* Duration in milliseconds; `positive` refuses 0. */
static int get_duration(struct parse *p, const struct node *n, const char *what, int positive,
                        uint64_t *ms)
{
	static const char expected[] = "a duration (such as 500ms, 90s, 10m, 24h, 2d)";
	char shown[SHOWN_BUF];
	uint64_t v;

	if (!expect(p, n, NODE_SCALAR, expected, what))
		return -1;
	if (units_parse_duration_ms(span_make(n->text, n->len), &v) != 0) {
		error_at(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		         show(n, shown));
		return -1;
	}
	if (positive && v == 0) {
		error_at(p, n->line, n->column, "%s must be more than 0, got %s", what,
		         show(n, shown));
		return -1;
	}
	*ms = v;
	return 0;
}

static int64_t ms_to_seconds_up(uint64_t ms)
{
	return (int64_t)((ms + 999) / 1000);
}

static int get_size(struct parse *p, const struct node *n, const char *what, uint64_t min,
                    uint64_t max, const char *range, uint64_t *bytes)
{
	static const char expected[] = "a size (such as 512, 64KiB, 1MiB)";
	char shown[SHOWN_BUF];
	uint64_t v;

	if (!expect(p, n, NODE_SCALAR, expected, what))
		return -1;
	if (units_parse_size(span_make(n->text, n->len), &v) != 0) {
		error_at(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		         show(n, shown));
		return -1;
	}
	if (v < min || v > max) {
		error_at(p, n->line, n->column, "%s must be %s, got %s", what, range,
		         show(n, shown));
		return -1;
	}
	*bytes = v;
	return 0;
}

static int has_control(const struct node *n)
{
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];
		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n->len && (unsigned char)n->text[i + 1] >= 0x80 &&
		     (unsigned char)n->text[i + 1] <= 0x9f))
			return 1;
	}
	return 0;
}

/* A copy of a scalar that is not empty and holds no control character. */
static char *get_text(struct parse *p, const struct node *n, const char *expected, const char *what)
{
	char shown[SHOWN_BUF];
	char *copy;

	if (!expect(p, n, NODE_SCALAR, expected, what))
		return NULL;
	if (n->len == 0 || scalar_is_null(n) || has_control(n)) {
		error_at(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		         show(n, shown));
		return NULL;
	}
	if ((copy = strdup(n->text)) == NULL)
		error_at(p, n->line, n->column, "out of memory");
	return copy;
}

/* ---- listen ---- */

/* "IP:PORT" or "[IPv6]:PORT", numeric only: a name would need DNS at start-up and reload. */
static int parse_host_port(const char *text, size_t len, struct sockaddr_storage *ss, socklen_t *sl)
{
	const char *host, *colon;
	size_t host_len;
	char host_buf[INET6_ADDRSTRLEN];
	unsigned long long port;
	int v6 = len > 0 && text[0] == '[';

	if (v6) {
		const char *close = memchr(text, ']', len);
		if (close == NULL || close + 1 == text + len || close[1] != ':')
			return -1;
		host = text + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = memrchr(text, ':', len);
		if (colon == NULL)
			return -1;
		host = text;
		host_len = (size_t)(colon - text);
		if (memchr(host, ':', host_len) != NULL)
			return -1; /* IPv6 needs its brackets */
	}
	if (host_len == 0 || host_len >= sizeof(host_buf) || memchr(host, '\0', host_len) != NULL)
		return -1;
	memcpy(host_buf, host, host_len);
	host_buf[host_len] = '\0';
	if (span_to_u64(span_make(colon + 1, (size_t)(text + len - colon - 1)), 65535, &port) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host_buf, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host_buf, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sl = sizeof(*sin);
	}
	return 0;
}

static int addr_equal(const struct listen_config *a, const struct listen_config *b)
{
	if (a->addr.ss_family != b->addr.ss_family)
		return 0;
	if (a->addr.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;
		return x->sin_port == y->sin_port &&
		       memcmp(&x->sin_addr, &y->sin_addr, sizeof(x->sin_addr)) == 0;
	}
	if (a->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->addr, *y = (const void *)&b->addr;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

int config_listen_same(const struct listen_config *a, const struct listen_config *b)
{
	return a->proto == b->proto && addr_equal(a, b) && a->rcvbuf == b->rcvbuf;
}

static const char *proto_name(enum listen_proto proto)
{
	switch (proto) {
	case LISTEN_UDP:
		return "udp";
	case LISTEN_TCP:
		return "tcp";
	}
	return "?";
}

static void listen_set_defaults(struct listen_config *lc)
{
	lc->max_connections = DEFAULT_TCP_MAX_CONNECTIONS;
	lc->idle_timeout_ms = DEFAULT_TCP_IDLE_MS;
}

enum { L_PROTO, L_ADDRESS, L_RCVBUF, L_MAX_CONNECTIONS, L_IDLE_TIMEOUT, L_COUNT };
static const char *const listen_keys[L_COUNT] = {"proto", "address", "rcvbuf", "max_connections",
                                                 "idle_timeout"};
static const enum listen_proto listen_key_proto[L_COUNT] = {
    [L_RCVBUF] = LISTEN_UDP, [L_MAX_CONNECTIONS] = LISTEN_TCP, [L_IDLE_TIMEOUT] = LISTEN_TCP};

/* Refuses a key that only the other protocol uses. Returns 1 when the key applies. */
static int listen_key_applies(struct parse *p, const struct node *key, size_t k, int proto)
{
	if (proto < 0 || (enum listen_proto)proto == listen_key_proto[k])
		return 1;
	error_at(p, key->line, key->column, "'%s' applies only to %s listeners", listen_keys[k],
	         proto_name(listen_key_proto[k]));
	return 0;
}

static int listen_proto(struct parse *p, const struct node *map, const struct node *val)
{
	static const char expected[] = "udp or tcp";
	char shown[SHOWN_BUF];

	if (val == NULL) {
		error_at(p, map->line, map->column, "missing 'proto' in listen entry");
		return -1;
	}
	if (!expect(p, val, NODE_SCALAR, expected, "'proto' in listen entry"))
		return -1;
	if (strcmp(val->text, "udp") == 0 && val->len == 3)
		return LISTEN_UDP;
	if (strcmp(val->text, "tcp") == 0 && val->len == 3)
		return LISTEN_TCP;
	error_at(p, val->line, val->column, "expected %s for 'proto' in listen entry, got %s",
	         expected, show(val, shown));
	return -1;
}

static int listen_address(struct parse *p, const struct node *map, const struct node *val,
                          struct listen_config *lc)
{
	static const char what[] = "'address' in listen entry";
	static const char expected[] = "a numeric IP:PORT or [IPv6]:PORT";
	char shown[SHOWN_BUF];

	if (val == NULL) {
		error_at(p, map->line, map->column, "missing 'address' in listen entry");
		return -1;
	}
	if (!expect(p, val, NODE_SCALAR, expected, what))
		return -1;
	if (parse_host_port(val->text, val->len, &lc->addr, &lc->addrlen) != 0) {
		error_at(p, val->line, val->column, "expected %s for %s, got %s", expected, what,
		         show(val, shown));
		return -1;
	}
	if ((lc->address = strdup(val->text)) == NULL) {
		error_at(p, val->line, val->column, "out of memory");
		return -1;
	}
	return 0;
}

/* One listen entry into lc. Returns 0 when its proto and address are valid (enough to look for
 * duplicates); problems in the other keys are reported without changing that. */
static int listen_entry(struct parse *p, const struct node *map, struct listen_config *lc)
{
	const struct node *vals[L_COUNT], *keys[L_COUNT];
	char what[SUBJECT_BUF];
	unsigned long long count;
	int proto, address;

	listen_set_defaults(lc);
	if (!expect(p, map, NODE_MAP, "a mapping", "listen entry"))
		return -1;
	lc->line = map->line;
	lc->column = map->column;
	map_keys(p, map, " in listen entry", listen_keys, L_COUNT, vals, keys);
	proto = listen_proto(p, map, vals[L_PROTO]);
	if (proto >= 0)
		lc->proto = (enum listen_proto)proto;
	address = listen_address(p, map, vals[L_ADDRESS], lc);
	for (size_t k = L_RCVBUF; k < L_COUNT; k++)
		if (vals[k] != NULL)
			listen_key_applies(p, keys[k], k, proto);
	if (vals[L_RCVBUF] != NULL)
		get_size(p, vals[L_RCVBUF], subject(what, "rcvbuf", " in listen entry"), 0,
		         MAX_RCVBUF, "between 0 and 512MiB", &lc->rcvbuf);
	if (vals[L_MAX_CONNECTIONS] != NULL &&
	    get_number(p, vals[L_MAX_CONNECTIONS],
	               subject(what, "max_connections", " in listen entry"), 1, MAX_TCP_CONNECTIONS,
	               &count) == 0)
		lc->max_connections = (uint32_t)count;
	if (vals[L_IDLE_TIMEOUT] != NULL)
		get_duration(p, vals[L_IDLE_TIMEOUT],
		             subject(what, "idle_timeout", " in listen entry"), 1,
		             &lc->idle_timeout_ms);
	return proto >= 0 && address == 0 ? 0 : -1;
}

/* Entries are kept even when invalid (the whole config is then dropped), so that duplicates
 * among the valid ones are still found in the same pass. */
static void listen_list(struct parse *p, const struct node *list)
{
	struct config *cfg = p->cfg;
	unsigned char *comparable;

	if (!expect(p, list, NODE_LIST, "a list", "'listen'"))
		return;
	if (list->n == 0) {
		error_at(p, list->line, list->column, "nothing to listen on: 'listen' is empty");
		return;
	}
	cfg->listen = calloc(list->n, sizeof(*cfg->listen));
	comparable = calloc(list->n, 1);
	if (cfg->listen == NULL || comparable == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		free(comparable);
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		struct listen_config *lc = &cfg->listen[i];
		cfg->n_listen++;
		if (listen_entry(p, list->items[i], lc) != 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct listen_config *o = &cfg->listen[j];
			if (comparable[j] && o->proto == lc->proto && addr_equal(o, lc)) {
				error_at(p, lc->line, lc->column,
				         "duplicate listener %s %s (first at %u:%u)",
				         proto_name(lc->proto), lc->address, o->line, o->column);
				break;
			}
		}
		comparable[i] = 1;
	}
	free(comparable);
}

static int listen_defaults(struct config *cfg)
{
	static const enum listen_proto protos[] = {LISTEN_UDP, LISTEN_TCP};
	size_t n = sizeof(protos) / sizeof(protos[0]);

	if ((cfg->listen = calloc(n, sizeof(*cfg->listen))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct listen_config *lc = &cfg->listen[i];
		listen_set_defaults(lc);
		lc->proto = protos[i];
		if ((lc->address = strdup(DEFAULT_LISTEN_ADDRESS)) == NULL)
			return -1;
		cfg->n_listen++;
		parse_host_port(lc->address, strlen(lc->address), &lc->addr, &lc->addrlen);
	}
	return 0;
}

/* ---- allow_from ---- */

static void allow_list(struct parse *p, const struct node *list)
{
	static const char expected[] = "an address or prefix (such as 10.0.0.0/8 or ::1, no host "
	                               "bits set)";
	struct config *cfg = p->cfg;
	char shown[SHOWN_BUF];

	if (!expect(p, list, NODE_LIST, "a list", "'allow_from'"))
		return;
	cfg->allow_from_set = 1;
	if (list->n == 0)
		return;
	if ((cfg->allow_from = calloc(list->n, sizeof(*cfg->allow_from))) == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct node *n = list->items[i];
		if (!expect(p, n, NODE_SCALAR, expected, "allow_from entry"))
			continue;
		if (cidr_parse(span_make(n->text, n->len), &cfg->allow_from[cfg->n_allow]) != 0) {
			error_at(p, n->line, n->column, "expected %s for allow_from entry, got %s",
			         expected, show(n, shown));
			continue;
		}
		cfg->n_allow++;
	}
}

/* ---- tracking ---- */

enum {
	T_IDLE,
	T_LIFETIME,
	T_LINGER,
	T_MAX_CONNECTIONS,
	T_ALERT_DELAY,
	T_STATE_FILE,
	T_CHECKPOINT,
	T_COUNT
};
static const char *const tracking_keys[T_COUNT] = {
    "idle_timeout", "lifetime",           "linger", "max_connections", "alert_delay",
    "state_file",   "checkpoint_interval"};

/* A state file is written through a temporary file beside it: a directory or "-" cannot be. */
static void state_file_path(struct parse *p, const struct node *n)
{
	char *path = get_text(p, n, "a file path", "'state_file' in tracking");
	if (path == NULL)
		return;
	size_t len = strlen(path);
	if (strcmp(path, "-") == 0 || path[len - 1] == '/') {
		error_at(p, n->line, n->column,
		         "expected a file path for 'state_file' in tracking, got \"%s\"", path);
		free(path);
		return;
	}
	p->cfg->state_file = path;
}

static void tracking_map(struct parse *p, const struct node *map)
{
	static const char where[] = " in tracking";
	struct track_config *tc = &p->cfg->engine.track;
	const struct node *vals[T_COUNT], *keys[T_COUNT];
	char what[SUBJECT_BUF];
	unsigned long long count;
	uint64_t ms;

	if (!expect(p, map, NODE_MAP, "a mapping", "'tracking'"))
		return;
	map_keys(p, map, where, tracking_keys, T_COUNT, vals, keys);
	for (size_t k = T_IDLE; k <= T_LINGER; k++) {
		if (vals[k] == NULL ||
		    get_duration(p, vals[k], subject(what, tracking_keys[k], where), k != T_LINGER,
		                 &ms) != 0)
			continue;
		/* The tracker counts whole seconds: round up so that a limit is never shortened. */
		if (k == T_IDLE)
			tc->idle_timeout = ms_to_seconds_up(ms);
		else if (k == T_LIFETIME)
			tc->lifetime = ms_to_seconds_up(ms);
		else
			tc->linger = ms_to_seconds_up(ms);
	}
	if (vals[T_MAX_CONNECTIONS] != NULL &&
	    get_number(p, vals[T_MAX_CONNECTIONS], subject(what, "max_connections", where), 1,
	               MAX_TRACKED, &count) == 0)
		tc->max_connections = (uint32_t)count;
	if (vals[T_ALERT_DELAY] != NULL &&
	    get_duration(p, vals[T_ALERT_DELAY], subject(what, "alert_delay", where), 0, &ms) ==
	        0) {
		p->cfg->alert_delay_ms = ms;
		/* The tracker counts whole seconds: an alert goes out at the first daemon tick
		 * (250 ms) of the D-th second after the failure line's second, so between D - 1
		 * and D seconds after the line, plus at most one tick. */
		tc->alert_delay = (int64_t)(ms / 1000);
	}
	if (vals[T_STATE_FILE] != NULL)
		state_file_path(p, vals[T_STATE_FILE]);
	if (vals[T_CHECKPOINT] != NULL &&
	    get_duration(p, vals[T_CHECKPOINT], subject(what, "checkpoint_interval", where), 0,
	                 &ms) == 0)
		p->cfg->checkpoint_ms = ms;
}

/* ---- lists of names from a fixed set ---- */

static int text_is(const struct node *n, const char *text)
{
	return n->kind == NODE_SCALAR && strlen(text) == n->len &&
	       memcmp(text, n->text, n->len) == 0;
}

static unsigned verdict_bit(const struct node *n)
{
	for (int k = 0; k < VERDICT_KIND_COUNT; k++)
		if (text_is(n, verdict_kind_name((enum verdict_kind)k)))
			return 1u << k;
	return 0;
}

static unsigned direction_bit(const struct node *n)
{
	if (text_is(n, "inbound"))
		return 1u << ESA_DIR_IN;
	if (text_is(n, "outbound"))
		return 1u << ESA_DIR_OUT;
	return 0;
}

/* A list whose entries each name one bit: "verdicts: [tls, no_tls]". */
struct choices {
	const char *what;                      /* "'verdicts' in outputs entry" */
	const char *key;                       /* "verdicts" */
	const char *noun;                      /* "verdict", for duplicates */
	const char *expected;                  /* "tls, tls_failed, no_tls or unknown" */
	const char *if_empty;                  /* why an empty list is refused */
	unsigned (*bit)(const struct node *n); /* 0 for a name outside the set */
};

#define VERDICT_NAMES "tls, tls_failed, no_tls or unknown"
static const struct choices output_verdict_choices = {.what = "'verdicts' in outputs entry",
                                                      .key = "verdicts",
                                                      .noun = "verdict",
                                                      .expected = VERDICT_NAMES,
                                                      .if_empty = "the output would write nothing",
                                                      .bit = verdict_bit};
static const struct choices hook_verdict_choices = {.what = "'verdict' in 'on'",
                                                    .key = "verdict",
                                                    .noun = "verdict",
                                                    .expected = VERDICT_NAMES,
                                                    .if_empty = "the hook would never run",
                                                    .bit = verdict_bit};
static const struct choices hook_direction_choices = {.what = "'direction' in 'on'",
                                                      .key = "direction",
                                                      .noun = "direction",
                                                      .expected = "inbound or outbound",
                                                      .if_empty = "the hook would never run",
                                                      .bit = direction_bit};

/* The bits of a non-empty list without repeats into *mask. */
static int choice_list(struct parse *p, const struct node *list, const struct choices *c,
                       unsigned *mask)
{
	const struct node *first[32] = {NULL};
	char shown[SHOWN_BUF], entry[SUBJECT_BUF];
	int ok = 1;

	if (!expect(p, list, NODE_LIST, "a list", c->what))
		return -1;
	if (list->n == 0) {
		error_at(p, list->line, list->column, "%s is empty: %s", c->what, c->if_empty);
		return -1;
	}
	snprintf(entry, sizeof(entry), "%s entry", c->key);
	*mask = 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct node *n = list->items[i];
		unsigned bit;
		int k;
		if (!expect(p, n, NODE_SCALAR, c->expected, entry)) {
			ok = 0;
			continue;
		}
		if ((bit = c->bit(n)) == 0) {
			error_at(p, n->line, n->column, "expected %s for %s, got %s", c->expected,
			         entry, show(n, shown));
			ok = 0;
			continue;
		}
		for (k = 0; (1u << k) != bit; k++)
			;
		if (first[k] != NULL) {
			error_at(p, n->line, n->column, "duplicate %s %s in '%s' (first at %u:%u)",
			         c->noun, show(n, shown), c->key, first[k]->line, first[k]->column);
			ok = 0;
			continue;
		}
		first[k] = n;
		*mask |= bit;
	}
	return ok ? 0 : -1;
}

/* ---- outputs ---- */

enum { O_FILE, O_VERDICTS, O_QUEUE, O_COUNT };
static const char *const output_keys[O_COUNT] = {"file", "verdicts", "queue"};

static void output_set_defaults(struct output_config *oc)
{
	oc->verdicts = ALL_VERDICTS;
	oc->queue = DEFAULT_QUEUE;
}

/* One outputs entry into oc; *file_node is where its file was given. oc->file is set when the
 * file itself is valid, whatever the other keys hold. */
static void output_entry(struct parse *p, const struct node *map, struct output_config *oc,
                         const struct node **file_node)
{
	static const char where[] = " in outputs entry";
	const struct node *vals[O_COUNT], *keys[O_COUNT];
	unsigned long long queue;

	output_set_defaults(oc);
	if (!expect(p, map, NODE_MAP, "a mapping", "outputs entry"))
		return;
	map_keys(p, map, where, output_keys, O_COUNT, vals, keys);
	*file_node = vals[O_FILE];
	if (vals[O_FILE] == NULL)
		error_at(p, map->line, map->column, "missing 'file' in outputs entry");
	else
		oc->file =
		    get_text(p, vals[O_FILE], "a file path or \"-\"", "'file' in outputs entry");
	if (vals[O_VERDICTS] != NULL)
		choice_list(p, vals[O_VERDICTS], &output_verdict_choices, &oc->verdicts);
	if (vals[O_QUEUE] != NULL &&
	    get_number(p, vals[O_QUEUE], "'queue' in outputs entry", 1, MAX_QUEUE, &queue) == 0)
		oc->queue = (uint32_t)queue;
}

/* As for listeners, invalid entries are kept so that duplicate files are all found. */
static void output_list(struct parse *p, const struct node *list)
{
	struct config *cfg = p->cfg;
	const struct node **files;

	if (!expect(p, list, NODE_LIST, "a list", "'outputs'"))
		return;
	if (list->n == 0) {
		error_at(p, list->line, list->column, "nothing to write to: 'outputs' is empty");
		return;
	}
	cfg->outputs = calloc(list->n, sizeof(*cfg->outputs));
	files = calloc(list->n, sizeof(*files));
	if (cfg->outputs == NULL || files == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		free(files);
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		struct output_config *oc = &cfg->outputs[i];
		cfg->n_outputs++;
		output_entry(p, list->items[i], oc, &files[i]);
		for (size_t j = 0; oc->file != NULL && j < i; j++) {
			if (cfg->outputs[j].file != NULL &&
			    strcmp(cfg->outputs[j].file, oc->file) == 0) {
				char shown[SHOWN_BUF];
				error_at(p, files[i]->line, files[i]->column,
				         "duplicate output file %s (first at %u:%u)",
				         show(files[i], shown), files[j]->line, files[j]->column);
				break;
			}
		}
	}
	free(files);
}

static int output_defaults(struct config *cfg)
{
	if ((cfg->outputs = calloc(1, sizeof(*cfg->outputs))) == NULL)
		return -1;
	output_set_defaults(&cfg->outputs[0]);
	if ((cfg->outputs[0].file = strdup("-")) == NULL)
		return -1;
	cfg->n_outputs = 1;
	return 0;
}

/* ---- hooks ---- */

static int hook_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Names go into log lines, ESATLSD_HOOK and metric labels: a small alphabet needs no quoting. */
static char *hook_name(struct parse *p, const struct node *n)
{
	static const char expected[] = "a hook name (1 to 64 of A-Z a-z 0-9 _ . -)";
	char shown[SHOWN_BUF], *copy;
	int ok;

	if (!expect(p, n, NODE_SCALAR, expected, "'name' in hooks entry"))
		return NULL;
	ok = n->len >= 1 && n->len <= HOOK_NAME_MAX && !scalar_is_null(n);
	for (size_t i = 0; ok && i < n->len; i++)
		ok = hook_name_char(n->text[i]);
	if (!ok) {
		error_at(p, n->line, n->column, "expected %s for 'name' in hooks entry, got %s",
		         expected, show(n, shown));
		return NULL;
	}
	if ((copy = strdup(n->text)) == NULL)
		error_at(p, n->line, n->column, "out of memory");
	return copy;
}

/* One argv entry, taken verbatim: it is never given to a shell, so quotes, "$(...)" or
 * newlines are plain data. Only a NUL cannot be passed to execve. */
static int hook_argument(struct parse *p, const struct node *n, int program)
{
	char shown[SHOWN_BUF];

	if (!expect(p, n, NODE_SCALAR, "a string", "exec entry"))
		return -1;
	if (scalar_is_null(n)) {
		error_at(p, n->line, n->column, "expected a string for exec entry, got %s",
		         show(n, shown));
		return -1;
	}
	if (memchr(n->text, '\0', n->len) != NULL) {
		error_at(p, n->line, n->column,
		         "expected a string without NUL bytes for exec entry, got %s",
		         show(n, shown));
		return -1;
	}
	if (n->len > HOOK_ARG_BYTES) {
		error_at(p, n->line, n->column,
		         "exec entry must be at most %d bytes, got %zu bytes", HOOK_ARG_BYTES,
		         n->len);
		return -1;
	}
	/* No PATH search: what runs must not depend on the daemon's environment. */
	if (program && n->text[0] != '/') {
		error_at(p, n->line, n->column,
		         "the program in 'exec' must be an absolute path (starting with /), got %s",
		         show(n, shown));
		return -1;
	}
	return 0;
}

static void hook_exec(struct parse *p, const struct node *list, struct hook_config *hc)
{
	static const char what[] = "'exec' in hooks entry";

	if (!expect(p, list, NODE_LIST, "a list (the program and its arguments)", what))
		return;
	if (list->n == 0) {
		error_at(p, list->line, list->column, "%s is empty: give the program to run", what);
		return;
	}
	if (list->n > HOOK_ARGS_MAX) {
		error_at(p, list->line, list->column,
		         "%s has %zu entries, at most %d (the program and its arguments)", what,
		         list->n, HOOK_ARGS_MAX);
		return;
	}
	if ((hc->argv = calloc(list->n + 1, sizeof(*hc->argv))) == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct node *n = list->items[i];
		if (hook_argument(p, n, i == 0) != 0)
			continue;
		if ((hc->argv[hc->argc] = strdup(n->text)) == NULL) {
			error_at(p, n->line, n->column, "out of memory");
			return;
		}
		hc->argc++;
	}
}

enum url_problem {
	URL_OK,
	URL_FORM,
	URL_HTTPS,
	URL_USERINFO,
	URL_FRAGMENT,
	URL_HOST,
	URL_PORT,
	URL_PATH
};

static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 section 3.3 pchar, plus "/" and "?" (section 3.4): what a request line can carry
 * as it is. Anything else must arrive already %-escaped. */
static int url_path_ok(const char *s, size_t len)
{
	static const char other[] = "-._~!$&'()*+,;=:@/?";

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(other, c) != NULL))
			continue;
		if (c == '%' && i + 2 < len && hex_digit(s[i + 1]) && hex_digit(s[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/* The host of an authority (RFC 3986 section 3.2.2), numeric only: a name would need a DNS
 * lookup from the event loop. */
static int url_host_ok(const char *host, size_t len, int v6)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a4;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return v6 ? inet_pton(AF_INET6, buf, &a6) == 1 : inet_pton(AF_INET, buf, &a4) == 1;
}

/* "http://HOST[:PORT][/PATH][?QUERY]" with a numeric HOST ("[...]" for IPv6). */
static enum url_problem url_check(const char *s, size_t len)
{
	const char *auth, *auth_end, *end = s + len, *host, *port = NULL;
	size_t host_len;
	unsigned long long v;
	int v6;

	if (span_starts_ci(span_make(s, len), "https://"))
		return URL_HTTPS;
	/* schemes are case-insensitive (RFC 3986 section 3.1) */
	if (!span_starts_ci(span_make(s, len), "http://"))
		return URL_FORM;
	if (memchr(s, '#', len) != NULL)
		return URL_FRAGMENT;
	auth = s + 7;
	for (auth_end = auth; auth_end < end && *auth_end != '/' && *auth_end != '?'; auth_end++)
		;
	if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL)
		return URL_USERINFO;
	v6 = auth < auth_end && *auth == '[';
	if (v6) {
		const char *close = memchr(auth, ']', (size_t)(auth_end - auth));
		if (close == NULL || (close + 1 < auth_end && close[1] != ':'))
			return URL_HOST;
		host = auth + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < auth_end)
			port = close + 2;
	} else {
		const char *colon = memchr(auth, ':', (size_t)(auth_end - auth));
		host = auth;
		host_len = (size_t)((colon != NULL ? colon : auth_end) - auth);
		if (colon != NULL)
			port = colon + 1;
	}
	if (!url_host_ok(host, host_len, v6))
		return URL_HOST;
	if (port != NULL &&
	    (span_to_u64(span_make(port, (size_t)(auth_end - port)), 65535, &v) != 0 || v == 0))
		return URL_PORT;
	return url_path_ok(auth_end, (size_t)(end - auth_end)) ? URL_OK : URL_PATH;
}

static char *hook_webhook(struct parse *p, const struct node *n)
{
	static const char expected[] = "an http://IP:PORT/PATH URL";
	static const char what[] = "'webhook' in hooks entry";
	char shown[SHOWN_BUF];
	enum url_problem problem = URL_FORM;
	char *url;

	if (!expect(p, n, NODE_SCALAR, expected, what))
		return NULL;
	if (!scalar_is_null(n) && memchr(n->text, '\0', n->len) == NULL)
		problem = url_check(n->text, n->len);
	switch (problem) {
	case URL_OK:
		break;
	case URL_FORM:
		error_at(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		         show(n, shown));
		return NULL;
	case URL_HTTPS:
		error_at(p, n->line, n->column, "https webhooks are not supported by this version");
		return NULL;
	case URL_USERINFO:
		/* not shown: what stands before "@" is likely a password */
		error_at(p, n->line, n->column,
		         "a webhook URL may not hold a user name or password (USER@HOST)");
		return NULL;
	case URL_FRAGMENT:
		error_at(p, n->line, n->column, "a webhook URL may not have a #fragment, got %s",
		         show(n, shown));
		return NULL;
	case URL_HOST:
		error_at(p, n->line, n->column,
		         "webhook host must be a numeric address (IPv4, or IPv6 in brackets; names "
		         "are not looked up), got %s",
		         show(n, shown));
		return NULL;
	case URL_PORT:
		error_at(p, n->line, n->column,
		         "webhook port must be a number between 1 and 65535, got %s",
		         show(n, shown));
		return NULL;
	case URL_PATH:
		error_at(
		    p, n->line, n->column,
		    "webhook path may hold only URL characters (others escaped as %%XX), got %s",
		    show(n, shown));
		return NULL;
	}
	if ((url = strdup(n->text)) == NULL)
		error_at(p, n->line, n->column, "out of memory");
	return url;
}

static void hook_hosts(struct parse *p, const struct node *list, struct hook_config *hc)
{
	static const char what[] = "'host' in 'on'";
	char shown[SHOWN_BUF];

	if (!expect(p, list, NODE_LIST, "a list", what))
		return;
	if (list->n == 0) {
		error_at(p, list->line, list->column, "%s is empty: the hook would never run",
		         what);
		return;
	}
	if ((hc->hosts = calloc(list->n, sizeof(*hc->hosts))) == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct node *n = list->items[i];
		char *host = get_text(p, n, "an appliance host name", "host entry");
		size_t j;
		if (host == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (text_is(list->items[j], host))
				break;
		if (j < i) {
			error_at(p, n->line, n->column,
			         "duplicate host %s in 'host' (first at %u:%u)", show(n, shown),
			         list->items[j]->line, list->items[j]->column);
			free(host);
			continue;
		}
		hc->hosts[hc->n_hosts++] = host;
	}
}

enum { ON_VERDICT, ON_DIRECTION, ON_HOST, ON_COUNT };
static const char *const on_keys[ON_COUNT] = {"verdict", "direction", "host"};

static void hook_on(struct parse *p, const struct node *map, struct hook_config *hc)
{
	const struct node *vals[ON_COUNT], *keys[ON_COUNT];

	if (!expect(p, map, NODE_MAP, "a mapping", "'on' in hooks entry"))
		return;
	map_keys(p, map, " in 'on'", on_keys, ON_COUNT, vals, keys);
	if (vals[ON_VERDICT] != NULL)
		choice_list(p, vals[ON_VERDICT], &hook_verdict_choices, &hc->verdicts);
	if (vals[ON_DIRECTION] != NULL)
		choice_list(p, vals[ON_DIRECTION], &hook_direction_choices, &hc->directions);
	if (vals[ON_HOST] != NULL)
		hook_hosts(p, vals[ON_HOST], hc);
}

enum { TH_KEY, TH_INTERVAL, TH_COUNT };
static const char *const throttle_keys[TH_COUNT] = {"key", "interval"};

static void hook_throttle(struct parse *p, const struct node *map, struct hook_config *hc)
{
	static const char expected[] = "peer_ip, host or none";
	const struct node *vals[TH_COUNT], *keys[TH_COUNT], *key;
	char shown[SHOWN_BUF];

	if (!expect(p, map, NODE_MAP, "a mapping", "'throttle' in hooks entry"))
		return;
	map_keys(p, map, " in 'throttle'", throttle_keys, TH_COUNT, vals, keys);
	if ((key = vals[TH_KEY]) == NULL) {
		error_at(p, map->line, map->column, "missing 'key' in 'throttle'");
	} else if (expect(p, key, NODE_SCALAR, expected, "'key' in 'throttle'")) {
		if (text_is(key, "peer_ip"))
			hc->throttle_key = THROTTLE_PEER_IP;
		else if (text_is(key, "host"))
			hc->throttle_key = THROTTLE_HOST;
		else if (text_is(key, "none"))
			hc->throttle_key = THROTTLE_NONE;
		else
			error_at(p, key->line, key->column,
			         "expected %s for 'key' in 'throttle', got %s", expected,
			         show(key, shown));
	}
	if (vals[TH_INTERVAL] == NULL)
		error_at(p, map->line, map->column, "missing 'interval' in 'throttle'");
	else
		get_duration(p, vals[TH_INTERVAL], "'interval' in 'throttle'", 1,
		             &hc->throttle_interval_ms);
}

enum {
	H_NAME,
	H_EXEC,
	H_WEBHOOK,
	H_ON,
	H_TIMEOUT,
	H_MAX_CONCURRENT,
	H_QUEUE,
	H_RETRIES,
	H_THROTTLE,
	H_COUNT
};
static const char *const hook_keys[H_COUNT] = {
    "name", "exec", "webhook", "on", "timeout", "max_concurrent", "queue", "retries", "throttle"};

static void hook_set_defaults(struct hook_config *hc)
{
	hc->verdicts = 1u << VERDICT_TLS_FAILED;
	hc->directions = BOTH_DIRECTIONS;
	hc->timeout_ms = DEFAULT_HOOK_TIMEOUT_MS;
	hc->max_concurrent = DEFAULT_HOOK_CONCURRENT;
	hc->queue = DEFAULT_HOOK_QUEUE;
	hc->retries = DEFAULT_HOOK_RETRIES;
	hc->throttle_key = THROTTLE_NONE;
	hc->throttle_interval_ms = 0;
}

/* exec or webhook, exactly one. */
static void hook_action(struct parse *p, const struct node *map, const struct node **vals,
                        const struct node **keys, struct hook_config *hc)
{
	if (vals[H_EXEC] == NULL && vals[H_WEBHOOK] == NULL) {
		error_at(p, map->line, map->column, "missing 'exec' or 'webhook' in hooks entry");
		return;
	}
	if (vals[H_EXEC] != NULL && vals[H_WEBHOOK] != NULL) {
		const struct node *e = keys[H_EXEC], *w = keys[H_WEBHOOK];
		int exec_first = e->line < w->line || (e->line == w->line && e->column < w->column);
		const struct node *first = exec_first ? e : w, *second = exec_first ? w : e;
		error_at(p, second->line, second->column,
		         "'%s' with '%s' (at %u:%u) in one hooks entry: give only one",
		         exec_first ? "webhook" : "exec", exec_first ? "exec" : "webhook",
		         first->line, first->column);
	}
	if (vals[H_EXEC] != NULL) {
		hc->kind = HOOK_EXEC;
		hc->retries = 0;
		hook_exec(p, vals[H_EXEC], hc);
	}
	if (vals[H_WEBHOOK] != NULL) {
		hc->kind = HOOK_WEBHOOK;
		hc->url = hook_webhook(p, vals[H_WEBHOOK]);
	}
}

/* One hooks entry into hc; *name_node is where its name was given. hc->name is set when the
 * name itself is valid, whatever the other keys hold. */
static void hook_entry(struct parse *p, const struct node *map, struct hook_config *hc,
                       const struct node **name_node)
{
	static const char where[] = " in hooks entry";
	const struct node *vals[H_COUNT], *keys[H_COUNT];
	unsigned long long count;
	uint64_t ms;

	hook_set_defaults(hc);
	if (!expect(p, map, NODE_MAP, "a mapping", "hooks entry"))
		return;
	hc->line = map->line;
	hc->column = map->column;
	map_keys(p, map, where, hook_keys, H_COUNT, vals, keys);
	*name_node = vals[H_NAME];
	if (vals[H_NAME] == NULL)
		error_at(p, map->line, map->column, "missing 'name' in hooks entry");
	else
		hc->name = hook_name(p, vals[H_NAME]);
	hook_action(p, map, vals, keys, hc);
	if (vals[H_ON] != NULL)
		hook_on(p, vals[H_ON], hc);
	if (vals[H_TIMEOUT] != NULL &&
	    get_duration(p, vals[H_TIMEOUT], "'timeout' in hooks entry", 1, &ms) == 0) {
		char shown[SHOWN_BUF];
		if (ms > MAX_HOOK_TIMEOUT_MS)
			error_at(p, vals[H_TIMEOUT]->line, vals[H_TIMEOUT]->column,
			         "'timeout' in hooks entry must be at most 1h, got %s",
			         show(vals[H_TIMEOUT], shown));
		else
			hc->timeout_ms = ms;
	}
	if (vals[H_MAX_CONCURRENT] != NULL &&
	    get_number(p, vals[H_MAX_CONCURRENT], "'max_concurrent' in hooks entry", 1,
	               MAX_HOOK_CONCURRENT, &count) == 0)
		hc->max_concurrent = (uint32_t)count;
	if (vals[H_QUEUE] != NULL &&
	    get_number(p, vals[H_QUEUE], "'queue' in hooks entry", 1, MAX_HOOK_QUEUE, &count) == 0)
		hc->queue = (uint32_t)count;
	if (vals[H_RETRIES] != NULL) {
		/* A program that failed may have done part of its work: it is not run twice. */
		if (vals[H_EXEC] != NULL && vals[H_WEBHOOK] == NULL)
			error_at(p, keys[H_RETRIES]->line, keys[H_RETRIES]->column,
			         "'retries' applies to webhook hooks only");
		if (get_number(p, vals[H_RETRIES], "'retries' in hooks entry", 0, MAX_HOOK_RETRIES,
		               &count) == 0 &&
		    hc->kind == HOOK_WEBHOOK)
			hc->retries = (uint32_t)count;
	}
	if (vals[H_THROTTLE] != NULL)
		hook_throttle(p, vals[H_THROTTLE], hc);
}

#define MAX_HOOKS 64 /* each hook holds runners, queues and throttle tables */

/* As for outputs, invalid entries are kept so that duplicate names are all found. */
static void hook_list(struct parse *p, const struct node *list)
{
	struct config *cfg = p->cfg;
	const struct node **names;

	if (!expect(p, list, NODE_LIST, "a list", "'hooks'") || list->n == 0)
		return;
	if (list->n > MAX_HOOKS) {
		error_at(p, list->line, list->column, "at most %d hooks, got %zu", MAX_HOOKS,
		         list->n);
		return;
	}
	cfg->hooks = calloc(list->n, sizeof(*cfg->hooks));
	names = calloc(list->n, sizeof(*names));
	if (cfg->hooks == NULL || names == NULL) {
		error_at(p, list->line, list->column, "out of memory");
		free(names);
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		struct hook_config *hc = &cfg->hooks[i];
		cfg->n_hooks++;
		hook_entry(p, list->items[i], hc, &names[i]);
		for (size_t j = 0; hc->name != NULL && j < i; j++) {
			if (cfg->hooks[j].name != NULL &&
			    strcmp(cfg->hooks[j].name, hc->name) == 0) {
				char shown[SHOWN_BUF];
				error_at(p, names[i]->line, names[i]->column,
				         "duplicate hook name %s (first at %u:%u)",
				         show(names[i], shown), names[j]->line, names[j]->column);
				break;
			}
		}
	}
	free(names);
}

static void hook_free(struct hook_config *hc)
{
	free(hc->name);
	for (size_t i = 0; i < hc->argc; i++)
		free(hc->argv[i]);
	free(hc->argv);
	free(hc->url);
	for (size_t i = 0; i < hc->n_hosts; i++)
		free(hc->hosts[i]);
	free(hc->hosts);
}

/* ---- metrics ---- */

/* metrics: {address: "IP:PORT"}; {} (or no key) serves no endpoint. */
static void metrics_map(struct parse *p, const struct node *map)
{
	static const char *const keys[] = {"address"};
	static const char what[] = "'address' in 'metrics'";
	static const char expected[] = "a numeric IP:PORT or [IPv6]:PORT";
	const struct node *vals[1], *key_nodes[1];
	char shown[SHOWN_BUF];

	if (!expect(p, map, NODE_MAP, "a mapping", "'metrics'") || map->n == 0)
		return;
	map_keys(p, map, " in 'metrics'", keys, 1, vals, key_nodes);
	if (vals[0] == NULL) {
		error_at(p, map->line, map->column, "missing 'address' in 'metrics'");
		return;
	}
	if (!expect(p, vals[0], NODE_SCALAR, expected, what))
		return;
	if (parse_host_port(vals[0]->text, vals[0]->len, &p->cfg->metrics_addr,
	                    &p->cfg->metrics_addrlen) != 0) {
		error_at(p, vals[0]->line, vals[0]->column, "expected %s for %s, got %s", expected,
		         what, show(vals[0], shown));
		return;
	}
	if ((p->cfg->metrics_address = strdup(vals[0]->text)) == NULL)
		error_at(p, vals[0]->line, vals[0]->column, "out of memory");
}

/* ---- log_repeats ---- */

/* log_repeats: {burst: N, interval: DURATION}: how many lines of one kind a window lets
 * through before they are only counted, and how long the window is. */
static void log_repeats_map(struct parse *p, const struct node *map)
{
	static const char *const keys[] = {"burst", "interval"};
	static const char where[] = " in 'log_repeats'";
	const struct node *vals[2], *key_nodes[2];
	unsigned long long burst;
	uint64_t ms;

	if (!expect(p, map, NODE_MAP, "a mapping", "'log_repeats'"))
		return;
	map_keys(p, map, where, keys, 2, vals, key_nodes);
	if (vals[0] != NULL &&
	    get_number(p, vals[0], "'burst' in 'log_repeats'", 1, MAX_LOG_BURST, &burst) == 0)
		p->cfg->log_burst = (unsigned)burst;
	if (vals[1] != NULL &&
	    get_duration(p, vals[1], "'interval' in 'log_repeats'", 1, &ms) == 0) {
		if (ms > MAX_LOG_INTERVAL_MS)
			error_at(p, vals[1]->line, vals[1]->column,
			         "'interval' in 'log_repeats' must be at most 1d");
		else
			p->cfg->log_interval_ms = ms;
	}
}

/* ---- the top level ---- */

static void user_name(struct parse *p, const struct node *n)
{
	static const char expected[] = "a user name";
	char shown[SHOWN_BUF];

	if ((p->cfg->user = get_text(p, n, expected, "'user'")) == NULL)
		return;
	if (strchr(p->cfg->user, '/') != NULL)
		error_at(p, n->line, n->column, "expected %s for 'user', got %s", expected,
		         show(n, shown));
}

enum {
	K_LISTEN,
	K_ALLOW,
	K_MAX_MESSAGE,
	K_TRACKING,
	K_OUTPUTS,
	K_HOOKS,
	K_METRICS,
	K_USER,
	K_LOG_REPEATS,
	K_COUNT
};
static const char *const top_keys[K_COUNT] = {"listen",   "allow_from", "max_message_size",
                                              "tracking", "outputs",    "hooks",
                                              "metrics",  "user",       "log_repeats"};

static void walk_root(struct parse *p, const struct node *root)
{
	struct config *cfg = p->cfg;
	const struct node *vals[K_COUNT], *keys[K_COUNT];
	char shown[SHOWN_BUF];

	for (size_t k = 0; k < K_COUNT; k++)
		vals[k] = NULL;
	if (root != NULL && !scalar_is_null(root)) {
		if (root->kind != NODE_MAP) {
			if (root->kind != NODE_ALIAS)
				error_at(p, root->line, root->column,
				         "expected a mapping at the top level, got %s",
				         show(root, shown));
			return;
		}
		map_keys(p, root, "", top_keys, K_COUNT, vals, keys);
	}
	if (vals[K_LISTEN] != NULL)
		listen_list(p, vals[K_LISTEN]);
	if (vals[K_ALLOW] != NULL)
		allow_list(p, vals[K_ALLOW]);
	if (vals[K_MAX_MESSAGE] != NULL)
		get_size(p, vals[K_MAX_MESSAGE], "'max_message_size'", MIN_MAX_MESSAGE,
		         MAX_MAX_MESSAGE, "between 1KiB and 1MiB", &cfg->max_message_size);
	if (vals[K_TRACKING] != NULL)
		tracking_map(p, vals[K_TRACKING]);
	if (vals[K_OUTPUTS] != NULL)
		output_list(p, vals[K_OUTPUTS]);
	if (vals[K_HOOKS] != NULL)
		hook_list(p, vals[K_HOOKS]);
	if (vals[K_METRICS] != NULL)
		metrics_map(p, vals[K_METRICS]);
	if (vals[K_USER] != NULL)
		user_name(p, vals[K_USER]);
	if (vals[K_LOG_REPEATS] != NULL)
		log_repeats_map(p, vals[K_LOG_REPEATS]);
	if (p->n_errors > 0)
		return;
	if ((vals[K_LISTEN] == NULL && listen_defaults(cfg) != 0) ||
	    (vals[K_OUTPUTS] == NULL && output_defaults(cfg) != 0))
		error_at(p, 0, 0, "out of memory");
}

/* ---- the API ---- */

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_listen; i++)
		free(cfg->listen[i].address);
	free(cfg->listen);
	free(cfg->allow_from);
	for (size_t i = 0; i < cfg->n_outputs; i++)
		free(cfg->outputs[i].file);
	free(cfg->outputs);
	for (size_t i = 0; i < cfg->n_hooks; i++)
		hook_free(&cfg->hooks[i]);
	free(cfg->hooks);
	free(cfg->user);
	free(cfg->metrics_address);
	free(cfg->state_file);
	free(cfg->source);
	free(cfg);
}

/* A config holding the scalar defaults and no lists yet. */
static struct config *config_new(const char *source)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	if ((cfg->source = strdup(source)) == NULL) {
		free(cfg);
		return NULL;
	}
	cfg->max_message_size = DEFAULT_MAX_MESSAGE;
	engine_config_defaults(&cfg->engine);
	cfg->alert_delay_ms = DEFAULT_ALERT_DELAY_MS;
	cfg->checkpoint_ms = DEFAULT_CHECKPOINT_MS;
	cfg->log_burst = DEFAULT_LOG_BURST;
	cfg->log_interval_ms = DEFAULT_LOG_INTERVAL_MS;
	return cfg;
}

struct config *config_default(void)
{
	struct config *cfg = config_new("built-in defaults");

	if (cfg == NULL)
		return NULL;
	if (listen_defaults(cfg) != 0 || output_defaults(cfg) != 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_parse(const char *name, const char *buf, size_t len, config_report_fn report,
                            void *arg)
{
	struct parse p;
	struct node *root;

	memset(&p, 0, sizeof(p));
	p.name = name != NULL ? name : "config";
	p.report = report;
	p.arg = arg;
	if (len > CONFIG_MAX_BYTES) {
		error_at(&p, 0, 0, "larger than 1 MiB");
	} else if ((p.cfg = config_new(p.name)) == NULL) {
		error_at(&p, 0, 0, "out of memory");
	} else {
		root = load_tree(&p, buf != NULL ? buf : "", buf != NULL ? len : 0);
		if (!p.stop)
			walk_root(&p, root);
		node_free(root);
	}
	if (p.n_errors == 0)
		return p.cfg;
	report_problems(&p);
	config_free(p.cfg);
	return NULL;
}

/* Reads at most CONFIG_MAX_BYTES + 1 bytes: enough for config_parse to see it is too large. */
static char *read_bounded(int fd, size_t *len)
{
	char *buf = malloc(CONFIG_MAX_BYTES + 1);
	size_t have = 0;

	if (buf == NULL)
		return NULL;
	while (have < CONFIG_MAX_BYTES + 1) {
		ssize_t r = read(fd, buf + have, CONFIG_MAX_BYTES + 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	*len = have;
	return buf;
}

static void report_errno(const char *path, config_report_fn report, void *arg)
{
	char text[512];

	snprintf(text, sizeof(text), "%.400s: %s", path, strerror(errno));
	if (report != NULL)
		report(text, arg);
}

struct config *config_load(const char *path, config_report_fn report, void *arg)
{
	struct config *cfg;
	size_t len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		report_errno(path, report, arg);
		return NULL;
	}
	buf = read_bounded(fd, &len);
	if (buf == NULL) {
		report_errno(path, report, arg);
		close(fd);
		return NULL;
	}
	close(fd);
	cfg = config_parse(path, buf, len, report, arg);
	free(buf);
	return cfg;
}
