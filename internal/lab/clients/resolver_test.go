package clients

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func newResolver(start int, timeout time.Duration, nameservers ...string) *resolver {
	return &resolver{name: service, nameservers: nameservers, next: start, timeout: timeout,
		client: &dns.Client{Net: "udp", Timeout: timeout}}
}

// Each lookup starts with the next nameserver, and an answer is cached for its TTL.
func TestResolverRotatesAndCaches(t *testing.T) {
	a, b, c := startNameserver(t, "127.0.0.1"), startNameserver(t, "127.0.0.2"), startNameserver(t, "127.0.0.3")
	r := newResolver(1, time.Second, a.addr, b.addr, c.addr)
	var got []string
	for range 4 {
		addrs, err := r.lookup(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cached, err := r.lookup(context.Background()) // within the TTL of 1 s
		if err != nil || !slices.Equal(cached, addrs) {
			t.Fatalf("want the cached %v, got %v (%v)", addrs, cached, err)
		}
		got = append(got, addrs...)
		r.mu.Lock()
		r.until = time.Time{} // the TTL ran out
		r.mu.Unlock()
	}
	if want := []string{"127.0.0.2", "127.0.0.3", "127.0.0.1", "127.0.0.2"}; !slices.Equal(got, want) {
		t.Errorf("want answers from %v in turn, got %v", want, got)
	}
	if a.queries.Load() != 1 || b.queries.Load() != 2 || c.queries.Load() != 1 {
		t.Errorf("want 1, 2 and 1 queries, got %d, %d and %d", a.queries.Load(), b.queries.Load(), c.queries.Load())
	}
}

// Concurrent lookups of one device share the one in flight, so a silent
// nameserver is asked once, not once per request.
func TestResolverSharesLookupInFlight(t *testing.T) {
	t.Parallel()
	silent, swallowed := silentNameserver(t)
	r := newResolver(0, time.Second, silent)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			_, err := r.lookup(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Error("want every lookup to fail, one did not")
		}
	}
	if n := swallowed.Load(); n != 1 {
		t.Errorf("want 1 query to the silent nameserver, got %d", n)
	}
}
