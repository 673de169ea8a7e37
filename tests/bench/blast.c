/* Load generator of the ingest benchmark (tests/bench/run-daemon): sends a file of syslog lines to
 * a receiver on the loopback address and measures how long the receiver takes to process them.
 *
 *   blast ports N
 *       N free TCP ports, then N free UDP ports, on 127.0.0.1, one a line.
 *   blast tcp PORT FILE [OUTPUT LINES]
 *       Connects to 127.0.0.1:PORT, writes FILE (LF-framed lines) with large writes and shuts
 *       down the sending side. Then waits until the receiver has processed everything: without
 *       OUTPUT, until it closes the connection (a receiver that frames and handles every line
 *       before it closes on end of input); with OUTPUT, until LINES more lines have been
 *       appended to that file. Prints "bytes B send_s S done_s D lines L" (seconds from the first
 *       byte sent; L: the lines counted in OUTPUT, or 0).
 *   blast udp PORT FILE RATE COUNT [OUTPUT]
 *       Sends COUNT datagrams to 127.0.0.1:PORT, one line of FILE each (without its LF, cycling
 *       through the file), paced at RATE datagrams per second in batches of sendmmsg. With
 *       OUTPUT, then counts the lines appended to it until there are as many as datagrams sent
 *       or it has not grown for 1.5 s. Prints "sent N failed F elapsed_s E rate R lines L"
 *       (R: datagrams per second achieved; L: lines counted in OUTPUT, or 0).
 *
 * Exit status 0; 1 on an error or a TCP time-out (no progress for 30 s); 2 for a usage error.
 * The file is read into memory before the clock starts. C11 + POSIX/Linux, no dependencies. */
#define _GNU_SOURCE /* sendmmsg */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WRITE_CHUNK (1u << 20)
#define READ_CHUNK (1u << 20)
#define UDP_BATCH 64           /* datagrams per sendmmsg */
#define SLICES_PER_SECOND 2000 /* pacing granularity of the UDP sender */
#define STALL_SECONDS 30       /* give up waiting when nothing moves for this long */
#define STALL_NS ((int64_t)STALL_SECONDS * 1000000000)
#define SETTLE_NS 1500000000 /* udp: lost datagrams never come; longer than a 1 s flush timer */
#define POLL_NS 1000000L     /* output file polled every millisecond */
#define MAX_PORTS 16

struct input {
	char *data;
	size_t len;
	/* udp: line starts and lengths (without the LF) */
	struct iovec *lines;
	size_t n_lines;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double seconds_since(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || x > max)
		return -1;
	*v = x;
	return 0;
}

static int read_file(const char *path, struct input *in)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "blast: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	in->len = (size_t)st.st_size;
	in->data = malloc(in->len ? in->len : 1);
	if (in->data == NULL) {
		fprintf(stderr, "blast: out of memory\n");
		close(fd);
		return -1;
	}
	size_t have = 0;
	while (have < in->len) {
		ssize_t n = read(fd, in->data + have, in->len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "blast: %s: short read\n", path);
			close(fd);
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	return 0;
}

/* Splits the file into lines for the UDP sender: each line is one datagram, without its LF. */
static int index_lines(struct input *in)
{
	size_t cap = in->len / 64 + 16, off = 0;
	in->lines = malloc(cap * sizeof(*in->lines));
	while (in->lines != NULL && off < in->len) {
		char *nl = memchr(in->data + off, '\n', in->len - off);
		size_t end = nl ? (size_t)(nl - in->data) : in->len;
		if (in->n_lines == cap) {
			struct iovec *grown = realloc(in->lines, 2 * cap * sizeof(*in->lines));
			if (grown == NULL)
				break;
			in->lines = grown;
			cap *= 2;
		}
		in->lines[in->n_lines].iov_base = in->data + off;
		in->lines[in->n_lines++].iov_len = end - off;
		off = end + 1;
	}
	if (in->lines == NULL || off < in->len) {
		fprintf(stderr, "blast: out of memory\n");
		return -1;
	}
	if (in->n_lines == 0) {
		fprintf(stderr, "blast: the input has no line\n");
		return -1;
	}
	return 0;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* ---- ports ---- */

static int bound_port(int type, int *fd)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	*fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("blast: ports");
		return -1;
	}
	return ntohs(sa.sin_port);
}

