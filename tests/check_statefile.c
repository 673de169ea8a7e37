/* The state file on disk, against real files in a temporary directory: a save and a load carry
 * open connections over (the restored engine ends them with the same records as the original),
 * the file is private and its temporary never stays behind, a failed save keeps the previous
 * file, and every file that cannot be loaded whole (empty, garbage, cut short, a directory, a
 * FIFO) is set aside under a name of its own while the engine starts empty. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "statefile.h"
#include "support.h"
#include "verdict.h"

/* 2026-12-05 10:00:00 UTC: the arrival clock of every line. */
#define NOW 1796464800

static char dir[64];
static char path[128];

/* ---- engines whose records go to a memory stream ---- */

struct recorder {
	struct engine *e;
	FILE *fp;
	char *text;
	size_t len;
};

static void record_cb(const struct verdict *v, void *arg)
{
	struct recorder *r = arg;
	char line[VERDICT_LINE_MAX];
	if (!(v->purpose & VERDICT_FOR_FILES))
		return;
	size_t len = verdict_encode(v, line, sizeof(line));
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_eq(fwrite(line, 1, len, r->fp), len);
}

static void recorder_new(struct recorder *r)
{
	struct engine_config cfg;
	engine_config_defaults(&cfg);
	memset(r, 0, sizeof(*r));
	r->fp = open_memstream(&r->text, &r->len);
	ck_assert_ptr_nonnull(r->fp);
	r->e = engine_new(&cfg, record_cb, r, NOW);
	ck_assert_ptr_nonnull(r->e);
}

/* Ends every open connection; returns the records written since the start (caller frees). */
static char *recorder_end(struct recorder *r)
{
	engine_flush(r->e, VERDICT_END_SHUTDOWN);
	engine_free(r->e);
	fclose(r->fp);
	return r->text;
}

static void feed(struct recorder *r, const char *line)
{
	engine_feed(r->e, line, strlen(line), sp("192.0.2.9"), NOW);
}

/* Three connections left open (two ICIDs of esa1, a DCID of esa2) and one that ended. */
static void feed_open_connections(struct recorder *r)
{
	feed(r, "<22>Dec  5 10:00:00 esa1 mail_logs: Info: New SMTP ICID 7 interface Data 1 "
	        "(10.0.0.1) address 192.0.2.1 reverse dns host mx.example.org verified yes");
	feed(r, "<22>Dec  5 10:00:00 esa1 mail_logs: Info: ICID 7 ACCEPT SG None match SBRS None");
	feed(r, "<22>Dec  5 10:00:01 esa1 mail_logs: Info: New SMTP ICID 8 interface Data 1 "
	        "(10.0.0.1) address 192.0.2.2 reverse dns host unknown verified no");
	feed(r, "<22>Dec  5 10:00:01 esa1 mail_logs: Info: ICID 8 TLS failed: [Errno 54] "
	        "Connection reset by peer");
	feed(r, "<22>Dec  5 10:00:02 esa2 mail_logs: Info: New SMTP DCID 30 interface 10.0.0.2 "
	        "address 198.51.100.7 port 25");
	feed(r, "<22>Dec  5 10:00:02 esa2 mail_logs: Info: Delivery start DCID 30 MID 300 to RID "
	        "[0]");
	feed(r, "<22>Dec  5 10:00:03 esa1 mail_logs: Info: New SMTP ICID 9 interface Data 1 "
	        "(10.0.0.1) address 192.0.2.3 reverse dns host unknown verified no");
	feed(r, "<22>Dec  5 10:00:03 esa1 mail_logs: Info: ICID 9 close");
}

/* What both engines see after the restart: one connection ends, one goes on. */
static void feed_after_restart(struct recorder *r)
{
	feed(r, "<22>Dec  5 10:01:00 esa1 mail_logs: Info: ICID 7 TLS success protocol TLSv1.3 "
	        "cipher TLS_AES_256_GCM_SHA384");
	feed(r, "<22>Dec  5 10:01:01 esa1 mail_logs: Info: ICID 7 close");
	feed(r,
	     "<22>Dec  5 10:01:02 esa2 mail_logs: Info: Message done DCID 30 MID 300 to RID [0]");
}

