#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "replay.h"
#include "verdict.h"

#define REPLAY_READ_SIZE (1u << 20)

/* The output's stdio buffer. setvbuf with a NULL buffer only sets the mode (glibc then takes
 * the file's block size, 4 KiB for /dev/null or a pipe): the size takes a buffer of that size.
 * Static, because standard output keeps it after replay_run returns. */
static char replay_out_buf[1 << 16];

struct replay_output {
	FILE *fp;
	const char *name;
	char line[VERDICT_LINE_MAX];
	unsigned long long records;
	unsigned types;
	int failed;
};

static void replay_write(struct replay_output *out, size_t len)
{
	if (len == 0 || out->failed)
		return;
	if (fwrite(out->line, 1, len, out->fp) != len) {
		log_warn("%s: write failed", out->name);
		out->failed = 1;
		return;
	}
	out->records++;
}

static void replay_record_cb(const struct verdict *v, void *arg)
{
	struct replay_output *out = arg;
	/* Early alerts are for hooks, which replay does not run. */
	if ((v->purpose & VERDICT_FOR_FILES) && (out->types & (1u << RECORD_CONNECTION)))
		replay_write(out, verdict_encode(v, out->line, sizeof(out->line)));
}

static void replay_message_cb(const struct message_record *m, void *arg)
{
	struct replay_output *out = arg;
	replay_write(out, message_record_encode(m, out->line, sizeof(out->line)));
}

_Static_assert(DOWNGRADE_RECORD_MAX <= VERDICT_LINE_MAX, "a downgrade record fits the line");

static void replay_downgrade_cb(const struct downgrade_record *g, void *arg)
{
	struct replay_output *out = arg;
	replay_write(out, downgrade_record_encode(g, out->line, sizeof(out->line)));
}

/* Message records and the posture table when the output takes their records; 0, or -1 if
 * memory ran out. */
static int replay_enable_records(struct engine *eng, struct replay_output *out)
{
	if ((out->types & (1u << RECORD_MESSAGE)) &&
	    engine_enable_messages(eng, replay_message_cb, out) != 0)
		return -1;
	if ((out->types & (1u << RECORD_DOWNGRADE)) &&
	    engine_enable_posture(eng, replay_downgrade_cb, out) != 0)
		return -1;
	return 0;
}

/* Feeds every line of fd to the engine until its end. Returns 0, or -1 on a read error
 * (reported; the lines before it were fed, the unterminated rest is dropped). */
static int replay_stream(struct engine *eng, int fd, const char *name, struct span host,
                         struct frame_stream *fs)
{
	struct frame_result res;

	for (;;) {
		char *space = frame_stream_space(fs);
		ssize_t n = read(fd, space, frame_stream_room(fs));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read failed", name);
			return -1;
		}
		if (n == 0)
			break;
		frame_stream_wrote(fs, (size_t)n);
		while (frame_stream_next(fs, &res))
			engine_feed(eng, res.msg.p, res.msg.len, host, ENGINE_LOG_CLOCK);
	}
	if (frame_stream_finish(fs, &res))
		engine_feed(eng, res.msg.p, res.msg.len, host, ENGINE_LOG_CLOCK);
	return 0;
}

/* Reads one input to its end through a stream of its own, adding its frame counts to *total.
 * Returns 0, or -1 on a read error or when out of memory (reported). */
static int replay_input(struct engine *eng, int fd, const struct replay_input *in,
                        size_t max_message, struct frame_counts *total)
{
	struct frame_stream fs;
	const char *name = strcmp(in->path, "-") == 0 ? "standard input" : in->path;
	const char *host = in->host ? in->host : "";
	int status;

	if (frame_stream_init(&fs, FRAME_MODE_LF_ONLY, max_message, REPLAY_READ_SIZE) != 0) {
		log_warnx("out of memory");
		return -1;
	}
	status = replay_stream(eng, fd, name, span_make(host, strlen(host)), &fs);
	struct frame_counts n = frame_stream_take_counts(&fs);
	total->truncated += n.truncated;
	total->oversized += n.oversized;
	frame_stream_free(&fs);
	return status;
}

