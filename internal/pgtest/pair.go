package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Pair is a primary and a replica streaming from it, on loopback.
type Pair struct {
	Primary *Server // "pg1", the primary at start
	Replica *Server // "pg2", a hot standby of Primary at start
	Dir     string  // holds both data directories and the server logs; removed at cleanup
	BinDir  string  // the PostgreSQL programs used

	as runAs
}

// setupTimeout bounds each step of StartPair (initdb, a start, the base
// backup, the wait for streaming): generous, as CI machines are slow.
const setupTimeout = 60 * time.Second

// StartPair starts a primary on primaryPort and a streaming replica of it
// on replicaPort, both on 127.0.0.1 (a port of 0 picks a free one), and
// returns once the replica streams: it sees a table created on the
// primary. At t.Cleanup both are stopped (even frozen), their processes
// are gone, and Dir is removed. It skips the test where PostgreSQL is
// not installed.
func StartPair(t testing.TB, primaryPort, replicaPort int) *Pair {
	t.Helper()
	return StartPairOn(t, "127.0.0.1", primaryPort, "127.0.0.1", replicaPort)
}

// StartPairOn is StartPair with a loopback address per server, such as
// 127.0.0.2 and 127.0.0.3 (Linux answers all of 127.0.0.0/8 on lo), for a
// test that must tell the two apart by address alone: a DNS answer
// carries no port.
func StartPairOn(t testing.TB, primaryHost string, primaryPort int, replicaHost string, replicaPort int) *Pair {
	t.Helper()
	for _, h := range []string{primaryHost, replicaHost} {
		if a, err := netip.ParseAddr(h); err != nil || !a.Is4() || !a.IsLoopback() {
			t.Fatalf("pgtest: host %q: want an IPv4 loopback address (127.x.y.z): tests talk to loopback only", h)
		}
	}
	bin, err := Find()
	if err != nil {
		t.Skip(err.Error())
	}
	p, err := newPair(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.close(); err != nil {
			t.Error(err)
		}
	})
	if err := p.setup(primaryHost, primaryPort, replicaHost, replicaPort); err != nil {
		t.Fatal(err)
	}
	return p
}

// newPair makes the pair's directory, owned by the user PostgreSQL runs
// as. It lives under the temp dir rather than t.TempDir, whose parents
// the postgres user may not be allowed to enter.
func newPair(bin string) (*Pair, error) {
	as, err := currentRunAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: making the pair's directory: %w", err)
	}
	if err := as.own(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Pair{Dir: dir, BinDir: bin, as: as}, nil
}

