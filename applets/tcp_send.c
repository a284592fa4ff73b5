/* PLACEHOLDER - tcp-send is being written (issue tracker); this file is replaced by the real applet. */
#include "nt_err.h"
#include "opt.h"

int tcp_send_main(int argc, char **argv)
{
	static const struct opt opts[] = {{0}};
	static const struct opt_spec spec = {"(not yet implemented)", opts, NULL};
	struct opt_state os;
	opt_init(&os, &spec, argc, argv);
	while (opt_next(&os) != -1)
		;
	die(NT_EXIT_FAIL, "not implemented yet");
}
