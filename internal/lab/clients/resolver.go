package clients

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Lookup errors.
var (
	errUnreachable = errors.New("clients: nameserver unreachable")
	errNoAddress   = errors.New("clients: no address in the answer")
)

// resolver is one device's stub resolver: it asks its nameservers in
// rotation, moves on after a timeout or a failure (each at most once per
// lookup), and caches the answer for its TTL. Concurrent lookups of one
// device share the lookup in flight, as a caching stub does, so a device
// never queues lookups behind dead nameservers.
type resolver struct {
	name        string
	nameservers []string
	timeout     time.Duration
	reachable   func(string) bool
	client      *dns.Client

	mu       sync.Mutex
	warm     bool // a first answer was cached
	next     int  // the nameserver the next lookup starts with
	addrs    []string
	until    time.Time
	inflight *lookupCall
}

type lookupCall struct {
	done  chan struct{}
	addrs []string
	err   error
}

// lookup returns the service's addresses, from the cache while it is fresh.
func (r *resolver) lookup(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	if time.Now().Before(r.until) {
		addrs := r.addrs
		r.mu.Unlock()
		return addrs, nil
	}
	if c := r.inflight; c != nil {
		r.mu.Unlock()
		<-c.done
		return c.addrs, c.err
	}
	c := &lookupCall{done: make(chan struct{})}
	r.inflight = c
	first := r.next
	r.next = (r.next + 1) % len(r.nameservers)
	r.mu.Unlock()

	addrs, ttl, err := r.ask(ctx, first)
	r.mu.Lock()
	if err == nil {
		r.addrs, r.until = addrs, time.Now().Add(r.cacheFor(ttl))
	}
	r.inflight = nil
	r.mu.Unlock()
	c.addrs, c.err = addrs, err
	close(c.done)
	return addrs, err
}

// cacheFor is how long an answer stays cached: its TTL, except the first
// time. A population of real devices holds answers of every age, so their
// caches expire spread over a TTL; devices that all start at once would
// otherwise re-resolve in lockstep, and every outage would look like one
// cliff at the next expiry. The first answer is taken as already some way
// through its TTL. Called with r.mu held.
func (r *resolver) cacheFor(ttl time.Duration) time.Duration {
	if r.warm || ttl <= 0 {
		return ttl
	}
	r.warm = true
	return time.Duration(rand.Int64N(int64(ttl)))
}

// ask tries every nameserver once, starting with the first-th.
func (r *resolver) ask(ctx context.Context, first int) ([]string, time.Duration, error) {
	var errs []error
	for i := range r.nameservers {
		ns := r.nameservers[(first+i)%len(r.nameservers)]
		addrs, ttl, final, err := r.query(ctx, ns)
		if err == nil {
			return addrs, ttl, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", ns, err))
		if final || ctx.Err() != nil {
			break
		}
	}
	return nil, 0, fmt.Errorf("clients: resolving %s: %w", r.name, errors.Join(errs...))
}

// query asks one nameserver. final is true when its answer settles the
// lookup (the name has no address), so asking another would not help.
func (r *resolver) query(ctx context.Context, ns string) (addrs []string, ttl time.Duration, final bool, err error) {
	if r.reachable != nil && !r.reachable(ns) {
		// The lab cut this nameserver off: the query goes out and nothing comes back.
		wait(ctx, r.timeout)
		return nil, 0, false, errUnreachable
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(r.name, dns.TypeA)
	in, _, err := r.client.ExchangeContext(ctx, m, ns)
	switch {
	case err != nil:
		return nil, 0, false, err
	case in.Rcode == dns.RcodeNameError:
		return nil, 0, true, errors.New("clients: no such name")
	case in.Rcode != dns.RcodeSuccess:
		return nil, 0, false, fmt.Errorf("clients: answer %s", dns.RcodeToString[in.Rcode])
	}
	addrs, ttl = aRecords(in)
	if len(addrs) == 0 {
		return nil, 0, true, errNoAddress
	}
	return addrs, ttl, false, nil
}

// aRecords are the answer's addresses and the lowest of their TTLs. Every A
// record counts, whatever its owner, as a stub takes a CNAME chain's end.
func aRecords(m *dns.Msg) ([]string, time.Duration) {
	var addrs []string
	ttl := uint32(0)
	for _, rr := range m.Answer {
		a, ok := rr.(*dns.A)
		if !ok {
			continue
		}
		if len(addrs) == 0 || a.Hdr.Ttl < ttl {
			ttl = a.Hdr.Ttl
		}
		addrs = append(addrs, a.A.String())
	}
	return addrs, time.Duration(ttl) * time.Second
}

// wait sleeps for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
