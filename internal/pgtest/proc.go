package pgtest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// PostgreSQL's children call setsid(), each leading its own process group,
// so a signal to the postmaster's group misses them. The helpers here find
// them through /proc instead: by parent while the postmaster lives, and by
// their process title (which carries the pair's tag through cluster_name)
// once it is gone.

// procStat returns a process's state letter and parent from /proc/PID/stat.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	return parseStat(b)
}

// parseStat reads "pid (comm) S ppid ...". comm may hold spaces and
// parentheses, so the fields start after the last ')'.
func parseStat(b []byte) (state byte, ppid int, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return 0, 0, false
	}
	return fields[0][0], ppid, true
}

// alive says pid exists and is not a zombie waiting to be reaped.
func alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z'
}

// allPIDs lists the processes in /proc.
func allPIDs() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// childrenOf lists the live children of parent.
func childrenOf(parent int) []int {
	var out []int
	for _, pid := range allPIDs() {
		if state, ppid, ok := procStat(pid); ok && ppid == parent && state != 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// postgresProcesses lists live PostgreSQL processes whose command line
// holds one of needles: a postmaster started as "…/postgres -D <dir>" or a
// child whose title is "postgres: <cluster_name>: …".
func postgresProcesses(needles ...string) []int {
	var out []int
	for _, pid := range allPIDs() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !isPostgres(string(b), needles) || !alive(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

func isPostgres(cmdline string, needles []string) bool {
	argv0, _, _ := strings.Cut(cmdline, "\x00")
	if !strings.HasPrefix(argv0, "postgres:") && !strings.HasSuffix(argv0, "/postgres") {
		return false
	}
	for _, n := range needles {
		if strings.Contains(cmdline, n) {
			return true
		}
	}
	return false
}

// signalAll sends sig to every pid, ignoring processes already gone.
func signalAll(pids []int, sig syscall.Signal) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}
