#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "state.h"
#include "statefile.h"

#define SET_ASIDE_TRIES 100

/* ---- saving ---- */

struct save_sink {
	int fd;
	int error; /* errno of the first failed write */
};

static int save_write(const void *p, size_t len, void *arg)
{
	struct save_sink *sink = arg;
	const char *b = p;
	while (len > 0) {
		ssize_t n = write(sink->fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sink->error = n < 0 ? errno : EIO;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int save_one(const struct track_conn_state *s, void *arg)
{
	struct state_writer *w = arg;
	state_writer_conn(w, s);
	return w->failed;
}

static int save_message(const struct msg_state *s, void *arg)
{
	struct state_writer *w = arg;
	state_writer_message(w, s);
	return w->failed;
}

static int save_peer(const struct posture_peer_state *s, void *arg)
{
	struct state_writer *w = arg;
	state_writer_peer(w, s);
	return w->failed;
}

/* The rename is durable only once the directory holding the name is written too. */
static void sync_directory_of(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL)
			log_warn("state file %s: fsync of its directory", path);
		close(fd);
	}
	free(copy);
}

static char *path_with_suffix(const char *path, const char *suffix)
{
	size_t len = strlen(path) + strlen(suffix) + 1;
	char *out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%s%s", path, suffix);
	return out;
}

/* The temporary file, created or truncated: only a regular file, never through a symlink, and
 * without waiting (a FIFO put there would block open(2) until a reader came). -1 after
 * logging why. */
static int open_temporary(const char *tmp)
{
	struct stat sb;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		log_warn("state file %s: cannot create", tmp);
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_warnx("state file %s: not a regular file; remove it so the state can be saved",
		          tmp);
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) != 0 || fcntl(fd, F_SETFL, 0) != 0) {
		log_warn("state file %s: cannot create", tmp);
		close(fd);
		return -1;
	}
	return fd;
}

int statefile_save(const char *path, const struct engine *e, int64_t now)
{
	char *tmp = path_with_suffix(path, ".tmp");
	if (tmp == NULL) {
		log_warnx("state file %s: out of memory", path);
		return -1;
	}
	struct save_sink sink = {open_temporary(tmp), 0};
	if (sink.fd < 0) {
		free(tmp);
		return -1;
	}
	struct state_writer *w = malloc(sizeof(*w)); /* 8 KiB: kept off the stack */
	int ok = w != NULL;
	if (ok) {
		state_writer_begin(w, save_write, &sink, now);
		engine_export(e, save_one, w);
		engine_export_messages(e, save_message, w);
		engine_export_peers(e, save_peer, w);
		ok = state_writer_end(w) == 0;
	}
	if (ok && fsync(sink.fd) != 0)
		sink.error = errno, ok = 0;
	if (close(sink.fd) != 0 && ok)
		sink.error = errno, ok = 0;
	if (ok && rename(tmp, path) != 0)
		sink.error = errno, ok = 0;
	if (!ok) {
		if (sink.error != 0) {
			errno = sink.error;
			log_warn("state file %s: not written", path);
		} else {
			log_warnx("state file %s: not written: %s", path,
			          w == NULL ? "out of memory"
			                    : "a connection could not be encoded");
		}
		unlink(tmp);
	} else {
		sync_directory_of(path);
	}
	free(w);
	free(tmp);
	return ok ? 0 : -1;
}

/* ---- loading ---- */

static int load_check(const struct track_conn_state *s, void *arg)
{
	(void)arg;
	return engine_import_check(s);
}

static int load_check_message(const struct msg_state *s, void *arg)
{
	(void)arg;
	return engine_import_message_check(s);
}

static int load_check_peer(const struct posture_peer_state *s, void *arg)
{
	(void)arg;
	return posture_state_check(s);
}

struct load_ctx {
	struct engine *e;
	int64_t now;
	size_t restored, refused, messages, peers;
};

/* Saved peers come back only while downgrade records are on; else they are dropped. */
static int load_peer(const struct posture_peer_state *s, void *arg)
{
	struct load_ctx *x = arg;
	if (engine_import_peer(x->e, s) == 0)
		x->peers++;
	return 0;
}

/* Saved messages come back only while message records are on; else they are dropped. */
static int load_message(const struct msg_state *s, void *arg)
{
	struct load_ctx *x = arg;
	if (engine_import_message(x->e, s) == 0)
		x->messages++;
	return 0;
}

static int load_one(const struct track_conn_state *s, void *arg)
{
	struct load_ctx *x = arg;
	if (engine_import(x->e, s, x->now) == 0)
		x->restored++;
	else
		x->refused++;
	return 0;
}

