package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

// Server is one PostgreSQL server of a Pair, started by the test.
type Server struct {
	Name    string // "pg1" (the pair's first primary) or "pg2" (its first replica); names the hook scripts
	Host    string // loopback address it listens on, 127.0.0.1 unless StartPairOn chose another
	Port    int    // TCP port
	Dir     string // data directory
	BinDir  string // the PostgreSQL programs
	LogFile string // the server's own log (stderr), outside Dir

	tag string // cluster_name: every process title of this server holds it
	as  runAs

	mu  sync.Mutex
	cmd *execHandle // nil until started

	connCfg *pgx.ConnConfig
	sem     chan struct{} // one holder at a time uses conn
	conn    *pgx.Conn
}

// execHandle is a running postmaster: its pid and a channel closed once
// it has exited and been reaped.
type execHandle struct {
	pid  int
	done chan struct{}
}

// Errors a Server returns; wrap-checked with errors.Is.
var (
	// ErrNotRunning: the postmaster is not running (never started, stopped,
	// or killed by the demote hook).
	ErrNotRunning = errors.New("pgtest: server is not running")
)

func newServer(name, host string, port int, base, bin string, as runAs) (*Server, error) {
	tag := filepath.Base(base) + "-" + name
	cfg, err := pgx.ParseConfig(fmt.Sprintf(
		"host=%s port=%d user=postgres dbname=postgres sslmode=disable application_name=pgtest", host, port))
	if err != nil {
		return nil, fmt.Errorf("pgtest: connection config for %s: %w", name, err)
	}
	// A frozen server accepts the TCP connection (the kernel does) but
	// never answers the startup message: only this timeout ends the wait.
	cfg.ConnectTimeout = time.Second
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol // one round trip per check
	return &Server{
		Name: name, Host: host, Port: port,
		Dir:     filepath.Join(base, name),
		BinDir:  bin,
		LogFile: filepath.Join(base, name+".log"),
		tag:     tag, as: as,
		connCfg: cfg,
		sem:     make(chan struct{}, 1),
	}, nil
}

// start runs the postmaster in the foreground as the test's child, so the
// test knows its pid and reaps it; pg_ctl promote and stop work on it all
// the same (they go by postmaster.pid).
func (s *Server) start() error {
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %s: opening its log: %w", s.Name, err)
	}
	defer logf.Close() // the child holds its own copy
	cmd := s.as.command(context.Background(), filepath.Dir(s.Dir), filepath.Join(s.BinDir, "postgres"), "-D", s.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Setpgid = true              // a Ctrl-C meant for the test goes to the test, which cleans up
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL // a crashed test binary takes its postmaster with it
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: %s: starting postgres: %w", s.Name, err)
	}
	h := &execHandle{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(h.done)
	}()
	s.mu.Lock()
	s.cmd = h
	s.mu.Unlock()
	return nil
}

func (s *Server) handle() *execHandle {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd
}

// Addr is host:port, as an outlast endpoint or a TCP probe names it.
func (s *Server) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Alive says the postmaster is running (frozen counts as running).
func (s *Server) Alive() bool {
	h := s.handle()
	if h == nil {
		return false
	}
	select {
	case <-h.done:
		return false
	default:
		return true
	}
}

// Freeze stops the postmaster and all its children with SIGSTOP: the
// server keeps its sockets, the kernel still accepts connections, and
// nothing answers, as with a hung machine.
func (s *Server) Freeze() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || !alive(s.cmd.pid) {
		return fmt.Errorf("pgtest: freezing %s: %w", s.Name, ErrNotRunning)
	}
	pm := s.cmd.pid
	// The postmaster first, so it forks no child after the listing below.
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pgtest: freezing %s: %w", s.Name, err)
	}
	if err := waitState(pm, 'T', 2*time.Second); err != nil {
		return fmt.Errorf("pgtest: freezing %s: %w", s.Name, err)
	}
	signalAll(childrenOf(pm), syscall.SIGSTOP)
	return nil
}

// Thaw resumes a frozen server (SIGCONT to its children and postmaster).
func (s *Server) Thaw() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || !alive(s.cmd.pid) {
		return fmt.Errorf("pgtest: thawing %s: %w", s.Name, ErrNotRunning)
	}
	signalAll(childrenOf(s.cmd.pid), syscall.SIGCONT)
	if err := syscall.Kill(s.cmd.pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("pgtest: thawing %s: %w", s.Name, err)
	}
	return nil
}

// waitState waits until pid is in the given /proc state ('T': stopped).
func waitState(pid int, want byte, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		state, _, ok := procStat(pid)
		if !ok || state == want {
			return nil // gone counts: nothing left to wait for
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still in state %c after %v, want %c", pid, state, limit, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Stop stops the server for good, frozen or not, as `pg_ctl stop -m
// immediate` does (after a SIGCONT, since a stopped process cannot act on
// SIGQUIT), then kills whatever of it is left, including children a
// SIGKILLed postmaster left behind. Calling it again is harmless.
func (s *Server) Stop() error {
	if h := s.handle(); h != nil {
		s.stopPostmaster(h)
	}
	left := s.sweep()
	s.closeConn()
	removeShm(s.Dir)
	if len(left) > 0 {
		return fmt.Errorf("pgtest: stopping %s: processes %v still running after SIGKILL", s.Name, left)
	}
	return nil
}

func (s *Server) stopPostmaster(h *execHandle) {
	select {
	case <-h.done:
		return
	default:
	}
	pids := append([]int{h.pid}, childrenOf(h.pid)...)
	signalAll(pids, syscall.SIGCONT)
	_ = syscall.Kill(h.pid, syscall.SIGQUIT) // the signal pg_ctl stop -m immediate sends
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		signalAll(append([]int{h.pid}, childrenOf(h.pid)...), syscall.SIGKILL)
		<-h.done
	}
}

// sweep kills processes of this server that outlived their postmaster and
// returns those still alive after a second.
func (s *Server) sweep() []int {
	var left []int
	for i := 0; i < 50; i++ {
		left = postgresProcesses(s.tag, s.Dir+"\x00")
		if len(left) == 0 {
			return nil
		}
		signalAll(left, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
	return left
}

// removeShm removes the System V shared memory segment a postmaster killed
// with SIGKILL leaves behind (line 7 of postmaster.pid: "key shmid"), so
// test runs do not pile segments up. A segment still attached is kept.
func removeShm(dataDir string) {
	key, id, ok := shmSegment(dataDir)
	if !ok {
		return
	}
	// The id may have been reused since: remove it only if the key still
	// matches and nothing has it attached.
	var desc unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err != nil ||
		uint32(desc.Perm.Key) != key || desc.Nattch != 0 {
		return
	}
	_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
}

// shmSegment reads the System V segment a postmaster recorded in line 7 of
// its postmaster.pid ("key shmid").
func shmSegment(dataDir string) (key uint32, id int, ok bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 7 {
		return 0, 0, false
	}
	fields := strings.Fields(lines[6])
	if len(fields) != 2 {
		return 0, 0, false
	}
	k, err1 := strconv.ParseUint(fields[0], 10, 32)
	id, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || id < 0 {
		return 0, 0, false
	}
	return uint32(k), id, true
}