func (p *Pair) setup(primaryHost string, primaryPort int, replicaHost string, replicaPort int) error {
	ports, err := freePorts([]string{primaryHost, replicaHost}, []int{primaryPort, replicaPort})
	if err != nil {
		return err
	}
	if p.Primary, err = newServer("pg1", primaryHost, ports[0], p.Dir, p.BinDir, p.as); err != nil {
		return err
	}
	if p.Replica, err = newServer("pg2", replicaHost, ports[1], p.Dir, p.BinDir, p.as); err != nil {
		return err
	}
	steps := []func() error{p.initPrimary, p.startAndWait(p.Primary), p.cloneReplica, p.startAndWait(p.Replica), p.waitStreaming}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// Server returns the pair's server called name ("pg1" or "pg2"), or nil.
func (p *Pair) Server(name string) *Server {
	for _, s := range []*Server{p.Primary, p.Replica} {
		if s != nil && s.Name == name {
			return s
		}
	}
	return nil
}

// close stops both servers and removes the pair's directory.
func (p *Pair) close() error {
	var errs []error
	for _, s := range []*Server{p.Replica, p.Primary} {
		if s != nil {
			errs = append(errs, s.Stop())
		}
	}
	if err := os.RemoveAll(p.Dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: removing %s: %w", p.Dir, err))
	}
	return errors.Join(errs...)
}

// freePorts keeps the ports asked for and picks a free port on hosts[i]
// for each 0, never the same port twice. (Another process could take a
// picked port before postgres binds it; the start then fails with "could
// not bind" in the server's log.)
func freePorts(hosts []string, asked []int) ([]int, error) {
	out := make([]int, len(asked))
	for i, port := range asked {
		if port < 0 || port > 65535 {
			return nil, fmt.Errorf("pgtest: port %d out of range 0..65535", port)
		}
		out[i] = port
		for out[i] == 0 || (i > 0 && out[i] == out[0]) {
			l, err := net.Listen("tcp", net.JoinHostPort(hosts[i], "0"))
			if err != nil {
				return nil, fmt.Errorf("pgtest: picking a free port: %w", err)
			}
			out[i] = l.Addr().(*net.TCPAddr).Port
			_ = l.Close()
		}
	}
	return out, nil
}

// conf is what a test server needs beyond initdb's defaults: loopback
// only, no unix socket (its path could exceed the 107-byte limit), small
// and fast (fsync off: the data is thrown away), streaming replication.
const conf = `
# Added by outlast's internal/pgtest: a throwaway test server.
listen_addresses = '%s'
port = %d
cluster_name = '%s'
unix_socket_directories = ''
shared_buffers = 16MB
max_connections = 30
fsync = off
synchronous_commit = off
wal_level = replica
max_wal_senders = 4
wal_keep_size = 64MB
hot_standby = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 200ms
# Segments in the data directory go with it, even after a SIGKILL.
dynamic_shared_memory_type = mmap
`

// hba trusts loopback for queries and replication: no passwords to manage.
const hba = `
# Added by outlast's internal/pgtest.
host all all 127.0.0.0/8 trust
host replication all 127.0.0.0/8 trust
`

func (p *Pair) initPrimary() error {
	s := p.Primary
	if err := p.run("initdb", "-D", s.Dir, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(s.Dir, "pg_hba.conf"), hba); err != nil {
		return err
	}
	return appendFile(filepath.Join(s.Dir, "postgresql.conf"), fmt.Sprintf(conf, s.Host, s.Port, s.tag))
}

// cloneReplica takes a base backup of the primary with -R (standby.signal
// and primary_conninfo), then gives the copy its own port and name: later
// lines of postgresql.conf win.
func (p *Pair) cloneReplica() error {
	s := p.Replica
	if err := p.run("pg_basebackup", "-h", p.Primary.Host, "-p", fmt.Sprint(p.Primary.Port), "-U", "postgres",
		"-D", s.Dir, "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		return err
	}
	return appendFile(filepath.Join(s.Dir, "postgresql.conf"),
		fmt.Sprintf("\n# pgtest: the replica's own address and name.\nlisten_addresses = '%s'\nport = %d\ncluster_name = '%s'\n", s.Host, s.Port, s.tag))
}

// run runs one PostgreSQL program as the pair's user; its output goes into
// the error when it fails.
func (p *Pair) run(tool string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	out, err := p.as.command(ctx, p.Dir, filepath.Join(p.BinDir, tool), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", tool, strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *Pair) startAndWait(s *Server) func() error {
	return func() error {
		if err := s.start(); err != nil {
			return err
		}
		return s.waitReady()
	}
}

// waitReady waits until the server answers a query, or fails with its log
// when it exits or takes too long.
func (s *Server) waitReady() error {
	err := poll(setupTimeout, func(ctx context.Context) (bool, error) {
		if !s.Alive() {
			return false, ErrNotRunning
		}
		_, err := s.InRecovery(ctx)
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("pgtest: %s on %s did not start: %w\n%s", s.Name, s.Addr(), err, s.logTail())
	}
	return nil
}

// waitStreaming waits until the primary lists a streaming replica and a
// table created on the primary shows up on the replica.
func (p *Pair) waitStreaming() error {
	streaming := func(ctx context.Context) (bool, error) {
		var n int64
		err := p.Primary.queryRow(ctx, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", &n)
		return err == nil && n > 0, nil
	}
	if err := poll(setupTimeout, streaming); err != nil {
		return fmt.Errorf("pgtest: replica %s never streamed from %s: %w\n%s", p.Replica.Name, p.Primary.Name, err, p.Replica.logTail())
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := p.Primary.Exec(ctx, "CREATE TABLE pgtest_streaming (id int)"); err != nil {
		return err
	}
	replicated := func(ctx context.Context) (bool, error) {
		var ok bool
		err := p.Replica.queryRow(ctx, "SELECT to_regclass('pgtest_streaming') IS NOT NULL", &ok)
		return err == nil && ok, nil
	}
	if err := poll(setupTimeout, replicated); err != nil {
		return fmt.Errorf("pgtest: a table created on %s never reached %s: %w\n%s", p.Primary.Name, p.Replica.Name, err, p.Replica.logTail())
	}
	return nil
}

// poll calls check every 50 ms, each with a 2 s context, until it says
// done, returns an error, or limit passes.
func poll(limit time.Duration, check func(ctx context.Context) (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		done, err := check(ctx)
		cancel()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("still not done after %v", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail is the end of the server's log, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	const max = 3000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "server log " + s.LogFile + " ends:\n" + string(b)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: writing %s: %w", path, err)
	}
	return nil
}
