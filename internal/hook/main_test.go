package hook

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// bound is how long a test waits for something that should take a moment:
// generous for a loaded machine, not a speed goal.
const bound = 10 * time.Second

// fast is a Backoff for tests: a millisecond between attempts.
func fast(int) time.Duration { return time.Millisecond }

func promote() Call {
	return Call{
		Hook: "on_promote", Service: "payments", Endpoint: "gcp-usc1", Epoch: 7,
		OldPrimary: "aws-use1", Reason: "aws-use1 down by quorum", Who: "auto",
	}
}

// script writes an executable shell script named name into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs s with a fresh context and logs the result.
func run(t *testing.T, r *Runner, s Spec, c Call) Result {
	t.Helper()
	res := r.Run(context.Background(), s, c)
	t.Logf("attempts=%d took=%s err=%v output=%.200q", res.Attempts, res.Took, res.Err, res.Output)
	return res
}

func wantErr(t *testing.T, res Result, target error, parts ...string) {
	t.Helper()
	if !errors.Is(res.Err, target) {
		t.Fatalf("Err = %v, want one wrapping %v", res.Err, target)
	}
	for _, p := range parts {
		if !strings.Contains(res.Err.Error(), p) {
			t.Errorf("Err = %q, want it to mention %q", res.Err, p)
		}
	}
}

// gone waits until process pid no longer runs (it is absent or a zombie
// nobody has reaped yet) and fails the test if it still runs after bound.
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the command name in parentheses.
		if s := string(stat); strings.HasPrefix(s[strings.LastIndexByte(s, ')')+1:], " Z") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d still runs %s after the attempt ended", pid, bound)
}

// readPid reads the pid a script wrote to path, waiting for it to appear.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if s := strings.TrimSpace(string(b)); err == nil && s != "" && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("pid file %s: %v", path, err)
			}
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the script did not write %s within %s", path, bound)
	return 0
}
