#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay.h"

#define DEFAULT_MAX_MESSAGE (64u * 1024u)

static void usage(FILE *fp)
{
	fprintf(fp, "usage: esatlsd [-v] -r FILE|- [-r FILE|-]... [-o OUTPUT]\n"
	            "       esatlsd -V | -h\n"
	            "  -r FILE  replay an ESA mail log (native, relay-written or syslog lines; - "
	            "is stdin)\n"
	            "  -o FILE  write verdict records to FILE (default: standard output)\n"
	            "  -v       more detail on standard error\n"
	            "  -V       print the version\n"
	            "  -h       this help\n");
}

int main(int argc, char **argv)
{
	struct replay_options opt;
	const char **inputs = calloc((size_t)argc, sizeof(*inputs));
	int verbosity = 0, c;

	if (inputs == NULL)
		fatalx("out of memory");
	memset(&opt, 0, sizeof(opt));
	opt.inputs = inputs;
	opt.max_message = DEFAULT_MAX_MESSAGE;
	engine_config_defaults(&opt.engine);

	while ((c = getopt(argc, argv, "r:o:vVh")) != -1) {
		switch (c) {
		case 'r':
			inputs[opt.n_inputs++] = optarg;
			break;
		case 'o':
			opt.output = optarg;
			break;
		case 'v':
			verbosity++;
			break;
		case 'V':
			printf("esatlsd %s\n", ESATLSD_VERSION);
			free(inputs);
			return 0;
		case 'h':
			usage(stdout);
			free(inputs);
			return 0;
		default:
			usage(stderr);
			free(inputs);
			return 2;
		}
	}
	log_init(argv[0], verbosity);
	if (optind < argc) {
		log_warnx("unexpected argument: %s", argv[optind]);
		usage(stderr);
		free(inputs);
		return 2;
	}
	if (opt.n_inputs == 0) {
		log_warnx("nothing to do: give -r FILE (listening as a daemon is not built yet)");
		usage(stderr);
		free(inputs);
		return 2;
	}
	int status = replay_run(&opt);
	free(inputs);
	return status;
}
