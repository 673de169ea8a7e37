#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diagnose.h"
#include "engine.h"
#include "explain.h"
#include "frame.h"
#include "gzlines.h"
#include "log.h"
#include "verdict.h"

#define EXPLAIN_EXAMPLES 5
#define EXPLAIN_TAGS 32 /* distinct tags listed; the rest are counted together */
#define EXPLAIN_TAG_MAX 64
#define EXPLAIN_QUOTED (SOURCE_EXAMPLE_MAX * 6 + 3) /* a JSON string of an example, at worst */

struct explain_example {
	char line[SOURCE_EXAMPLE_MAX];
	size_t len;
	enum syslog_format format;
	enum diag_cause cause;
};

struct explain_tag {
	char name[EXPLAIN_TAG_MAX];
	size_t len;
	uint64_t lines;
};

struct explain {
	struct engine *eng;
	uint64_t verdicts[VERDICT_KIND_COUNT];
	struct explain_tag tags[EXPLAIN_TAGS];
	size_t n_tags;
	uint64_t other_tags; /* lines of tags past EXPLAIN_TAGS */
	struct explain_example ex[EXPLAIN_EXAMPLES];
	size_t n_ex;
	struct frame_counts frames;
};

static void explain_verdict_cb(const struct verdict *v, void *arg)
{
	struct explain *x = arg;
	if ((v->purpose & VERDICT_FOR_FILES) && (unsigned)v->kind < VERDICT_KIND_COUNT)
		x->verdicts[v->kind]++;
}

/* ---- what one line shows ---- */

static void explain_note_tag(struct explain *x, struct span tag)
{
	if (!span_present(tag))
		return;
	if (tag.len > EXPLAIN_TAG_MAX)
		tag.len = EXPLAIN_TAG_MAX;
	for (size_t i = 0; i < x->n_tags; i++) {
		if (x->tags[i].len == tag.len && memcmp(x->tags[i].name, tag.p, tag.len) == 0) {
			x->tags[i].lines++;
			return;
		}
	}
	if (x->n_tags == EXPLAIN_TAGS) {
		x->other_tags++;
		return;
	}
	struct explain_tag *t = &x->tags[x->n_tags++];
	memcpy(t->name, tag.p, tag.len);
	t->len = tag.len;
	t->lines = 1;
}

/* The slot for an example of `cause`: a free one; else, for a cause not shown yet, one whose
 * cause is shown twice; else none. */
static struct explain_example *explain_example_slot(struct explain *x, enum diag_cause cause)
{
	unsigned shown[DIAG_CAUSE_COUNT] = {0};
	for (size_t i = 0; i < x->n_ex; i++)
		shown[x->ex[i].cause]++;
	if (x->n_ex < EXPLAIN_EXAMPLES)
		return &x->ex[x->n_ex++];
	if (shown[cause] > 0)
		return NULL;
	for (size_t i = EXPLAIN_EXAMPLES; i-- > 0;)
		if (shown[x->ex[i].cause] > 1)
			return &x->ex[i];
	return NULL;
}

static void explain_note_example(struct explain *x, const char *line, size_t len,
                                 const struct syslog_msg *m, enum diag_cause cause)
{
	if (len > SOURCE_EXAMPLE_MAX)
		len = SOURCE_EXAMPLE_MAX;
	for (size_t i = 0; i < x->n_ex; i++)
		if (x->ex[i].len == len && memcmp(x->ex[i].line, line, len) == 0)
			return; /* distinct lines only */
	struct explain_example *e = explain_example_slot(x, cause);
	if (e == NULL)
		return;
	memcpy(e->line, line, len);
	e->len = len;
	e->format = m->format;
	e->cause = cause;
}

/* One message: the engine counts and tracks it; the same parsers, run here again, give its tag
 * and, when it is not read, why. */
