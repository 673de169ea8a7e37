/* The reserve descriptor (fdreserve.h). */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdreserve.h"

static int reserve_fd = -1;

void fd_reserve_hold(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int fd_reserve_release(void)
{
	if (reserve_fd < 0)
		return -1;
	close(reserve_fd);
	reserve_fd = -1;
	return 0;
}

int fd_reserve_refuse(int listen_fd)
{
	if (reserve_fd < 0)
		return -1;
	close(reserve_fd);
	reserve_fd = -1;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	fd_reserve_hold();
	return fd >= 0 ? 0 : -1;
}
