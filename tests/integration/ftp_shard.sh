#!/bin/bash
# SPDX-License-Identifier: MIT
# ftp_shard.sh - shards from the scheduler and the status over their journals (issue 13):
# the shards run as a Slurm job array and as a Kubernetes Indexed Job would start them
# (N processes, each with `env -i` plus only the variables that scheduler sets, the
# password from a file as a job's secret would give it); their union is the whole list,
# once; `ftp status` over the per-shard journals counts done, remaining and failed
# without a server; the refusals (no scheduler, a non-contiguous array, auto without N).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures/ftp_server.sh"

cd "$T" || exit 1
NT_ABS=$(command -v "$NT")
printf 'a\nb\n' >list0.txt
# --- refusals need no server
expect_exit "--shard auto with no scheduler: exit 2" 2 env -i "$NT_ABS" ftp --shard auto get --from-file list0.txt 127.0.0.1:x
env -i "$NT_ABS" ftp --shard auto get --from-file list0.txt 127.0.0.1:x 2>none.err
grep -q JOB_COMPLETION_INDEX none.err && grep -q SLURM_ARRAY_TASK_ID none.err &&
	pass "--shard auto with no scheduler: the error names what it looked for" || fail "no scheduler message" "$(cat none.err)"
env -i SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=8 SLURM_ARRAY_TASK_COUNT=3 \
	SLURM_ARRAY_TASK_STEP=1 "$NT_ABS" ftp --shard auto get --from-file list0.txt 127.0.0.1:x 2>nc.err
rc=$?
[ $rc = 2 ] && grep -q 'not contiguous' nc.err && pass "a non-contiguous Slurm array (--array=1,3,8): refused, exit 2" ||
	fail "non-contiguous array" "rc $rc: $(cat nc.err)"
env -i JOB_COMPLETION_INDEX=1 "$NT_ABS" ftp --shard auto get --from-file list0.txt 127.0.0.1:x 2>k.err
rc=$?
[ $rc = 2 ] && grep -q 'auto/N' k.err && pass "--shard auto in a Kubernetes Indexed Job: asks for auto/N, exit 2" ||
	fail "kubernetes without N" "rc $rc: $(cat k.err)"
expect_exit "--shard auto/3 with JOB_COMPLETION_INDEX=3: exit 2" 2 env -i JOB_COMPLETION_INDEX=3 \
	"$NT_ABS" ftp --shard auto/3 get --from-file list0.txt 127.0.0.1:x

ftpd_script "ftp shards"
printf '%s\n' "$FTP_PASS" >pw
chmod 600 pw
mkdir -p "$H/data/x" "$H/data/y"
for i in $(seq 1 50); do printf 'x%d\n' "$i" >"$H/data/x/f$i"; printf 'y%d\n' "$i" >"$H/data/y/g$i"; done
(cd "$H/data" && ls x/* y/*) >list.txt
O=(--cacert "$CA" -u "$FTP_USER" --password-file "$T/pw" -P "$P" -q)

union_ok() { # prefix: the union of prefix1..N is the list, each file once, right content
	local got
	got=$(cd "$T" && for d in "$1"*/; do (cd "$d" && find . -type f | sed 's|^\./||'); done | sort)
	[ "$got" = "$(sort list.txt)" ] || return 1
	while read -r f; do
		cmp -s "$(ls -d "$1"*/"$f" | head -1)" "$H/data/$f" || return 1
	done <list.txt
}

pids= kpids=
# --- a Slurm job array: sbatch --array=4-8:2 starts tasks 4, 6 and 8
for id in 4 6 8; do
	env -i SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=8 \
		SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=3 SLURM_JOB_ID=$((100 + id)) \
		timeout 60 "$NT_ABS" ftp "${O[@]}" --shard auto --journal "$T/slurm-$id.journal" \
		get --from-file "$T/list.txt" $S:data -O "$T/slurm$id" &
	pids="$pids $!"
done
wait $pids
union_ok slurm && pass "Slurm array 4-8:2 (3 tasks, env -i): the union is the whole list, each file once" ||
	fail "slurm union" "$(ls slurm*/* | head)"
[ "$(find slurm4 -type f | wc -l)" = 34 ] && [ "$(find slurm8 -type f | wc -l)" = 33 ] &&
	pass "Slurm shards: 34, 33, 33 items (K from TASK_ID, MIN, STEP)" || fail "slurm split" "$(find slurm4 -type f | wc -l)"

# --- a Kubernetes Indexed Job, completions 4: pods with JOB_COMPLETION_INDEX 0..3
for idx in 0 1 2 3; do
	env -i JOB_COMPLETION_INDEX=$idx HOSTNAME=copy-$idx KUBERNETES_SERVICE_HOST=10.0.0.1 \
		timeout 60 "$NT_ABS" ftp "${O[@]}" --shard auto/4 --journal "$T/k8s-$idx.journal" \
		get --from-file "$T/list.txt" $S:data -O "$T/k8s$idx" &
	kpids="$kpids $!"
done
wait $kpids
union_ok k8s && pass "Kubernetes Indexed Job (4 pods, env -i): the union is the whole list, each file once" ||
	fail "k8s union" "$(ls k8s*/* | head)"