static unsigned count_entries(const char *prefix)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void setup(void)
{
	umask(022);
	tmpdir_make(dir, sizeof(dir), "check_statefile");
	path_join(path, sizeof(path), dir, "state");
	capture_log(dir);
	log_init("esatlsd", 0);
}

static void teardown(void)
{
	free(captured_log());
	tmpdir_remove(dir);
}

/* Saves an engine with feed_open_connections into path. */
static void save_three(void)
{
	struct recorder a;
	recorder_new(&a);
	feed_open_connections(&a);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), 0);
	free(recorder_end(&a));
}

/* ---- save and load ---- */

START_TEST(test_round_trip_gives_the_same_records)
{
	struct recorder a, b;
	size_t restored = 99;

	recorder_new(&a);
	feed_open_connections(&a);
	ck_assert_uint_eq(engine_open_connections(a.e), 3);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), 0);

	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW + 5, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 3);
	ck_assert_uint_eq(engine_open_connections(b.e), 3);

	/* The original's records so far are those of ICID 9, which ended before the save. */
	fflush(a.fp);
	size_t before_restart = a.len;
	ck_assert_ptr_nonnull(strstr(a.text, "\"icid\":9,"));
	feed_after_restart(&a);
	feed_after_restart(&b);
	char *want = recorder_end(&a);
	char *got = recorder_end(&b);
	ck_assert_str_eq(got, want + before_restart);
	ck_assert_ptr_nonnull(strstr(got, "\"icid\":7,"));
	ck_assert_ptr_nonnull(strstr(got, "\"icid\":8,"));
	ck_assert_ptr_nonnull(strstr(got, "\"dcid\":30,"));
	ck_assert_uint_eq(count_substr(got, "\n"), 3);
	free(want);
	free(got);

	expect_log("state file ");
	expect_log(": 3 open connections restored (saved 2026-12-05T10:00:00Z)");
}
END_TEST

START_TEST(test_saved_file_is_private_and_alone)
{
	struct stat sb;
	save_three();
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_uint_eq(count_entries("state"), 1); /* no state.tmp left behind */
}
END_TEST

START_TEST(test_empty_engine_round_trip)
{
	struct recorder a, b;
	size_t restored = 99;
	recorder_new(&a);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), 0);
	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 0);
	char *ta = recorder_end(&a), *tb = recorder_end(&b);
	ck_assert_str_eq(ta, "");
	ck_assert_str_eq(tb, "");
	free(ta);
	free(tb);
}
END_TEST

START_TEST(test_absent_file)
{
	struct recorder b;
	size_t restored = 99;
	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_ABSENT);
	ck_assert_uint_eq(restored, 0);
	ck_assert_uint_eq(count_entries("state"), 0);
	free(recorder_end(&b));
	expect_log("none yet, starting with no open connections");
}
END_TEST

/* Connections already open are not restored twice (their keys are taken). */
START_TEST(test_second_load_restores_nothing)
{
	struct recorder b;
	size_t restored = 0;
	save_three();
	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 3);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 0);
	ck_assert_uint_eq(engine_open_connections(b.e), 3);
	free(recorder_end(&b));
	expect_log("3 connections not restored");
}
END_TEST

/* ---- failed saves ---- */

START_TEST(test_failed_save_keeps_the_previous_file)
{
	struct recorder a, b;
	char tmp[160];
	size_t restored = 0;

	save_three();
	/* A directory where the temporary file goes: the new save cannot even start. */
	path_join(tmp, sizeof(tmp), dir, "state.tmp");
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	recorder_new(&a);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), -1);
	free(recorder_end(&a));
	ck_assert_int_eq(rmdir(tmp), 0);

	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 3);
	free(recorder_end(&b));
	expect_log("warning: state file ");
	expect_log("state.tmp: cannot create: Is a directory");
}
END_TEST

/* A FIFO (read or not) or a symlink where the temporary file goes is refused at once: a save
 * never blocks the daemon and never writes through a link. */
