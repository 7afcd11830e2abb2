package probe

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/dnstest"
	"outlast/internal/model"
)

// dnsHandler answers a small fixed zone. tc.test. is truncated over UDP and
// complete over TCP, to prove the probe retries over TCP.
func dnsHandler(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	q := req.Question[0]
	add := func(s string) {
		rr, _ := dns.NewRR(s)
		resp.Answer = append(resp.Answer, rr)
	}
	switch {
	case q.Name == "up.test." && q.Qtype == dns.TypeA:
		add("up.test. 30 IN A 192.0.2.1")
		add("up.test. 30 IN A 192.0.2.2")
	case q.Name == "up.test." && q.Qtype == dns.TypeAAAA:
		add("up.test. 30 IN AAAA 2001:db8::1")
	case q.Name == "tc.test." && w.LocalAddr().Network() == "udp":
		resp.Truncated = true
	case q.Name == "tc.test.":
		add("tc.test. 30 IN A 192.0.2.9")
	case q.Name == "fail.test.":
		resp.Rcode = dns.RcodeServerFailure
	default:
		resp.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(resp)
}

// dnsServer starts a real miekg server for UDP and TCP on one loopback port.
func dnsServer(t testing.TB) Target {
	t.Helper()
	return targetOf(t, dnstest.Serve(t, dns.HandlerFunc(dnsHandler)))
}

func dnsCheck(query, qtype, rcode, answer string) config.Check {
	c := check(config.CheckDNS)
	c.DNS = config.DNSCheck{Query: query, QType: qtype, ExpectRcode: rcode, ExpectAnswer: answer}
	return c
}

func TestDNS(t *testing.T) {
	tg := dnsServer(t)
	tests := []struct {
		name   string
		c      config.Check
		up     bool
		reason model.Reason
	}{
		{"noerror", dnsCheck("up.test.", "A", "NOERROR", ""), true, model.ReasonOK},
		{"answer present", dnsCheck("up.test.", "A", "NOERROR", "192.0.2.2"), true, model.ReasonOK},
		{"AAAA answer", dnsCheck("up.test.", "AAAA", "NOERROR", "2001:db8::1"), true, model.ReasonOK},
		{"answer absent", dnsCheck("up.test.", "A", "NOERROR", "192.0.2.3"), false, model.ReasonAnswer},
		{"nxdomain", dnsCheck("gone.test.", "A", "NOERROR", ""), false, model.ReasonRcode},
		{"nxdomain expected", dnsCheck("gone.test.", "A", "NXDOMAIN", ""), true, model.ReasonOK},
		{"servfail", dnsCheck("fail.test.", "A", "NOERROR", ""), false, model.ReasonRcode},
		{"truncated retried over tcp", dnsCheck("tc.test.", "A", "NOERROR", "192.0.2.9"), true, model.ReasonOK},
		{"unknown qtype", dnsCheck("up.test.", "BOGUS", "NOERROR", ""), false, model.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantResult(t, probeTimed(t, DNS, tg, tt.c), tt.up, tt.reason)
		})
	}
}

// udpSink reads queries and never answers; reply, when set, is sent back
// instead of a DNS message.
func udpSink(t *testing.T, reply []byte) Target {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply != nil {
				pc.WriteTo(reply, from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return targetOf(t, pc.LocalAddr().String())
}

func TestDNSSilentServerIsTimeout(t *testing.T) {
	c := dnsCheck("up.test.", "A", "NOERROR", "")
	c.Timeout = 300 * time.Millisecond
	wantResult(t, probeTimed(t, DNS, udpSink(t, nil), c), false, model.ReasonTimeout)
}

func TestDNSGarbageIsProtocol(t *testing.T) {
	c := dnsCheck("up.test.", "A", "NOERROR", "")
	wantResult(t, probeTimed(t, DNS, udpSink(t, []byte("SSH-2.0")), c), false, model.ReasonProtocol)
}

// Linux reports the ICMP port unreachable of a closed UDP port as a refused read.
func TestDNSClosedPortIsRefused(t *testing.T) {
	c := dnsCheck("up.test.", "A", "NOERROR", "")
	wantResult(t, probeTimed(t, DNS, closedPort(t, "udp"), c), false, model.ReasonRefused)
}
