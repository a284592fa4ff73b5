/* SPDX-License-Identifier: MIT */
/* applets.c - the applet table (from include/applets.def) and lookup.
 *
 * Header: include/applets.h    Tests: tests/unit/check_applets.c
 */
#include <string.h>

#include "applets.h"

#define APPLET(name, cname, summary) {name, cname##_main, summary, NULL},
#define ALIAS(name, cname) {name, cname##_main, NULL, #cname},
const struct applet applets[] = {
#include "applets.def"
};
#undef APPLET
#undef ALIAS

const unsigned n_applets = sizeof applets / sizeof applets[0];

/* A linear search: about ten applets (BusyBox does the same below 32). */
const struct applet *applet_find(const char *name)
{
	for (unsigned i = 0; i < n_applets; i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}
