/* esatlsd configuration: the YAML file of DESIGN.md ("Configuration") parsed with libyaml into a
 * struct config, or the built-in defaults. Every problem is reported as "FILE:LINE:COLUMN: message"
 * and parsing goes on to report them all; a config with any error is not returned. */
#ifndef ESATLSD_CONFIG_H
#define ESATLSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "engine.h"
#include "record.h"

/* Defaults and limits of the settings (DESIGN.md "Configuration"); the tracker's own defaults
 * are in lib/ (track_config_defaults). Every module takes them from here. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define DEFAULT_LISTEN_ADDRESS "127.0.0.1:5514"
#define DEFAULT_TCP_MAX_CONNECTIONS 256
#define DEFAULT_TCP_IDLE_MS (10 * 60 * 1000)
#define DEFAULT_TCP_PER_SOURCE 16
#define MAX_TCP_CONNECTIONS 65536
#define MAX_RCVBUF (512ULL * 1024 * 1024)
#define DEFAULT_MAX_MESSAGE (64 * 1024)
#define MIN_MAX_MESSAGE 1024
#define MAX_MAX_MESSAGE (1024 * 1024)
#define DEFAULT_ALERT_DELAY_MS 2000
#define DEFAULT_CHECKPOINT_MS 60000
#define DEFAULT_LOG_BURST 5
#define DEFAULT_LOG_INTERVAL_MS 60000
#define MAX_LOG_BURST 1000
#define MAX_LOG_INTERVAL_MS 86400000ull
#define MAX_TRACKED 100000000
#define DEFAULT_QUEUE 10000
#define MAX_QUEUE 10000000
#define MAX_HOOKS 64 /* each hook holds runners, queues and throttle tables */
#define HOOK_NAME_MAX 64
#define HOOK_ARGS_MAX 64 /* the program included */
#define HOOK_ARG_BYTES 4096
#define DEFAULT_HOOK_TIMEOUT_MS 10000
#define MAX_HOOK_TIMEOUT_MS (60 * 60 * 1000)
#define DEFAULT_HOOK_CONCURRENT 4
#define MAX_HOOK_CONCURRENT 64
#define DEFAULT_HOOK_QUEUE 1000
#define MAX_HOOK_QUEUE 1000000
#define DEFAULT_HOOK_RETRIES 3
#define MAX_HOOK_RETRIES 10
#define DEFAULT_STOP_TIMEOUT_MS 10000
#define MAX_STOP_TIMEOUT_MS 25000 /* under the unit's TimeoutStopSec=30s */
#define DEFAULT_METRICS_CONNECTIONS 64
#define MAX_METRICS_CONNECTIONS 10000
#define DEFAULT_METRICS_TIMEOUT_MS 10000
#define MAX_METRICS_TIMEOUT_MS 600000
#define MAX_HOOK_HEADERS 32
#define HOOK_HEADER_BYTES 4096 /* a header's value, a token or a routing key */
#define HOOK_SECRET_FILE_BYTES 65536
#define MAX_HOOK_NAMESERVERS 8
/* Record types of an output or hook when none are given: connections only. A zero mask in a
 * struct built in code means the same. */
#define DEFAULT_RECORD_TYPES (1u << RECORD_CONNECTION)
#define ALL_FEED_STATES ((1u << FEED_STATE_COUNT) - 1)
#define ALL_DOWNGRADE_KINDS ((1u << DOWNGRADE_KIND_COUNT) - 1)
#define DEFAULT_SILENT_AFTER_MS (15 * 60 * 1000)
#define MAX_SILENT_AFTER_MS (30ull * 86400 * 1000)
#define MAX_EXPECTED_APPLIANCES 4096 /* the engine follows at most this many */

enum listen_proto { LISTEN_UDP, LISTEN_TCP, LISTEN_TLS };