# --- status over the shards' journals, no server
"$NT" ftp status --from-file list.txt --journal k8s-*.journal >st1.out 2>st1.err
rc=$?
[ $rc = 0 ] && grep -q '^done *100$' st1.out && grep -q '^remaining *0$' st1.out &&
	pass "status over 4 journals: 100 done, 0 remaining, exit 0" || fail "status all done" "rc $rc: $(cat st1.out st1.err)"
"$NT" ftp status --json --from-file list.txt --journal k8s-0.journal --journal k8s-1.journal >st2.out
rc=$?
[ $rc = 1 ] && grep -q '"total":100,"done":50,"remaining":50,"failed":0,"journals":2' st2.out &&
	pass "status --json over 2 of 4 journals: 50 done, 50 remaining, exit 1" || fail "status partial" "rc $rc: $(cat st2.out)"
# A failed item, then a journal that has it done: done wins; missing ones stay failed.
printf 'x/f1\nx/nope1\nx/nope2\n' >fl.txt
timeout 60 "$NT" ftp "${O[@]}" --journal fl.journal get --from-file fl.txt $S:data -O flout 2>/dev/null
"$NT" ftp status --json --from-file fl.txt --journal fl.journal >st3.out
grep -q '"total":3,"done":1,"remaining":2,"failed":2' st3.out && pass "status: 2 failed items counted" ||
	fail "status failed" "$(cat st3.out)"
printf 'x\tdone\tget\tbogus\n' >>fl.journal
printf 'run\tget\tdata\tflout\ndone\tget\tdata/x/nope1\tflout/x/nope1\n' >extra.journal
"$NT" ftp status --json --from-file fl.txt --journal fl.journal extra.journal >st4.out 2>/dev/null
grep -q '"done":2,"remaining":1,"failed":1' st4.out && pass "status: done in any journal wins over failed in another" ||
	fail "status done wins" "$(cat st4.out)"
expect_exit "status without a journal: exit 2" 2 "$NT" ftp status --from-file fl.txt
# A list from `find . -type f` (lines ./x/f1) is the same list (STRANGER.md 7): status
# counts the journals of a run given the plain one, and a run given it takes ./x/f1 as x/f1.
(cd "$H/data" && find . -type f) >dot.txt
"$NT" ftp status --from-file dot.txt --journal k8s-*.journal >st5.out 2>st5.err
rc=$?
[ $rc = 0 ] && grep -q '^done *100$' st5.out && [ ! -s st5.err ] &&
	pass "status with a list of find . -type f (./x/f1): all 100 done, no warning" || fail "status ./ list" "rc $rc: $(cat st5.out st5.err)"
printf './x//f2\nx/./f3\n' >dot2.txt
timeout 60 "$NT" ftp "${O[@]}" --journal dot2.journal get --from-file dot2.txt $S:data -O dotout 2>dot2.err
rc=$?
printf 'x/f2\nx/f3\n' >plain2.txt
"$NT" ftp status --from-file plain2.txt --journal dot2.journal >st6.out 2>&1
[ $rc = 0 ] && cmp -s dotout/x/f2 "$H/data/x/f2" && cmp -s dotout/x/f3 "$H/data/x/f3" && grep -q '^done *2$' st6.out &&
	pass "get --from-file with ./x//f2 and x/./f3: fetched as x/f2 and x/f3, the same items for status" ||
	fail "get of a ./ list" "rc $rc: $(cat dot2.err st6.out)"
# A list of `find data` (lines data/x/f1) for a run over data: the warning names the cause.
(cd "$H" && find data -type f) >dir.txt
"$NT" ftp status --from-file dir.txt --journal k8s-0.journal >st7.out 2>st7.err
grep -q "its paths begin with 'data/', the run's folder data itself" st7.err &&
	pass "status with a list of find DIR: the warning says the paths begin with the run's folder" ||
	fail "status find DIR warning" "$(cat st7.err)"
# A journal of files named on the command line (nettool-ftp(1), status): counted given a
# list of their names when they have no folder; one named with a folder is not such a line
echo n1 >"$H/n1" && echo n2 >"$H/n2"
timeout 60 "$NT" ftp "${O[@]}" --journal nm.journal get $S:n1 $S:n2 -O nmout 2>nm.err &&
	timeout 60 "$NT" ftp "${O[@]}" --journal nf.journal get $S:data/x/f1 $S:data/x/f2 -O nfout 2>>nm.err
rc=$?
printf 'n1\nn2\n' >nm.txt
printf 'data/x/f1\ndata/x/f2\n' >nf.txt
"$NT" ftp status --from-file nm.txt --journal nm.journal >st9.out 2>&1
"$NT" ftp status --from-file nf.txt --journal nf.journal >st10.out 2>&1
[ $rc = 0 ] && grep -q '^done *2$' st9.out && grep -q '^done *0$' st10.out &&
	pass "status over a journal of named files: names without a folder counted (2 done), with one not (0)" ||
	fail "status, named files' journal" "rc $rc: $(cat nm.err st9.out st10.out)"
# --json's "journals": those counted, not those given (STRANGER.md 9).
printf 'run\tput\tdata\tx\n' >other.journal
"$NT" ftp status --json --from-file list.txt --journal k8s-0.journal other.journal >st8.out 2>st8.err
grep -q '"journals":1,"journals_given":2,' st8.out && grep -q 'another command' st8.err &&
	pass "status --json: a journal of another command is not counted in \"journals\" (1 of 2 given)" ||
	fail "status --json journals" "$(cat st8.out st8.err)"
finish
