/* The system side of `esatlsd -t` (precheck.h). Write permission for another user is worked
 * out from the mode bits, owner and group, as the kernel would without ACLs; for the user
 * running -t, access(2) answers (read-only file systems included). */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "precheck.h"

/* Whose permissions count: a named user's, or (name NULL) the caller's own. The daemon keeps
 * only the user's primary group when it drops privileges (setgroups(1, gid)), so only that
 * group counts. */
struct writer {
	const char *name;
	uid_t uid;
	gid_t gid;
};

struct precheck {
	const struct config *cfg;
	config_report_fn report;
	void *arg;
	unsigned problems;
};

static void precheck_problem(struct precheck *pc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void precheck_problem(struct precheck *pc, const char *fmt, ...)
{
	char msg[512], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", pc->cfg->source, msg);
	if (pc->report != NULL)
		pc->report(line, pc->arg);
	pc->problems++;
}

/* The user of `user:`; -1 after reporting why not. */
static int writer_lookup(struct precheck *pc, const char *name, struct writer *w)
{
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (pw == NULL) {
		if (errno != 0)
			precheck_problem(pc, "user %s: %s", name, strerror(errno));
		else
			precheck_problem(pc, "user %s: no such user", name);
		return -1;
	}
	w->name = name;
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	return 0;
}

/* 0 when the mode bits of st give w the permissions in need (as owner bits), else EACCES. */
static int writer_permits(const struct writer *w, const struct stat *st, mode_t need)
{
	if (w->uid == 0)
		return 0;
	if (st->st_uid != w->uid)
		need = st->st_gid == w->gid ? need >> 3 : need >> 6;
	return (st->st_mode & need) == need ? 0 : EACCES;
}

/* 0 when w may pass through every directory above path (resolved), else an errno value. */
static int writer_may_reach(const struct writer *w, const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (realpath(path, real) == NULL)
		return errno;
	for (char *slash = strchr(real + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		int err = stat(real, &st) != 0 ? errno : writer_permits(w, &st, S_IXUSR);
		*slash = '/';
		if (err != 0)
			return err;
	}
	return stat("/", &st) != 0 ? errno : writer_permits(w, &st, S_IXUSR);
}

/* 0 when w may create and remove entries in dir, else an errno value. */
static int writer_may_write_dir(const struct writer *w, const char *dir)
{
	struct stat st;
	struct statvfs vfs;

	if (stat(dir, &st) != 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (w->name == NULL)
		return access(dir, W_OK | X_OK) == 0 ? 0 : errno;
	if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return EROFS;
	int err = writer_may_reach(w, dir);
	return err != 0 ? err : writer_permits(w, &st, S_IWUSR | S_IXUSR);
}

/* 0 when w may append to the existing file path, else an errno value. */
static int writer_may_write_file(const struct writer *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (w->name == NULL)
		return access(path, W_OK) == 0 ? 0 : errno;
	int err = writer_may_reach(w, path);
	return err != 0 ? err : writer_permits(w, &st, S_IWUSR);
}

static const char *writer_shown(const struct writer *w, char *buf, size_t len)
{
	if (w->name != NULL)
		snprintf(buf, len, "user %s", w->name);
	else
		snprintf(buf, len, "the user running this check (uid %u)", (unsigned)geteuid());
	return buf;
}

/* A file the daemon writes: it exists and can be appended to, or its directory lets it be
 * created. what names it in messages ("output", "state file"). */
static void precheck_path(struct precheck *pc, const struct writer *w, const char *what,
                          const char *path)
{
	char dir[PATH_MAX], who[96];
	int err = writer_may_write_file(w, path);

	if (err == 0)
		return;
	if (err != ENOENT) {
		precheck_problem(pc, "%s %s: cannot be written by %s: %s", what, path,
		                 writer_shown(w, who, sizeof(who)), strerror(err));
		return;
	}
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	err = writer_may_write_dir(w, dir);
	if (err == ENOENT || err == ENOTDIR)
		precheck_problem(pc, "%s %s: directory %s does not exist", what, path, dir);
	else if (err != 0)
		precheck_problem(pc, "%s %s: directory %s is not writable by %s: %s", what, path,
		                 dir, writer_shown(w, who, sizeof(who)), strerror(err));
}

unsigned precheck_run(const struct config *cfg, config_report_fn report, void *arg)
{
	struct precheck pc = {cfg, report, arg, 0};
	struct writer w = {.name = NULL};

	if (cfg->user != NULL && writer_lookup(&pc, cfg->user, &w) != 0)
		return pc.problems; /* whose permissions to check is unknown */
	for (size_t i = 0; i < cfg->n_outputs; i++)
		if (strcmp(cfg->outputs[i].file, "-") != 0)
			precheck_path(&pc, &w, "output", cfg->outputs[i].file);
	if (cfg->state_file != NULL)
		precheck_path(&pc, &w, "state file", cfg->state_file);
	return pc.problems;
}
