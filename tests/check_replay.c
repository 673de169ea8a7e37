/* Replay (esatlsd -r) through replay_run, on real files in a temporary directory: the seed's
 * records byte for byte, from a file, from standard input, or spread over several inputs;
 * line ends (LF, CR LF, NUL, none at the end) change nothing; long lines are cut and counted;
 * -H names the appliance; and the exit statuses of inputs or an output that cannot be used. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "record.h"
#include "replay.h"
#include "support.h"

#ifndef TEST_DATA
#define TEST_DATA "tests/data"
#endif
#define SEED TEST_DATA "/seed.log"
#define SEED_EXPECTED TEST_DATA "/seed.expected.jsonl"

static char dir[64];
static char out_path[128];

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir), "check_replay");
	path_join(out_path, sizeof(out_path), dir, "out.jsonl");
	capture_log(dir);
	log_init("esatlsd", 0);
}

static void teardown(void)
{
	free(captured_log());
	tmpdir_remove(dir);
}

static unsigned replay_types; /* 0: the default, connections only */

/* Replays inputs (paths, NULL-terminated; hosts[i] or NULL) to out_path with max_message;
 * returns replay_run's status. */
static int replay(const char *const *paths, const char *const *hosts, size_t max_message)
{
	struct replay_input in[8];
	size_t n = 0;
	for (; paths[n] != NULL; n++) {
		ck_assert_uint_lt(n, sizeof(in) / sizeof(in[0]));
		in[n].path = paths[n];
		in[n].host = hosts ? hosts[n] : NULL;
	}
	struct replay_options opt = {in, n, out_path, max_message, {{0}, {0}, 0}, replay_types};
	engine_config_defaults(&opt.engine);
	return replay_run(&opt);
}

static char *read_whole(const char *p, size_t *len)
{
	char *s = slurp(p, len);
	ck_assert_msg(s != NULL, "cannot read %s", p);
	return s;
}

/* Writes dir/name, its path into p. */
static void write_in_dir(const char *name, const char *data, size_t len, char *p, size_t cap)
{
	path_join(p, cap, dir, name);
	write_whole_file(p, data, len);
}

/* The output equals the seed's expected records. */
static void expect_seed_records(void)
{
	size_t got_len, want_len;
	char *got = read_whole(out_path, &got_len);
	char *want = read_whole(SEED_EXPECTED, &want_len);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert(memcmp(got, want, want_len) == 0);
	free(got);
	free(want);
}

/* The seed with every LF replaced by end (1 or 2 bytes), and the last one dropped when
 * !last_end; written to dir/name. */
