# SPDX-License-Identifier: MIT
# scen_ftp_get.sh - torture scenario: an ftp batch get of 16 files from vsftpd with
# --parallel 2 and --journal. Invariant after a faulty run: every local file is absent or
# whole under its final name (the server's bytes), never a partial one, and an exit 0 means all of them; a clean rerun
# completes the set. Partial batches may exit 1 (some items failed) besides the fault's
# own code. Sourced by run.sh; the scenario itself is lib.sh's ftp_get_scenario.
SCEN_ALLOW=1
ftp_get_scenario TA f --cacert "$T/certs/ca.crt"
