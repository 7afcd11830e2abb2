package hook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecSuccessWithEnvironment(t *testing.T) {
	dir := t.TempDir()
	script(t, dir, "promote-db", `echo "args=$*"
echo "hook=$OUTLAST_HOOK service=$OUTLAST_SERVICE endpoint=$OUTLAST_ENDPOINT epoch=$OUTLAST_EPOCH"
echo "old=$OUTLAST_OLD_PRIMARY reason=$OUTLAST_REASON who=$OUTLAST_WHO"
echo "inherited=$HOOK_TEST_INHERITED" >&2
`)
	t.Setenv("HOOK_TEST_INHERITED", "yes")
	t.Setenv("OUTLAST_EPOCH", "1") // the call's epoch must win over the node's
	r := &Runner{Dir: dir}
	res := run(t, r, Spec{Exec: []string{"promote-db", "--fast", "a b"}}, promote())
	if res.Err != nil || res.Attempts != 1 {
		t.Fatalf("got attempts=%d err=%v, want one successful attempt", res.Attempts, res.Err)
	}
	want := "args=--fast a b\n" +
		"hook=on_promote service=payments endpoint=gcp-usc1 epoch=7\n" +
		"old=aws-use1 reason=aws-use1 down by quorum who=auto\n" +
		"inherited=yes\n"
	if res.Output != want {
		t.Errorf("output:\n%s\nwant:\n%s", res.Output, want)
	}
}

func TestExecNonZeroExit(t *testing.T) {
	dir := t.TempDir()
	script(t, dir, "promote-db", "echo starting\necho 'pg_ctl: no server running' >&2\nexit 3\n")
	res := run(t, &Runner{Dir: dir}, Spec{Exec: []string{"promote-db"}}, promote())
	wantErr(t, res, ErrFailed, "on_promote", "exec promote-db", "gcp-usc1", "epoch 7", "exit status 3", "pg_ctl: no server running")
	if res.Output != "starting\npg_ctl: no server running\n" {
		t.Errorf("output %q, want both lines", res.Output)
	}
}

// A hook that hangs is killed at its timeout together with the child it
// forked, which would otherwise keep running (and keep promoting) after the
// attempt was given up.
func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	script(t, dir, "hang", "sleep 60 &\necho $! > "+pidFile+"\nsleep 60\n")
	start := time.Now()
	res := run(t, &Runner{Dir: dir}, Spec{Exec: []string{"hang"}, Timeout: 300 * time.Millisecond}, promote())
	wantErr(t, res, ErrTimeout, "timed out after 300ms")
	if took := time.Since(start); took > bound {
		t.Errorf("Run took %s after a 300ms timeout", took)
	}
	gone(t, readPid(t, pidFile))
}

// A hook that exits 0 but leaves a child in the background does not leave
// it running: the attempt's process group is killed when the hook exits.
func TestExecBackgroundChildKilledAfterExit(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	script(t, dir, "fork", "sleep 60 &\necho $! > "+pidFile+"\nexit 0\n")
	res := run(t, &Runner{Dir: dir}, Spec{Exec: []string{"fork"}}, promote())
	if res.Err != nil {
		t.Fatalf("Err = %v, want success", res.Err)
	}
	gone(t, readPid(t, pidFile))
}

func TestExecRetriesUntilThirdAttempt(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "count")
	script(t, dir, "flaky", `n=$(cat `+counter+` 2>/dev/null || echo 0)
n=$((n+1))
echo $n > `+counter+`
echo "attempt $n"
[ "$n" -ge 3 ]
`)
	var waited []int
	r := &Runner{Dir: dir, Backoff: func(n int) time.Duration { waited = append(waited, n); return time.Millisecond }}
	res := run(t, r, Spec{Exec: []string{"flaky"}, Retries: 5}, promote())
	if res.Err != nil || res.Attempts != 3 || res.Output != "attempt 3\n" {
		t.Fatalf("got attempts=%d err=%v output=%q, want success on attempt 3", res.Attempts, res.Err, res.Output)
	}
	if len(waited) != 2 || waited[0] != 1 || waited[1] != 2 {
		t.Errorf("backoff asked for attempts %v, want [1 2]", waited)
	}
}

func TestExecRetriesExhausted(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "count")
	script(t, dir, "fail", "echo x >> "+counter+"\nexit 1\n")
	res := run(t, &Runner{Dir: dir, Backoff: fast}, Spec{Exec: []string{"fail"}, Retries: 2}, promote())
	wantErr(t, res, ErrFailed, "exit status 1")
	b, _ := os.ReadFile(counter)
	if res.Attempts != 3 || strings.Count(string(b), "x") != 3 {
		t.Errorf("attempts=%d, runs recorded %d; want 3 of each", res.Attempts, strings.Count(string(b), "x"))
	}
}