/* Whether a TLS listener asks for a client certificate (RFC 5425 section 5.3). */
enum tls_verify {
	TLS_VERIFY_NONE,     /* no certificate asked for */
	TLS_VERIFY_OPTIONAL, /* asked for; one that is sent must verify against ca_file */
	TLS_VERIFY_REQUIRED  /* a client without a valid certificate is refused */
};

#define MAX_ALLOWED_NAMES 64

struct listen_config {
	enum listen_proto proto;
	char *address; /* as written: "127.0.0.1:5514", "[::1]:5514", "0.0.0.0:514" */
	struct sockaddr_storage addr; /* numeric only: no DNS lookups */
	socklen_t addrlen;
	uint64_t rcvbuf;          /* UDP: SO_RCVBUF bytes, 0 = system default (key "rcvbuf") */
	uint32_t max_connections; /* TCP, TLS: open connections at once (default 256) */
	uint64_t idle_timeout_ms; /* TCP, TLS: close a connection silent this long (default 10m),
	                           * the TLS handshake included */
	uint32_t max_per_source;  /* TCP, TLS: connections of one sender address (default 16) */
	/* TLS only; paths as written, read again at each reload. */
	char *cert_file, *key_file; /* PEM: the server's certificate (chain) and private key */
	char *ca_file;              /* PEM: CAs that client certificates must chain to */
	enum tls_verify verify_client;
	char **allowed_names; /* client certificate subject CN or DNS SAN; n 0 = any */
	size_t n_allowed_names;
	unsigned line, column; /* where it was configured, for messages */
};

struct output_config {
	char *file;        /* path, or "-" for standard output */
	unsigned verdicts; /* bit (1u << enum verdict_kind) per kind written; default all four */
	unsigned types; /* bit (1u << enum record_type) per record type; 0 = default (connection) */
	uint32_t queue; /* records held while the file cannot be written (default 10000) */
};

enum hook_kind {
	HOOK_EXEC,   /* exec: [argv...] */
	HOOK_WEBHOOK /* webhook: "http://HOST:PORT/PATH" */
};

/* The body of a webhook (hook_format.h). */
enum hook_format {
	HOOK_FORMAT_RECORD, /* the record's JSON line, as the files have it */
	HOOK_FORMAT_SLACK,
	HOOK_FORMAT_TEAMS,
	HOOK_FORMAT_ALERTMANAGER,
	HOOK_FORMAT_PAGERDUTY,
	HOOK_FORMAT_COUNT
};

/* A request header of a webhook. Values may be secrets: never logged nor shown in messages. */
struct hook_header {
	char *name;
	char *value;
};

enum throttle_key {
	THROTTLE_NONE, /* one alert per interval for the whole hook */
	THROTTLE_PEER_IP,
	THROTTLE_HOST
};

struct hook_config {
	char *name; /* required, unique: [A-Za-z0-9_.-]{1,64} */
	enum hook_kind kind;
	char **argv; /* exec: NULL-terminated; argv[0] an absolute path; never a shell */
	size_t argc;
	char *url;           /* webhook: http:// or https://, host numeric or a DNS name */
	unsigned verdicts;   /* on.verdict: bit (1u << enum verdict_kind); default tls_failed */
	unsigned directions; /* on.direction: bit (1u << enum esa_dir); default both */
	unsigned types;      /* on.type: bit (1u << enum record_type); 0 = default (connection) */
	unsigned states;     /* on.state: bit (1u << enum feed_state) of feed records; 0 = all */
	unsigned kinds; /* on.kind: bit (1u << enum downgrade_kind) of downgrade records; 0 = all */
	char **hosts;   /* on.host: appliance names; n_hosts 0 = any */
	size_t n_hosts;
	uint64_t timeout_ms;     /* default 10 s */
	uint32_t max_concurrent; /* runs or requests at once, default 4 */
	uint32_t queue;          /* alerts waiting, default 1000; past it dropped and counted */
	uint32_t retries;        /* webhook: attempts after the first on 5xx or connection errors,
	                          * default 3, with back-off 1 s, 2 s, 4 s... */
	enum throttle_key throttle_key;
	uint64_t throttle_interval_ms; /* 0 = no throttle */
	/* webhook only: */
	enum hook_format format;     /* default record */
	struct hook_header *headers; /* headers, headers_file and token_file, in that order */
	size_t n_headers;
	char *routing_key;  /* pagerduty: routing_key or routing_key_file's (a secret) */
	char *ca_file;      /* https: trust only these certificates; NULL: the system's */
	int tls_verify;     /* https: check the certificate and its name (default 1) */
	char **nameservers; /* "IP" or "IP:PORT"; n_nameservers 0: /etc/resolv.conf's */
	size_t n_nameservers;
	unsigned line, column;
};

