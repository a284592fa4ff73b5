/* SPDX-License-Identifier: MIT */
/* applets.h - the applet table, expanded from applets.def. */
#ifndef NT_APPLETS_H
#define NT_APPLETS_H

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary; /* NULL for an alias */
	const char *target;  /* for an alias: the applet it stands for */
};

#define APPLET(name, cname, summary) int cname##_main(int argc, char **argv);
#define ALIAS(name, cname)
#include "applets.def"
#undef APPLET
#undef ALIAS

extern const struct applet applets[];
extern const unsigned n_applets;

/* The applet called NAME (an alias included), or NULL. */
const struct applet *applet_find(const char *name);

#endif
