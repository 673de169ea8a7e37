/* libFuzzer target for the YAML tree builder: any bytes in. A document that cannot be read
 * must have been reported (each message naming the file, on one line, with a position); a tree
 * must be well formed: maps with keys and values in pairs, positions from 1, nesting within the
 * bound, scalars NUL-terminated at their length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yamltree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t reports;

static void require(int ok)
{
	if (!ok)
		abort();
}

static void check_report(const char *message, void *arg)
{
	(void)arg;
	require(strncmp(message, "fuzz.yaml: ", 11) == 0 ||
	        strncmp(message, "fuzz.yaml:", 10) == 0);
	for (const char *c = message; *c != '\0'; c++)
		require((unsigned char)*c >= 0x20 && *c != 0x7f);
	reports++;
}

static void check_node(const struct ynode *n, size_t depth)
{
	char shown[YSHOWN_BUF];

	/* at most YTREE_MAX_DEPTH containers, one inside the other, and scalars in the last */
	require(depth <= YTREE_MAX_DEPTH + (n->kind != YNODE_LIST && n->kind != YNODE_MAP));
	require(n->line >= 1 && n->column >= 1);
	require(strlen(ynode_show(n, shown)) < YSHOWN_BUF);
	switch (n->kind) {
	case YNODE_SCALAR:
		require(n->text != NULL && n->text[n->len] == '\0' && n->n == 0);
		break;
	case YNODE_MAP:
		require(n->n % 2 == 0);
		/* fall through */
	case YNODE_LIST:
		require(n->text == NULL && n->n <= n->cap);
		for (size_t i = 0; i < n->n; i++)
			check_node(n->items[i], depth + 1);
		break;
	case YNODE_ALIAS:
		require(n->n == 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yreport r;
	struct ynode *root;

	reports = 0;
	yreport_init(&r, "fuzz.yaml", check_report, NULL);
	root = ytree_load(&r, (const char *)data, size);
	require(root == NULL || !r.stop);
	require(!r.stop || r.n_errors > 0);
	if (root != NULL)
		check_node(root, 1);
	size_t errors = r.n_errors;
	yreport_flush(&r);
	require((errors == 0) == (reports == 0));
	ynode_free(root);
	return 0;
}
