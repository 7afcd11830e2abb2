package pgtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFindPicksNewestCompleteVersion(t *testing.T) {
	root := t.TempDir()
	install := func(version string, tools ...string) {
		bin := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range tools {
			if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := findIn(root); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("empty root: err = %v, want ErrNotInstalled", err)
	}
	install("9.6", requiredTools...)
	install("15", requiredTools...)
	install("16", "initdb", "pg_ctl", "postgres") // no pg_basebackup: the client package is missing
	install("common")
	got, err := findIn(root)
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Fatalf("findIn = %q, %v; want %q (16 lacks pg_basebackup, 15 > 9.6)", got, err, want)
	}
}

func TestParseStatReadsPastTheCommand(t *testing.T) {
	// A command name may hold ") " itself; the fields start after the last ')'.
	state, ppid, ok := parseStat([]byte("42 (odd) name) S 7 42 42 0 -1"))
	if !ok || state != 'S' || ppid != 7 {
		t.Fatalf("parseStat = %c, %d, %v; want S, 7, true", state, ppid, ok)
	}
	if _, _, ok := parseStat([]byte("garbage")); ok {
		t.Fatal("parseStat accepted a line without a command")
	}
}

func TestHookLogBeforeAnyRunIsEmpty(t *testing.T) {
	lines, err := HookLog(t.TempDir(), "pg1")
	if err != nil || lines != nil {
		t.Fatalf("HookLog = %q, %v; want nothing", lines, err)
	}
}

func shortCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestPostgresPairStreamsFreezesAndCleansUp starts a pair in a subtest, so
// its cleanup has run when the subtest returns, and then looks for any
// process or file it left.
func TestPostgresPairStreamsFreezesAndCleansUp(t *testing.T) {
	var dir string
	t.Run("pair", func(t *testing.T) {
		p := StartPair(t, 0, 0)
		dir = p.Dir
		checkRoles(t, p)
		ctx := shortCtx(t, 10*time.Second)
		if err := p.Primary.Exec(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the row to reach the replica", func() bool {
			var v int
			return p.Replica.queryRow(shortCtx(t, time.Second), "SELECT v FROM t", &v) == nil && v == 7
		})
		checkFreezeThaw(t, p)
	})
	if dir == "" {
		return // skipped: PostgreSQL not installed
	}
	if left := postgresProcesses(filepath.Base(dir)); len(left) > 0 {
		t.Errorf("after cleanup, postgres processes %v of %s still run", left, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after cleanup, %s is still there (stat: %v)", dir, err)
	}
}

func checkRoles(t *testing.T, p *Pair) {
	t.Helper()
	for _, c := range []struct {
		s    *Server
		want bool
	}{{p.Primary, false}, {p.Replica, true}} {
		rec, err := c.s.InRecovery(shortCtx(t, 5*time.Second))
		if err != nil || rec != c.want {
			t.Fatalf("%s: InRecovery = %v, %v; want %v", c.s.Name, rec, err, c.want)
		}
		tl, err := c.s.Timeline(shortCtx(t, 5*time.Second))
		if err != nil || tl != 1 {
			t.Fatalf("%s: Timeline = %d, %v; want 1", c.s.Name, tl, err)
		}
	}
}