/* rename() that never overwrites: EEXIST when to exists. Where the file system has no
 * RENAME_NOREPLACE, a hard link then unlink does the same. */
static int rename_no_replace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) != 0)
		return -1;
	return unlink(from);
}

/* Renames path to PATH.bad-YYYYmmddTHHMMSSZ (then .1, .2 ... so that no earlier one is
 * overwritten). */
static enum statefile_load set_aside(const char *path, const char *why)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), ".bad-%Y%m%dT%H%M%SZ", &tm);
	char *base = path_with_suffix(path, stamp);
	if (base == NULL)
		return STATEFILE_FAILED;
	size_t size = strlen(base) + 8;
	char *aside = malloc(size);
	for (int i = 0; aside != NULL && i < SET_ASIDE_TRIES; i++) {
		if (i == 0)
			snprintf(aside, size, "%s", base);
		else
			snprintf(aside, size, "%s.%d", base, i);
		if (rename_no_replace(path, aside) == 0) {
			log_warnx("state file %s: %s; set aside as %s, starting with no open "
			          "connections",
			          path, why, aside);
			free(aside);
			free(base);
			return STATEFILE_SET_ASIDE;
		}
		if (errno != EEXIST)
			break;
	}
	log_warn("state file %s: %s, and it cannot be set aside", path, why);
	free(aside);
	free(base);
	return STATEFILE_FAILED;
}

static enum statefile_load load_mapped(const char *path, const void *buf, size_t len,
                                       struct engine *e, int64_t now, size_t *restored)
{
	int64_t saved_at = 0;
	uint64_t count;
	const struct state_visitor check = {load_check, load_check_message, load_check_peer, NULL};
	enum state_status st = state_parse_visit(buf, len, &check, &saved_at, &count);
	if (st != STATE_OK) {
		return set_aside(path, state_status_text(st));
	}
	struct load_ctx x = {e, now, 0, 0, 0, 0};
	const struct state_visitor load = {load_one, load_message, load_peer, &x};
	state_parse_visit(buf, len, &load, NULL, NULL);
	engine_import_done(e);
	*restored = x.restored;
	/* saved_at comes from the file: no arithmetic on it. */
	char saved[32];
	time_t when = (time_t)saved_at;
	struct tm tm;
	if (saved_at < 0 || saved_at > now || gmtime_r(&when, &tm) == NULL ||
	    strftime(saved, sizeof(saved), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(saved, sizeof(saved), "at an unknown time");
	log_info("state file %s: %zu open connections restored (saved %s)", path, x.restored,
	         saved);
	if (x.messages)
		log_info("state file %s: %zu messages restored", path, x.messages);
	if (x.peers)
		log_info("state file %s: %zu peers' TLS posture restored", path, x.peers);
	if (x.refused)
		log_warnx("state file %s: %zu connections not restored (already open, too many "
		          "appliances, or out of memory)",
		          path, x.refused);
	return STATEFILE_LOADED;
}

enum statefile_load statefile_load(const char *path, struct engine *e, int64_t now,
                                   size_t *restored)
{
	*restored = 0;
	/* O_NONBLOCK: a FIFO put there must not hang the start (it is set aside below). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			log_info("state file %s: none yet, starting with no open connections",
			         path);
			return STATEFILE_ABSENT;
		}
		/* Unreadable for good is unusable: set aside, so that no checkpoint overwrites
		 * it. A passing failure (no descriptors, no memory) leaves it for the next start.
		 */
		if (errno == EACCES || errno == EPERM || errno == ELOOP) {
			char why[96];
			snprintf(why, sizeof(why), "cannot be opened (%s)", strerror(errno));
			return set_aside(path, why);
		}
		log_warn("state file %s: cannot open; starting with no open connections", path);
		return STATEFILE_FAILED;
	}
	struct stat st;
	enum statefile_load result;
	if (fstat(fd, &st) != 0) {
		log_warn("state file %s: fstat", path);
		result = STATEFILE_FAILED;
	} else if (!S_ISREG(st.st_mode)) {
		result = set_aside(path, "not a regular file");
	} else if (st.st_size == 0) {
		result = set_aside(path, "empty");
	} else {
		size_t len = (size_t)st.st_size;
		void *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (buf == MAP_FAILED) {
			log_warn("state file %s: mmap", path);
			result = STATEFILE_FAILED;
		} else {
			result = load_mapped(path, buf, len, e, now, restored);
			munmap(buf, len);
		}
	}
	close(fd);
	return result;
}
