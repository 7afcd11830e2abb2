//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"outlast/bench/internal/benchkit"
)

func main() { os.Exit(run()) }

// options are the command line.
type options struct {
	duration    time.Duration
	endpoints   int
	services    int
	perService  int
	interval    time.Duration
	timeout     time.Duration
	addrBase    string
	portBase    int
	outlast     string
	sampleEvery time.Duration
	warmup      time.Duration
	profileDir  string
	keep        bool
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "--serve" {
		if err := serveMode(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b := &bench{o: o}
	defer b.cleanup()
	if err := b.setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		return 1
	}
	res, err := b.measure(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		return 1
	}
	report(os.Stdout, o, res)
	if res.failed > 0 || res.unprobed > 0 {
		fmt.Fprintln(os.Stderr, "probes: some probes failed or did not run: the figures above are void")
		return 1
	}
	return 0
}

func parseFlags(args []string) (options, error) {
	o := options{duration: 60 * time.Second, warmup: 2 * time.Minute}
	fs := flag.NewFlagSet("probes", flag.ContinueOnError)
	fs.Var((*benchkit.Seconds)(&o.duration), "duration", "measured window, seconds or a Go duration")
	fs.IntVar(&o.endpoints, "endpoints", 10000, "endpoints probed")
	fs.IntVar(&o.services, "services", 100, "services the endpoints are split over (each has its own port)")
	fs.DurationVar(&o.interval, "interval", time.Second, "check interval")
	fs.DurationVar(&o.timeout, "timeout", time.Second, "check timeout")
	fs.StringVar(&o.addrBase, "addr-base", "127.0.3.", "endpoint address prefix: BASE1..BASEn, n = endpoints/services")
	fs.IntVar(&o.portBase, "port-base", 23000, "first port the server tries")
	fs.StringVar(&o.outlast, "outlast", "", "outlast binary to run (default: go build ./cmd/outlast)")
	fs.DurationVar(&o.sampleEvery, "sample-every", 10*time.Second, "how often goroutines are sampled during the window (0: only at its ends)")
	fs.Var((*benchkit.Seconds)(&o.warmup), "warmup", "longest wait for every endpoint's first probe")
	fs.StringVar(&o.profileDir, "profile", "", "write a CPU profile of the window and a heap profile into this `dir`, and print their tops")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (config, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.services <= 0 || o.endpoints%o.services != 0 {
		return o, fmt.Errorf("--endpoints %d must be a multiple of --services %d", o.endpoints, o.services)
	}
	o.perService = o.endpoints / o.services
	if o.perService > 250 || o.duration <= 0 || o.timeout > o.interval {
		return o, errors.New("want endpoints/services <= 250 (addresses), duration > 0, timeout <= interval")
	}
	return o, nil
}

// bench holds what setup started, for measure and cleanup.
type bench struct {
	o         options
	dir       string
	bin       string
	server    *benchkit.Proc
	node      *benchkit.Proc
	ports     []int
	httpAddr  string
	pprofAddr string
}

func (b *bench) setup(ctx context.Context) error {
	if err := raiseFileLimit(65536); err != nil {
		fmt.Fprintln(os.Stderr, "probes: cannot raise RLIMIT_NOFILE:", err)
	}
	dir, err := os.MkdirTemp("", "outlast-probes-")
	if err != nil {
		return err
	}
	b.dir, b.bin = dir, b.o.outlast
	if b.bin == "" {
		fmt.Fprintln(os.Stderr, "probes: building outlast")
		if b.bin, err = benchkit.BuildOutlast(ctx, dir); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "probes: starting the server for %d endpoints\n", b.o.endpoints)
	if b.server, b.ports, err = startServer(ctx, dir, b.o); err != nil {
		return err
	}
	cfg, err := b.writeConfig()
	if err != nil {
		return err
	}
	if err := benchkit.Run(ctx, "", b.bin, "config", "check", cfg); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "probes: starting outlast serve")
	b.node, err = benchkit.Start("outlast", filepath.Join(dir, "outlast.log"), nil, b.bin,
		"serve", "--config", cfg, "--log-level", "warn", "--pprof", b.pprofAddr)
	if err != nil {
		return err
	}
	return b.waitWarm(ctx)
}

func (b *bench) writeConfig() (string, error) {
	l := layout{services: b.o.services, perService: b.o.perService, addrBase: b.o.addrBase,
		ports: b.ports, interval: b.o.interval, timeout: b.o.timeout}
	var err error
	for _, addr := range []*string{&l.dnsListen, &l.httpListen, &b.pprofAddr} {
		if *addr, err = freePort(); err != nil {
			return "", err
		}
	}
	b.httpAddr = l.httpListen
	path := filepath.Join(b.dir, "outlast.yaml")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := writeConfig(f, l); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// metricsURL is GET /metrics for the named metrics only (all without
// names): outlast still gathers every series, but encodes only these.
func (b *bench) metricsURL(names ...string) string {
	q := url.Values{"name[]": names}
	if len(names) == 0 {
		return "http://" + b.httpAddr + "/metrics"
	}
	return "http://" + b.httpAddr + "/metrics?" + q.Encode()
}

// waitWarm waits until every endpoint has been probed at least once, so the
// window starts with the schedule in its steady state. It looks seldom: a
// GET /metrics gathers every endpoint's series, and scraping every second
// at 10,000 endpoints loads the node enough to tip it over (see README).
func (b *bench) waitWarm(ctx context.Context) error {
	deadline := time.Now().Add(b.o.warmup)
	pause := max(3*b.o.interval, 5*time.Second)
	seen := 0
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.node.Done():
			return fmt.Errorf("outlast serve exited during warm-up (see %s)", filepath.Join(b.dir, "outlast.log"))
		case <-time.After(pause):
		}
		s, err := getMetrics(ctx, b.metricsURL(metricResults))
		if err != nil {
			continue // not listening yet
		}
		if seen = len(s.perEnd); seen >= b.o.endpoints {
			return b.waitSettled(ctx, deadline)
		}
	}
	return fmt.Errorf("warm-up: only %d of %d endpoints probed after %s", seen, b.o.endpoints, b.o.warmup)
}

// waitSettled waits for the start-up rush to pass: until three samples in a
// row find few probes in flight (goroutines within 10% of one per
// endpoint). A node that started overloaded can stay so for a while; the
// window then measures that, and the report says so.
func (b *bench) waitSettled(ctx context.Context, deadline time.Time) error {
	calm, n := 0, 0.0
	limit := float64(b.o.endpoints)*1.1 + 200
	for calm < 3 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		var err error
		if n, err = goroutineCount(ctx, b.pprofAddr); err != nil {
			return err
		}
		calm++
		if n > limit {
			calm = 0
		}
	}
	if calm < 3 {
		fmt.Fprintf(os.Stderr, "probes: not settled: %.0f goroutines (want <= %.0f); measuring anyway\n", n, limit)
	}
	fmt.Fprintf(os.Stderr, "probes: warm: every endpoint probed; measuring for %s\n", b.o.duration)
	return nil
}

func (b *bench) cleanup() {
	b.node.Stop(10 * time.Second)
	b.server.Stop(5 * time.Second)
	if b.dir == "" {
		return
	}
	if b.o.keep {
		fmt.Fprintln(os.Stderr, "probes: kept", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}