static void explain_line(struct explain *x, const char *line, size_t len)
{
	struct syslog_msg m;
	struct esa_event ev;
	engine_feed(x->eng, line, len, span_make("", 0), ENGINE_LOG_CLOCK);
	syslog_parse(line, len, &m);
	esa_classify(m.text.p, m.text.len, &ev);
	enum diag_cause cause = diag_cause(&m, ev.kind);
	if (cause != DIAG_CONTINUATION)
		explain_note_tag(x, m.tag);
	if (cause != DIAG_RECOGNISED)
		explain_note_example(x, line, len, &m, cause);
}

/* ---- reading ---- */

static void explain_line_cb(void *arg, const char *line, size_t len)
{
	explain_line(arg, line, len);
}

/* Every line of the (maybe gzip-compressed) input. Returns 0, or -1 on a read error (reported). */
static int explain_read(struct explain *x, int fd, const char *name)
{
	return gzlines_read(fd, name, DEFAULT_MAX_MESSAGE, explain_line_cb, x, &x->frames);
}

/* ---- the report ---- */

/* s as a JSON string (quoted, escaped, invalid UTF-8 replaced): never trusted, always shown so. */
static void put_quoted(FILE *out, struct span s)
{
	char buf[EXPLAIN_QUOTED];
	if (s.len > SOURCE_EXAMPLE_MAX)
		s.len = SOURCE_EXAMPLE_MAX;
	size_t n = verdict_json_string(s, buf, sizeof(buf));
	fwrite(buf, 1, n, out);
}

static struct span span_str(const char *s)
{
	return span_make(s, strlen(s));
}

static uint64_t explain_recognised(const struct engine_counters *ec)
{
	uint64_t n = 0;
	for (int k = 0; k < ESA_KIND_COUNT; k++)
		if (k != ESA_UNCLASSIFIED)
			n += ec->by_kind[k];
	return n;
}

/* One "name": count pair of a JSON object, or one "  name  count" line of text. */
static void put_count(FILE *out, int json, int *first, struct span name, uint64_t n)
{
	if (json) {
		fputs(*first ? "" : ",", out);
		put_quoted(out, name);
		fprintf(out, ":%" PRIu64, n);
	} else {
		fputs("  ", out);
		put_quoted(out, name);
		fprintf(out, " %" PRIu64 "\n", n);
	}
	*first = 0;
}

static void put_section(FILE *out, int json, const char *key, const char *title)
{
	if (json)
		fprintf(out, ",\"%s\":{", key);
	else
		fprintf(out, "%s:\n", title);
}

static void put_end(FILE *out, int json)
{
	fputs(json ? "}" : "", out);
}

static void explain_counts(const struct explain *x, FILE *out, int json)
{
	const struct engine_counters *ec = engine_counters(x->eng);
	int first = 1;
	put_section(out, json, "shapes", "header shapes");
	for (int f = 0; f < SYSLOG_FMT_COUNT; f++)
		if (ec->by_format[f] > 0)
			put_count(out, json, &first, span_str(syslog_format_name(f)),
			          ec->by_format[f]);
	put_end(out, json);
	first = 1;
	put_section(out, json, "sources", "sources (host names; \"\" = none named)");
	struct span name;
	uint64_t messages;
	int64_t last;
	for (size_t i = 0; engine_appliance(x->eng, i, &name, &messages, &last) == 0; i++)
		put_count(out, json, &first, name, messages);
	put_end(out, json);
	first = 1;
	put_section(out, json, "tags", "tags");
	for (size_t i = 0; i < x->n_tags; i++)
		put_count(out, json, &first, span_make(x->tags[i].name, x->tags[i].len),
		          x->tags[i].lines);
	if (x->other_tags > 0)
		put_count(out, json, &first, span_str("(others)"), x->other_tags);
	put_end(out, json);
	first = 1;
	put_section(out, json, "kinds", "ESA line kinds");
	for (int k = 0; k < ESA_KIND_COUNT; k++)
		if (ec->by_kind[k] > 0)
			put_count(out, json, &first, span_str(esa_kind_name(k)), ec->by_kind[k]);
	put_end(out, json);
	first = 1;
	put_section(out, json, "verdicts", "connections by verdict");
	for (int v = 0; v < VERDICT_KIND_COUNT; v++)
		put_count(out, json, &first, span_str(verdict_kind_name(v)), x->verdicts[v]);
	put_end(out, json);
}

