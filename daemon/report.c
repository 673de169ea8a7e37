/* esatlsd report [--by domain|ip|appliance] [--since WHEN] [--json] FILE|-...
 * Reads verdict files (JSON Lines, plain or gzip), counts the connection records per direction
 * and peer (lib/tally.c) and prints a table, one JSON document with --json, and with --html OUT
 * also writes a self-contained HTML page (a bar per peer, a timeline of failures). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gzlines.h"
#include "log.h"
#include "logtime.h"
#include "report.h"
#include "tally.h"
#include "units.h"

#define REPORT_LINE_MAX (1u << 20) /* longer lines are cut, then refused as malformed */
#define USAGE                                                                                      \
	"usage: esatlsd report [--by domain|ip|appliance] [--since WHEN] [--json] [--html OUT] "   \
	"FILE|-...\n"

static void report_line_cb(void *arg, const char *line, size_t len)
{
	if (len > 0)
		tally_add(arg, line, len);
}

/* WHEN: an ISO 8601 date or time prefix ("2026-12-01", "2026-12-01T08:00"), or a duration
 * before now ("7d", "24h"), which becomes the UTC time it names. */
static int parse_since(const char *when, char *iso, size_t cap)
{
	uint64_t ms;
	if (when[0] >= '0' && when[0] <= '9' && strlen(when) >= 4 && when[4] == '-') {
		if (strlen(when) >= cap)
			return -1;
		memcpy(iso, when, strlen(when) + 1);
		return 0;
	}
	if (units_parse_duration_ms(span_make(when, strlen(when)), &ms) != 0)
		return -1;
	struct logtime t = {(int64_t)time(NULL) - (int64_t)(ms / 1000), LOGTIME_NO_OFFSET, 1};
	if (cap < 32)
		return -1;
	logtime_format_iso(&t, iso);
	return 0;
}

