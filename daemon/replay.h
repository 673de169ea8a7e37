/* Replay mode (esatlsd -r): log files or stdin through the same engine as the daemon, one
 * record per connection to an output file, open connections flushed as end "eof". */
#ifndef ESATLSD_REPLAY_H
#define ESATLSD_REPLAY_H

#include <stddef.h>

#include "engine.h"

struct replay_input {
	const char *path; /* "-" is standard input */
	const char *host; /* the appliance for lines without a HOSTNAME; NULL or "" = none */
};

struct replay_options {
	const struct replay_input *inputs;
	size_t n_inputs;
	const char *output; /* path, or NULL / "-" for standard output */
	size_t max_message; /* longest line kept whole; longer ones are truncated */
	struct engine_config engine;
	unsigned types; /* record types written (1u << enum record_type); 0: connections */
};

/* Runs a replay. Returns the process exit status: 0 done, 2 an input or the output could not
 * be opened (or an input is a directory), 1 reading or writing failed midway (reported on
 * stderr). */
int replay_run(const struct replay_options *opt);

#endif
