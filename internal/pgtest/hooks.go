package pgtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Hook scripts are what a user of `policy: primary` writes for PostgreSQL:
// outlast runs them (as root, with OUTLAST_HOOK, OUTLAST_SERVICE,
// OUTLAST_ENDPOINT, OUTLAST_EPOCH, OUTLAST_OLD_PRIMARY, OUTLAST_REASON and
// OUTLAST_WHO set) and may run one again with the same epoch when a new
// Raft leader takes over an interrupted hook, so each is idempotent.

// hookHeader is shared by both scripts: where things are, how to run a
// PostgreSQL program as the data directory's owner, and the log line.
const hookHeader = `#!/bin/sh
# %[1]s hook for the PostgreSQL test server %[2]s (data directory %[3]s),
# written by outlast's internal/pgtest. Safe to run again: see below.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
name=%[4]s
hookdir=%[5]s
data=%[6]s
bin=%[7]s
owner=%[8]s

# as_owner runs a PostgreSQL program as the data directory's owner: outlast
# runs hooks as root, and pg_ctl refuses root.
as_owner() {
	cd / || return 1
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

echo "%[1]s epoch=${OUTLAST_EPOCH:-}" >> "$hookdir/$name.log" || exit 1
`

// promoteBody pauses when asked (a test kills the outlast leader during
// the pause), then promotes unless the server is no longer a standby:
// standby.signal is removed when a promotion completes, so a rerun after
// a finished promotion exits 0 without a second timeline switch.
const promoteBody = `
if [ -f "$hookdir/$name.pause" ]; then
	sleep "$(cat "$hookdir/$name.pause")"
fi
if [ ! -f "$data/standby.signal" ]; then
	echo "$name is not a standby: nothing to promote"
	exit 0
fi
if as_owner "$bin/pg_ctl" promote -w -t 60 -D "$data"; then
	exit 0
fi
# An earlier run (an interrupted attempt) may have finished the promotion
# meanwhile: pg_ctl then refuses, as the server is no longer a standby.
if [ ! -f "$data/standby.signal" ]; then
	echo "$name was promoted meanwhile"
	exit 0
fi
exit 1
`

// demoteBody stops the server for good, frozen or not: SIGSTOP the
// postmaster so it forks nothing more, SIGKILL its children and itself
// (SIGKILL ends stopped processes too), and wait until they are gone. A
// server that is not running is already demoted: exit 0.
const demoteBody = `
# running PID: the process exists and is not a zombie.
running() {
	st=""
	{ read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
	case "${st##*") "}" in Z*|X*) return 1 ;; esac
	return 0
}

# children PID: the live children of PID, from /proc (each PostgreSQL child
# leads its own process group, so a group signal would miss them).
children() {
	parent=$1
	for f in /proc/[0-9]*/stat; do
		line=""
		{ read -r line < "$f"; } 2>/dev/null || continue
		set -- ${line##*") "}
		if [ "${2:-}" = "$parent" ] && [ "${1:-}" != Z ]; then
			p=${f#/proc/}
			echo "${p%/stat}"
		fi
	done
}

pm=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || pm=""
case "$pm" in ''|*[!0-9]*) pm="" ;; esac
# The pid file outlives a killed postmaster and pids are reused: it must
# still be a postgres started on this data directory.
if [ -z "$pm" ] || ! running "$pm" ||
	! tr '\000' '\n' < "/proc/$pm/cmdline" 2>/dev/null | grep -qxF -- "$data"; then
	echo "$name is not running: nothing to stop"
	exit 0
fi
kill -STOP "$pm" 2>/dev/null
kids=$(children "$pm" | tr '\n' ' ')
kill -KILL $kids "$pm" 2>/dev/null
i=0
while :; do
	left=""
	for p in $kids $pm; do
		if running "$p"; then left="$left $p"; fi
	done
	[ -z "$left" ] && break
	i=$((i + 1))
	if [ "$i" -ge 200 ]; then
		echo "$name: processes$left still running after SIGKILL" >&2
		exit 1
	fi
	sleep 0.05
done
echo "$name stopped (postmaster $pm and children ${kids}killed)"
`

// WriteHooks writes, for each server of the pair, the executable scripts
// promote-NAME (for on_promote) and demote-NAME (for on_demote) into dir,
// which it creates if needed; dir is outlast's node.hook_dir. Each run
// appends "promote epoch=N" or "demote epoch=N" to dir/NAME.log (see
// HookLog). While a file dir/NAME.pause exists, promote-NAME first sleeps
// as many seconds as it holds.
func (p *Pair) WriteHooks(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pgtest: hook dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pgtest: hook dir: %w", err)
	}
	for _, s := range []*Server{p.Primary, p.Replica} {
		for kind, body := range map[string]string{"promote": promoteBody, "demote": demoteBody} {
			script := fmt.Sprintf(hookHeader, kind, s.Name, s.Dir,
				shellQuote(s.Name), shellQuote(abs), shellQuote(s.Dir), shellQuote(s.BinDir), shellQuote(p.as.name)) + body
			path := filepath.Join(abs, kind+"-"+s.Name)
			if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
				return fmt.Errorf("pgtest: writing hook: %w", err)
			}
			// WriteFile keeps the mode of a file that was already there.
			if err := os.Chmod(path, 0o755); err != nil {
				return fmt.Errorf("pgtest: writing hook: %w", err)
			}
		}
	}
	return nil
}

// shellQuote quotes s for sh: inside single quotes nothing is special but
// the single quote itself.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// HookLog returns the lines the hooks of server name appended to
// dir/NAME.log, oldest first; none (and no error) before the first run.
func HookLog(dir, name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name+".log"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: hook log: %w", err)
	}
	text := strings.TrimSuffix(string(b), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}