static void write_seed_with_ends(const char *name, const char *end, int last_end, char *p,
                                 size_t cap)
{
	size_t len, n = 0, end_len = strlen(end) ? strlen(end) : 1;
	char *seed = read_whole(SEED, &len);
	char *out = malloc(len * 2 + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert(len > 0 && seed[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		if (seed[i] != '\n') {
			out[n++] = seed[i];
		} else if (i + 1 < len || last_end) {
			memcpy(out + n, end, end_len);
			n += end_len;
		}
	}
	write_in_dir(name, out, n, p, cap);
	free(out);
	free(seed);
}

/* ---- records ---- */

START_TEST(test_seed_records)
{
	const char *in[] = {SEED, NULL};
	ck_assert_int_eq(replay(in, NULL, 65536), 0);
	expect_seed_records();
}
END_TEST

/* Asked for message records, replay writes them beside the connections; asked for messages
 * alone, only them. */
START_TEST(test_message_records)
{
	static const char log[] =
	    "Mon Jan  2 10:00:00 2023 Info: New SMTP ICID 14 interface Data 1 (10.0.0.1) address "
	    "192.0.2.7\n"
	    "Mon Jan  2 10:00:00 2023 Info: ICID 14 TLS success protocol TLSv1.2 cipher X\n"
	    "Mon Jan  2 10:00:01 2023 Info: Start MID 4 ICID 14\n"
	    "Mon Jan  2 10:00:01 2023 Info: MID 4 ICID 14 RID 0 To: <b@example.com>\n"
	    "Mon Jan  2 10:00:02 2023 Info: ICID 14 close\n"
	    "Mon Jan  2 10:00:03 2023 Info: New SMTP DCID 30 interface 10.0.0.1 address "
	    "198.51.100.9 "
	    "port 25\n"
	    "Mon Jan  2 10:00:03 2023 Info: Delivery start DCID 30 MID 4 to RID [0]\n"
	    "Mon Jan  2 10:00:04 2023 Info: Message done DCID 30 MID 4 to RID [0]\n"
	    "Mon Jan  2 10:00:04 2023 Info: Message finished MID 4 done\n"
	    "Mon Jan  2 10:00:05 2023 Info: DCID 30 close\n";
	char p[160];
	write_in_dir("m.log", log, sizeof(log) - 1, p, sizeof(p));
	const char *in[] = {p, NULL};
	replay_types = (1u << RECORD_CONNECTION) | (1u << RECORD_MESSAGE);
	ck_assert_int_eq(replay(in, NULL, 65536), 0);
	char *got = read_whole(out_path, NULL);
	ck_assert_uint_eq(count_substr(got, "\"type\":\"connection\""), 2);
	ck_assert_uint_eq(count_substr(got, "\"type\":\"message\""), 1);
	ck_assert_msg(strstr(got,
	                     "\"in_verdict\":\"tls\",\"deliveries\":[{\"dcid\":30,\"rids\":[0],"
	                     "\"verdict\":\"no_tls\",\"peer_domain\":\"example.com\","
	                     "\"outcome\":\"delivered\"}],\"end_to_end\":\"no_tls\"") != NULL,
	              "%s", got);
	free(got);
	replay_types = 1u << RECORD_MESSAGE;
	ck_assert_int_eq(replay(in, NULL, 65536), 0);
	got = read_whole(out_path, NULL);
	ck_assert_uint_eq(count_substr(got, "\"type\":\"connection\""), 0);
	ck_assert_uint_eq(count_substr(got, "\"type\":\"message\""), 1);
	free(got);
	replay_types = 0;
}
END_TEST

/* Inputs are read in order through one engine: cut at any line, the seed gives its records. */
START_TEST(test_inputs_continue_each_other)
{
	size_t len;
	char *seed = read_whole(SEED, &len);
	char a[160], b[160];
	unsigned cuts = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		if (cut > 0 && seed[cut - 1] != '\n')
			continue;
		write_in_dir("a.log", seed, cut, a, sizeof(a));
		write_in_dir("b.log", seed + cut, len - cut, b, sizeof(b));
		const char *in[] = {a, b, NULL};
		ck_assert_int_eq(replay(in, NULL, 65536), 0);
		expect_seed_records();
		cuts++;
	}
	ck_assert_uint_eq(cuts, 15); /* 14 lines: before each and after the last */
	free(seed);
}
END_TEST

START_TEST(test_line_ends)
{
	static const struct {
		const char *end;
		int last;
	} cases[] = {{"\r\n", 1}, {"", 1}, {"\n", 0}, {"\r\n", 0}, {"", 0}};
	char p[160];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_seed_with_ends("ends.log", cases[i].end, cases[i].last, p, sizeof(p));
		const char *in[] = {p, NULL};
		ck_assert_int_eq(replay(in, NULL, 65536), 0);
		expect_seed_records();
	}
}
END_TEST

