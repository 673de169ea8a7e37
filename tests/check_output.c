/* Verdict files against real files, pipes, FIFOs, /dev/full and a full tmpfs, driven by a real
 * event base: records arrive whole and in order, the filter holds, a rename plus reopen splits
 * old from new, write errors queue and drop by the bound, and a torn record is completed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "output.h"
#include "support.h"

#define ALL_KINDS ((1u << VERDICT_KIND_COUNT) - 1)

static char dir[64];
static struct event_base *base;

/* ---- helpers ---- */

static void setup(void)
{
	umask(022);
	tmpdir_make(dir, sizeof(dir), "check_output");
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void teardown(void)
{
	char mnt[96];
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	umount2(mnt, MNT_DETACH); /* a test that mounted there and failed midway */
	event_base_free(base);
	tmpdir_remove(dir);
}

static size_t record_size(unsigned seq)
{
	return 40 + (seq * 37) % 300;
}

/* Record seq as exactly size bytes: {"seq":N,"pad":"abc…"} plus "\n". */
static size_t make_record(char *buf, unsigned seq, size_t size)
{
	int n = snprintf(buf, size, "{\"seq\":%u,\"pad\":\"", seq);
	ck_assert(n > 0 && (size_t)n + 3 <= size);
	for (size_t i = (size_t)n; i < size - 3; i++)
		buf[i] = (char)('a' + (seq + i) % 26);
	memcpy(buf + size - 3, "\"}\n", 3);
	return size;
}

struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const char *p, size_t len)
{
	if (t->len + len > t->cap) {
		t->cap = (t->len + len) * 2;
		t->p = realloc(t->p, t->cap);
		ck_assert_ptr_nonnull(t->p);
	}
	memcpy(t->p + t->len, p, len);
	t->len += len;
}

/* Hands records first..first+count-1 (sizes from size_of) to o and to expected. */
static void feed(struct output *o, struct text *expected, unsigned first, unsigned count,
                 size_t (*size_of)(unsigned))
{
	static char line[300 * 1024];
	for (unsigned seq = first; seq < first + count; seq++) {
		size_t len = make_record(line, seq, size_of(seq));
		output_record(o, VERDICT_TLS, line, len);
		if (expected != NULL)
			text_add(expected, line, len);
	}
}

static struct text slurp_text(const char *path)
{
	struct text t = {0};
	t.p = slurp(path, &t.len);
	ck_assert_ptr_nonnull(t.p);
	t.cap = t.len + 1;
	return t;
}

static void assert_same(const struct text *got, const struct text *want)
{
	ck_assert_uint_eq(got->len, want->len);
	ck_assert(got->len == 0 || memcmp(got->p, want->p, got->len) == 0);
}

static void assert_file(const char *path, const struct text *want)
{
	struct text got = slurp_text(path);
	assert_same(&got, want);
	free(got.p);
}

static struct output *open_output(const char *file, unsigned verdicts, uint32_t queue)
{
	struct output_config cfg = {.file = (char *)file, .verdicts = verdicts, .queue = queue};
	struct output *o = output_open(&cfg, base);
	ck_assert_ptr_nonnull(o);
	return o;
}

static int drained(const void *o)
{
	return output_pending(o) == 0;
}

/* Runs the event loop until o holds nothing (or max_ms passed). */
static void run_until_drained(struct output *o, unsigned max_ms)
{
	run_until(base, drained, o, max_ms);
}

static size_t fixed_300(unsigned seq)
{
	(void)seq;
	return 300;
}

/* ---- normal operation ---- */

START_TEST(test_whole_records_in_order)
{
	/* Appends after what the file holds, buffers until a flush, then all of it, in order. */
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "old\n", 4), 4);
	close(fd);
	struct text want = {0};
	text_add(&want, "old\n", 4);

	struct output *o = open_output(path, ALL_KINDS, 10000);
	ck_assert_str_eq(output_name(o), path);
	feed(o, &want, 0, 3, record_size);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_uint_eq(output_pending(o), 3);
	feed(o, &want, 3, 997, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(path, &want);

	const struct output_counters *c = output_counters(o);
	ck_assert_uint_eq(c->records, 1000);
	ck_assert_uint_eq(c->written, 1000);
	ck_assert_uint_eq(c->write_errors, 0);
	ck_assert_uint_eq(c->retries, 0);
	ck_assert_uint_eq(c->dropped, 0);
	ck_assert_uint_eq(output_pending(o), 0);
	output_close(o);
	free(want.p);
}
END_TEST

/* The descriptor this process holds on path, or -1. */
static int fd_of(const char *path)
{
	char link[64], target[256];
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return fd;
	}
	return -1;
}

