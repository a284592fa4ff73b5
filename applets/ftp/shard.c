/* SPDX-License-Identifier: MIT */
/* shard.c - --shard auto and auto/N: K and N from the scheduler that started us.
 *   Slurm job array (auto): K = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / STEP + 1,
 *     N = SLURM_ARRAY_TASK_COUNT; an array whose ids are not MIN, MIN+STEP, ... MAX
 *     (--array=1,3,8 or a % limit does not matter; 1,3,8 does) is refused: its tasks
 *     would not cover 1..N.
 *   Kubernetes Indexed Job (auto/N): K = JOB_COMPLETION_INDEX + 1; N is the Job's
 *     completions, which Kubernetes does not put in the environment.
 * Every failure is a usage error (exit 2) that names the variables looked for.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_shard.sh
 */
#include <stdlib.h>
#include <string.h>

#include "ftp.h"
#include "opt.h"

/* The variable as a number in [0, 10^9]: 0, 1 when unset, -1 when not a number. */
static int env_num(const char *name, long *v)
{
	const char *s = getenv(name);
	if (!s)
		return 1;
	char *end;
	long x = strtol(s, &end, 10);
	if (!*s || *end || x < 0 || x > 1000000000L)
		return -1;
	*v = x;
	return 0;
}

static void need(const char *name, long *v)
{
	int r = env_num(name, v);
	if (r > 0)
		opt_usage_error("--shard auto: SLURM_ARRAY_TASK_ID is set but %s is not (a Slurm job array sets both)", name);
	if (r < 0)
		opt_usage_error("--shard auto: %s='%s' is not a number", name, getenv(name));
}

void ftp_shard_resolve(const char *spec)
{
	long n_given = 0;
	if (!strcmp(spec, "auto")) {
		n_given = 0;
	} else if (!strncmp(spec, "auto/", 5)) {
		char *end;
		n_given = strtol(spec + 5, &end, 10);
		if (!spec[5] || *end || n_given < 1 || n_given > 1000000)
			opt_usage_error("--shard: '%s' is not auto/N with 1 <= N <= 1000000", spec);
	} else {
		opt_usage_error("--shard: '%s' is not K/N, auto or auto/N", spec);
	}
	long idx;
	int rk = env_num("JOB_COMPLETION_INDEX", &idx);
	if (rk < 0)
		opt_usage_error("--shard %s: JOB_COMPLETION_INDEX='%s' is not a number", spec, getenv("JOB_COMPLETION_INDEX"));
	if (rk == 0) {
		if (!n_given)
			opt_usage_error("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job), but Kubernetes "
					"does not export the number of completions: use --shard auto/N with N = the Job's "
					"completions");
		if (idx >= n_given)
			opt_usage_error("--shard %s: JOB_COMPLETION_INDEX=%ld is not below N=%ld (N must be the Job's "
					"completions)", spec, idx, n_given);
		ftp_cf.shard_k = (int)idx + 1;
		ftp_cf.shard_n = (int)n_given;
		return;
	}
	long id, min, step = 1, count, max;
	int ri = env_num("SLURM_ARRAY_TASK_ID", &id);
	if (ri < 0)
		opt_usage_error("--shard %s: SLURM_ARRAY_TASK_ID='%s' is not a number", spec, getenv("SLURM_ARRAY_TASK_ID"));
	if (ri > 0)
		opt_usage_error("--shard %s: neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) nor a Slurm job array "
				"(SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT) in the environment: give --shard K/N", spec);
	need("SLURM_ARRAY_TASK_MIN", &min);
	need("SLURM_ARRAY_TASK_COUNT", &count);
	need("SLURM_ARRAY_TASK_MAX", &max);
	if (env_num("SLURM_ARRAY_TASK_STEP", &step) < 0 || step < 1)
		opt_usage_error("--shard auto: SLURM_ARRAY_TASK_STEP='%s' is not a positive number",
				getenv("SLURM_ARRAY_TASK_STEP"));
	if (count < 1 || id < min || id > max || (id - min) % step || max != min + (count - 1) * step)
		opt_usage_error("--shard auto: the Slurm job array is not contiguous (task %ld of MIN=%ld MAX=%ld STEP=%ld "
				"COUNT=%ld: ids like --array=1,3,8 leave shards without a task); use --array=MIN-MAX[:STEP] "
				"or --shard K/N", id, min, max, step, count);
	if (n_given && n_given != count)
		opt_usage_error("--shard %s: the Slurm job array has %ld tasks, not %ld", spec, count, n_given);
	if (count > 1000000)
		opt_usage_error("--shard auto: %ld tasks: at most 1000000", count);
	ftp_cf.shard_k = (int)((id - min) / step) + 1;
	ftp_cf.shard_n = (int)count;
}