// Programs outside the hook directory are refused before anything runs,
// and a refusal is not retried.
func TestExecRefusedOutsideHookDir(t *testing.T) {
	outside := t.TempDir()
	marker := filepath.Join(outside, "ran")
	evil := script(t, outside, "evil", "touch "+marker+"\n")
	dir := t.TempDir()
	if err := os.Symlink(evil, filepath.Join(dir, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, evil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, prog string
		want            error
	}{
		{"no hook dir", "", "evil", ErrNoHookDir},
		{"no hook dir, absolute", "", evil, ErrNoHookDir},
		{"dot dot", dir, rel, ErrOutsideDir},
		{"dot dot inside", dir, "sub/../link-out", ErrOutsideDir},
		{"absolute outside", dir, evil, ErrOutsideDir},
		{"absolute via dot dot", dir, dir + "/../" + filepath.Base(outside) + "/evil", ErrOutsideDir},
		{"symlink escaping", dir, "link-out", ErrOutsideDir},
		{"the directory itself", dir, dir, ErrOutsideDir},
		{"a subdirectory", dir, "sub", ErrOutsideDir},
		{"missing", dir, "nope", ErrOutsideDir},
		{"empty name", dir, "", ErrOutsideDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, &Runner{Dir: tc.dir, Backoff: fast}, Spec{Exec: []string{tc.prog}, Retries: 3}, promote())
			wantErr(t, res, tc.want, "node.hook_dir")
			if res.Attempts != 1 {
				t.Errorf("attempts=%d, want 1: a refusal is not retried", res.Attempts)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("the program outside the hook directory ran")
			}
		})
	}
}

// An absolute path inside the hook directory, and a symlink that stays
// inside it, are allowed, also when the directory is reached through a
// symlink itself.
func TestExecAllowedInsideHookDir(t *testing.T) {
	real := t.TempDir()
	prog := script(t, real, "promote-db", "echo ok\n")
	if err := os.Symlink("promote-db", filepath.Join(real, "alias")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "hooks")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, prog string }{
		{real, prog},
		{link, "promote-db"},
		{link, filepath.Join(link, "promote-db")},
		{real, filepath.Join(link, "promote-db")},
		{link, "alias"},
	} {
		res := run(t, &Runner{Dir: tc.dir}, Spec{Exec: []string{tc.prog}}, promote())
		if res.Err != nil || res.Output != "ok\n" {
			t.Errorf("dir %s prog %s: err=%v output=%q, want it to run", tc.dir, tc.prog, res.Err, res.Output)
		}
	}
}

func TestExecOutputTruncated(t *testing.T) {
	dir := t.TempDir()
	// 1 MiB on stdout and another on stderr: the hook must finish (its
	// pipes keep draining) and only 4 KiB be kept.
	script(t, dir, "loud", "head -c 1048576 /dev/zero | tr '\\0' a\nhead -c 1048576 /dev/zero | tr '\\0' b >&2\n")
	res := run(t, &Runner{Dir: dir}, Spec{Exec: []string{"loud"}}, promote())
	if res.Err != nil {
		t.Fatalf("Err = %v, want success", res.Err)
	}
	if len(res.Output) > MaxOutput || !strings.HasSuffix(res.Output, truncated) || !strings.HasPrefix(res.Output, "aaaa") {
		t.Errorf("output is %d bytes ending %q, want at most %d starting with the first bytes and ending %q",
			len(res.Output), res.Output[max(0, len(res.Output)-20):], MaxOutput, truncated)
	}
}

func TestExecCancelStopsAttempt(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	script(t, dir, "hang", "sleep 60 &\necho $! > "+pidFile+"\nsleep 60\n")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if b, _ := os.ReadFile(pidFile); strings.HasSuffix(string(b), "\n") {
				return
			}
		}
	}()
	start := time.Now()
	res := (&Runner{Dir: dir, Backoff: fast}).Run(ctx, Spec{Exec: []string{"hang"}, Retries: 3}, promote())
	t.Logf("attempts=%d err=%v", res.Attempts, res.Err)
	wantErr(t, res, ErrCancelled, "context canceled")
	if took := time.Since(start); took > bound || res.Attempts != 1 {
		t.Errorf("Run took %s and %d attempts after cancel, want it to return at once after 1", took, res.Attempts)
	}
	gone(t, readPid(t, pidFile))
}