START_TEST(test_new_file_mode)
{
	/* Created 0640, append-only, close-on-exec; closed by output_close. */
	char path[96];
	path_join(path, sizeof(path), dir, "new.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 10);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert(S_ISREG(st.st_mode));
	int fd = fd_of(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	int fl = fcntl(fd, F_GETFL);
	ck_assert_int_eq(fl & O_ACCMODE, O_WRONLY);
	ck_assert_int_eq(fl & O_APPEND, O_APPEND);
	output_close(o);
	ck_assert_int_eq(fd_of(path), -1);
}
END_TEST

START_TEST(test_flush_timer)
{
	/* A record nobody flushes reaches the file within the safety flush. */
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 10000);
	struct text want = {0};
	feed(o, &want, 7, 1, record_size);
	struct text empty = {0};
	assert_file(path, &empty);
	run_for(base, 400);
	ck_assert_uint_eq(output_pending(o), 0);
	assert_file(path, &want);
	output_close(o);
	free(want.p);
}
END_TEST

START_TEST(test_verdict_filter)
{
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	unsigned verdicts = (1u << VERDICT_TLS_FAILED) | (1u << VERDICT_UNKNOWN);
	struct output *o = open_output(path, verdicts, 100);
	struct text want = {0};
	char line[128];
	for (unsigned i = 0; i < 40; i++) {
		enum verdict_kind kind = (enum verdict_kind)(i % VERDICT_KIND_COUNT);
		int n = snprintf(line, sizeof(line), "{\"n\":%u,\"verdict\":\"%s\"}\n", i,
		                 verdict_kind_name(kind));
		output_record(o, kind, line, (size_t)n);
		if (verdicts & (1u << kind))
			text_add(&want, line, (size_t)n);
	}
	/* Kinds out of range and empty records are not records. */
	output_record(o, VERDICT_KIND_COUNT, "{\"x\":1}\n", 8);
	output_record(o, (enum verdict_kind)31, "{\"x\":2}\n", 8);
	output_record(o, (enum verdict_kind) - 1, "{\"x\":3}\n", 8);
	output_record(o, VERDICT_TLS_FAILED, "", 0);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(path, &want);
	ck_assert_uint_eq(output_counters(o)->records, 20);
	ck_assert_uint_eq(output_counters(o)->written, 20);
	output_close(o);

	/* An empty filter writes nothing. */
	o = open_output(path, 0, 100);
	output_record(o, VERDICT_TLS, "{}\n", 3);
	ck_assert_int_eq(output_flush(o), 0);
	ck_assert_uint_eq(output_counters(o)->records, 0);
	output_close(o);
	assert_file(path, &want);
	free(want.p);
}
END_TEST

static size_t mixed_with_huge(unsigned seq)
{
	if (seq % 5000 == 17)
		return 200 * 1024; /* past the batch: written alone */
	if (seq % 5000 == 18)
		return 64 * 1024; /* exactly one batch */
	return record_size(seq);
}

START_TEST(test_type_filter)
{
	/* Connection records by default; feed records only where `types` asks for them. */
	char path[96], feed_path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	path_join(feed_path, sizeof(feed_path), dir, "f.jsonl");
	struct output *o = open_output(path, 0xf, 100);
	struct output_config fc = {
	    .file = feed_path, .verdicts = 0xf, .types = 1u << RECORD_FEED, .queue = 100};
	struct output *f = output_open(&fc, base);
	ck_assert_ptr_nonnull(f);
	struct output *both[2] = {o, f};
	for (int i = 0; i < 2; i++) {
		output_record(both[i], VERDICT_TLS, "{\"c\":1}\n", 8);
		output_typed(both[i], RECORD_FEED, "{\"f\":1}\n", 8);
		output_typed(both[i], RECORD_TYPE_COUNT, "{\"x\":1}\n", 8);
		ck_assert_int_eq(output_flush(both[i]), 0);
	}
	struct text want_o = {0}, want_f = {0};
	text_add(&want_o, "{\"c\":1}\n", 8);
	text_add(&want_f, "{\"f\":1}\n", 8);
	assert_file(path, &want_o);
	assert_file(feed_path, &want_f);
	free(want_o.p);
	free(want_f.p);
	output_close(o);
	output_close(f);
}
END_TEST

START_TEST(test_bytes_untouched)
{
	/* The output moves bytes, it does not judge them: NUL, invalid UTF-8, quotes, backslashes,
	 * a CR, and a record missing its newline all reach the file as given. */
	static const char rec1[] = "{\"a\":\"\0\xff\xfe\xc3\x28\"}\n";
	static const char rec2[] = "{\"b\":\"\\\"\\\\\r\"}\n";
	static const char rec3[] = "no newline";
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 10);
	struct text want = {0};
	output_record(o, VERDICT_UNKNOWN, rec1, sizeof(rec1) - 1);
	text_add(&want, rec1, sizeof(rec1) - 1);
	output_record(o, VERDICT_NO_TLS, rec2, sizeof(rec2) - 1);
	text_add(&want, rec2, sizeof(rec2) - 1);
	output_record(o, VERDICT_TLS, rec3, sizeof(rec3) - 1);
	text_add(&want, rec3, sizeof(rec3) - 1);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(path, &want);
	ck_assert_uint_eq(want.len, 14 + 14 + 10);
	ck_assert_uint_eq(output_counters(o)->written, 3);
	output_close(o);
	free(want.p);
}
END_TEST

START_TEST(test_many_records_small_queue)
{
	/* A queue of 1 or 3 records forces a write every few records; records longer than a
	 * batch go out alone; nothing is lost or reordered. */
	static const uint32_t queues[] = {1, 3, 10000};
	for (size_t q = 0; q < sizeof(queues) / sizeof(queues[0]); q++) {
		char path[96];
		char name[32];
		snprintf(name, sizeof(name), "q%u.jsonl", queues[q]);
		path_join(path, sizeof(path), dir, name);
		struct output *o = open_output(path, ALL_KINDS, queues[q]);
		struct text want = {0};
		for (unsigned first = 0; first < 20000; first += 1000) {
			feed(o, &want, first, 1000, mixed_with_huge);
			ck_assert_uint_le(output_pending(o), queues[q]);
			if (first % 3000 == 0)
				ck_assert_int_eq(output_flush(o), 0);
		}
		ck_assert_int_eq(output_flush(o), 0);
		assert_file(path, &want);
		const struct output_counters *c = output_counters(o);
		ck_assert_uint_eq(c->records, 20000);
		ck_assert_uint_eq(c->written, 20000);
		ck_assert_uint_eq(c->dropped, 0);
		ck_assert_uint_eq(c->write_errors, 0);
		output_close(o);
		free(want.p);
	}
}
END_TEST

