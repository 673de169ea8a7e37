/* The daemon's self-log: the level filter, the terminal and journal line forms (and the
 * $JOURNAL_STREAM decision against a real fd), one line per call whatever the message holds,
 * fatal's exit, and the rate limiter: bursts, window roll-over, exact summary counts, summaries
 * from the tick and at flush, independent limiters, and a random run where every line is either
 * written or counted in exactly one summary. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "support.h"

/* ---- a stream and a clock the tests own ---- */

static FILE *stream;
static char *stream_buf;
static size_t stream_len, stream_taken;
static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void setup(void)
{
	stream = open_memstream(&stream_buf, &stream_len);
	ck_assert_ptr_nonnull(stream);
	stream_taken = 0;
	unsetenv("JOURNAL_STREAM");
	log_init("esatlsd", 0);
	log_set_stream(stream, 0);
	log_set_clock(fake_clock);
	fake_now = 1000000;
}

static void teardown(void)
{
	log_flush();
	log_set_stream(NULL, 0);
	log_set_clock(NULL);
	fclose(stream);
	free(stream_buf);
	stream_buf = NULL;
}

/* What was written since the last call (the caller frees it). */
static char *taken(void)
{
	fflush(stream);
	char *out = strndup(stream_buf + stream_taken, stream_len - stream_taken);
	ck_assert_ptr_nonnull(out);
	stream_taken = stream_len;
	return out;
}

static void discard(void)
{
	free(taken());
}

#define ck_assert_taken(expected)                                                                  \
	do {                                                                                       \
		char *got_ = taken();                                                              \
		ck_assert_str_eq(got_, expected);                                                  \
		free(got_);                                                                        \
	} while (0)

/* ---- levels and line forms ---- */

START_TEST(test_text_form_per_level)
{
	log_warnx("output %s: %d", "x", 3);
	log_info("ready");
	log_debug("not shown");
	ck_assert_taken("esatlsd: warning: output x: 3\nesatlsd: ready\n");
}
END_TEST

START_TEST(test_verbosity_one_shows_debug)
{
	log_init("esatlsd", 1);
	log_set_stream(stream, 0);
	log_debug("pid %d", 42);
	log_info("i");
	ck_assert_taken("esatlsd: debug: pid 42\nesatlsd: i\n");
	ck_assert(log_enabled(LOG_LEVEL_DEBUG));
	log_init("esatlsd", 3);
	ck_assert(log_enabled(LOG_LEVEL_DEBUG));
}
END_TEST

START_TEST(test_verbosity_minus_one_is_warnings_only)
{
	log_init("esatlsd", -1);
	log_set_stream(stream, 0);
	log_info("hidden");
	log_debug("hidden");
	log_warnx("shown");
	ck_assert_taken("esatlsd: warning: shown\n");
	ck_assert(!log_enabled(LOG_LEVEL_INFO));
	ck_assert(log_enabled(LOG_LEVEL_WARNING));
	ck_assert(log_enabled(LOG_LEVEL_ERROR));
}
END_TEST

START_TEST(test_progname_basename)
{
	log_init("/usr/local/sbin/esatlsd-test", 0);
	log_set_stream(stream, 0);
	log_info("x");
	ck_assert_taken("esatlsd-test: x\n");
}
END_TEST