/* All sockets stay bound until every port is chosen, so the ports printed are distinct. */
static int cmd_ports(uint64_t n)
{
	int fds[2 * MAX_PORTS], ports[2 * MAX_PORTS];
	for (size_t i = 0; i < 2 * n; i++) {
		ports[i] = bound_port(i < n ? SOCK_STREAM : SOCK_DGRAM, &fds[i]);
		if (ports[i] < 0)
			return 1;
	}
	for (size_t i = 0; i < 2 * n; i++) {
		printf("%d\n", ports[i]);
		close(fds[i]);
	}
	return 0;
}

/* ---- tcp ---- */

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len < WRITE_CHUNK ? len : WRITE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("blast: write");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The receiver closes its side once it has read (and handled) the end of input. */
static int wait_for_close(int fd)
{
	char buf[4096];
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, STALL_SECONDS * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			fprintf(stderr, "blast: the receiver did not close in %d s\n",
			        STALL_SECONDS);
			return -1;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0 && errno != EINTR) {
			perror("blast: read");
			return -1;
		}
	}
}

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static uint64_t count_newlines(const char *p, size_t len)
{
	uint64_t n = 0;
	const char *end = p + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Counts the lines appended to `path` after offset `from` until there are `want` of them, or
 * until the file has not grown for `stall_ns`. The file may not exist yet (a receiver that
 * creates it on its first write). */
static int wait_for_lines(const char *path, int64_t from, uint64_t want, int64_t stall_ns,
                          uint64_t *got)
{
	char *buf = malloc(READ_CHUNK);
	int fd = -1;
	int64_t off = from, last_progress = now_ns();
	struct timespec pause = {0, POLL_NS};
	*got = 0;
	if (buf == NULL)
		return -1;
	while (*got < want) {
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? 0 : pread(fd, buf, READ_CHUNK, off);
		if (n > 0) {
			*got += count_newlines(buf, (size_t)n);
			off += n;
			last_progress = now_ns();
			continue;
		}
		if (now_ns() - last_progress > stall_ns)
			break;
		nanosleep(&pause, NULL);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return *got >= want ? 0 : -1;
}

static int cmd_tcp(uint16_t port, const struct input *in, const char *output, uint64_t want)
{
	struct sockaddr_in sa = loopback(port);
	int64_t from = output ? file_size(output) : 0;
	uint64_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("blast: connect");
		return 1;
	}
	int64_t t0 = now_ns();
	if (write_all(fd, in->data, in->len) != 0)
		return 1;
	shutdown(fd, SHUT_WR);
	double send_s = seconds_since(t0);
	int status =
	    output ? wait_for_lines(output, from, want, STALL_NS, &got) : wait_for_close(fd);
	double done_s = seconds_since(t0);
	if (output != NULL && status != 0)
		fprintf(stderr,
		        "blast: %s: %" PRIu64 " of %" PRIu64 " lines, then nothing for %d s\n",
		        output, got, want, STALL_SECONDS);
	close(fd);
	printf("bytes %zu send_s %.6f done_s %.6f lines %" PRIu64 "\n", in->len, send_s, done_s,
	       got);
	return status == 0 ? 0 : 1;
}

/* ---- udp ---- */

/* Sends `count` datagrams from line `*next` on (wrapping), in sendmmsg batches. Datagrams the
 * kernel refuses (ENOBUFS and the like) are counted as failed, not retried. */
static void udp_send(int fd, const struct input *in, size_t *next, uint64_t count,
                     struct mmsghdr *msgs, uint64_t *sent, uint64_t *failed)
{
	while (count > 0) {
		unsigned n = count < UDP_BATCH ? (unsigned)count : UDP_BATCH;
		for (unsigned i = 0; i < n; i++) {
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &in->lines[*next];
			msgs[i].msg_hdr.msg_iovlen = 1;
			if (++*next == in->n_lines)
				*next = 0;
		}
		unsigned done = 0;
		while (done < n) {
			int r = sendmmsg(fd, msgs + done, n - done, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				(*failed)++; /* the first of the rest is refused: skip it */
				done++;
				continue;
			}
			done += (unsigned)r;
			*sent += (uint64_t)r;
		}
		count -= n;
	}
}

static int cmd_udp(uint16_t port, const struct input *in, uint64_t rate, uint64_t count,
                   const char *output)
{
	struct sockaddr_in sa = loopback(port);
	struct mmsghdr msgs[UDP_BATCH];
	uint64_t sent = 0, failed = 0, due = 0, got = 0;
	int64_t from = output ? file_size(output) : 0;
	size_t next = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("blast: udp socket");
		return 1;
	}
	int64_t t0 = now_ns();
	/* Slice k is due at t0 + k/SLICES_PER_SECOND and brings the total to rate*k/slices: the
	 * schedule is absolute, so a late slice is caught up, never lost. */
	for (uint64_t k = 1; sent + failed < count; k++) {
		uint64_t target = rate * k / SLICES_PER_SECOND;
		if (target > count)
			target = count;
		if (target > due) {
			udp_send(fd, in, &next, target - due, msgs, &sent, &failed);
			due = target;
		}
		int64_t at = t0 + (int64_t)(k * 1000000000 / SLICES_PER_SECOND);
		struct timespec ts = {(time_t)(at / 1000000000), (long)(at % 1000000000)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	double elapsed = seconds_since(t0);
	close(fd);
	if (output != NULL)
		wait_for_lines(output, from, sent, SETTLE_NS, &got);
	printf("sent %" PRIu64 " failed %" PRIu64 " elapsed_s %.6f rate %.0f lines %" PRIu64 "\n",
	       sent, failed, elapsed, (double)sent / elapsed, got);
	return 0;
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr, "usage: blast ports N\n"
	                "       blast tcp PORT FILE [OUTPUT LINES]\n"
	                "       blast udp PORT FILE RATE COUNT [OUTPUT]\n");
	return 2;
}

static int run(int argc, char **argv, struct input *in)
{
	uint64_t port, a, b;
	if (argc == 3 && strcmp(argv[1], "ports") == 0) {
		if (parse_u64(argv[2], MAX_PORTS, &a) != 0 || a == 0)
			return usage();
		return cmd_ports(a);
	}
	if (argc < 4 || parse_u64(argv[2], 65535, &port) != 0 || port == 0)
		return usage();
	if (strcmp(argv[1], "tcp") == 0 && (argc == 4 || argc == 6)) {
		if (argc == 6 && parse_u64(argv[5], UINT64_MAX, &b) != 0)
			return usage();
		if (read_file(argv[3], in) != 0)
			return 1;
		return cmd_tcp((uint16_t)port, in, argc == 6 ? argv[4] : NULL, argc == 6 ? b : 0);
	}
	if (strcmp(argv[1], "udp") == 0 && (argc == 6 || argc == 7)) {
		if (parse_u64(argv[4], 100000000, &a) != 0 || a == 0 ||
		    parse_u64(argv[5], UINT64_MAX, &b) != 0)
			return usage();
		if (read_file(argv[3], in) != 0 || index_lines(in) != 0)
			return 1;
		return cmd_udp((uint16_t)port, in, a, b, argc == 7 ? argv[6] : NULL);
	}
	return usage();
}

int main(int argc, char **argv)
{
	struct input in = {0};
	int status = run(argc, argv, &in);
	free(in.lines);
	free(in.data);
	return status;
}
