/* esatlsd report [--by domain|ip|appliance] [--since WHEN] [--json] FILE|-...
 * Reads verdict files (JSON Lines, plain or gzip), counts the connection records per direction
 * and peer (lib/tally.c) and prints a table, or one JSON document with --json. */
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
#define USAGE "usage: esatlsd report [--by domain|ip|appliance] [--since WHEN] [--json] FILE|-...\n"

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
	char buf[4 * TALLY_TEXT_MAX];
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
	static const struct option opts[] = {{"by", required_argument, NULL, 'b'},
	                                     {"since", required_argument, NULL, 's'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	enum tally_by by = TALLY_BY_DOMAIN;
	char since[64];
	int json = 0, has_since = 0, c, status = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:s:jh", opts, NULL)) != -1) {
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
	if (json)
		print_json(t, by, has_since ? since : NULL, stdout);
	else
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
