#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzlines.h"
#include "log.h"

#define GZLINES_READ (1u << 20)

int gzlines_read(int fd, const char *name, size_t max_line, gzlines_fn fn, void *arg,
                 struct frame_counts *counts)
{
	struct frame_stream fs;
	struct frame_result res;
	gzFile gz = gzdopen(fd, "rb");
	int status = 0;
	if (gz == NULL || frame_stream_init(&fs, FRAME_MODE_LF_ONLY, max_line, GZLINES_READ) != 0) {
		log_warnx("%s: out of memory", name);
		if (gz != NULL)
			gzclose(gz);
		else
			close(fd);
		return -1;
	}
	for (;;) {
		int n = gzread(gz, frame_stream_space(&fs), (unsigned)frame_stream_room(&fs));
		if (n < 0) {
			int err;
			const char *why = gzerror(gz, &err);
			log_warnx("%s: read failed: %s", name,
			          err == Z_ERRNO ? strerror(errno) : why);
			status = -1;
			break;
		}
		if (n == 0)
			break;
		frame_stream_wrote(&fs, (size_t)n);
		while (frame_stream_next(&fs, &res))
			fn(arg, res.msg.p, res.msg.len);
	}
	if (status == 0 && frame_stream_finish(&fs, &res))
		fn(arg, res.msg.p, res.msg.len);
	if (counts != NULL)
		*counts = frame_stream_take_counts(&fs);
	frame_stream_free(&fs);
	gzclose(gz);
	return status;
}
