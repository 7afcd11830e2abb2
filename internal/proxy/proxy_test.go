package proxy

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlast/internal/outlier"
	"outlast/internal/retrybudget"
)

// TestHungRegionCostsNoError: one of two regions accepts connections and
// never answers. Every client request still succeeds, none waits more
// than one per-try timeout beyond a normal answer, and once the hung
// endpoint is ejected requests stop paying even that.
func TestHungRegionCostsNoError(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].hang(t, port)
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	perTry := 300 * time.Millisecond
	_, addr := start(t, Options{Retries: 1, PerTryTimeout: perTry, Outlier: outlier.Config{Consecutive: 3}}, port, planOf(bs))
	c := newClient(t, addr)
	var slowest time.Duration
	for i := range 40 {
		began := time.Now()
		code, body, err := c.do("GET", "/", "")
		if err != nil || code != http.StatusOK || body != "e2" {
			t.Fatalf("request %d: %d %q %v; want 200 from e2, the region that answers", i, code, body, err)
		}
		slowest = max(slowest, time.Since(began))
	}
	// Generous: a per-try timeout plus a second for a loaded machine.
	if bound := perTry + time.Second; slowest > bound {
		t.Errorf("slowest request took %v, want at most one per-try timeout (%v) more than an answer (bound %v)", slowest, perTry, bound)
	}
	if hung := bs[0].hits.Load(); hung == 0 || hung > 3 {
		t.Errorf("the hung region got %d connections; want 1 to 3 (tried, then ejected after 3 timeouts)", hung)
	}
}

// TestUnavailableRetriedElsewhere: a region answering 503 is retried in
// the other; clients see only 200s.
func TestUnavailableRetriedElsewhere(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].serve(t, port, answer(bs[0], http.StatusServiceUnavailable))
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	_, addr := start(t, Options{Retries: 1, Outlier: outlier.Config{Consecutive: 1000}}, port, planOf(bs))
	c := newClient(t, addr)
	for i := range 30 {
		if code, body, err := c.do("GET", "/", ""); err != nil || code != http.StatusOK || body != "e2" {
			t.Fatalf("request %d: %d %q %v; want 200 from e2", i, code, body, err)
		}
	}
	if bs[0].hits.Load() == 0 {
		t.Error("the failing region got no request: the retry was never exercised")
	}
}

// TestPostNotRetriedUnlessMarked: a POST that fails is answered as it
// failed, unless the operator's header marks it idempotent; a PUT is
// retried as a GET is.
func TestPostNotRetriedUnlessMarked(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].serve(t, port, answer(bs[0], http.StatusServiceUnavailable))
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	opts := Options{Retries: 1, IdempotentHeader: "X-Idempotent", Outlier: outlier.Config{Consecutive: 1000}}
	_, addr := start(t, opts, port, planOf(bs[:1], bs[1:])) // e1 first, e2 the fallback
	c := newClient(t, addr)
	for _, r := range []struct {
		method string
		header []string
		want   int
	}{
		{"POST", nil, http.StatusServiceUnavailable},
		{"POST", []string{"X-Idempotent", "true"}, http.StatusOK},
		{"POST", []string{"X-Idempotent", "no"}, http.StatusServiceUnavailable},
		{"PUT", nil, http.StatusOK},
		{"DELETE", nil, http.StatusOK},
	} {
		code, body, err := c.do(r.method, "/", "payload", r.header...)
		if err != nil || code != r.want {
			t.Errorf("%s %v: %d %q %v; want %d", r.method, r.header, code, body, err, r.want)
		}
	}
}

// TestRetryBudgetHolds: every endpoint fails, slowly, under 30 clients at
// once. Without a budget each request would be tried twice, doubling the
// load on the endpoints; with the default budget retries add at most 20%
// of the requests in flight (floor 3): the endpoints never see more than
// 30 + 6 requests at once, and the budget refuses some retries.
func TestRetryBudgetHolds(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	// The endpoints count the retries they are working on at once (the
	// attempt header says which tries are retries), until they answer.
	var retrying, peakRetries atomic.Int64
	slow503 := func(b *backend) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get(AttemptHeader) != "1" {
				n := retrying.Add(1)
				for m := peakRetries.Load(); n > m && !peakRetries.CompareAndSwap(m, n); m = peakRetries.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				retrying.Add(-1)
			} else {
				time.Sleep(20 * time.Millisecond)
			}
			answer(b, http.StatusServiceUnavailable)(w, r)
		}
	}
	bs[0].serve(t, port, slow503(bs[0]))
	bs[1].serve(t, port, slow503(bs[1]))
	p, addr := start(t, Options{Retries: 1, Outlier: outlier.Config{Consecutive: 1 << 20}}, port, planOf(bs))
	const clients, each = 30, 20
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			c := newClient(t, addr)
			for range each {
				if code, _, err := c.do("GET", "/", ""); err != nil || code != http.StatusServiceUnavailable {
					t.Errorf("got %d %v; want the endpoints' 503 passed on", code, err)
					return
				}
			}
		})
	}
	wg.Wait()
	upstream := bs[0].hits.Load() + bs[1].hits.Load()
	retries := upstream - clients*each
	share := float64(retries) / float64(clients*each)
	st := p.BudgetStats()
	t.Logf("%d requests, %d retries (%.0f%%), at most %d retries at once, budget refused %d",
		clients*each, retries, 100*share, peakRetries.Load(), st.Exhausted)
	if limit := (retrybudget.Budget{}).WithDefaults().Limit(clients); peakRetries.Load() > limit {
		t.Errorf("the endpoints worked on %d retries at once; the budget allows %d for %d requests in flight", peakRetries.Load(), limit, clients)
	}
	// With 6 retries beside 30 requests at all times, and a retried
	// request in flight twice as long, retries come to 20/(100-20) = 25%
	// of the requests; 30% leaves room for timing. Without a budget: 100%.
	if share > 0.30 || st.Exhausted == 0 || retries <= 0 {
		t.Errorf("retries %d (%.0f%% of requests), refused %d: want some retries, at most 30%%, and some refused", retries, 100*share, st.Exhausted)
	}
}