START_TEST(test_oversized_record_dropped)
{
	/* A record past the queue's byte bound (queue 0: 1 MiB) cannot be held: dropped, counted,
	 * logged; the records around it are written. */
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 0);
	struct text want = {0};
	size_t big = 1024 * 1024 + 1;
	char *line = malloc(big);
	ck_assert_ptr_nonnull(line);
	memset(line, 'x', big - 1);
	line[big - 1] = '\n';
	capture_log(dir);
	feed(o, &want, 0, 1, record_size);
	output_record(o, VERDICT_TLS, line, big);
	feed(o, &want, 1, 2, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	char *log = captured_log();
	assert_file(path, &want);
	ck_assert_uint_eq(output_counters(o)->records, 4);
	ck_assert_uint_eq(output_counters(o)->written, 3);
	ck_assert_uint_eq(output_counters(o)->dropped, 1);
	ck_assert_uint_eq(count_substr(log, "\n"), 1);
	ck_assert_ptr_nonnull(strstr(log, ": 1 records dropped since last report"));

	/* Exactly the byte bound still fits. */
	memset(line, 'y', 1024 * 1024 - 1);
	line[1024 * 1024 - 1] = '\n';
	output_record(o, VERDICT_TLS, line, 1024 * 1024);
	ck_assert_int_eq(output_flush(o), 0);
	ck_assert_uint_eq(output_counters(o)->written, 4);
	output_close(o);
	free(log);
	free(line);
	free(want.p);
}
END_TEST

static void append_records(const char *path, struct event_base *b, unsigned first, unsigned count)
{
	struct output_config cfg = {.file = (char *)path, .verdicts = ALL_KINDS, .queue = 10000};
	struct output *o = output_open(&cfg, b);
	ck_assert_ptr_nonnull(o);
	for (unsigned seq = first; seq < first + count; seq += 100) {
		feed(o, NULL, seq, 100, record_size);
		ck_assert_int_eq(output_flush(o), 0);
	}
	output_close(o);
}

START_TEST(test_concurrent_appenders)
{
	/* Two processes append to one file, each through its own output: every line is a whole
	 * record, and each writer's records keep their order. */
	char path[96];
	path_join(path, sizeof(path), dir, "shared.jsonl");
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct event_base *own = event_base_new();
		append_records(path, own, 1000000, 30000);
		event_base_free(own);
		_exit(0);
	}
	append_records(path, base, 0, 30000);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	struct text got = slurp_text(path);
	unsigned next[2] = {0, 1000000};
	char line[400];
	size_t off = 0;
	while (off < got.len) {
		ck_assert_uint_le(off + 8, got.len);
		ck_assert_int_eq(memcmp(got.p + off, "{\"seq\":", 7), 0);
		unsigned seq = 0;
		for (size_t i = off + 7; i < got.len && got.p[i] >= '0' && got.p[i] <= '9'; i++)
			seq = seq * 10 + (unsigned)(got.p[i] - '0');
		unsigned *expect = &next[seq >= 1000000];
		ck_assert_uint_eq(seq, *expect);
		size_t len = make_record(line, seq, record_size(seq));
		ck_assert_uint_le(off + len, got.len);
		ck_assert_int_eq(memcmp(got.p + off, line, len), 0);
		(*expect)++;
		off += len;
	}
	ck_assert_uint_eq(next[0], 30000);
	ck_assert_uint_eq(next[1], 1030000);
	free(got.p);
}
END_TEST

START_TEST(test_close_writes_pending)
{
	/* Records never flushed are written by the close. */
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 10000);
	struct text want = {0};
	feed(o, &want, 0, 100, record_size);
	ck_assert_uint_eq(output_pending(o), 100);
	output_close(o);
	assert_file(path, &want);
	free(want.p);
}
END_TEST

START_TEST(test_open_failure)
{
	capture_log(dir);
	struct output_config cfg = {.file = "/nonexistent-dir/v.jsonl", .verdicts = ALL_KINDS};
	ck_assert_ptr_null(output_open(&cfg, base));
	cfg.file = "";
	ck_assert_ptr_null(output_open(&cfg, base));
	cfg.file = NULL;
	ck_assert_ptr_null(output_open(&cfg, base));
	char *log = captured_log();
	ck_assert_ptr_nonnull(
	    strstr(log, "cannot open /nonexistent-dir/v.jsonl: No such file or directory\n"));
	ck_assert_uint_eq(count_substr(log, "\n"), 3);
	free(log);
}
END_TEST

/* Still root (no `user:`), an output path that is a symlink is not followed: whoever can
 * write to the directory could otherwise aim root's appends at any file. */
START_TEST(test_symlink_refused_as_root)
{
	if (geteuid() != 0)
		return; /* the rule is root's; as another user the link is followed */
	char target[96], link_path[96];
	path_join(target, sizeof(target), dir, "target");
	path_join(link_path, sizeof(link_path), dir, "v.jsonl");
	write_whole_file(target, "keep\n", 5);
	ck_assert_int_eq(symlink(target, link_path), 0);
	capture_log(dir);
	struct output_config cfg = {.file = link_path, .verdicts = ALL_KINDS, .queue = 10};
	ck_assert_ptr_null(output_open(&cfg, base));
	char *log = captured_log();
	ck_assert_ptr_nonnull(strstr(log, "error: "));
	ck_assert_ptr_nonnull(strstr(log, "v.jsonl is a symbolic link: running as root"));
	free(log);
	struct text want = {.p = "keep\n", .len = 5};
	assert_file(target, &want);
}
END_TEST