// checkFreezeThaw: a frozen server stops answering, even over the kept
// connection, and answers again after Thaw; the other one is not affected.
func checkFreezeThaw(t *testing.T, p *Pair) {
	t.Helper()
	if err := p.Replica.Freeze(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Replica.InRecovery(shortCtx(t, 300*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("frozen replica: InRecovery err = %v, want a deadline exceeded", err)
	}
	// Twice: the second call must reconnect, and the connect must time out too.
	if _, err := p.Replica.InRecovery(shortCtx(t, 300*time.Millisecond)); err == nil {
		t.Fatal("frozen replica answered a new connection")
	}
	if w, err := p.Primary.Writable(shortCtx(t, 5*time.Second)); err != nil || !w {
		t.Fatalf("primary while the replica is frozen: Writable = %v, %v; want true", w, err)
	}
	if err := p.Replica.Thaw(); err != nil {
		t.Fatal(err)
	}
	rec, err := p.Replica.InRecovery(shortCtx(t, 10*time.Second))
	if err != nil || !rec {
		t.Fatalf("thawed replica: InRecovery = %v, %v; want true", rec, err)
	}
}

// TestPostgresHooksFailOver plays outlast's part by hand: freeze the
// primary, run its demote hook, run the replica's promote hook (once
// interrupted, then twice more), while a checker asks both servers every
// 50 ms. Two writable servers must never be seen; one promotion happens.
func TestPostgresHooksFailOver(t *testing.T) {
	// Two loopback addresses, as a test telling servers apart by DNS needs.
	p := StartPairOn(t, "127.0.0.2", 0, "127.0.0.3", 0)
	if p.Server("pg1") != p.Primary || p.Server("pg2") != p.Replica || p.Replica.Addr() == p.Primary.Addr() {
		t.Fatalf("servers: pg1 at %s, pg2 at %s", p.Primary.Addr(), p.Replica.Addr())
	}
	hooks := t.TempDir()
	if err := p.WriteHooks(hooks); err != nil {
		t.Fatal(err)
	}
	c := startChecker(p)
	defer c.stop()

	if err := p.Primary.Freeze(); err != nil {
		t.Fatal(err)
	}
	runHook(t, hooks, "demote-pg1", "2")
	if p.Primary.Alive() {
		waitFor(t, "pg1's postmaster to be reaped after demote", func() bool { return !p.Primary.Alive() })
	}
	if left := postgresProcesses(p.Primary.tag, p.Primary.Dir+"\x00"); len(left) > 0 {
		t.Fatalf("demote-pg1 left processes %v", left)
	}
	runHook(t, hooks, "demote-pg1", "2") // already stopped: exits 0
	checkStopRemovesShm(t, p.Primary)

	// A promote hook killed mid-way (the outlast leader died), rerun by a
	// new leader with the same epoch, then run once more.
	interruptedPromote(t, hooks)
	runHook(t, hooks, "promote-pg2", "2")
	runHook(t, hooks, "promote-pg2", "2")
	if w, err := p.Replica.Writable(shortCtx(t, 5*time.Second)); err != nil || !w {
		t.Fatalf("after promote-pg2: Writable = %v, %v; want true", w, err)
	}
	if tl, err := p.Replica.Timeline(shortCtx(t, 5*time.Second)); err != nil || tl != 2 {
		t.Fatalf("after three promote runs: Timeline = %d, %v; want 2 (one promotion)", tl, err)
	}
	runHook(t, hooks, "promote-pg1", "3") // pg1 is no standby: nothing to do

	// Had demote left pg1 frozen rather than gone, this would bring back a
	// second writable server for the checker to see.
	if err := p.Primary.Thaw(); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Thaw after demote-pg1: err = %v, want ErrNotRunning", err)
	}
	time.Sleep(300 * time.Millisecond) // a few checker rounds

	waitFor(t, "the checker to see pg2 writable", func() bool { return c.sawWritable("pg2") })
	c.stop()
	if c.both > 0 {
		t.Errorf("the checker saw both servers writable %d times", c.both)
	}
	checkLog(t, hooks, "pg1", []string{"demote epoch=2", "demote epoch=2", "promote epoch=3"})
	checkLog(t, hooks, "pg2", []string{"promote epoch=2", "promote epoch=2", "promote epoch=2"})
}

// interruptedPromote starts promote-pg2 with a pause, kills it (and its
// sleep) once it has logged, and checks it promoted nothing.
func interruptedPromote(t *testing.T, hooks string) {
	t.Helper()
	pause := filepath.Join(hooks, "pg2.pause")
	if err := os.WriteFile(pause, []byte("30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := hookCmd(hooks, "promote-pg2", "2")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "promote-pg2 to log its run", func() bool {
		lines, _ := HookLog(hooks, "pg2")
		return len(lines) == 1
	})
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	if err := os.Remove(pause); err != nil {
		t.Fatal(err)
	}
}

func hookCmd(hooks, script, epoch string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(hooks, script))
	cmd.Env = append(os.Environ(),
		"OUTLAST_HOOK="+script[:len(script)-4], "OUTLAST_SERVICE=db.example.test",
		"OUTLAST_ENDPOINT="+script[len(script)-3:], "OUTLAST_EPOCH="+epoch,
		"OUTLAST_OLD_PRIMARY=pg1", "OUTLAST_REASON=test", "OUTLAST_WHO=pgtest")
	return cmd
}

func runHook(t *testing.T, hooks, script, epoch string) {
	t.Helper()
	out, err := hookCmd(hooks, script, epoch).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	t.Logf("%s: %s", script, out)
}

func checkLog(t *testing.T, hooks, name string, want []string) {
	t.Helper()
	got, err := HookLog(hooks, name)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("HookLog(%s) = %q, %v; want %q", name, got, err, want)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checker asks both servers Writable every 50 ms, as the integration
// test's checker does, and counts the rounds in which both said yes.
type checker struct {
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	both     int
	writable map[string]bool
}

func startChecker(p *Pair) *checker {
	c := &checker{quit: make(chan struct{}), writable: map[string]bool{}}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-tick.C:
				c.round(p)
			}
		}
	}()
	return c
}

func (c *checker) round(p *Pair) {
	n := 0
	for _, s := range []*Server{p.Primary, p.Replica} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		w, err := s.Writable(ctx)
		cancel()
		if err == nil && w {
			n++
			c.mu.Lock()
			c.writable[s.Name] = true
			c.mu.Unlock()
		}
	}
	if n > 1 {
		c.mu.Lock()
		c.both++
		c.mu.Unlock()
	}
}

func (c *checker) sawWritable(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writable[name]
}

func (c *checker) stop() {
	c.once.Do(func() { close(c.quit) })
	c.wg.Wait()
}

// checkStopRemovesShm: a postmaster killed with SIGKILL leaves its System V
// segment behind; Stop removes it, or every test run would leak one.
func checkStopRemovesShm(t *testing.T, s *Server) {
	t.Helper()
	_, id, ok := shmSegment(s.Dir)
	if !ok {
		b, err := os.ReadFile(filepath.Join(s.Dir, "postmaster.pid"))
		t.Fatalf("a killed postmaster leaves its pid file with its shared memory line: %v\n%s", err, b)
	}
	var desc unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err != nil {
		t.Fatalf("segment %d of the killed postmaster: %v, want it still there before Stop", id, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err == nil {
		t.Errorf("segment %d still exists after Stop", id)
	}
}
