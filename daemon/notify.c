#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "span.h"

struct notifier {
	int fd;
	int connected;
	int failing; /* the last send failed and was logged: say it once, not every 5 s */
	struct sockaddr_un addr;
	socklen_t addrlen;
};

struct notifier *notify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0')
		return NULL;
	size_t len = strlen(path);
	struct notifier *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(n->addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET is not a usable socket address; not notifying systemd");
		free(n);
		return NULL;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0'; /* the abstract namespace: no NUL terminator counted */
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		log_warn("notify socket");
		free(n);
		return NULL;
	}
	/* Connected now, while we may still be root: sends keep working after privileges drop
	 * even when the socket file is not writable by the new user. */
	n->connected = connect(n->fd, (struct sockaddr *)&n->addr, n->addrlen) == 0;
	return n;
}

/* The message's first line, at most 20 bytes of it: the log line stays one line. */
static int notify_first_line_len(const char *message)
{
	size_t len = strcspn(message, "\n");
	return len < 20 ? (int)len : 20;
}

int notify_send(struct notifier *n, const char *message)
{
	if (n == NULL)
		return 0;
	ssize_t r;
	do
		r = n->connected ? send(n->fd, message, strlen(message), MSG_NOSIGNAL)
		                 : sendto(n->fd, message, strlen(message), MSG_NOSIGNAL,
		                          (struct sockaddr *)&n->addr, n->addrlen);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* Once per failing streak; a streak that comes and goes is limited too. */
		if (!n->failing)
			log_warn_limited("notify systemd (%.*s)", notify_first_line_len(message),
			                 message);
		n->failing = 1;
		return -1;
	}
	n->failing = 0;
	return 0;
}

int notify_reloading(struct notifier *n)
{
	struct timespec ts;
	char msg[80];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return notify_send(n, msg);
}

static int env_u64(const char *name, unsigned long long *out)
{
	const char *v = getenv(name);
	if (v == NULL)
		return -1;
	return span_to_u64(span_make(v, strlen(v)), UINT64_MAX, out);
}

uint64_t notify_watchdog_usec(void)
{
	unsigned long long usec, pid;
	if (env_u64("WATCHDOG_USEC", &usec) != 0 || usec == 0)
		return 0;
	if (env_u64("WATCHDOG_PID", &pid) == 0 && pid != (unsigned long long)getpid())
		return 0;
	return usec;
}

void notify_close(struct notifier *n)
{
	if (n == NULL)
		return;
	close(n->fd);
	free(n);
}