START_TEST(test_fifo_or_link_at_temporary_is_refused)
{
	struct recorder a, b;
	char tmp[160], target[160];
	size_t restored = 0;

	save_three();
	path_join(tmp, sizeof(tmp), dir, "state.tmp");
	ck_assert_int_eq(mkfifo(tmp, 0600), 0);
	recorder_new(&a);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), -1); /* no reader: ENXIO, no wait */
	int reader = open(tmp, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(reader, 0);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), -1); /* a reader: still not a file */
	close(reader);
	ck_assert_int_eq(unlink(tmp), 0);
	path_join(target, sizeof(target), dir, "elsewhere");
	write_whole_file(target, "keep", 4);
	ck_assert_int_eq(symlink(target, tmp), 0);
	ck_assert_int_eq(statefile_save(path, a.e, NOW), -1);
	free(recorder_end(&a));
	size_t len;
	char *kept = slurp(target, &len);
	ck_assert_uint_eq(len, 4);
	free(kept);

	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_LOADED);
	ck_assert_uint_eq(restored, 3);
	free(recorder_end(&b));
	expect_log("state.tmp: cannot create: No such device or address");
	expect_log("state.tmp: not a regular file");
	expect_log("state.tmp: cannot create: Too many levels of symbolic links");
}
END_TEST

START_TEST(test_save_into_missing_directory)
{
	struct recorder a;
	char missing[160];
	path_join(missing, sizeof(missing), dir, "no/such/state");
	recorder_new(&a);
	feed_open_connections(&a);
	ck_assert_int_eq(statefile_save(missing, a.e, NOW), -1);
	free(recorder_end(&a));
	expect_log("cannot create: No such file or directory");
}
END_TEST

/* ---- files that cannot be loaded ---- */

/* Loads path, expecting it set aside: gone from its place, one more PATH.bad-* beside it, no
 * connection restored. */
static void expect_set_aside(unsigned aside_before, const char *why)
{
	struct recorder b;
	size_t restored = 99;
	recorder_new(&b);
	ck_assert_int_eq(statefile_load(path, b.e, NOW, &restored), STATEFILE_SET_ASIDE);
	ck_assert_uint_eq(restored, 0);
	ck_assert_uint_eq(engine_open_connections(b.e), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_uint_eq(count_entries("state.bad-"), aside_before + 1);
	free(recorder_end(&b));
	expect_log(why);
	char *log = log_so_far();
	ck_assert_uint_eq(count_substr(log, "; set aside as "), aside_before + 1);
	free(log);
}

START_TEST(test_unloadable_files_are_set_aside)
{
	char *good;
	size_t len;

	write_whole_file(path, "", 0);
	expect_set_aside(0, "/state: empty; set aside as ");
	write_whole_file(path, "not a state file\n", 17);
	expect_set_aside(1, "/state: not a state file; set aside as ");

	/* A valid file cut short, then one with a byte changed: each refused whole. */
	save_three();
	good = slurp(path, &len);
	ck_assert_ptr_nonnull(good);
	write_whole_file(path, good, len / 2);
	expect_set_aside(2, "/state: truncated; set aside as ");
	good[len / 2] ^= 0x20;
	write_whole_file(path, good, len);
	expect_set_aside(3, "; set aside as ");
	free(good);

	/* Names stay apart even when several are set aside within one second. */
	ck_assert_uint_eq(count_entries("state.bad-"), 4);
}
END_TEST

START_TEST(test_directory_and_fifo_are_set_aside)
{
	ck_assert_int_eq(mkdir(path, 0700), 0);
	expect_set_aside(0, "/state: not a regular file; set aside as ");
	/* A FIFO nobody writes to: the load must not wait for a writer. */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	expect_set_aside(1, "; set aside as ");
}
END_TEST

static Suite *statefile_suite(void)
{
	Suite *s = suite_create("statefile");
	TCase *tc = tcase_create("statefile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip_gives_the_same_records);
	tcase_add_test(tc, test_saved_file_is_private_and_alone);
	tcase_add_test(tc, test_empty_engine_round_trip);
	tcase_add_test(tc, test_absent_file);
	tcase_add_test(tc, test_second_load_restores_nothing);
	tcase_add_test(tc, test_failed_save_keeps_the_previous_file);
	tcase_add_test(tc, test_fifo_or_link_at_temporary_is_refused);
	tcase_add_test(tc, test_save_into_missing_directory);
	tcase_add_test(tc, test_unloadable_files_are_set_aside);
	tcase_add_test(tc, test_directory_and_fifo_are_set_aside);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(statefile_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
