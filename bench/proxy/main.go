//go:build linux

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"outlast/bench/internal/benchkit"
)

func main() { os.Exit(run()) }

// options are the command line.
type options struct {
	duration time.Duration // each load pass
	conns    int           // keep-alive connections of the load
	threads  int           // wrk threads
	timeout  time.Duration // the clients' timeout: a request not answered within it is an error
	keep     bool          // keep the temp dir (configs, logs)
	profile  string        // where to save a CPU profile of outlast under wrk ("": none)
}

func run() int {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/proxy:", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b := &bench{o: o}
	defer b.cleanup()
	if err := b.setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench/proxy:", err)
		return 1
	}
	res, err := b.measure(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/proxy:", err)
		return 1
	}
	report(os.Stdout, o, res)
	return 0
}

func parseFlags(args []string) (options, error) {
	o := options{duration: 10 * time.Second}
	fs := flag.NewFlagSet("bench/proxy", flag.ContinueOnError)
	fs.Var((*benchkit.Seconds)(&o.duration), "duration", "length of each load pass, seconds or a Go duration (4 throughput passes and 3 fault passes)")
	fs.IntVar(&o.conns, "connections", 32, "keep-alive connections of the load")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "client timeout: a request unanswered this long is an error")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir with the configs and logs")
	fs.StringVar(&o.profile, "profile", "", "save a CPU profile of outlast during its first wrk pass to this `file` (go tool pprof -top FILE)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return o, fmt.Errorf("--duration %v is outside 1s..10m", o.duration)
	case o.conns < 1 || o.conns > maxConns:
		return o, fmt.Errorf("--connections %d is outside 1..%d", o.conns, maxConns)
	case o.threads < 1 || o.threads > o.conns:
		return o, fmt.Errorf("--threads %d is outside 1..connections", o.threads)
	case o.timeout <= perTry || o.timeout > time.Minute:
		return o, fmt.Errorf("--timeout %v must be longer than the proxies' per-try timeout %v (else a retry cannot help) and at most 1m", o.timeout, perTry)
	}
	return o, nil
}

// bench holds what setup started, for measure and cleanup.
type bench struct {
	o                options
	dir              string
	backends         [2]*benchkit.Proc
	outlast, haproxy *benchkit.Proc
	haproxyRetryOn   *benchkit.Proc // the fault pass's second HAProxy
	stopped          bool           // backend 1 is SIGSTOPped
	haproxyVersion   string
}

// proxyUnder is one of the two proxies under test.
type proxyUnder struct {
	name string
	addr string
	proc *benchkit.Proc
}

func (b *bench) proxies() [2]proxyUnder {
	return [2]proxyUnder{{"outlast", outlastProxy, b.outlast}, {"haproxy", haproxyAddr, b.haproxy}}
}

// faultProxies are the proxies of the fault pass: both, and HAProxy with
// retry-on as well.
func (b *bench) faultProxies() []proxyUnder {
	ps := b.proxies()
	return append(ps[:], proxyUnder{"haproxy-retry-on", haproxyRetryOnAddr, b.haproxyRetryOn})
}

func (b *bench) setup(ctx context.Context) error {
	for _, bin := range []string{"haproxy", "wrk"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s is not installed: run bench/proxy/run, which installs it (Debian packages haproxy and wrk)", bin)
		}
	}
	if v, err := exec.CommandContext(ctx, "haproxy", "-v").Output(); err == nil {
		b.haproxyVersion, _, _ = strings.Cut(string(v), "\n")
	}
	dir, err := os.MkdirTemp("", "bench-proxy.")
	if err != nil {
		return err
	}
	b.dir = dir
	bin, err := benchkit.BuildOutlast(ctx, dir)
	if err != nil {
		return err
	}
	for i, addr := range []string{backend1, backend2} {
		name := fmt.Sprintf("backend%d", i+1)
		if b.backends[i], err = benchkit.Start(name, filepath.Join(dir, name+".log"), nil, bin, "backend", "--listen", addr); err != nil {
			return err
		}
	}
	for i, addr := range []string{backend1, backend2} {
		err := waitOK(ctx, "http://"+addr+path, 10*time.Second)
		if err == nil {
			// Another process on the address would answer too.
			err = sleep(ctx, 300*time.Millisecond)
		}
		if err == nil && b.backends[i].Exited() {
			err = fmt.Errorf("exited: %s", b.backends[i].Tail(3))
		}
		if err != nil {
			return fmt.Errorf("backend %s: %w (address taken?)", addr, err)
		}
	}
	if b.haproxy, err = b.startHAProxy(ctx, "haproxy", haproxyAddr, false); err != nil {
		return err
	}
	if b.haproxyRetryOn, err = b.startHAProxy(ctx, "haproxy-retry-on", haproxyRetryOnAddr, true); err != nil {
		return err
	}
	return b.startOutlast(ctx, bin)
}