START_TEST(test_standard_input)
{
	int fd = open(SEED, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	const char *in[] = {"-", NULL};
	ck_assert_int_eq(replay(in, NULL, 65536), 0);
	expect_seed_records();
}
END_TEST

/* -H: the same log as two appliances gives every record twice, once for each. */
START_TEST(test_hosts_keep_appliances_apart)
{
	const char *in[] = {SEED, SEED, NULL};
	const char *hosts[] = {"esa1", "esa2"};
	ck_assert_int_eq(replay(in, hosts, 65536), 0);
	char *got = read_whole(out_path, NULL);
	ck_assert_uint_eq(count_substr(got, "\"host\":\"esa1\""), 4);
	ck_assert_uint_eq(count_substr(got, "\"host\":\"esa2\""), 4);
	ck_assert_uint_eq(count_substr(got, "\n"), 8);
	free(got);
}
END_TEST

/* A line longer than max_message is cut there, still classified, and counted in one warning;
 * one of exactly max_message bytes is whole. */
START_TEST(test_long_lines_cut_and_counted)
{
	char text[512], p[160];
	const char *open_line = "Wed Sep  6 13:13:16 2023 Info: New SMTP ICID 5 interface Data 1 "
	                        "(10.0.0.1) address 192.0.2.1 reverse dns host x verified no";
	size_t max = strlen(open_line);
	int n = snprintf(text, sizeof(text),
	                 "%s\n"
	                 "Wed Sep  6 13:13:17 2023 Info: ICID 5 TLS failed: %0200d\n"
	                 "Wed Sep  6 13:13:18 2023 Info: ICID 5 close\n",
	                 open_line, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	write_in_dir("long.log", text, (size_t)n, p, sizeof(p));
	const char *in[] = {p, NULL};
	ck_assert_int_eq(replay(in, NULL, max), 0);
	char *got = read_whole(out_path, NULL);
	ck_assert_uint_eq(count_substr(got, "\n"), 1);
	ck_assert_ptr_nonnull(strstr(got, "\"verdict\":\"tls_failed\""));
	ck_assert_ptr_nonnull(strstr(got, "\"peer_ip\":\"192.0.2.1\"")); /* the whole open line */
	ck_assert_ptr_nonnull(strstr(got, "\"end\":\"close\""));
	free(got);
	expect_log("warning: 1 lines longer than max_message_size bytes were truncated\n");
}
END_TEST

/* ---- statuses ---- */

START_TEST(test_missing_input_opens_nothing)
{
	char missing[160];
	path_join(missing, sizeof(missing), dir, "does-not-exist");
	const char *in[] = {SEED, missing, NULL};
	ck_assert_int_eq(replay(in, NULL, 65536), 2);
	ck_assert_int_eq(access(out_path, F_OK), -1); /* inputs are opened before the output */
	expect_log("cannot open ");
	expect_log("does-not-exist: No such file or directory");
}
END_TEST

START_TEST(test_directory_input)
{
	const char *in[] = {SEED, dir, NULL};
	ck_assert_int_eq(replay(in, NULL, 65536), 2);
	ck_assert_int_eq(access(out_path, F_OK), -1);
	expect_log(": it is a directory");
}
END_TEST

START_TEST(test_output_that_cannot_be_opened)
{
	const char *in[] = {SEED, NULL};
	path_join(out_path, sizeof(out_path), dir, "no/such/dir/out.jsonl");
	ck_assert_int_eq(replay(in, NULL, 65536), 2);
}
END_TEST

START_TEST(test_full_disk)
{
	const char *in[] = {SEED, NULL};
	if (access("/dev/full", W_OK) != 0)
		return; /* nothing to test against */
	snprintf(out_path, sizeof(out_path), "/dev/full");
	ck_assert_int_eq(replay(in, NULL, 65536), 1);
	expect_log("/dev/full: write failed: No space left on device");
}
END_TEST

/* Bytes that are no log at all: no record, no failure. */
START_TEST(test_garbage_input)
{
	char junk[4096], p[160];
	struct rng r = {7};
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)rng_below(&r, 256);
	write_in_dir("junk.bin", junk, sizeof(junk), p, sizeof(p));
	const char *in[] = {p, NULL};
	ck_assert_int_eq(replay(in, NULL, 1024), 0);
	size_t len;
	free(read_whole(out_path, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seed_records);
	tcase_add_test(tc, test_inputs_continue_each_other);
	tcase_add_test(tc, test_line_ends);
	tcase_add_test(tc, test_standard_input);
	tcase_add_test(tc, test_hosts_keep_appliances_apart);
	tcase_add_test(tc, test_message_records);
	tcase_add_test(tc, test_long_lines_cut_and_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_input_opens_nothing);
	tcase_add_test(tc, test_directory_input);
	tcase_add_test(tc, test_output_that_cannot_be_opened);
	tcase_add_test(tc, test_full_disk);
	tcase_add_test(tc, test_garbage_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(replay_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