START_TEST(test_warn_appends_strerror_and_keeps_errno)
{
	errno = ENOENT;
	log_warn("cannot open %s", "/nonexistent");
	ck_assert_int_eq(errno, ENOENT);
	log_warnx("plain");
	ck_assert_int_eq(errno, ENOENT);
	log_info("i");
	log_debug("d");
	ck_assert_int_eq(errno, ENOENT);
	char *got = taken();
	char want[256];
	snprintf(want, sizeof(want),
	         "esatlsd: warning: cannot open /nonexistent: %s\n"
	         "esatlsd: warning: plain\nesatlsd: i\n",
	         strerror(ENOENT));
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

START_TEST(test_journal_form_priorities)
{
	log_init("esatlsd", 1);
	log_set_stream(stream, 1);
	log_warnx("w");
	errno = EACCES;
	log_warn("bind");
	log_info("i");
	log_debug("d");
	char *got = taken();
	char want[256];
	snprintf(want, sizeof(want), "<4>w\n<4>bind: %s\n<6>i\n<7>d\n", strerror(EACCES));
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* Control bytes anywhere in a message (a peer's text, a notify message) stay on one line. */
START_TEST(test_control_bytes_escaped)
{
	log_info("a\nb\rc\x01\x7f\x1b[31m\tz");
	ck_assert_taken("esatlsd: a\\x0ab\\x0dc\\x01\\x7f\\x1b[31m\\x09z\n");
	log_set_stream(stream, 1);
	log_warnx("RELOADING=1\nMONOTONIC_USEC=5");
	ck_assert_taken("<4>RELOADING=1\\x0aMONOTONIC_USEC=5\n");
}
END_TEST

START_TEST(test_utf8_passes_through)
{
	log_info("h\xc3\xa9llo \xe2\x80\xa6");
	ck_assert_taken("esatlsd: h\xc3\xa9llo \xe2\x80\xa6\n");
}
END_TEST

START_TEST(test_long_message_one_line)
{
	static char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	log_info("%s", big);
	char *got = taken();
	ck_assert_uint_eq(count_substr(got, "\n"), 1);
	ck_assert_uint_eq(strlen(got), strlen("esatlsd: ") + 1023 + 1);
	free(got);

	/* Every byte escaped: the line is cut at a whole escape and still ends in LF. */
	memset(big, '\n', sizeof(big) - 1);
	log_warnx("%s", big);
	got = taken();
	size_t len = strlen(got);
	ck_assert_uint_eq(count_substr(got, "\n"), 1);
	ck_assert_int_eq(got[len - 1], '\n');
	size_t body = len - 1 - strlen("esatlsd: warning: ");
	ck_assert_uint_eq(body % 4, 0);
	ck_assert_uint_eq(count_substr(got, "\\x0a"), body / 4);
	ck_assert_uint_ge(body / 4, 1000);
	ck_assert_uint_lt(len, 4096);
	free(got);
}
END_TEST

/* fatal and fatalx exit with status 1 after their line, in both forms. */
static void expect_fatal(int journal, int with_errno, const char *want)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		FILE *fp = fdopen(fds[1], "w");
		if (fp == NULL)
			_exit(99);
		log_set_stream(fp, journal);
		errno = EPERM;
		if (with_errno)
			fatal("setuid %d", 7);
		fatalx("out of %s", "memory");
	}
	close(fds[1]);
	char buf[512];
	size_t have = 0;
	ssize_t n;
	while ((n = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	close(fds[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_str_eq(buf, want);
}

START_TEST(test_fatal_exits_with_its_line)
{
	char want[128];
	snprintf(want, sizeof(want), "esatlsd: fatal: setuid 7: %s\n", strerror(EPERM));
	expect_fatal(0, 1, want);
	expect_fatal(0, 0, "esatlsd: fatal: out of memory\n");
	snprintf(want, sizeof(want), "<3>fatal: setuid 7: %s\n", strerror(EPERM));
	expect_fatal(1, 1, want);
	expect_fatal(1, 0, "<3>fatal: out of memory\n");
}
END_TEST

/* ---- the $JOURNAL_STREAM decision ---- */

static char tmp_path[64];

static int temp_fd(void)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/check_log.XXXXXX");
	int fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	unlink(tmp_path);
	return fd;
}

static void stream_value(char *buf, size_t cap, int fd, long ino_delta)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(buf, cap, "%ju:%jd", (uintmax_t)st.st_dev, (intmax_t)st.st_ino + ino_delta);
}

START_TEST(test_is_journal_matches_dev_and_inode)
{
	int fd = temp_fd();
	char v[64];
	stream_value(v, sizeof(v), fd, 0);
	ck_assert(log_is_journal(v, fd));
	stream_value(v, sizeof(v), fd, 1);
	ck_assert(!log_is_journal(v, fd));
	/* Another file on the same device: same dev, other inode. */
	int other = temp_fd();
	stream_value(v, sizeof(v), other, 0);
	ck_assert(!log_is_journal(v, fd));
	ck_assert(log_is_journal(v, other));
	/* A pipe in place of the journal's socket (a service that redirected stderr). */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	stream_value(v, sizeof(v), fd, 0);
	ck_assert(!log_is_journal(v, p[1]));
	ck_assert(!log_is_journal(v, -1));
	close(p[0]);
	close(p[1]);
	close(other);
	close(fd);
}
END_TEST

START_TEST(test_is_journal_rejects_malformed)
{
	int fd = temp_fd();
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char v[96];
	const char *const shapes[] = {"%ju:%ju ", " %ju:%ju", "+%ju:%ju", "%ju:+%ju",  "%ju::%ju",
	                              "%ju:%ju:", "%ju %ju",  "%ju;%ju",  "%ju:%ju\n", "0x%jx:%ju"};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		snprintf(v, sizeof(v), shapes[i], (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
		ck_assert_msg(!log_is_journal(v, fd), "accepted \"%s\"", v);
	}
	const char *const bad[] = {"",
	                           ":",
	                           "1:",
	                           ":1",
	                           "abc",
	                           "-1:-1",
	                           "99999999999999999999999999:1",
	                           "1:99999999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!log_is_journal(bad[i], fd), "accepted \"%s\"", bad[i]);
	ck_assert(!log_is_journal(NULL, fd));
	close(fd);
}
END_TEST

/* log_init reads $JOURNAL_STREAM and compares it with fd 2: stderr as the named file gets the
 * "<N>" form; the same variable with stderr elsewhere keeps the text form. */
START_TEST(test_init_decides_from_fd2)
{
	int fd = temp_fd();
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	char v[64];
	stream_value(v, sizeof(v), fd, 0);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", v, 1), 0);
	log_set_stream(NULL, 0); /* stderr again; log_init decides the form */
	log_init("esatlsd", 0);
	log_warnx("to the journal");
	stream_value(v, sizeof(v), fd, 1);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", v, 1), 0);
	log_init("esatlsd", 0);
	log_warnx("to a terminal");
	unsetenv("JOURNAL_STREAM");
	log_init("esatlsd", 0);
	log_info("no variable");
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(
	    buf, "<4>to the journal\nesatlsd: warning: to a terminal\nesatlsd: no variable\n");
	close(fd);
}
END_TEST

/* ---- the limiter's decisions ---- */

START_TEST(test_admit_burst_then_hold)
{
	struct log_limit l = {0};
	struct log_limit_summary s;
	for (int i = 0; i < LOG_LIMIT_BURST; i++) {
		ck_assert_int_eq(log_limit_admit(&l, 1000 + (uint64_t)i, &s), 1);
		ck_assert_uint_eq(s.held, 0);
	}
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(log_limit_admit(&l, 2000, &s), 0);
	ck_assert_uint_eq(l.held, 7);
	/* The last millisecond of the window still holds. */
	ck_assert_int_eq(log_limit_admit(&l, 1000 + LOG_LIMIT_WINDOW_MS - 1, &s), 0);
	ck_assert_uint_eq(s.held, 0);
	/* The window ends 60 s after its first line: the next line is written, after a summary
	 * of the 8 held. */
	ck_assert_int_eq(log_limit_admit(&l, 1000 + LOG_LIMIT_WINDOW_MS, &s), 1);
	ck_assert_uint_eq(s.held, 8);
	ck_assert_uint_eq(s.elapsed_ms, LOG_LIMIT_WINDOW_MS);
	ck_assert_uint_eq(l.held, 0);
	ck_assert_uint_eq(l.shown, 1);
	ck_assert_uint_eq(l.start_ms, 1000 + LOG_LIMIT_WINDOW_MS);
}
END_TEST

START_TEST(test_admit_quiet_window_has_no_summary)
{
	struct log_limit l = {0};
	struct log_limit_summary s;
	ck_assert_int_eq(log_limit_admit(&l, 5, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 6, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 5 + LOG_LIMIT_WINDOW_MS * 3, &s), 1);
	ck_assert_uint_eq(s.held, 0);
	ck_assert_uint_eq(l.shown, 1);
}
END_TEST

START_TEST(test_due_only_after_window_with_held_lines)
{
	struct log_limit l = {.burst = 2, .window_ms = 1000};
	struct log_limit_summary s;
	ck_assert_int_eq(log_limit_due(&l, 0, &s), 0); /* never used */
	ck_assert_int_eq(log_limit_admit(&l, 100, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 200, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 300, &s), 0);
	ck_assert_int_eq(log_limit_admit(&l, 1099, &s), 0);
	ck_assert_int_eq(log_limit_due(&l, 1099, &s), 0);
	ck_assert_uint_eq(s.held, 0);
	ck_assert_int_eq(log_limit_due(&l, 1100, &s), 1);
	ck_assert_uint_eq(s.held, 2);
	ck_assert_uint_eq(s.elapsed_ms, 1000);
	/* Closed: nothing due twice, and the next line opens a window with a full burst. */
	ck_assert_int_eq(log_limit_due(&l, 5000, &s), 0);
	ck_assert_int_eq(log_limit_admit(&l, 5000, &s), 1);
	ck_assert_uint_eq(s.held, 0);
	ck_assert_int_eq(log_limit_admit(&l, 5001, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 5002, &s), 0);
}
END_TEST

START_TEST(test_due_closes_quiet_window)
{
	struct log_limit l = {.burst = 3, .window_ms = 10};
	struct log_limit_summary s;
	ck_assert_int_eq(log_limit_admit(&l, 0, &s), 1);
	ck_assert_int_eq(log_limit_due(&l, 10, &s), 0);
	ck_assert_int_eq(l.open, 0);
}
END_TEST

START_TEST(test_clock_backwards_ends_window)
{
	struct log_limit l = {.burst = 1, .window_ms = 1000};
	struct log_limit_summary s;
	ck_assert_int_eq(log_limit_admit(&l, 5000, &s), 1);
	ck_assert_int_eq(log_limit_admit(&l, 5001, &s), 0);
	ck_assert_int_eq(log_limit_admit(&l, 10, &s), 1);
	ck_assert_uint_eq(s.held, 1);
	ck_assert_uint_eq(s.elapsed_ms, 0);
}
END_TEST

START_TEST(test_limiters_independent)
{
	struct log_limit a = {.burst = 1}, b = {.burst = 3};
	struct log_limit_summary s;
	int shown_a = 0, shown_b = 0;
	for (int i = 0; i < 10; i++) {
		shown_a += log_limit_admit(&a, 100, &s);
		shown_b += log_limit_admit(&b, 100, &s);
	}
	ck_assert_int_eq(shown_a, 1);
	ck_assert_int_eq(shown_b, 3);
	ck_assert_uint_eq(a.held, 9);
	ck_assert_uint_eq(b.held, 7);
	ck_assert_int_eq(log_limit_due(&a, 100 + LOG_LIMIT_WINDOW_MS, &s), 1);
	ck_assert_uint_eq(s.held, 9);
	ck_assert_uint_eq(b.held, 7);
}
END_TEST

/* A random run of lines and due checks: per window at most burst lines are written, and every
 * line is written or counted in exactly one summary. */
START_TEST(test_random_run_adds_up)
{
	struct rng r = {.s = 0x5e1f10c};
	for (int round = 0; round < 200; round++) {
		struct log_limit l = {.burst = 1 + rng_below(&r, 6),
		                      .window_ms = 1 + rng_below(&r, 5000)};
		struct log_limit_summary s;
		uint64_t now = rng_next(&r) >> 20, lines = 0, shown = 0, summarised = 0;
		uint64_t window_start = 0, in_window = 0;
		int open = 0;
		for (int i = 0; i < 2000; i++) {
			now += rng_below(&r, 4) == 0 ? rng_below(&r, 3 * l.window_ms)
			                             : rng_below(&r, 3);
			if (rng_below(&r, 5) == 0) {
				if (log_limit_due(&l, now, &s))
					summarised += s.held;
				if (open && now - window_start >= l.window_ms)
					open = 0;
				continue;
			}
			lines++;
			int w = log_limit_admit(&l, now, &s);
			summarised += s.held;
			if (!open || now - window_start >= l.window_ms) {
				open = 1;
				window_start = now;
				in_window = 0;
			}
			require(w == (in_window < l.burst),
			        "round %d line %d: written %d, %" PRIu64 " already in the window",
			        round, i, w, in_window);
			if (w) {
				shown++;
				in_window++;
			}
		}
		summarised += l.held;
		require(lines == shown + summarised,
		        "round %d: %" PRIu64 " lines, %" PRIu64 " shown, %" PRIu64 " summarised",
		        round, lines, shown, summarised);
	}
}
END_TEST

/* ---- limited lines, written ---- */

static void warn_failed(int i)
{
	log_warnx_limited("hook pager: exited with status %d", i);
}

START_TEST(test_limited_burst_then_tick_summary)
{
	for (int i = 1; i <= 12; i++)
		warn_failed(i);
	ck_assert_taken("esatlsd: warning: hook pager: exited with status 1\n"
	                "esatlsd: warning: hook pager: exited with status 2\n"
	                "esatlsd: warning: hook pager: exited with status 3\n"
	                "esatlsd: warning: hook pager: exited with status 4\n"
	                "esatlsd: warning: hook pager: exited with status 5\n");
	fake_now += LOG_LIMIT_WINDOW_MS - 1;
	log_tick();
	ck_assert_taken("");
	fake_now += 1;
	log_tick();
	ck_assert_taken("esatlsd: warning: hook pager: exited with status 6 (7 more like this in "
	                "the last 60 s)\n");
	fake_now += 250;
	log_tick();
	ck_assert_taken("");
	/* The flood is over: the next line opens a fresh window. */
	warn_failed(13);
	ck_assert_taken("esatlsd: warning: hook pager: exited with status 13\n");
}
END_TEST

START_TEST(test_limited_summary_before_next_line)
{
	struct log_limit l = {.burst = 2};
	ck_assert_int_eq(log_limit_warnx(&l, "drop %d", 1), 1);
	ck_assert_int_eq(log_limit_warnx(&l, "drop %d", 2), 1);
	fake_now += 5000;
	ck_assert_int_eq(log_limit_warnx(&l, "drop %d", 3), 0);
	ck_assert_int_eq(log_limit_warnx(&l, "drop %d", 4), 0);
	ck_assert_taken("esatlsd: warning: drop 1\nesatlsd: warning: drop 2\n");
	/* No tick: the next line after the window brings the summary, its length as it was. */
	fake_now += 120000;
	ck_assert_int_eq(log_limit_warnx(&l, "drop %d", 5), 1);
	ck_assert_taken("esatlsd: warning: drop 3 (2 more like this in the last 125 s)\n"
	                "esatlsd: warning: drop 5\n");
	log_tick();
	ck_assert_taken("");
	log_limit_flush(&l);
	ck_assert_taken("");
}
END_TEST

START_TEST(test_limited_flush_at_close)
{
	struct log_limit *l = calloc(1, sizeof(*l));
	ck_assert_ptr_nonnull(l);
	l->burst = 1;
	log_limit_info(l, "hook t: stderr: %s", "first");
	log_limit_info(l, "hook t: stderr: %s", "second");
	log_limit_info(l, "hook t: stderr: %s", "third");
	fake_now += 2600; /* rounded to the nearest second */
	log_limit_flush(l);
	ck_assert_taken("esatlsd: hook t: stderr: first\n"
	                "esatlsd: hook t: stderr: second (2 more like this in the last 3 s)\n");
	free(l); /* unlisted by the flush: the tick must not touch it */
	fake_now += LOG_LIMIT_WINDOW_MS * 2;
	log_tick();
	log_flush();
	ck_assert_taken("");
}
END_TEST

START_TEST(test_limited_flush_soon_says_one_second)
{
	struct log_limit l = {.burst = 1};
	log_limit_warnx(&l, "a");
	log_limit_warnx(&l, "b");
	log_limit_flush(&l);
	ck_assert_taken(
	    "esatlsd: warning: a\nesatlsd: warning: b (1 more like this in the last 1 s)\n");
}
END_TEST

START_TEST(test_limited_tick_only_due_ones)
{
	struct log_limit a = {.burst = 1}, b = {.burst = 1}, c = {.burst = 1};
	log_limit_warnx(&a, "a");
	log_limit_warnx(&a, "a");
	log_limit_warnx(&c, "c"); /* written, nothing held: never summarised */
	fake_now += 30000;
	log_limit_warnx(&b, "b");
	log_limit_warnx(&b, "b");
	log_limit_warnx(&b, "b");
	ck_assert_taken("esatlsd: warning: a\nesatlsd: warning: c\nesatlsd: warning: b\n");
	fake_now += 30000;
	log_tick();
	ck_assert_taken("esatlsd: warning: a (1 more like this in the last 60 s)\n");
	fake_now += 29999;
	log_tick();
	ck_assert_taken("");
	fake_now += 1;
	log_tick();
	ck_assert_taken("esatlsd: warning: b (2 more like this in the last 60 s)\n");
	log_flush();
	ck_assert_taken("");
}
END_TEST

START_TEST(test_log_flush_writes_every_pending)
{
	struct log_limit a = {.burst = 1}, b = {.burst = 1};
	for (int i = 0; i < 4; i++) {
		log_limit_warnx(&a, "a%d", i);
		log_limit_info(&b, "b%d", i);
	}
	discard();
	fake_now += 10000;
	log_flush();
	char *got = taken();
	ck_assert_uint_eq(count_substr(got, "\n"), 2);
	ck_assert_ptr_nonnull(
	    strstr(got, "esatlsd: warning: a1 (3 more like this in the last 10 s)\n"));
	ck_assert_ptr_nonnull(strstr(got, "esatlsd: b1 (3 more like this in the last 10 s)\n"));
	free(got);
	log_tick();
	log_flush();
	ck_assert_taken("");
}
END_TEST

START_TEST(test_limited_warn_keeps_errno_and_strerror)
{
	struct log_limit l = {.burst = 1};
	errno = EMFILE;
	ck_assert_int_eq(log_limit_warn(&l, "tcp %s: accept", "127.0.0.1:514"), 1);
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_int_eq(log_limit_warn(&l, "tcp %s: accept", "127.0.0.1:514"), 0);
	ck_assert_int_eq(errno, EMFILE);
	log_limit_flush(&l);
	ck_assert_int_eq(errno, EMFILE);
	char *got = taken();
	char want[256];
	snprintf(
	    want, sizeof(want),
	    "esatlsd: warning: tcp 127.0.0.1:514: accept: %s\n"
	    "esatlsd: warning: tcp 127.0.0.1:514: accept: %s (1 more like this in the last 1 s)\n",
	    strerror(EMFILE), strerror(EMFILE));
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

START_TEST(test_limited_journal_summary_priority)
{
	log_set_stream(stream, 1);
	struct log_limit w = {.burst = 1}, i = {.burst = 1};
	log_limit_warnx(&w, "w");
	log_limit_warnx(&w, "w");
	log_limit_info(&i, "i");
	log_limit_info(&i, "i");
	fake_now += LOG_LIMIT_WINDOW_MS;
	log_tick();
	char *got = taken();
	ck_assert_uint_eq(count_substr(got, "\n"), 4);
	ck_assert(strncmp(got, "<4>w\n<6>i\n", 10) == 0);
	ck_assert_ptr_nonnull(strstr(got, "<4>w (1 more like this in the last 60 s)\n"));
	ck_assert_ptr_nonnull(strstr(got, "<6>i (1 more like this in the last 60 s)\n"));
	free(got);
}
END_TEST

/* Below the level, a limited line is neither written nor counted. */
START_TEST(test_limited_below_level_not_counted)
{
	log_init("esatlsd", -1);
	log_set_stream(stream, 0);
	struct log_limit l = {.burst = 1};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(log_limit_info(&l, "i"), 0);
	ck_assert_uint_eq(l.held, 0);
	ck_assert_int_eq(l.open, 0);
	log_limit_flush(&l);
	ck_assert_taken("");
}
END_TEST

/* The summary names the first held line, cut short without splitting a UTF-8 character. */
START_TEST(test_limited_summary_text_cut_on_character)
{
	char text[LOG_LIMIT_TEXT + 10];
	memset(text, 'a', LOG_LIMIT_TEXT - 2);
	memcpy(text + LOG_LIMIT_TEXT - 2, "\xc3\xa9zzzz", 7); /* the é straddles the cut */
	struct log_limit l = {.burst = 1};
	log_limit_warnx(&l, "first");
	log_limit_warnx(&l, "%s", text);
	log_limit_warnx(&l, "later, different");
	discard();
	log_limit_flush(&l);
	char *got = taken();
	char want[LOG_LIMIT_TEXT + 100];
	snprintf(want, sizeof(want), "esatlsd: warning: %.*s (2 more like this in the last 1 s)\n",
	         LOG_LIMIT_TEXT - 2, text);
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* Control bytes in a held line are escaped in its summary too. */
START_TEST(test_limited_summary_escaped)
{
	struct log_limit l = {.burst = 1};
	log_limit_warnx(&l, "x");
	log_limit_warnx(&l, "bad\nline");
	log_limit_flush(&l);
	ck_assert_taken("esatlsd: warning: x\n"
	                "esatlsd: warning: bad\\x0aline (1 more like this in the last 1 s)\n");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *t = tcase_create("lines");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_text_form_per_level);
	tcase_add_test(t, test_verbosity_one_shows_debug);
	tcase_add_test(t, test_verbosity_minus_one_is_warnings_only);
	tcase_add_test(t, test_progname_basename);
	tcase_add_test(t, test_warn_appends_strerror_and_keeps_errno);
	tcase_add_test(t, test_journal_form_priorities);
	tcase_add_test(t, test_control_bytes_escaped);
	tcase_add_test(t, test_utf8_passes_through);
	tcase_add_test(t, test_long_message_one_line);
	tcase_add_test(t, test_fatal_exits_with_its_line);
	suite_add_tcase(s, t);

	t = tcase_create("journal");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_is_journal_matches_dev_and_inode);
	tcase_add_test(t, test_is_journal_rejects_malformed);
	tcase_add_test(t, test_init_decides_from_fd2);
	suite_add_tcase(s, t);

	t = tcase_create("limit");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_admit_burst_then_hold);
	tcase_add_test(t, test_admit_quiet_window_has_no_summary);
	tcase_add_test(t, test_due_only_after_window_with_held_lines);
	tcase_add_test(t, test_due_closes_quiet_window);
	tcase_add_test(t, test_clock_backwards_ends_window);
	tcase_add_test(t, test_limiters_independent);
	tcase_add_test(t, test_random_run_adds_up);
	tcase_add_test(t, test_limited_burst_then_tick_summary);
	tcase_add_test(t, test_limited_summary_before_next_line);
	tcase_add_test(t, test_limited_flush_at_close);
	tcase_add_test(t, test_limited_flush_soon_says_one_second);
	tcase_add_test(t, test_limited_tick_only_due_ones);
	tcase_add_test(t, test_log_flush_writes_every_pending);
	tcase_add_test(t, test_limited_warn_keeps_errno_and_strerror);
	tcase_add_test(t, test_limited_journal_summary_priority);
	tcase_add_test(t, test_limited_below_level_not_counted);
	tcase_add_test(t, test_limited_summary_text_cut_on_character);
	tcase_add_test(t, test_limited_summary_escaped);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return suite_failures(log_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
