/* A YAML document as a small tree: libyaml events are built into nodes (one document, aliases
 * refused, nesting bounded) that keep their line and column for messages. Problems found in the
 * document, by the builder or by whoever checks the tree, are collected in a yreport and
 * reported sorted by position ("NAME:LINE:COLUMN: message"), so that they read in file order. */
#ifndef ESATLSD_YAMLTREE_H
#define ESATLSD_YAMLTREE_H

#include <stdarg.h>
#include <stddef.h>

#define YTREE_MAX_DEPTH 32
#define YREPORT_MAX_ERRORS 100 /* stored and reported; the rest are only counted */
#define YSHOWN_MAX 60          /* bytes of a bad value quoted in a message */
#define YSHOWN_BUF (YSHOWN_MAX * 6 + 8)

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_LIST,
	YNODE_MAP,
	YNODE_ALIAS /* already reported: every check skips it silently */
};

struct ynode {
	enum ynode_kind kind;
	int plain;             /* unquoted scalar: the only style in which "" and "~" are null */
	unsigned line, column; /* 1-based */
	char *text;            /* scalar, NUL-terminated; it may hold NULs of its own ("\0") */
	size_t len;
	struct ynode **items; /* list items; map keys and values alternating */
	size_t n, cap;
};

/* Receives one formatted problem line (no newline). */
typedef void (*yreport_fn)(const char *message, void *arg);

struct yproblem;

struct yreport {
	const char *name; /* the file, first in every message */
	yreport_fn report;
	void *arg;
	struct yproblem *problems;
	size_t n_problems;
	size_t n_errors; /* all found, stored or not */
	int stop;        /* the document cannot be read further */
};

void yreport_init(struct yreport *r, const char *name, yreport_fn report, void *arg);

/* Records a problem at line:column (line 0: the file as a whole). */
void yreport_error(struct yreport *r, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void yreport_verror(struct yreport *r, unsigned line, unsigned column, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Hands every stored problem to the report function, sorted by position, then a count of those
 * not stored; frees them. */
void yreport_flush(struct yreport *r);

/* The document's tree, NULL when it is empty or could not be read (r->stop is then set). */
struct ynode *ytree_load(struct yreport *r, const char *buf, size_t len);

void ynode_free(struct ynode *n);

/* A plain "", "~" or "null" in any of its spellings. */
int ynode_is_null(const struct ynode *n);

/* What a node is, for "got ...": a quoted value, "nothing", "a list" or "a mapping". */
const char *ynode_show(const struct ynode *n, char buf[YSHOWN_BUF]);

/* Writes text quoted with `quote`, control characters (C0, DEL, C1) escaped, cut after
 * YSHOWN_MAX bytes at a character boundary. buf holds YSHOWN_BUF bytes. */
void yquote(char buf[YSHOWN_BUF], const char *text, size_t len, char quote);

#endif
