/* The YAML document tree and its problem list (yamltree.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yamltree.h"

/* ---- nodes ---- */

void ynode_free(struct ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static int node_append(struct ynode *parent, struct ynode *child)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct ynode **items = realloc(parent->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->n++] = child;
	return 0;
}

/* ---- problems ---- */

struct yproblem {
	unsigned line, column;
	size_t seq;
	char *text;
};

void yreport_init(struct yreport *r, const char *name, yreport_fn report, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->report = report;
	r->arg = arg;
}

static void report_now(struct yreport *r, const char *text)
{
	if (r->report != NULL)
		r->report(text, r->arg);
}

/* When a problem cannot even be stored: said at once, unsorted. */
static void report_oom(struct yreport *r)
{
	char text[256];

	snprintf(text, sizeof(text), "%.200s: out of memory", r->name);
	report_now(r, text);
}

void yreport_verror(struct yreport *r, unsigned line, unsigned column, const char *fmt, va_list ap)
{
	va_list again;
	int plen, blen;
	char *text;

	if (r->n_errors++ >= YREPORT_MAX_ERRORS)
		return;
	if (r->problems == NULL) {
		r->problems = calloc(YREPORT_MAX_ERRORS, sizeof(*r->problems));
		if (r->problems == NULL) {
			report_oom(r);
			return;
		}
	}
	va_copy(again, ap);
	blen = vsnprintf(NULL, 0, fmt, ap);
	if (line != 0)
		plen = snprintf(NULL, 0, "%s:%u:%u: ", r->name, line, column);
	else
		plen = snprintf(NULL, 0, "%s: ", r->name);
	if (blen < 0 || plen < 0 || (text = malloc((size_t)plen + (size_t)blen + 1)) == NULL) {
		va_end(again);
		report_oom(r);
		return;
	}
	if (line != 0)
		snprintf(text, (size_t)plen + 1, "%s:%u:%u: ", r->name, line, column);
	else
		snprintf(text, (size_t)plen + 1, "%s: ", r->name);
	vsnprintf(text + plen, (size_t)blen + 1, fmt, again);
	va_end(again);
	r->problems[r->n_problems] = (struct yproblem){line, column, r->n_problems, text};
	r->n_problems++;
}

void yreport_error(struct yreport *r, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yreport_verror(r, line, column, fmt, ap);
	va_end(ap);
}

static int problem_cmp(const void *a, const void *b)
{
	const struct yproblem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void yreport_flush(struct yreport *r)
{
	if (r->problems != NULL)
		qsort(r->problems, r->n_problems, sizeof(*r->problems), problem_cmp);
	for (size_t i = 0; i < r->n_problems; i++) {
		report_now(r, r->problems[i].text);
		free(r->problems[i].text);
	}
	free(r->problems);
	r->problems = NULL;
	r->n_problems = 0;
	if (r->n_errors > YREPORT_MAX_ERRORS) {
		char text[256];
		snprintf(text, sizeof(text), "%.160s: %zu more errors not shown", r->name,
		         r->n_errors - YREPORT_MAX_ERRORS);
		report_now(r, text);
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
 * YSHOWN_MAX bytes at a character boundary. buf holds YSHOWN_BUF bytes. */
void yquote(char buf[YSHOWN_BUF], const char *text, size_t len, char quote)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0, cut = len;
	int truncated = len > YSHOWN_MAX;

	if (truncated) {
		cut = YSHOWN_MAX;
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

int ynode_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	        strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

/* What a node is, for "got ...": a quoted value, "nothing", "a list" or "a mapping". */
const char *ynode_show(const struct ynode *n, char buf[YSHOWN_BUF])
{
	switch (n->kind) {
	case YNODE_LIST:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	case YNODE_ALIAS:
		return "an alias";
	case YNODE_SCALAR:
		break;
	}
	if (n->plain && n->len == 0)
		return "nothing";
	yquote(buf, n->text, n->len, '"');
	return buf;
}
/* ---- building the tree from libyaml events ---- */

struct builder {
	struct ynode *root;
	struct ynode *stack[YTREE_MAX_DEPTH];
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

static void yaml_error(struct yreport *p, const yaml_parser_t *y, const char *buf, size_t len)
{
	const char *problem = y->problem ? y->problem : "syntax error";
	const char *hint;
	unsigned line, column;

	p->stop = 1;
	switch (y->error) {
	case YAML_MEMORY_ERROR:
		yreport_error(p, 0, 0, "out of memory");
		return;
	case YAML_READER_ERROR:
		/* The reader gives a byte offset, not a mark. */
		offset_position(buf, len, y->problem_offset, &line, &column);
		if (y->problem_value >= 0)
			yreport_error(p, line, column, "%s (byte 0x%02x)", problem,
			              (unsigned)y->problem_value & 0xffffffu);
		else
			yreport_error(p, line, column, "%s", problem);
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
		yreport_error(p, line, column, "%s%s (%s at %u:%u)", problem, hint, y->context,
		              (unsigned)y->context_mark.line + 1,
		              (unsigned)y->context_mark.column + 1);
	else
		yreport_error(p, line, column, "%s%s", problem, hint);
}

static struct ynode *builder_add(struct yreport *p, struct builder *b, enum ynode_kind kind,
                                 const yaml_mark_t *mark)
{
	struct ynode *n = calloc(1, sizeof(*n));

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
	yreport_error(p, (unsigned)mark->line + 1, (unsigned)mark->column + 1, "out of memory");
	p->stop = 1;
	return NULL;
}

static void builder_scalar(struct yreport *p, struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n = builder_add(p, b, YNODE_SCALAR, &ev->start_mark);

	if (n == NULL)
		return;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->len = ev->data.scalar.length;
	n->text = malloc(n->len + 1);
	if (n->text == NULL) {
		n->len = 0;
		yreport_error(p, n->line, n->column, "out of memory");
		p->stop = 1;
		return;
	}
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
}

static void builder_open(struct yreport *p, struct builder *b, enum ynode_kind kind,
                         const yaml_mark_t *mark)
{
	struct ynode *n;

	/* Nothing in the schema nests deeply; a bound keeps hostile input cheap. */
	if (b->depth == YTREE_MAX_DEPTH) {
		yreport_error(p, (unsigned)mark->line + 1, (unsigned)mark->column + 1,
		              "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		p->stop = 1;
		return;
	}
	if ((n = builder_add(p, b, kind, mark)) != NULL)
		b->stack[b->depth++] = n;
}

/* Applies one event; returns 1 at the end of the stream. */
static int builder_event(struct yreport *p, struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0) {
			yreport_error(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
			              "only one YAML document is allowed");
			p->stop = 1;
		}
		break;
	case YAML_ALIAS_EVENT:
		/* Not needed for any setting, and what makes "billion laughs" possible. */
		yreport_error(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
		              "aliases are not supported (*%.60s)",
		              (const char *)ev->data.alias.anchor);
		builder_add(p, b, YNODE_ALIAS, m);
		break;
	case YAML_SCALAR_EVENT:
		builder_scalar(p, b, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		builder_open(p, b, YNODE_LIST, m);
		break;
	case YAML_MAPPING_START_EVENT:
		builder_open(p, b, YNODE_MAP, m);
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
struct ynode *ytree_load(struct yreport *p, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	int done = 0;

	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&parser)) {
		yreport_error(p, 0, 0, "out of memory");
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
		ynode_free(b.root);
		return NULL;
	}
	return b.root;
}
