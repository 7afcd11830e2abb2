//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/shiftwatch"
)

func main() { os.Exit(run()) }

type options struct {
	servers []target      // name=host:port, in the order printed
	qname   string        // the health-checked name
	dead    string        // backend host:port that is killed and restarted
	keep    string        // address of the backend that stays up
	backend []string      // command that serves the killed backend
	every   time.Duration // query period
	bound   time.Duration // longest wait for one transition
	ready   time.Duration // longest wait for every server to answer both backends
	timeout time.Duration // per-query timeout
	runs    int           // kill/restart cycles
	jitter  time.Duration // longest random pause before each kill and restart
}

type target struct{ name, addr string }

// tally is what one server did in one transition.
type tally struct {
	at     time.Duration // first answer in the new state; -1 if never seen
	errors int           // queries with no usable answer (timeout, rcode)
	flaps  int           // answers in the old state after the new one was seen
}

func run() int {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		return 2
	}
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	servers := fs.String("servers", "", "comma-separated name=host:port of the DNS servers to watch")
	backend := fs.String("backend", "", "command (space-separated) that serves the killed backend")
	var o options
	fs.StringVar(&o.qname, "name", "api.example.test.", "health-checked name asked (type A)")
	fs.StringVar(&o.dead, "kill", "127.0.0.11:8081", "backend host:port to kill and restart")
	fs.StringVar(&o.keep, "keep", "127.0.0.12", "address of the backend that stays up")
	fs.DurationVar(&o.every, "every", 100*time.Millisecond, "query period")
	fs.DurationVar(&o.bound, "duration", 30*time.Second, "longest wait for each transition (drop, return)")
	fs.DurationVar(&o.ready, "ready", 30*time.Second, "longest wait for every server to answer both backends first")
	fs.DurationVar(&o.timeout, "timeout", 80*time.Millisecond, "per-query timeout")
	fs.IntVar(&o.runs, "runs", 3, "kill/restart cycles")
	fs.DurationVar(&o.jitter, "jitter", 5*time.Second,
		"longest random pause before each kill and restart, so events fall at any phase of the servers' check cycles")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*servers, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(s), "=")
		if !ok || name == "" || addr == "" {
			return o, fmt.Errorf("-servers: %q is not name=host:port", s)
		}
		o.servers = append(o.servers, target{name, addr})
	}
	if o.backend = strings.Fields(*backend); len(o.backend) == 0 {
		return o, errors.New("-backend is required")
	}
	if o.runs < 1 {
		return o, errors.New("-runs must be at least 1")
	}
	o.qname = dns.Fqdn(o.qname)
	return o, nil
}

func bench(o options) error {
	deadAP, err := netip.ParseAddrPort(o.dead)
	if err != nil {
		return fmt.Errorf("-kill: %w", err)
	}
	dead := deadAP.Addr()
	b, err := startBackend(o)
	if err != nil {
		return err
	}
	defer func() { b.stop() }()
	fmt.Fprintf(os.Stderr, "waiting (at most %s) for every server to answer %s and %s\n", o.ready, dead, o.keep)
	if err := waitReady(o, dead); err != nil {
		return err
	}

	var drops, backs [][]tally
	for r := 1; r <= o.runs; r++ {
		pause(o.jitter)
		b.stop()
		fmt.Fprintf(os.Stderr, "run %d/%d: killed the backend on %s; asking every %s\n", r, o.runs, o.dead, o.every)
		drops = append(drops, watch(o, shiftwatch.Without(dead)))
		pause(o.jitter)
		if b, err = startBackend(o); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "run %d/%d: the backend on %s accepts connections again\n", r, o.runs, o.dead)
		backs = append(backs, watch(o, shiftwatch.With(dead)))
	}
	report(o, drops, backs)
	return nil
}

// pause sleeps a random time up to max.
func pause(max time.Duration) {
	if max > 0 {
		time.Sleep(rand.N(max))
	}
}

// backend is the killed backend's process.
type backend struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startBackend runs the backend command and returns once it accepts TCP
// connections, so a return time counts from the moment it can serve.
func startBackend(o options) (*backend, error) {
	cmd := exec.Command(o.backend[0], o.backend[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	b := &backend{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(b.exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-b.exited:
			return nil, fmt.Errorf("backend: %q exited at start (address taken?)", strings.Join(o.backend, " "))
		default:
		}
		if c, err := net.DialTimeout("tcp", o.dead, 100*time.Millisecond); err == nil {
			c.Close()
			return b, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.stop()
	return nil, fmt.Errorf("backend: nothing listening on %s after 10s", o.dead)
}

// stop kills the backend (SIGKILL: a crash, not a graceful drain) and waits
// until the process is gone and its socket closed. Safe to call twice.
func (b *backend) stop() {
	if b == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.exited
}

// addrs are the servers' addresses, in order.
func (o options) addrs() []string {
	out := make([]string, len(o.servers))
	for i, t := range o.servers {
		out[i] = t.addr
	}
	return out
}

// waitReady waits until every server answers with both backends, which for
// PowerDNS proves its ifurlup checks have run.
func waitReady(o options, dead netip.Addr) error {
	keep, err := netip.ParseAddr(o.keep)
	if err != nil {
		return fmt.Errorf("-keep: %w", err)
	}
	r, err := shiftwatch.Watch(context.Background(), shiftwatch.Options{
		Nameservers: o.addrs(), Query: shiftwatch.Query{Name: o.qname, Timeout: 500 * time.Millisecond},
		Rule: shiftwatch.Rule{Want: shiftwatch.WithAll(dead, keep)}, Interval: 200 * time.Millisecond, Deadline: o.ready,
	})
	for i, s := range r.Servers {
		fmt.Fprintf(os.Stderr, "  %s (%s): %s\n", o.servers[i].name, s.Addr, s.Last)
	}
	return err
}
