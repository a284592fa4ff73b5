/* SPDX-License-Identifier: MIT */
/* check_applets.c - the applet table: sorted, unique, every alias names an applet. */
#include <check.h>
#include <string.h>

#include "applets.h"

START_TEST(sorted_unique)
{
	ck_assert_uint_gt(n_applets, 4);
	for (unsigned i = 1; i < n_applets; i++)
		ck_assert_msg(strcmp(applets[i - 1].name, applets[i].name) < 0, "%s before %s", applets[i - 1].name,
			      applets[i].name);
}
END_TEST

START_TEST(aliases)
{
	for (unsigned i = 0; i < n_applets; i++) {
		const struct applet *a = &applets[i];
		if (a->summary)
			continue;
		int found = 0;
		for (unsigned j = 0; j < n_applets; j++)
			if (applets[j].summary && applets[j].main == a->main)
				found = 1;
		ck_assert_msg(found, "alias %s has no applet", a->name);
	}
	ck_assert_ptr_eq(applet_find("sendmail")->main, applet_find("mail-send")->main);
	ck_assert_ptr_null(applet_find("nettool"));
	ck_assert_ptr_null(applet_find("tcp"));
}
END_TEST

Suite *suite_applets(void)
{
	Suite *s = suite_create("applets");
	TCase *t = tcase_create("table");
	tcase_add_test(t, sorted_unique);
	tcase_add_test(t, aliases);
	suite_add_tcase(s, t);
	return s;
}