/* A file removed while open is found and made again, its directory too; records written after
 * that land in the new file. */
START_TEST(test_removed_file_is_made_again)
{
	char sub[96], path[96];
	path_join(sub, sizeof(sub), dir, "sub");
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	path_join(path, sizeof(path), sub, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 100);
	feed(o, NULL, 0, 3, fixed_300);
	ck_assert_int_eq(output_flush(o), 0);
	ck_assert_int_eq(output_check(o), 0); /* nothing removed: nothing done */
	ck_assert_uint_eq(output_counters(o)->reopens, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	capture_log(dir);
	ck_assert_int_eq(output_check(o), 0);
	char *log = captured_log();
	ck_assert_ptr_nonnull(strstr(log, "made its directory"));
	ck_assert_ptr_nonnull(strstr(log, "v.jsonl was removed; writing to a new one"));
	free(log);
	struct text fresh = {0};
	feed(o, &fresh, 3, 4, fixed_300);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(path, &fresh);
	ck_assert_uint_eq(output_counters(o)->reopens, 1);
	ck_assert_uint_eq(output_counters(o)->unlinked, 0);
	output_close(o);
	free(fresh.p);
}
END_TEST

/* When the file cannot be made again, that is said once at error level and counted once, and
 * the next check after the directory is back recovers. */
START_TEST(test_removed_file_that_cannot_be_made)
{
	char sub[96], deep[96], path[96];
	path_join(sub, sizeof(sub), dir, "sub");
	path_join(deep, sizeof(deep), sub, "deep");
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	ck_assert_int_eq(mkdir(deep, 0750), 0);
	path_join(path, sizeof(path), deep, "v.jsonl");
	struct output *o = open_output(path, ALL_KINDS, 100);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(deep), 0);
	ck_assert_int_eq(rmdir(sub), 0); /* one level is made again, not two */
	capture_log(dir);
	ck_assert_int_eq(output_check(o), -1);
	ck_assert_int_eq(output_check(o), -1);
	char *log = captured_log();
	ck_assert_uint_eq(count_substr(log, "error: "), 1);
	ck_assert_ptr_nonnull(strstr(log, "was removed and cannot be made again"));
	free(log);
	ck_assert_uint_eq(output_counters(o)->unlinked, 1);
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	capture_log(dir);
	ck_assert_int_eq(output_check(o), 0);
	free(captured_log());
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	output_close(o);
}
END_TEST

/* ---- reopen ---- */