static int replay_open_input(const char *path)
{
	struct stat sb;
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		log_warnx("cannot replay %s: it is a directory", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens every input before reading any, so a wrong name costs nothing but the message. */
static int replay_open_inputs(const struct replay_options *opt, int *fds)
{
	for (size_t i = 0; i < opt->n_inputs; i++) {
		fds[i] = replay_open_input(opt->inputs[i].path);
		if (fds[i] < 0) {
			while (i-- > 0)
				if (fds[i] != STDIN_FILENO)
					close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static void replay_summary(const struct engine *eng, const struct replay_output *out,
                           const struct frame_counts *frames)
{
	const struct engine_counters *ec = engine_counters(eng);
	const struct track_counters *tc = engine_track_counters(eng);
	log_debug(
	    "lines %llu, unclassified %llu, truncated %llu, records %llu "
	    "(tls %llu, tls_failed %llu, no_tls %llu, unknown %llu), late lines %llu",
	    (unsigned long long)ec->messages, (unsigned long long)ec->by_kind[ESA_UNCLASSIFIED],
	    (unsigned long long)frames->truncated, out->records,
	    (unsigned long long)tc->verdicts[VERDICT_TLS],
	    (unsigned long long)tc->verdicts[VERDICT_TLS_FAILED],
	    (unsigned long long)tc->verdicts[VERDICT_NO_TLS],
	    (unsigned long long)tc->verdicts[VERDICT_UNKNOWN], (unsigned long long)tc->late_lines);
	if (frames->truncated > 0)
		log_warnx("%llu lines longer than %s bytes were truncated",
		          (unsigned long long)frames->truncated, "max_message_size");
}

int replay_run(const struct replay_options *opt)
{
	int status = 0;
	int *fds = calloc(opt->n_inputs ? opt->n_inputs : 1, sizeof(*fds));
	struct replay_output *out = calloc(1, sizeof(*out));
	struct frame_counts frames = {0};
	struct engine *eng = NULL;

	if (fds == NULL || out == NULL) {
		log_warnx("out of memory");
		status = 1;
		goto done;
	}
	if (replay_open_inputs(opt, fds) != 0) {
		status = 2;
		goto done;
	}
	if (opt->output == NULL || strcmp(opt->output, "-") == 0) {
		out->fp = stdout;
		out->name = "standard output";
	} else {
		out->fp = fopen(opt->output, "we");
		out->name = opt->output;
		if (out->fp == NULL) {
			log_warn("cannot open %s", opt->output);
			status = 2;
			goto close_inputs;
		}
	}
	setvbuf(out->fp, replay_out_buf, _IOFBF, sizeof(replay_out_buf));

	out->types = opt->types ? opt->types : 1u << RECORD_CONNECTION;
	eng = engine_new(&opt->engine, replay_record_cb, out, (int64_t)time(NULL));
	if (eng != NULL && replay_enable_records(eng, out) != 0) {
		engine_free(eng);
		eng = NULL;
	}
	if (eng == NULL) {
		log_warnx("out of memory");
		status = 1;
		goto close_output;
	}
	for (size_t i = 0; i < opt->n_inputs && !out->failed; i++)
		if (replay_input(eng, fds[i], &opt->inputs[i], opt->max_message, &frames) != 0)
			status = 1;
	engine_flush(eng, VERDICT_END_EOF);
	replay_summary(eng, out, &frames);
	if (out->failed)
		status = 1;

close_output:
	if (fflush(out->fp) != 0 || ferror(out->fp)) {
		if (!out->failed)
			log_warn("%s: write failed", out->name);
		status = 1;
	}
	if (out->fp != stdout && fclose(out->fp) != 0) {
		log_warn("%s: close failed", out->name);
		status = 1;
	}
close_inputs:
	for (size_t i = 0; i < opt->n_inputs; i++)
		if (fds[i] != STDIN_FILENO)
			close(fds[i]);
done:
	engine_free(eng);
	free(out);
	free(fds);
	return status;
}