struct config {
	char *source; /* the file read, or "built-in defaults" */
	struct listen_config *listen;
	size_t n_listen;
	int listen_given; /* the file has a 'listen' key (without one: the built-in listeners) */
	struct cidr *allow_from; /* NULL with n_allow 0 when the key is absent: any sender */
	size_t n_allow;
	int allow_from_set;          /* the key was given (an empty list then allows nobody) */
	uint64_t max_message_size;   /* bytes (default 64 KiB, at most 1 MiB) */
	struct engine_config engine; /* tracking: idle_timeout, lifetime, linger, max_connections */
	uint64_t alert_delay_ms;     /* tracking.alert_delay (default 2 s) */
	char *state_file;            /* tracking.state_file; NULL = open connections end at stop */
	uint64_t checkpoint_ms;      /* tracking.checkpoint_interval (default 60 s; 0 = at stop) */
	unsigned log_burst;          /* log_repeats.burst: lines of one kind per window (5) */
	uint64_t log_interval_ms;    /* log_repeats.interval: the window (60 s) */
	struct output_config *outputs;
	size_t n_outputs;
	char *user; /* drop to this user after binding when started as root; NULL = stay */
	struct hook_config *hooks;
	size_t n_hooks;
	uint64_t silent_after_ms; /* appliances.silent_after: a feed this quiet is silent (15m) */
	char **expected;          /* appliances.expected: names reported missing when unseen */
	size_t n_expected;
	char *metrics_address; /* metrics.address as written; NULL = no metrics endpoint */
	struct sockaddr_storage metrics_addr; /* numeric only, like the listeners' */
	socklen_t metrics_addrlen;
	uint32_t metrics_max_connections; /* metrics.max_connections: scrapers at once (64) */
	uint64_t metrics_timeout_ms;      /* metrics.timeout: to answer a request (10 s) */
	uint64_t
	    stop_timeout_ms; /* stop_timeout: outputs and hooks get this long at a stop (10 s) */
};

/* Receives one formatted error line ("FILE:LINE:COLUMN: message", no newline). */
typedef void (*config_report_fn)(const char *message, void *arg);

/* The built-in defaults (DESIGN.md): UDP and TCP on 127.0.0.1:5514, records to standard output.
 * NULL only if memory ran out. */
struct config *config_default(void);

/* Reads and checks FILE. Returns the config, or NULL after reporting every error found (an
 * unreadable file is one error "FILE: strerror"). */
struct config *config_load(const char *path, config_report_fn report, void *arg);

/* The same on a buffer; name is used in messages. */
struct config *config_parse(const char *name, const char *buf, size_t len, config_report_fn report,
                            void *arg);

void config_free(struct config *cfg);

/* The record types some output or hook takes (bits 1u << enum record_type): message records
 * are followed only when one asks for them. */
unsigned config_record_types(const struct config *cfg);

/* "udp", "tcp" or "tls". */
const char *config_listen_proto_name(enum listen_proto proto);

/* True when two listeners would bind the same socket the same way (reload keeps it open). */
int config_listen_same(const struct listen_config *a, const struct listen_config *b);

#endif
