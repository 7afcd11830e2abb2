package proxy

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkProxyGet is one keep-alive GET through the proxy to a loopback
// endpoint and back. Allocations count the client and the endpoint as
// well (both net/http), so compare them between versions of the proxy,
// not with zero.
func BenchmarkProxyGet(b *testing.B) {
	bs, port := backends(b, "aws/us-east-1", "gcp/us-central1")
	for _, be := range bs {
		be.serve(b, port, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	}
	_, addr := start(b, Options{}, port, planOf(bs))
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Host = "www.example.test"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
