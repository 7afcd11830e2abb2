//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"outlast/bench/internal/benchkit"
)

// options are the command line.
type options struct {
	duration   time.Duration
	nodes      int
	layout     layout
	control    string
	warmup     time.Duration // longest wait for agreement and verdicts
	failLimit  time.Duration // longest wait for the failover
	queryEvery time.Duration
	logLevel   string
	keep       bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "targets" {
		if err := runTargets(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(runMain())
}

func parseOptions() (options, error) {
	o := options{layout: layout{addrBase: "127.0.2."}}
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	secs := fs.Float64("duration", 60, "length of the quiet measurement window, in `seconds`")
	fs.IntVar(&o.nodes, "nodes", 5, "number of outlast nodes, on 127.0.0.41 upwards (at most 5 locations are distinct)")
	fs.IntVar(&o.layout.addrs, "addrs", 10, "endpoint addresses, 127.0.2.1 upwards (endpoints = addrs × ports)")
	fs.IntVar(&o.layout.ports, "ports", 100, "endpoint ports, one service each, from --base-port")
	fs.IntVar(&o.layout.basePort, "base-port", 20000, "first endpoint port")
	fs.StringVar(&o.control, "control", "127.0.2.250:29999", "control listener of the targets process")
	fs.DurationVar(&o.warmup, "warmup-timeout", 3*time.Minute, "longest wait for the cluster to agree and every endpoint to have a verdict")
	fs.DurationVar(&o.failLimit, "failover-timeout", 30*time.Second, "longest wait for every node to drop the dead endpoint")
	fs.DurationVar(&o.queryEvery, "query-every", 50*time.Millisecond, "how often each node's DNS is asked during the failover")
	fs.StringVar(&o.logLevel, "log-level", "info", "outlast serve --log-level (debug logs every committed command)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (configs, logs, data) and print where it is")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return o, err
	}
	o.duration = time.Duration(*secs * float64(time.Second))
	if o.duration <= 0 || o.nodes < 1 || o.nodes > 9 || o.layout.addrs < 1 || o.layout.addrs > 200 || o.layout.ports < 1 {
		return o, errors.New("cluster: --duration must be positive, --nodes 1..9, --addrs 1..200, --ports at least 1")
	}
	return o, nil
}

func runMain() int {
	o, err := parseOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b := &bench{o: o, nodes: makeNodes(o.nodes)}
	err = b.run(ctx)
	b.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster bench FAILED:", err)
		return 1
	}
	return 0
}

// bench holds what one run started, so cleanup can stop all of it.
type bench struct {
	o       options
	work    string
	bin     string
	nodes   []*node
	targets *benchkit.Proc
}

func (b *bench) cleanup() {
	for _, n := range b.nodes {
		n.proc.Stop(stopGrace)
	}
	b.targets.Stop(stopGrace)
	if b.work == "" {
		return
	}
	if b.o.keep {
		fmt.Println("work directory kept:", b.work)
		return
	}
	os.RemoveAll(b.work)
}

func (b *bench) run(ctx context.Context) error {
	if err := b.setUp(ctx); err != nil {
		return err
	}
	logf("warm-up: waiting for one leader, equal applied indexes and a verdict for each of %d endpoints on every node", b.o.layout.endpoints())
	warm, err := b.warmUp(ctx)
	if err != nil {
		return err
	}
	logf("warm-up done in %.1fs (leader %s, %d up, %d down)", warm.took.Seconds(), warm.leader, warm.up, warm.down)
	q, err := b.quietWindow(ctx, warm.leader)
	if err != nil {
		return err
	}
	f, err := b.failover(ctx)
	report(b, warm, q, f)
	return err
}

// setUp builds outlast, starts the targets process, makes the certificates
// and configurations, and starts the nodes.
func (b *bench) setUp(ctx context.Context) error {
	var err error
	if b.work, err = os.MkdirTemp("", "outlast-cluster-bench-"); err != nil {
		return err
	}
	if err := b.checkFree(); err != nil {
		return err
	}
	logf("building outlast into %s", filepath.Join(b.work, "outlast"))
	if b.bin, err = benchkit.BuildOutlast(ctx, b.work); err != nil {
		return err
	}
	if err := b.startTargets(ctx); err != nil {
		return err
	}
	l := b.o.layout
	logf("targets: %d listeners on %s1-%d, ports %d-%d", l.endpoints(), l.addrBase, l.addrs, l.basePort, l.basePort+l.ports-1)
	if err := makeTLS(b.bin, filepath.Join(b.work, "tls"), b.nodes); err != nil {
		return err
	}
	paths, err := writeConfigs(b.work, b.nodes, l)
	if err != nil {
		return err
	}
	if err := benchkit.Run(ctx, "", b.bin, "config", "check", paths[0]); err != nil {
		return err
	}
	for i, n := range b.nodes {
		n.proc, err = benchkit.Start(n.name, filepath.Join(b.work, n.name+".log"), nil, b.bin,
			"serve", "--config", paths[i], "--log-level", b.o.logLevel)
		if err != nil {
			return err
		}
	}
	logf("started %d nodes on 127.0.0.41-%d (logs in %s)", len(b.nodes), 40+len(b.nodes), b.work)
	return nil
}

// startTargets starts this program's own "targets" subcommand and waits
// for it to say it listens on everything.
func (b *bench) startTargets(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	l := b.o.layout
	b.targets, _, err = benchkit.StartReady(ctx, "targets", filepath.Join(b.work, "targets.log"), 30*time.Second,
		self, "targets", "-addr-base", l.addrBase, "-addrs", fmt.Sprint(l.addrs),
		"-port", fmt.Sprint(l.basePort), "-ports", fmt.Sprint(l.ports), "-control", b.o.control)
	return err
}

// stopGrace is how long a child has to end after SIGTERM before it is killed.
const stopGrace = 5 * time.Second

// checkFree fails early when another process holds one of the ports, with
// a message that says which.
func (b *bench) checkFree() error {
	var addrs []string
	for _, n := range b.nodes {
		addrs = append(addrs, n.ip+":8080", n.ip+":7946", n.dnsAddr())
	}
	addrs = append(addrs, b.o.control)
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			return fmt.Errorf("%s is taken (another run still going? see ps): %w", a, err)
		}
		l.Close()
	}
	return nil
}

// nodeDied returns an error naming a node that exited, with its log's tail.
func (b *bench) nodeDied() error {
	for _, n := range b.nodes {
		if n.proc.Exited() {
			return fmt.Errorf("node %s exited (%v); last log lines:\n%s", n.name, n.proc.Err(), n.proc.Tail(10))
		}
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