static double pct(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

static const char *dir_name(enum esa_dir dir)
{
	return dir == ESA_DIR_OUT ? "outbound" : "inbound";
}

static void print_table(const struct tally *t, FILE *out)
{
	fprintf(out, "%-8s  %-40s %11s %6s %7s %6s %8s  %-25s  %s\n", "dir", "peer", "connections",
	        "%tls", "%failed", "%plain", "%unknown", "last seen", "top failure reasons");
	for (size_t i = 0; i < tally_rows(t); i++) {
		const struct tally_row *r = tally_row(t, i);
		const struct tally_reason *top[TALLY_REASONS];
		size_t n = tally_top_reasons(r, top);
		fprintf(out, "%-8s  %-40s %11" PRIu64 " %6.1f %7.1f %6.1f %8.1f  %-25s  ",
		        dir_name(r->dir), r->peer, r->total,
		        pct(r->by_verdict[VERDICT_TLS], r->total),
		        pct(r->by_verdict[VERDICT_TLS_FAILED], r->total),
		        pct(r->by_verdict[VERDICT_NO_TLS], r->total),
		        pct(r->by_verdict[VERDICT_UNKNOWN], r->total),
		        r->last_seen[0] ? r->last_seen : "-");
		for (size_t k = 0; k < n; k++)
			fprintf(out, "%s%s (%" PRIu64 ")", k ? "; " : "", top[k]->text,
			        top[k]->count);
		fputc('\n', out);
	}
}

static void put_json_string(FILE *out, const char *s)
{
	char buf[6 * TALLY_TEXT_MAX + 3]; /* a control byte becomes \u00XX; and the quotes */
	size_t n = verdict_json_string(span_make(s, strlen(s)), buf, sizeof(buf));
	fwrite(buf, 1, n, out);
}

static void print_json(const struct tally *t, enum tally_by by, const char *since, FILE *out)
{
	const struct tally_counts *c = tally_counts(t);
	fprintf(out, "{\"by\":\"%s\",\"since\":", tally_by_name(by));
	if (since != NULL)
		put_json_string(out, since);
	else
		fputs("null", out);
	fprintf(out,
	        ",\"lines\":%" PRIu64 ",\"connections\":%" PRIu64 ",\"other_types\":%" PRIu64
	        ",\"too_old\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"peers_dropped\":%" PRIu64
	        ",\"peers\":[",
	        c->lines, c->counted, c->other_type, c->too_old, c->malformed, c->dropped);
	for (size_t i = 0; i < tally_rows(t); i++) {
		const struct tally_row *r = tally_row(t, i);
		const struct tally_reason *top[TALLY_REASONS];
		size_t n = tally_top_reasons(r, top);
		fprintf(out, "%s{\"direction\":\"%s\",\"peer\":", i ? "," : "", dir_name(r->dir));
		put_json_string(out, r->peer);
		fprintf(out, ",\"connections\":%" PRIu64, r->total);
		for (int k = 0; k < VERDICT_KIND_COUNT; k++)
			fprintf(out, ",\"%s\":%" PRIu64, verdict_kind_name((enum verdict_kind)k),
			        r->by_verdict[k]);
		if (r->last_seen[0]) {
			fputs(",\"last_seen\":", out);
			put_json_string(out, r->last_seen);
		}
		fputs(",\"failure_reasons\":[", out);
		for (size_t k = 0; k < n; k++) {
			fputs(k ? ",{\"reason\":" : "{\"reason\":", out);
			put_json_string(out, top[k]->text);
			fprintf(out, ",\"count\":%" PRIu64 "}", top[k]->count);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

/* ---- --html: one self-contained page (inline CSS and SVG, no scripts, no external assets) ---- */

#define HTML_ROWS_MAX 2000 /* peers drawn; the rest are only counted on the page */
#define BAR_WIDTH 200

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* The share of each verdict as one stacked bar. */
static void html_bar(FILE *f, const struct tally_row *r)
{
	static const char *const colour[VERDICT_KIND_COUNT] = {"#2e7d32", "#c62828", "#ef6c00",
	                                                       "#9e9e9e"};
	double x = 0;
	fprintf(f, "<svg width=\"%d\" height=\"12\" role=\"img\">", BAR_WIDTH);
	for (int k = 0; k < VERDICT_KIND_COUNT; k++) {
		double w = BAR_WIDTH * (double)r->by_verdict[k] / (double)r->total;
		if (w <= 0)
			continue;
		fprintf(
		    f,
		    "<rect x=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\"><title>%s %" PRIu64
		    "</title></rect>",
		    x, w, colour[k], verdict_kind_name((enum verdict_kind)k), r->by_verdict[k]);
		x += w;
	}
	fputs("</svg>", f);
}

/* TLS failures per day as bars, each day's connections in its tooltip. */
static void html_timeline(FILE *f, const struct tally *t)
{
	size_t n;
	const struct tally_day *d = tally_days(t, &n);
	uint64_t top = 1;
	for (size_t i = 0; i < n; i++)
		if (d[i].failed > top)
			top = d[i].failed;
	if (n == 0) {
		fputs("<p>No record carries a time.</p>\n", f);
		return;
	}
	double w = n > 400 ? 2.0 : 800.0 / (double)n;
	fprintf(f, "<svg width=\"%.0f\" height=\"130\" role=\"img\">", w * (double)n + 2);
	for (size_t i = 0; i < n; i++) {
		double h = 100.0 * (double)d[i].failed / (double)top;
		fprintf(
		    f,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c62828\">"
		    "<title>%s: %" PRIu64 " failed of %" PRIu64 "</title></rect>",
		    w * (double)i, 110.0 - h, w > 2 ? w - 1 : w, h, d[i].day, d[i].failed,
		    d[i].connections);
	}
	fprintf(f, "<text x=\"0\" y=\"126\" font-size=\"11\">%s</text>", d[0].day);
	fprintf(f, "<text x=\"%.0f\" y=\"126\" font-size=\"11\" text-anchor=\"end\">%s</text>",
	        w * (double)n, d[n - 1].day);
	fprintf(f, "</svg><p>Most failures in a day: %" PRIu64 ".</p>\n", top);
}

static void print_html(const struct tally *t, enum tally_by by, const char *since, FILE *f)
{
	const struct tally_counts *c = tally_counts(t);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>TLS posture</title><style>body{font-family:sans-serif;margin:2em}"
	      "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;"
	      "border-bottom:1px solid #ddd}td.n{text-align:right}</style></head><body>\n",
	      f);
	fprintf(f, "<h1>SMTP TLS posture by %s</h1>\n<p>%" PRIu64 " connections", tally_by_name(by),
	        c->counted);
	if (since != NULL) {
		fputs(" seen since ", f);
		html_text(f, since);
	}
	fputs(". Bars: <span style=\"color:#2e7d32\">tls</span>, "
	      "<span style=\"color:#c62828\">tls_failed</span>, "
	      "<span style=\"color:#ef6c00\">no_tls</span>, "
	      "<span style=\"color:#9e9e9e\">unknown</span>.</p>\n<h2>TLS failures per day</h2>\n",
	      f);
	html_timeline(f, t);
	fputs("<h2>Peers</h2>\n<table><tr><th>direction</th><th>peer</th><th>connections</th>"
	      "<th>verdicts</th><th>% tls</th><th>% failed</th><th>% plain</th><th>last seen</th>"
	      "<th>top failure reasons</th></tr>\n",
	      f);
	for (size_t i = 0; i < tally_rows(t) && i < HTML_ROWS_MAX; i++) {
		const struct tally_row *r = tally_row(t, i);
		const struct tally_reason *top[TALLY_REASONS];
		size_t n = tally_top_reasons(r, top);
		fprintf(f, "<tr><td>%s</td><td>", dir_name(r->dir));
		html_text(f, r->peer);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td>", r->total);
		html_bar(f, r);
		fprintf(f,
		        "</td><td class=\"n\">%.1f</td><td class=\"n\">%.1f</td>"
		        "<td class=\"n\">%.1f</td><td>",
		        pct(r->by_verdict[VERDICT_TLS], r->total),
		        pct(r->by_verdict[VERDICT_TLS_FAILED], r->total),
		        pct(r->by_verdict[VERDICT_NO_TLS], r->total));
		html_text(f, r->last_seen);
		fputs("</td><td>", f);
		for (size_t k = 0; k < n; k++) {
			fputs(k ? "<br>" : "", f);
			html_text(f, top[k]->text);
			fprintf(f, " (%" PRIu64 ")", top[k]->count);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (tally_rows(t) > HTML_ROWS_MAX)
		fprintf(f, "<p>%zu more peers: see <code>esatlsd report --json</code>.</p>\n",
		        tally_rows(t) - HTML_ROWS_MAX);
	fputs("</body></html>\n", f);
}

static int write_html(const struct tally *t, enum tally_by by, const char *since, const char *path)
{
	FILE *f = fopen(path, "we");
	if (f == NULL) {
		log_warn("cannot open %s", path);
		return -1;
	}
	print_html(t, by, since, f);
	if (fflush(f) != 0 || ferror(f)) {
		log_warn("%s: write failed", path);
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int report_file(struct tally *t, const char *path)
{
	int std = strcmp(path, "-") == 0;
	int fd = std ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return -1;
	}
	return gzlines_read(fd, std ? "standard input" : path, REPORT_LINE_MAX, report_line_cb, t,
	                    NULL);
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"by", required_argument, NULL, 'b'}, {"since", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},     {"html", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
	enum tally_by by = TALLY_BY_DOMAIN;
	char since[64];
	int json = 0, has_since = 0, c, status = 0;
	const char *html = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:s:jo:h", opts, NULL)) != -1) {
		if (c == 'o') {
			html = optarg;
			continue;
		}
		if (c == 'b' && tally_by_parse(optarg, &by) == 0)
			continue;
		if (c == 's' && parse_since(optarg, since, sizeof(since)) == 0) {
			has_since = 1;
			continue;
		}
		if (c == 'j') {
			json = 1;
			continue;
		}
		if (c == 'b' || c == 's')
			fprintf(stderr, "esatlsd report: bad --%s \"%s\"\n",
			        c == 'b' ? "by" : "since", optarg);
		fputs(USAGE, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind >= argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	struct tally *t = tally_new(by, has_since ? since : NULL);
	if (t == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	for (int i = optind; i < argc; i++)
		if (report_file(t, argv[i]) != 0)
			status = 1;
	tally_sort(t);
	if (html != NULL && write_html(t, by, has_since ? since : NULL, html) != 0)
		status = 1;
	if (json)
		print_json(t, by, has_since ? since : NULL, stdout);
	else if (html == NULL) /* with --html alone, the page is the output */
		print_table(t, stdout);
	const struct tally_counts *k = tally_counts(t);
	if (k->malformed || k->dropped)
		log_warnx("%" PRIu64 " lines not read as records, %" PRIu64
		          " records of peers past the table's bound",
		          k->malformed, k->dropped);
	tally_free(t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_warn("standard output: write failed");
		status = 1;
	}
	return status;
}