// TestNowhereToSend: a host without a route is 404; a service without a
// plan, or whose plan has nowhere to go, is 503; neither is sent upstream.
func TestNowhereToSend(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	bs[0].serve(t, port, answer(bs[0], http.StatusOK))
	p, addr := start(t, Options{}, port, Plan{})
	c := newClient(t, addr)
	if code, _, _ := c.do("GET", "/", ""); code != http.StatusServiceUnavailable {
		t.Errorf("no plan: %d, want 503", code)
	}
	if err := p.Update(Plan{service: {Endpoints: []string{"e1"}, Areas: map[string][][]Target{"": nil}}}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := c.do("GET", "/", ""); code != http.StatusServiceUnavailable {
		t.Errorf("a plan without targets (fail closed): %d, want 503", code)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = "other.example.test"
	resp, err := c.http.Do(req)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown host: %v %v, want 404", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	if n := bs[0].hits.Load(); n != 0 {
		t.Errorf("the endpoint got %d requests; want none", n)
	}
}

// TestOrderOfTiers: requests go to the first tier while it has an
// endpoint, and to the next when the proxy ejected it.
func TestOrderOfTiers(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].serve(t, port, answer(bs[0], http.StatusInternalServerError))
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	// 500 is not retried by default, but it counts against the endpoint.
	_, addr := start(t, Options{Outlier: outlier.Config{Consecutive: 3}}, port, planOf(bs[:1], bs[1:]))
	c := newClient(t, addr)
	var got []int
	for range 6 {
		code, _, _ := c.do("GET", "/", "")
		got = append(got, code)
	}
	if want := []int{500, 500, 500, 200, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v: three 500s from e1, then e2 once e1 is ejected", got, want)
	}
}

// TestHungRegionUnderLoad: 24 clients at once while one of two regions
// hangs, and the proxy never ejects it. The requests sent there time out
// together, far more than the retry budget's 4 retries at once, yet every
// client gets its answer: the retries wait for room and fit one after the
// other, each a few milliseconds on the region that answers.
func TestHungRegionUnderLoad(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1", "gcp/us-central1")
	bs[0].hang(t, port)
	bs[1].serve(t, port, answer(bs[1], http.StatusOK))
	p, addr := start(t, Options{Retries: 1, PerTryTimeout: 400 * time.Millisecond, Outlier: outlier.Config{Consecutive: 1 << 20}}, port, planOf(bs))
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 24 {
		wg.Go(func() {
			c := newClient(t, addr)
			for range 10 {
				if code, _, err := c.do("GET", "/", ""); err != nil || code != http.StatusOK {
					failed.Add(1)
					t.Logf("client error: %d %v", code, err)
				}
			}
		})
	}
	wg.Wait()
	st := p.BudgetStats()
	if failed.Load() != 0 || bs[0].hits.Load() == 0 {
		t.Errorf("%d client errors, %d connections to the hung region, budget refused %d; want no error while the hung region was tried",
			failed.Load(), bs[0].hits.Load(), st.Exhausted)
	}
}

// TestTLSWildcardNeedsServerName: a wildcard route to HTTPS endpoints must
// name the certificate's server name; the proxy never keys a connection
// pool by a client's host.
func TestTLSWildcardNeedsServerName(t *testing.T) {
	if _, err := New(Options{}, []Route{{Host: "*.example.test", Service: service, Port: 443, TLS: true}}); err == nil {
		t.Error("New took a TLS wildcard route without a server name")
	}
	p, err := New(Options{}, []Route{
		{Host: "*.example.test", Service: service, Port: 443, TLS: true, ServerName: "shop.example.test"},
		{Host: "www.example.test", Service: service, Port: 443, TLS: true, ServerName: "shop.example.test"},
		{Host: "api.example.test", Service: service, Port: 80},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.pools) != 2 {
		t.Errorf("%d connection pools, want 2: one per server name, one for plain HTTP", len(p.pools))
	}
}