START_TEST(test_reopen_after_rename)
{
	/* logrotate renames the file and sends HUP: the old file keeps the old records, the new
	 * file gets the new ones, including those still buffered at the reopen. */
	char path[96], rotated[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	path_join(rotated, sizeof(rotated), dir, "v.jsonl.1");
	struct output *o = open_output(path, ALL_KINDS, 10000);
	struct text old = {0}, fresh = {0};
	feed(o, &old, 0, 30, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	ck_assert_int_eq(rename(path, rotated), 0);
	feed(o, &fresh, 30, 5, record_size);
	ck_assert_int_eq(output_reopen(o), 0);
	feed(o, &fresh, 35, 5, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(rotated, &old);
	assert_file(path, &fresh);
	ck_assert_uint_eq(output_counters(o)->reopens, 1);
	ck_assert_uint_eq(output_counters(o)->written, 40);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	output_close(o);
	free(old.p);
	free(fresh.p);
}
END_TEST

START_TEST(test_reopen_failure_keeps_old)
{
	char sub[96], path[96], moved[96], moved_file[96];
	path_join(sub, sizeof(sub), dir, "sub");
	path_join(path, sizeof(path), dir, "sub/v.jsonl");
	path_join(moved, sizeof(moved), dir, "sub2");
	path_join(moved_file, sizeof(moved_file), dir, "sub2/v.jsonl");
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	struct output *o = open_output(path, ALL_KINDS, 10000);
	struct text want = {0};
	feed(o, &want, 0, 2, record_size);
	ck_assert_int_eq(rename(sub, moved), 0);
	capture_log(dir);
	ck_assert_int_eq(output_reopen(o), -1);
	char *log = captured_log();
	ck_assert_ptr_nonnull(strstr(log, "cannot reopen "));
	ck_assert_ptr_nonnull(strstr(log, "sub/v.jsonl: No such file or directory\n"));
	feed(o, &want, 2, 3, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(moved_file, &want);
	ck_assert_uint_eq(output_counters(o)->reopens, 0);
	output_close(o);
	free(log);
	free(want.p);
}
END_TEST

START_TEST(test_stdout)
{
	/* "-" writes to fd 1 itself: reopen does nothing and close leaves it open. */
	char path[96];
	path_join(path, sizeof(path), dir, "stdout.jsonl");
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);

	struct output *o = open_output("-", ALL_KINDS, 100);
	ck_assert_str_eq(output_name(o), "-");
	struct text want = {0};
	feed(o, &want, 0, 50, record_size);
	ck_assert_int_eq(output_reopen(o), 0);
	ck_assert_uint_eq(output_counters(o)->reopens, 0);
	feed(o, &want, 50, 50, record_size);
	output_close(o);
	ck_assert_int_ne(fcntl(STDOUT_FILENO, F_GETFD), -1);
	ck_assert_int_eq(write(STDOUT_FILENO, "end\n", 4), 4);
	text_add(&want, "end\n", 4);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_file(path, &want);
	free(want.p);
}
END_TEST

/* ---- write errors ---- */

START_TEST(test_dev_full_queue_and_drop)
{
	/* ENOSPC on every write: the queue keeps the oldest records up to its bound, newer ones
	 * are dropped and counted, retries come from the timer, one log line, no crash. */
	capture_log(dir);
	struct output *o = open_output("/dev/full", ALL_KINDS, 4);
	feed(o, NULL, 0, 10, record_size);
	const struct output_counters *c = output_counters(o);
	ck_assert_uint_eq(c->records, 10);
	ck_assert_uint_eq(c->written, 0);
	ck_assert_uint_eq(c->write_errors, 1);
	ck_assert_uint_eq(c->dropped, 6);
	ck_assert_uint_eq(output_pending(o), 4);
	/* A flush right after the failure waits for the retry. */
	ck_assert_int_eq(output_flush(o), -1);
	ck_assert_uint_eq(c->write_errors, 1);
	ck_assert_uint_eq(c->retries, 0);

	run_for(base, 1150);
	ck_assert_uint_eq(c->retries, 1);
	ck_assert_uint_eq(c->write_errors, 2);
	ck_assert_uint_eq(output_pending(o), 4);

	/* A flush once the last attempt is old enough tries again (shutdown drains this way). */
	usleep(250 * 1000);
	ck_assert_int_eq(output_flush(o), -1);
	ck_assert_uint_eq(c->retries, 2);
	ck_assert_uint_eq(c->write_errors, 3);

	feed(o, NULL, 10, 5, record_size);
	ck_assert_uint_eq(c->dropped, 11);
	ck_assert_uint_eq(c->records, 15);
	ck_assert_uint_eq(output_pending(o), 4);
	output_close(o);
	char *log = captured_log();
	ck_assert_uint_eq(count_substr(log, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(log,
	                             "warning: /dev/full: write failed: No space left on "
	                             "device; 4 records queued, 0 dropped since last report\n"));
	ck_assert_ptr_nonnull(strstr(log, "/dev/full: 4 records not written at close\n"));
	free(log);
}
END_TEST

START_TEST(test_byte_bound)
{
	/* 4000-byte records: the first write fails with 16 of them buffered (a 17th would overfill
	 * the 64 KiB batch); the byte bound (1000 * 1 KiB + 1 MiB) binds before the 1000-record
	 * bound. */
	struct output *o = open_output("/dev/full", ALL_KINDS, 1000);
	capture_log(dir);
	size_t cap = 1000 * 1024 + 1024 * 1024;
	unsigned fit = (unsigned)(cap / 4000);
	static char line[4000];
	for (unsigned seq = 0; seq < 600; seq++)
		output_record(o, VERDICT_NO_TLS, line, make_record(line, seq, sizeof(line)));
	ck_assert_uint_eq(output_pending(o), fit);
	ck_assert_uint_eq(output_counters(o)->dropped, 600 - fit);
	ck_assert_uint_eq(output_counters(o)->write_errors, 1);
	output_close(o);
	char *log = captured_log();
	ck_assert_uint_eq(count_substr(log, "\n"), 2);
	ck_assert_uint_eq(
	    count_substr(log, "write failed: No space left on device; 16 records queued"), 1);
	char closing[64];
	snprintf(closing, sizeof(closing), ": %u records not written at close\n", fit);
	ck_assert_uint_eq(count_substr(log, closing), 1);
	free(log);
}
END_TEST

/* Best effort: in a mount namespace of its own the test's mount goes away with the process. */
static void make_private_mounts(void)
{
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

START_TEST(test_tmpfs_full_then_recovers)
{
	/* A real full file system: records queue (and beyond the bound drop), the filler goes, and
	 * the retry writes every queued record whole, oldest first; one failure line, one
	 * recovery line. */
	char mnt[96], filler[96], path[96];
	path_join(mnt, sizeof(mnt), dir, "mnt");
	path_join(filler, sizeof(filler), dir, "mnt/filler");
	path_join(path, sizeof(path), dir, "mnt/v.jsonl");
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	make_private_mounts();
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
		printf("check_output: skipping the full file system test: cannot mount a tmpfs "
		       "(%s)\n",
		       strerror(errno));
		return;
	}
	int fd = open(filler, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	char block[4096];
	memset(block, '#', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);

	capture_log(dir);
	struct output *o = open_output(path, ALL_KINDS, 10);
	struct text want = {0};
	feed(o, &want, 0, 10, record_size);
	feed(o, NULL, 10, 40, record_size);
	ck_assert_int_eq(output_flush(o), -1);
	const struct output_counters *c = output_counters(o);
	ck_assert_uint_eq(c->write_errors, 1);
	ck_assert_uint_eq(c->dropped, 40);
	ck_assert_uint_eq(output_pending(o), 10);

	ck_assert_int_eq(unlink(filler), 0);
	run_until_drained(o, 3000);
	ck_assert_uint_eq(output_pending(o), 0);
	ck_assert_uint_eq(c->retries, 1);
	ck_assert_uint_eq(c->write_errors, 1);
	ck_assert_uint_eq(c->written, 10);
	ck_assert_uint_eq(c->dropped, 40);
	assert_file(path, &want);

	/* Back to normal: new records follow the recovered ones. */
	feed(o, &want, 50, 20, record_size);
	ck_assert_int_eq(output_flush(o), 0);
	assert_file(path, &want);
	ck_assert_uint_eq(c->records, 70);
	ck_assert_uint_eq(c->written, 30);
	output_close(o);
	char *log = captured_log();
	ck_assert_uint_eq(count_substr(log, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(log, "v.jsonl: write failed: No space left on device; 10 "
	                                  "records queued, 0 dropped since last report\n"));
	ck_assert_ptr_nonnull(strstr(log, "v.jsonl: writing again; 40 records dropped since last "
	                                  "report\n"));
	free(log);
	free(want.p);
	umount2(mnt, MNT_DETACH);
}
END_TEST

/* The file size limit tears a write at a known byte: 33 records of 300 bytes and 100 bytes of
 * the 34th, then EFBIG. */
#define FSIZE_LIMIT 10000

static struct rlimit fsize_before;

static void limit_file_size(rlim_t soft)
{
	struct rlimit rl = fsize_before;
	rl.rlim_cur = soft;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void unlimit_file_size(void)
{
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &fsize_before), 0);
}

static struct output *open_torn(const char *path, struct text *want)
{
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &fsize_before), 0);
	ck_assert(fsize_before.rlim_cur == RLIM_INFINITY || fsize_before.rlim_cur > 1000000);
	limit_file_size(FSIZE_LIMIT);
	struct output *o = open_output(path, ALL_KINDS, 1000);
	feed(o, want, 0, 60, fixed_300);
	ck_assert_int_eq(output_flush(o), -1);
	ck_assert_uint_eq(output_counters(o)->written, FSIZE_LIMIT / 300);
	ck_assert_uint_eq(output_counters(o)->write_errors, 1);
	ck_assert_uint_eq(output_pending(o), 60 - FSIZE_LIMIT / 300);
	struct text got = slurp_text(path);
	ck_assert_uint_eq(got.len, FSIZE_LIMIT);
	ck_assert_int_ne(got.p[got.len - 1], '\n');
	ck_assert_int_eq(memcmp(got.p, want->p, got.len), 0);
	free(got.p);
	return o;
}

START_TEST(test_short_write_completes_torn_record)
{
	/* After a short write the record's tail is first in line: once writes work again it
	 * completes the line, and every record is whole. */
	char path[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	capture_log(dir);
	struct text want = {0};
	struct output *o = open_torn(path, &want);
	unlimit_file_size();
	run_until_drained(o, 3000);
	ck_assert_uint_eq(output_pending(o), 0);
	assert_file(path, &want);
	ck_assert_uint_eq(output_counters(o)->written, 60);
	ck_assert_uint_eq(output_counters(o)->retries, 1);
	output_close(o);
	char *log = captured_log();
	ck_assert_ptr_nonnull(strstr(log, "write failed: File too large; 27 records queued"));
	ck_assert_ptr_nonnull(strstr(log, "v.jsonl: writing again; 0 records dropped"));
	free(log);
	free(want.p);
}
END_TEST

START_TEST(test_reopen_restarts_torn_record)
{
	/* A reopen while the old file still refuses the torn record's tail: the record is written
	 * again whole at the top of the new file, which holds only whole records. */
	char path[96], rotated[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	path_join(rotated, sizeof(rotated), dir, "v.jsonl.1");
	capture_log(dir);
	struct text want = {0};
	struct output *o = open_torn(path, &want);
	ck_assert_int_eq(rename(path, rotated), 0);
	ck_assert_int_eq(output_reopen(o), 0);
	unlimit_file_size();
	ck_assert_uint_eq(output_pending(o), 0);
	struct text fresh = {0};
	text_add(&fresh, want.p + 33 * 300, want.len - 33 * 300);
	assert_file(path, &fresh);
	struct text old = slurp_text(rotated);
	ck_assert_uint_eq(old.len, FSIZE_LIMIT);
	ck_assert_int_eq(memcmp(old.p, want.p, old.len), 0);
	ck_assert_uint_eq(output_counters(o)->written, 60);
	output_close(o);
	free(captured_log());
	free(old.p);
	free(fresh.p);
	free(want.p);
}
END_TEST

START_TEST(test_reopen_finishes_torn_record)
{
	/* A reopen when the old file takes the tail again: the record is finished there. */
	char path[96], rotated[96];
	path_join(path, sizeof(path), dir, "v.jsonl");
	path_join(rotated, sizeof(rotated), dir, "v.jsonl.1");
	capture_log(dir);
	struct text want = {0};
	struct output *o = open_torn(path, &want);
	unlimit_file_size();
	ck_assert_int_eq(rename(path, rotated), 0);
	ck_assert_int_eq(output_reopen(o), 0);
	ck_assert_uint_eq(output_pending(o), 0);
	struct text old = {0}, fresh = {0};
	text_add(&old, want.p, 34 * 300);
	text_add(&fresh, want.p + 34 * 300, want.len - 34 * 300);
	assert_file(rotated, &old);
	assert_file(path, &fresh);
	output_close(o);
	free(captured_log());
	free(old.p);
	free(fresh.p);
	free(want.p);
}
END_TEST

/* ---- pipes: EAGAIN, a slow reader ---- */

struct reader {
	int fd;
	struct text got;
};

static void reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reader *r = arg;
	char chunk[1024]; /* small reads: the writer sees the pipe fill and drain many times */
	ssize_t n;
	(void)what;
	if ((n = read(fd, chunk, sizeof(chunk))) > 0)
		text_add(&r->got, chunk, (size_t)n);
}

static void read_rest(struct reader *r)
{
	char chunk[4096];
	ssize_t n;
	while ((n = read(r->fd, chunk, sizeof(chunk))) > 0)
		text_add(&r->got, chunk, (size_t)n);
}

/* A non-blocking pipe holding one page; returns the write end moved to fd 1. */
static int stdout_to_small_pipe(int *read_fd, int *saved)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	ck_assert_int_ge(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	fflush(stdout);
	*saved = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	*read_fd = p[0];
	return fcntl(p[0], F_GETPIPE_SZ);
}

static void restore_stdout(int saved)
{
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

START_TEST(test_eagain_pipe_slow_reader)
{
	/* Standard output is a full non-blocking pipe: the write is cut mid-record, the rest waits
	 * for EV_WRITE, and the reader gets every record whole, in order. Flow control is not
	 * logged. */
	int saved;
	struct reader r = {0};
	int size = stdout_to_small_pipe(&r.fd, &saved);
	capture_log(dir);
	struct output *o = open_output("-", ALL_KINDS, 1000);
	struct text want = {0};
	feed(o, &want, 0, 50, fixed_300);
	ck_assert_int_eq(output_flush(o), -1);
	ck_assert_uint_ge(output_counters(o)->write_errors, 1);
	ck_assert_uint_gt(output_pending(o), 0);

	/* What the pipe took ends inside a record. */
	read_rest(&r);
	ck_assert_uint_eq(r.got.len, (size_t)size);
	ck_assert_uint_ne(r.got.len % 300, 0);
	ck_assert_int_eq(memcmp(r.got.p, want.p, r.got.len), 0);

	struct event *ev = event_new(base, r.fd, EV_READ | EV_PERSIST, reader_cb, &r);
	event_add(ev, NULL);
	feed(o, &want, 50, 50, fixed_300);
	run_until_drained(o, 3000);
	event_free(ev);
	read_rest(&r);
	ck_assert_uint_eq(output_pending(o), 0);
	assert_same(&r.got, &want);
	const struct output_counters *c = output_counters(o);
	ck_assert_uint_eq(c->written, 100);
	ck_assert_uint_eq(c->dropped, 0);
	ck_assert_uint_ge(c->retries, 1);
	output_close(o);
	char *log = captured_log();
	ck_assert_str_eq(log, "");
	restore_stdout(saved);
	close(r.fd);
	free(log);
	free(r.got.p);
	free(want.p);
}
END_TEST

START_TEST(test_eagain_pipe_drops)
{
	/* A pipe nobody reads: the queue fills, newer records are dropped, that is logged; when
	 * the reader comes back the queued ones arrive whole after what the pipe held. */
	int saved;
	struct reader r = {0};
	int size = stdout_to_small_pipe(&r.fd, &saved);
	char *fill = malloc((size_t)size);
	memset(fill, '#', (size_t)size);
	fill[size - 1] = '\n';
	ck_assert_int_eq(write(STDOUT_FILENO, fill, (size_t)size), size);
	capture_log(dir);
	struct output *o = open_output("-", ALL_KINDS, 5);
	struct text want = {0};
	text_add(&want, fill, (size_t)size);
	feed(o, &want, 0, 5, fixed_300);
	feed(o, NULL, 5, 15, fixed_300);
	const struct output_counters *c = output_counters(o);
	ck_assert_uint_eq(output_pending(o), 5);
	ck_assert_uint_eq(c->dropped, 15);

	struct event *ev = event_new(base, r.fd, EV_READ | EV_PERSIST, reader_cb, &r);
	event_add(ev, NULL);
	run_until_drained(o, 3000);
	event_free(ev);
	read_rest(&r);
	assert_same(&r.got, &want);
	ck_assert_uint_eq(c->written, 5);
	output_close(o);
	char *log = captured_log();
	ck_assert_uint_eq(count_substr(log, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(log, "standard output: write failed: Resource temporarily "
	                                  "unavailable; 5 records queued, 1 dropped since last "
	                                  "report\n"));
	ck_assert_ptr_nonnull(
	    strstr(log, "standard output: writing again; 14 records dropped since last report\n"));
	restore_stdout(saved);
	close(r.fd);
	free(log);
	free(fill);
	free(r.got.p);
	free(want.p);
}
END_TEST

START_TEST(test_fifo_never_blocks)
{
	/* A FIFO by path: opening does not wait for a reader (no reader: refused), and a reader
	 * that falls behind does not block the writer. */
	char path[96];
	path_join(path, sizeof(path), dir, "fifo");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	capture_log(dir);
	struct output_config cfg = {.file = path, .verdicts = ALL_KINDS, .queue = 100};
	ck_assert_ptr_null(output_open(&cfg, base));
	char *log = captured_log();
	ck_assert_ptr_nonnull(strstr(log, "No such device or address"));
	free(log);

	struct reader r = {0};
	r.fd = open(path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(r.fd, 0);
	ck_assert_int_ge(fcntl(r.fd, F_SETPIPE_SZ, 4096), 4096);
	struct output *o = open_output(path, ALL_KINDS, 10000);
	struct text want = {0};
	feed(o, &want, 0, 500, record_size);
	ck_assert_int_eq(output_flush(o), -1);
	struct event *ev = event_new(base, r.fd, EV_READ | EV_PERSIST, reader_cb, &r);
	event_add(ev, NULL);
	run_until_drained(o, 3000);
	event_free(ev);
	read_rest(&r);
	assert_same(&r.got, &want);
	output_close(o);
	close(r.fd);
	free(r.got.p);
	free(want.p);
}
END_TEST

struct packets {
	struct text got;
	size_t count, max_len, over_batch;
	int torn;
};

static void packet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct packets *pk = arg;
	static char pkt[256 * 1024];
	ssize_t n;
	(void)what;
	while ((n = recv(fd, pkt, sizeof(pkt), MSG_TRUNC)) > 0) {
		ck_assert_uint_le((size_t)n, sizeof(pkt));
		pk->count++;
		if ((size_t)n > pk->max_len)
			pk->max_len = (size_t)n;
		if (n > 64 * 1024)
			pk->over_batch++;
		/* Every write starts a record and ends one. */
		if (memcmp(pkt, "{\"seq\":", 7) != 0 || pkt[n - 1] != '\n')
			pk->torn = 1;
		text_add(&pk->got, pkt, (size_t)n);
	}
}

static size_t one_huge(unsigned seq)
{
	return seq == 1500 ? 100 * 1024 : record_size(seq);
}

START_TEST(test_write_calls_carry_whole_records)
{
	/* Standard output is a packet socket, so each write(2) arrives as one packet: every write
	 * holds whole records, at most 64 KiB of them, except one longer record alone; and the
	 * records go in few writes. */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	int big = 4 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(sv[0], STDOUT_FILENO);
	close(sv[0]);

	struct output *o = open_output("-", ALL_KINDS, 10000);
	struct packets pk = {0};
	struct text want = {0};
	struct event *ev = event_new(base, sv[1], EV_READ | EV_PERSIST, packet_cb, &pk);
	event_add(ev, NULL);
	for (unsigned first = 0; first < 3000; first += 500) {
		feed(o, &want, first, 500, one_huge);
		output_flush(o);
		run_for(base, 10);
	}
	run_until_drained(o, 3000);
	run_for(base, 20);
	event_free(ev);
	ck_assert_uint_eq(output_pending(o), 0);
	assert_same(&pk.got, &want);
	ck_assert_int_eq(pk.torn, 0);
	ck_assert_uint_eq(pk.over_batch, 1);
	ck_assert_uint_eq(pk.max_len, 100 * 1024);
	/* Full batches but for the end of each flush and the records around the long one. */
	ck_assert_uint_le(pk.count, want.len / (64 * 1024 - 340) + 6 + 2);
	output_close(o);
	restore_stdout(saved);
	close(sv[1]);
	free(pk.got.p);
	free(want.p);
}
END_TEST

static int alarm_read_fd = -1;
static char alarm_buf[1 << 20];
static size_t alarm_len;

/* Reads on every other signal only: a signal that finds the pipe still full interrupts a write
 * that has written nothing yet, which then fails with EINTR. */
static void alarm_reader(int sig)
{
	static unsigned calls;
	if (sig != 0 && ++calls % 2 == 1)
		return;
	int saved = errno;
	ssize_t n;
	while (alarm_len < sizeof(alarm_buf) &&
	       (n = read(alarm_read_fd, alarm_buf + alarm_len, 1000)) > 0)
		alarm_len += (size_t)n;
	errno = saved;
}

START_TEST(test_blocking_pipe_with_signals)
{
	/* Standard output is a pipe drained only by a signal handler. The output reopens it
	 * non-blocking, so a full pipe never stalls the caller: writes come back short or with
	 * EAGAIN, are resumed on later flushes, and every record arrives whole. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	alarm_read_fd = p[0];
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	struct sigaction sa = {.sa_handler = alarm_reader};
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0); /* no SA_RESTART */
	struct itimerval it = {.it_interval = {0, 5000}, .it_value = {0, 5000}};
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);

	struct output *o = open_output("-", ALL_KINDS, 10000);
	struct text want = {0};
	feed(o, &want, 0, 300, fixed_300);
	for (int i = 0; i < 2000 && output_flush(o) != 0; i++)
		usleep(5000);
	ck_assert_uint_eq(output_pending(o), 0);
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	alarm_reader(0);
	ck_assert_uint_eq(output_counters(o)->written, 300);
	ck_assert_uint_eq(output_counters(o)->dropped, 0);
	ck_assert_uint_eq(alarm_len, want.len);
	ck_assert_int_eq(memcmp(alarm_buf, want.p, want.len), 0);
	output_close(o);
	restore_stdout(saved);
	close(p[0]);
	free(want.p);
}
END_TEST

static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_whole_records_in_order);
	tcase_add_test(tc, test_new_file_mode);
	tcase_add_test(tc, test_flush_timer);
	tcase_add_test(tc, test_verdict_filter);
	tcase_add_test(tc, test_type_filter);
	tcase_add_test(tc, test_bytes_untouched);
	tcase_add_test(tc, test_many_records_small_queue);
	tcase_add_test(tc, test_oversized_record_dropped);
	tcase_add_test(tc, test_concurrent_appenders);
	tcase_add_test(tc, test_close_writes_pending);
	tcase_add_test(tc, test_open_failure);
	tcase_add_test(tc, test_symlink_refused_as_root);
	tcase_add_test(tc, test_removed_file_is_made_again);
	tcase_add_test(tc, test_removed_file_that_cannot_be_made);
	tcase_add_test(tc, test_reopen_after_rename);
	tcase_add_test(tc, test_reopen_failure_keeps_old);
	tcase_add_test(tc, test_stdout);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dev_full_queue_and_drop);
	tcase_add_test(tc, test_byte_bound);
	tcase_add_test(tc, test_tmpfs_full_then_recovers);
	tcase_add_test(tc, test_short_write_completes_torn_record);
	tcase_add_test(tc, test_reopen_restarts_torn_record);
	tcase_add_test(tc, test_reopen_finishes_torn_record);
	tcase_add_test(tc, test_eagain_pipe_slow_reader);
	tcase_add_test(tc, test_eagain_pipe_drops);
	tcase_add_test(tc, test_fifo_never_blocks);
	tcase_add_test(tc, test_write_calls_carry_whole_records);
	tcase_add_test(tc, test_blocking_pipe_with_signals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(output_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
