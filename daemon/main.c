#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "replay.h"

static void usage(FILE *fp)
{
	fprintf(fp, "usage: esatlsd [-v] [-c FILE]                  run the daemon\n"
	            "       esatlsd -t [-c FILE]                     check the configuration\n"
	            "       esatlsd [-v] [-c FILE] [-H HOST] -r FILE|- [[-H HOST] -r FILE|-]... "
	            "[-o OUTPUT]\n"
	            "                                                replay logs\n"
	            "       esatlsd -V | -h\n"
	            "  -c FILE  configuration (YAML); without it the built-in defaults\n"
	            "  -t       check the configuration and exit (0 valid, 2 not)\n"
	            "  -r FILE  replay an ESA mail log (native, relay-written or syslog lines; - "
	            "is stdin)\n"
	            "  -H HOST  the appliance of the following -r inputs' lines that name none\n"
	            "  -o FILE  replay: write records to FILE (default: standard output)\n"
	            "  -v       more detail on standard error\n"
	            "  -V       print the version\n"
	            "  -h       this help\n");
}

static void report_config_error(const char *message, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", message);
}

static struct config *load_config(const char *path)
{
	if (path == NULL)
		return config_default();
	return config_load(path, report_config_error, NULL);
}

int main(int argc, char **argv)
{
	struct replay_input *inputs = calloc((size_t)argc, sizeof(*inputs));
	const char *config_path = NULL, *output = NULL, *host = NULL;
	size_t n_inputs = 0;
	int verbosity = 0, check_only = 0, c, status;

	if (inputs == NULL)
		fatalx("out of memory");
	while ((c = getopt(argc, argv, "c:tH:r:o:vVh")) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'H':
			host = optarg;
			break;
		case 'r':
			inputs[n_inputs].path = optarg;
			inputs[n_inputs++].host = host;
			break;
		case 'o':
			output = optarg;
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
	if (optind < argc || (output != NULL && n_inputs == 0)) {
		log_warnx(optind < argc ? "unexpected argument: %s" : "-o goes with -r%s",
		          optind < argc ? argv[optind] : "");
		usage(stderr);
		free(inputs);
		return 2;
	}
	struct config *cfg = load_config(config_path);
	if (cfg == NULL) {
		if (config_path != NULL)
			fprintf(stderr, "%s: configuration not valid\n", config_path);
		free(inputs);
		return 2;
	}
	if (check_only) {
		printf("%s: configuration valid\n", cfg->source);
		config_free(cfg);
		free(inputs);
		return 0;
	}
	if (n_inputs > 0) {
		struct replay_options opt = {inputs, n_inputs, output, cfg->max_message_size,
		                             cfg->engine};
		status = replay_run(&opt);
		config_free(cfg);
	} else {
		status = daemon_run(cfg, config_path);
	}
	free(inputs);
	return status;
}