func (b *bench) startHAProxy(ctx context.Context, name, addr string, retryOn bool) (*benchkit.Proc, error) {
	cfg := filepath.Join(b.dir, name+".cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(addr, retryOn)), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "haproxy", "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c -f %s: %w\n%s", cfg, err, out)
	}
	// -db: in the foreground, no daemon, no master process: the PID is the
	// one process that serves, whose CPU is read.
	proc, err := benchkit.Start(name, filepath.Join(b.dir, name+".log"), nil, "haproxy", "-db", "-f", cfg)
	if err != nil {
		return nil, err
	}
	return proc, b.waitBoth(ctx, proxyUnder{name, addr, proc})
}

func (b *bench) startOutlast(ctx context.Context, bin string) error {
	cfg := filepath.Join(b.dir, "outlast.yaml")
	if err := os.WriteFile(cfg, []byte(outlastConfig()), 0o600); err != nil {
		return err
	}
	if err := benchkit.Run(ctx, "", bin, "config", "check", cfg); err != nil {
		return fmt.Errorf("outlast config check %s: %w", cfg, err)
	}
	var err error
	args := []string{"serve", "--config", cfg, "--log-level", "warn"}
	if b.o.profile != "" {
		args = append(args, "--pprof", outlastPprof)
	}
	if b.outlast, err = benchkit.Start("outlast", filepath.Join(b.dir, "outlast.log"), nil, bin, args...); err != nil {
		return err
	}
	return b.waitBoth(ctx, proxyUnder{"outlast", outlastProxy, b.outlast})
}

// waitBoth waits until requests through the proxy reach both backends:
// both are up in its eyes, so each pass starts from the same state.
func (b *bench) waitBoth(ctx context.Context, p proxyUnder) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if p.proc.Exited() {
			return fmt.Errorf("%s exited: %v; last lines of %s:\n%s", p.name, p.proc.Err(), p.proc.Log, p.proc.Tail(10))
		}
		seen := map[string]bool{}
		for range 20 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+path, nil)
			req.Host = routeHost
			resp, err := client.Do(req)
			if err != nil {
				last = err.Error()
				break
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			last = resp.Status
			if resp.StatusCode == http.StatusOK {
				seen[resp.Header.Get("X-Outlast-Backend")] = true
			}
		}
		if seen[backend1] && seen[backend2] {
			return nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("requests through %s (%s) did not reach both backends within 30s (last: %s); last lines of %s:\n%s",
		p.name, p.addr, last, p.proc.Log, p.proc.Tail(10))
}

// waitOK waits until url answers 200.
func waitOK(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if _, last = benchkit.Get(ctx, url, time.Second); last == nil {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("no 200 from %s within %v: %v", url, limit, last)
}

func (b *bench) cleanup() {
	b.resume()
	for _, p := range []*benchkit.Proc{b.outlast, b.haproxy, b.haproxyRetryOn, b.backends[0], b.backends[1]} {
		if p != nil {
			p.Stop(5 * time.Second)
		}
	}
	if b.dir == "" {
		return
	}
	if b.o.keep {
		fmt.Fprintln(os.Stderr, "bench/proxy: configs and logs kept in", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}

// pause SIGSTOPs backend 1: it still accepts connections (the kernel
// completes the handshakes) but never answers, the worst kind of failure
// for a proxy, which only a timeout reveals.
func (b *bench) pause() error {
	if err := syscall.Kill(b.backends[0].Pid(), syscall.SIGSTOP); err != nil {
		return fmt.Errorf("SIGSTOP backend 1: %w", err)
	}
	b.stopped = true
	return nil
}

// resume SIGCONTs backend 1 if it is stopped.
func (b *bench) resume() {
	if b.stopped && b.backends[0] != nil {
		syscall.Kill(b.backends[0].Pid(), syscall.SIGCONT)
		b.stopped = false
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
