package node

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestNodeAnswersCookies: the leader gives the cluster a cookie secret, and
// the node answers a client cookie with a server cookie; with
// dns.cookies: false it answers none.
func TestNodeAnswersCookies(t *testing.T) {
	ask := func(n *Node) (server string, answered bool) {
		m := new(dns.Msg)
		m.SetQuestion("api.example.test.", dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
		r, err := dns.Exchange(m, n.DNSAddr().String())
		if err != nil || r.IsEdns0() == nil {
			return "", false
		}
		for _, o := range r.IsEdns0().Option {
			if c, ok := o.(*dns.EDNS0_COOKIE); ok {
				return c.Cookie[16:], true
			}
		}
		return "", true
	}
	n := startNode(t, testConfig(t, freePort(t)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		server, _ := ask(n)
		if b, err := hex.DecodeString(server); err == nil && len(b) == 16 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 16-byte server cookie 10 s after start; last %q", server)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n.State().Cookies == nil || n.State().Cookies.Current == "" {
		t.Error("the state holds no cookie secret")
	}
	off := startNode(t, parseConfig(t, "off.yaml", strings.Replace(configText(freePort(t)), `dns: {listen: "127.0.0.1:0"}`, `dns: {listen: "127.0.0.1:0", cookies: false}`, 1)))
	time.Sleep(time.Second)
	if server, answered := ask(off); !answered || server != "" {
		t.Errorf("with dns.cookies false: answered %v, server cookie %q; want an answer without one", answered, server)
	}
}
