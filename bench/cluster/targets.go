//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// targets is the separate process that serves every probed endpoint: one
// listener per (address, port), all answering 200 "ok", plus a control
// listener to stop or restart one of them while the cluster watches.
type targets struct {
	mu      sync.Mutex
	servers map[string]*http.Server // by "addr:port"
	served  atomic.Int64
}

// runTargets is the "targets" subcommand: it listens on every address ×
// port, prints "ready" on stdout and serves until SIGINT or SIGTERM.
// POST /stop?target=A:P and /start?target=A:P on the control address take
// one listener down and up again; GET /stats says how many requests were
// served. SIGUSR1 stops the listener named by --victim, for use by hand.
func runTargets(args []string) error {
	fs := flag.NewFlagSet("targets", flag.ContinueOnError)
	base := fs.String("addr-base", "127.0.2.", "address prefix; addresses are BASE1..BASEn")
	naddrs := fs.Int("addrs", 10, "number of addresses")
	port := fs.Int("port", 20000, "first port")
	nports := fs.Int("ports", 100, "number of ports per address")
	control := fs.String("control", "127.0.2.250:29999", "control listener")
	victim := fs.String("victim", "", "address:port that SIGUSR1 stops")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t := &targets{servers: map[string]*http.Server{}}
	for a := 1; a <= *naddrs; a++ {
		for p := *port; p < *port+*nports; p++ {
			if err := t.start(*base + strconv.Itoa(a) + ":" + strconv.Itoa(p)); err != nil {
				t.closeAll()
				return err
			}
		}
	}
	ctl, err := net.Listen("tcp", *control)
	if err != nil {
		t.closeAll()
		return fmt.Errorf("targets: control: %w", err)
	}
	go (&http.Server{Handler: t.controlHandler(), ReadHeaderTimeout: 5 * time.Second}).Serve(ctl)
	fmt.Println("ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	for s := range sig {
		if s == syscall.SIGUSR1 {
			t.stop(*victim)
			continue
		}
		break
	}
	ctl.Close()
	t.closeAll()
	return nil
}

// start listens on target and serves it. Probes dial a fresh connection
// each time and ask with Connection: close, so nothing here keeps state.
func (t *targets) start(target string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.servers[target]; ok {
		return nil
	}
	l, err := net.Listen("tcp", target)
	if err != nil {
		return fmt.Errorf("targets: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			t.served.Add(1)
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("ok\n"))
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	t.servers[target] = srv
	go srv.Serve(l)
	return nil
}

// stop closes target's listener and its open connections: a probe now gets
// "connection refused", as from a process that died.
func (t *targets) stop(target string) bool {
	t.mu.Lock()
	srv, ok := t.servers[target]
	delete(t.servers, target)
	t.mu.Unlock()
	if ok {
		srv.Close()
	}
	return ok
}

func (t *targets) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, srv := range t.servers {
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			srv.Close()
		}
	}
}

func (t *targets) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		if !t.stop(r.URL.Query().Get("target")) {
			http.Error(w, "no such running target", http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, "stopped")
	})
	mux.HandleFunc("POST /start", func(w http.ResponseWriter, r *http.Request) {
		if err := t.start(r.URL.Query().Get("target")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "started")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		t.mu.Lock()
		n := len(t.servers)
		t.mu.Unlock()
		fmt.Fprintf(w, "%d %d\n", t.served.Load(), n)
	})
	return mux
}
