/* The lines of a file that may be gzip-compressed (a log or verdict file as kept on disk): for
 * `esatlsd explain` and `esatlsd report`. Blocking reads; a tool's, not the daemon's. */
#ifndef ESATLS_GZLINES_H
#define ESATLS_GZLINES_H

#include <stddef.h>

#include "frame.h"

/* Called once per line (LF, CR LF or NUL ended; the terminator not included). */
typedef void (*gzlines_fn)(void *arg, const char *line, size_t len);

/* Reads fd (closed here) to its end, plain or gzip, calling fn for each line; lines longer than
 * max_line are cut there (counted in *counts, which may be NULL). Returns 0, or -1 on a read
 * error or lack of memory (reported with name). */
int gzlines_read(int fd, const char *name, size_t max_line, gzlines_fn fn, void *arg,
                 struct frame_counts *counts);

#endif
