//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// watch is what one node's DNS said about the dead address over time.
type watch struct {
	node      string
	queries   int
	failures  int       // timeouts and errors: no answer either way
	lastWith  time.Time // last answer that still held the address
	goneSince time.Time // first answer without it after lastWith (zero: not gone)
	rcodeBad  int
}

// gone reports whether the node has answered without the address for at
// least hold, as of now.
func (w *watch) gone(now time.Time, hold time.Duration) bool {
	return !w.goneSince.IsZero() && now.Sub(w.goneSince) >= hold
}

// answers reports whether name's A answer from server holds addr.
func answers(c *dns.Client, server, name, addr string) (bool, int, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return false, 0, err
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.String() == addr {
			return true, r.Rcode, nil
		}
	}
	return false, r.Rcode, nil
}

// checkAll asks every node once and returns an error unless all of them
// answer name with addr.
func checkAll(nodes []*node, name, addr string) error {
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	for _, n := range nodes {
		ok, rcode, err := answers(c, n.dnsAddr(), name, addr)
		if err != nil {
			return fmt.Errorf("%s: %w", n.name, err)
		}
		if !ok {
			return fmt.Errorf("%s does not answer %s with %s (rcode %s) before the failover", n.name, name, addr, dns.RcodeToString[rcode])
		}
	}
	return nil
}

// failover stops target at the targets process and queries every node
// every `every` until each has answered without addr for `hold`, or until
// limit passes. It returns the moment the target stopped and one watch per
// node.
func failover(ctx context.Context, control, target string, nodes []*node, name, addr string,
	every, hold, limit time.Duration) (time.Time, []*watch, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	watches := make([]*watch, len(nodes))
	for i, n := range nodes {
		watches[i] = &watch{node: n.name}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	resp, err := http.Post("http://"+control+"/stop?target="+target, "", nil)
	if err != nil {
		return t0, watches, fmt.Errorf("stop %s: %w", target, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return t0, watches, fmt.Errorf("stop %s: %s", target, resp.Status)
	}
	allGone := make(chan struct{})
	var once sync.Once
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			poll(ctx, n.dnsAddr(), name, addr, every, watches[i], &mu)
		}()
	}
	go func() { // the referee: all nodes gone for `hold`
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				mu.Lock()
				done := true
				for _, w := range watches {
					done = done && w.gone(now, hold)
				}
				mu.Unlock()
				if done {
					once.Do(func() { close(allGone) })
					return
				}
			}
		}
	}()
	select {
	case <-allGone:
		cancel()
		wg.Wait()
		return t0, watches, nil
	case <-ctx.Done():
		wg.Wait()
		return t0, watches, fmt.Errorf("after %v not every node has stopped answering %s for %s", limit, name, addr)
	}
}

// poll queries one node every `every` and records what it answered.
func poll(ctx context.Context, server, name, addr string, every time.Duration, w *watch, mu *sync.Mutex) {
	c := &dns.Client{Net: "udp", Timeout: every * 4}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		has, rcode, err := answers(c, server, name, addr)
		now := time.Now()
		mu.Lock()
		w.queries++
		switch {
		case err != nil:
			w.failures++
		case rcode != dns.RcodeSuccess:
			w.rcodeBad++
		case has:
			w.lastWith, w.goneSince = now, time.Time{}
		case w.goneSince.IsZero():
			w.goneSince = now
		}
		mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
