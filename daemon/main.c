#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "explain.h"
#include "report.h"
#include "log.h"
#include "precheck.h"
#include "replay.h"

#ifndef ESATLSD_CONFIG_FILE
#define ESATLSD_CONFIG_FILE "/etc/esatlsd/esatlsd.yaml"
#endif

enum { OPT_DEFAULTS = 256 };

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'}, {"defaults", no_argument, NULL, OPT_DEFAULTS},
    {"check", no_argument, NULL, 't'},        {"replay", required_argument, NULL, 'r'},
    {"host", required_argument, NULL, 'H'},   {"output", required_argument, NULL, 'o'},
    {"verbose", no_argument, NULL, 'v'},      {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: esatlsd [-v] [-c FILE | --defaults]      run the daemon\n"
	        "       esatlsd -t [-c FILE | --defaults]        check the configuration\n"
	        "       esatlsd [-v] [-c FILE] [-H HOST] -r FILE|- [[-H HOST] -r FILE|-]... "
	        "[-o OUTPUT]\n"
	        "                                                replay logs\n"
	        "       esatlsd explain [--json] FILE|-          what esatlsd reads in a log\n"
	        "                                                (gzip too): exit 0 when ESA\n"
	        "                                                lines are found, 1 when none\n"
	        "       esatlsd report [--by domain|ip|appliance] [--since WHEN] [--json] [--html "
	        "OUT]\n"
	        "                      FILE|-...                 TLS posture per peer from verdict "
	        "files\n"
	        "       esatlsd -V | -h\n"
	        "  -c, --config FILE   the configuration (YAML); default " ESATLSD_CONFIG_FILE "\n"
	        "      --defaults      the built-in configuration instead of a file: UDP and TCP\n"
	        "                      on 127.0.0.1:5514, records to standard output\n"
	        "  -t, --check         check the configuration, its user and its output\n"
	        "                      directories, and exit (0 valid, 2 not)\n"
	        "  -r, --replay FILE   replay an ESA mail log (native, relay-written or syslog\n"
	        "                      lines; - is stdin); uses -c FILE's settings when given,\n"
	        "                      else the built-in ones\n"
	        "  -H, --host HOST     the appliance of the following -r inputs' lines that name\n"
	        "                      none\n"
	        "  -o, --output FILE   replay: write records to FILE (default: standard output)\n"
	        "  -v, --verbose       more detail on standard error\n"
	        "  -V, --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n");
}

static void report_plain(const char *message, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", message);
}

/* The daemon's start-up problems go to its log at error level (the journal's priority 3). */
static void report_error(const char *message, void *arg)
{
	(void)arg;
	log_errorx("%s", message);
}

int main(int argc, char **argv)
{
	struct replay_input *inputs = calloc((size_t)argc, sizeof(*inputs));
	const char *config_path = NULL, *output = NULL, *host = NULL;
	size_t n_inputs = 0;
	int verbosity = 0, check_only = 0, defaults = 0, c, status;

	if (inputs == NULL)
		fatalx("out of memory");
	if (argc >= 2 && (strcmp(argv[1], "explain") == 0 || strcmp(argv[1], "report") == 0)) {
		log_init(argv[0], 0);
		free(inputs);
		if (strcmp(argv[1], "report") == 0)
			return report_main(argc - 1, argv + 1);
		return explain_main(argc - 1, argv + 1);
	}
	while ((c = getopt_long(argc, argv, "c:tH:r:o:vVh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_DEFAULTS:
			defaults = 1;
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
	const char *misuse = NULL;
	if (optind < argc)
		misuse = "unexpected argument";
	else if (output != NULL && n_inputs == 0)
		misuse = "-o goes with -r";
	else if (defaults && config_path != NULL)
		misuse = "-c and --defaults exclude each other";
	if (misuse != NULL) {
		if (optind < argc)
			log_warnx("%s: %s", misuse, argv[optind]);
		else
			log_warnx("%s", misuse);
		usage(stderr);
		free(inputs);
		return 2;
	}
	/* The daemon and -t read the installed file unless told otherwise; a replay is a tool
	 * for any log on any machine, so it takes the built-in settings unless -c names a file. */
	int daemon_mode = n_inputs == 0;
	if (config_path == NULL && daemon_mode && !defaults) {
		config_path = ESATLSD_CONFIG_FILE;
		if (access(config_path, F_OK) != 0) {
			log_fatalx("%s: %s (the default configuration: name another with -c FILE, "
			           "or use the built-in one with --defaults)",
			           config_path, strerror(errno));
			free(inputs);
			return 2;
		}
	}
	config_report_fn report = daemon_mode && !check_only ? report_error : report_plain;
	struct config *cfg =
	    config_path == NULL ? config_default() : config_load(config_path, report, NULL);
	if (cfg != NULL && check_only && precheck_run(cfg, report, NULL) > 0) {
		config_free(cfg);
		cfg = NULL;
	}
	if (cfg == NULL) {
		if (config_path == NULL)
			log_fatalx("out of memory");
		else if (report == report_error)
			log_fatalx("%s: configuration not valid", config_path);
		else
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
	if (!daemon_mode) {
		struct replay_options opt = {inputs,      n_inputs,
		                             output,      cfg->max_message_size,
		                             cfg->engine, config_record_types(cfg)};
		status = replay_run(&opt);
		config_free(cfg);
	} else {
		status = daemon_run(cfg, config_path);
	}
	free(inputs);
	return status;
}