static void explain_examples(const struct explain *x, FILE *out, int json)
{
	fputs(json ? ",\"examples\":[" : "not recognised (examples):\n", out);
	for (size_t i = 0; i < x->n_ex; i++) {
		const struct explain_example *e = &x->ex[i];
		if (json) {
			fprintf(out, "%s{\"line\":", i ? "," : "");
			put_quoted(out, span_make(e->line, e->len));
			fprintf(out, ",\"shape\":\"%s\",\"cause\":\"%s\",\"reason\":",
			        syslog_format_name(e->format), diag_cause_name(e->cause));
			put_quoted(out, span_str(diag_cause_text(e->cause)));
			fputs("}", out);
		} else {
			fprintf(out, "  [%s, %s] ", syslog_format_name(e->format),
			        diag_cause_name(e->cause));
			put_quoted(out, span_make(e->line, e->len));
			fprintf(out, "\n      %s\n", diag_cause_text(e->cause));
		}
	}
	fputs(json ? "]" : "", out);
}

static void explain_report(const struct explain *x, const char *name, int json, FILE *out)
{
	const struct engine_counters *ec = engine_counters(x->eng);
	uint64_t recognised = explain_recognised(ec);
	if (json) {
		fputs("{\"input\":", out);
		put_quoted(out, span_str(name));
		fprintf(out,
		        ",\"lines\":%" PRIu64 ",\"recognised\":%" PRIu64
		        ",\"unclassified\":%" PRIu64 ",\"continuations\":%" PRIu64
		        ",\"truncated\":%" PRIu64,
		        ec->messages, recognised, ec->by_kind[ESA_UNCLASSIFIED], ec->continuations,
		        x->frames.truncated);
	} else {
		fprintf(out,
		        "%s: %" PRIu64 " lines: %" PRIu64 " recognised as ESA mail_logs, %" PRIu64
		        " unclassified, %" PRIu64 " continuation fragments\n",
		        name, ec->messages, recognised, ec->by_kind[ESA_UNCLASSIFIED],
		        ec->continuations);
	}
	explain_counts(x, out, json);
	explain_examples(x, out, json);
	if (json)
		fputs("}\n", out);
	else if (recognised == 0)
		fputs("no ESA mail_logs line recognised: see \"Troubleshooting: nothing comes "
		      "out\" in "
		      "the README\n",
		      out);
}

int explain_fd(int fd, const char *name, int json, FILE *out)
{
	struct explain *x = calloc(1, sizeof(*x));
	struct engine_config cfg;
	int status = 2;
	engine_config_defaults(&cfg);
	if (x == NULL || (x->eng = engine_new(&cfg, explain_verdict_cb, x, time(NULL))) == NULL) {
		log_warnx("out of memory");
		free(x);
		return 2;
	}
	if (explain_read(x, fd, name) == 0) {
		engine_flush(x->eng, VERDICT_END_EOF);
		explain_report(x, name, json, out);
		status = explain_recognised(engine_counters(x->eng)) > 0 ? 0 : 1;
	}
	engine_free(x->eng);
	free(x);
	return status;
}

int explain_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(c == 'h' ? stdout : stderr,
			        "usage: esatlsd explain [--json] FILE|-\n");
			return c == 'h' ? 0 : 2;
		}
		json = 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: esatlsd explain [--json] FILE|-\n");
		return 2;
	}
	const char *path = argv[optind];
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return 2;
	}
	return explain_fd(fd, strcmp(path, "-") == 0 ? "standard input" : path, json, stdout);
}
