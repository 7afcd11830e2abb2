package clients

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const service = "api.example.test."

// nameserver is a real miekg DNS server on loopback answering service with
// whatever addresses it is told, TTL 1.
type nameserver struct {
	addr    string
	queries atomic.Int64
	mu      sync.Mutex
	addrs   []string
	senders map[string]int // queries by the sender's address
}

func startNameserver(t testing.TB, addrs ...string) *nameserver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ns := &nameserver{addr: pc.LocalAddr().String(), addrs: addrs}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: ns, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return ns
}

func (ns *nameserver) set(addrs ...string) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.addrs = addrs
}

func (ns *nameserver) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	ns.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	ns.mu.Lock()
	if ns.senders == nil {
		ns.senders = map[string]int{}
	}
	if host, _, err := net.SplitHostPort(w.RemoteAddr().String()); err == nil {
		ns.senders[host]++
	}
	for _, a := range ns.addrs {
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1},
			A:   net.ParseIP(a),
		})
	}
	ns.mu.Unlock()
	w.WriteMsg(m)
}

// silentNameserver reads queries and never answers, as a nameserver behind
// a dead link does; it says how many queries it swallowed.
func silentNameserver(t testing.TB) (string, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String(), &n
}

// backends starts one HTTP server per handler, each on its own loopback
// address (127.0.0.1, 127.0.0.2, ...) and all on one port, as the regions
// are in the lab; it returns their addresses and the port.
func backends(t testing.TB, handlers ...http.Handler) ([]string, int) {
	t.Helper()
	for range 20 {
		ips, port, servers, err := listenAll(handlers)
		if err == nil {
			t.Cleanup(func() {
				for _, s := range servers {
					s.Close()
				}
			})
			return ips, port
		}
	}
	t.Fatal("no port free on every loopback address")
	return nil, 0
}

func listenAll(handlers []http.Handler) ([]string, int, []*httptest.Server, error) {
	var ips []string
	var servers []*httptest.Server
	port := 0
	for i, h := range handlers {
		ip := fmt.Sprintf("127.0.0.%d", i+1)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return nil, 0, nil, err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		s.Start()
		servers = append(servers, s)
		ips = append(ips, ip)
	}
	return ips, port, servers, nil
}

// named answers 200 naming itself in X-Outlast-Backend.
func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Outlast-Backend", name)
		fmt.Fprintln(w, "[]")
	})
}

// unusedAddr is a loopback address where nothing listens on port.
func unusedAddr(t testing.TB, port int) string {
	t.Helper()
	for i := 200; i < 250; i++ {
		ip := fmt.Sprintf("127.0.0.%d", i)
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), time.Second)
		if err != nil {
			return ip
		}
		c.Close()
	}
	t.Fatal("no unused loopback address")
	return ""
}
