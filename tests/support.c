#include <fcntl.h>
#include <ftw.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

int suite_failures(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

struct span sp(const char *s)
{
	return span_make(s, strlen(s));
}

/* ---- files ---- */

void tmpdir_make(char *dir, size_t cap, const char *name)
{
	int n = snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
	ck_assert(n > 0 && (size_t)n < cap);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tmpdir_remove(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void path_join(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);
	ck_assert(n > 0 && (size_t)n < cap);
}

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
	}
	ck_assert(!ferror(f));
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

void write_whole_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

unsigned count_substr(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- standard error ---- */

static int saved_stderr = -1;
static char log_path[256];

void capture_log(const char *dir)
{
	ck_assert_int_eq(saved_stderr, -1);
	path_join(log_path, sizeof(log_path), dir, CAPTURED_LOG);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

char *log_so_far(void)
{
	fflush(stderr);
	char *log = slurp(log_path, NULL);
	ck_assert_ptr_nonnull(log);
	return log;
}

char *captured_log(void)
{
	ck_assert_int_ge(saved_stderr, 0);
	char *log = log_so_far();
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	return log;
}

void expect_log(const char *want)
{
	char *log = log_so_far();
	ck_assert_msg(strstr(log, want) != NULL, "no \"%s\" in the log:\n%s", want, log);
	free(log);
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- strings handed to a callback ---- */

void collect(const char *s, void *arg)
{
	struct collected *c = arg;
	size_t len = strlen(s);
	ck_assert_uint_lt(c->n, COLLECT_MAX);
	ck_assert_uint_lt(len, COLLECT_LEN);
	memcpy(c->s[c->n++], s, len + 1);
}

/* ---- TLS certificates ---- */

int tls_certs_make(char *dir, size_t cap)
{
	if (snprintf(dir, cap, "/tmp/esatlsd_certs.XXXXXX") >= (int)cap || mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", TLS_CERTS_SCRIPT, dir, (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s %s failed\n", TLS_CERTS_SCRIPT, dir);
		return -1;
	}
	return 0;
}

int mem_sink_write(const void *p, size_t len, void *arg)
{
	struct mem_sink *m = arg;
	ck_assert_uint_le(len, sizeof(m->data) - m->len);
	memcpy(m->data + m->len, p, len);
	m->len += len;
	return 0;
}
