// Package labdns is the lab's stand-in for the CDN providers' DNS: a small
// authoritative server, on a loopback address, for the zones the lab's
// endpoint hostnames live in (shop.cdn-a.test is in zone cdn-a.test). The
// outlast nodes' resolvers ask it directly; it answers their
// recursion-desired queries from its own zones, as the provider's
// nameservers would answer a recursive resolver.
//
// A zone can go dark, as a provider's DNS does in an outage: its queries are
// dropped, so lookups time out, while the other zones keep answering.
package labdns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Server answers A queries for its zones' names, authoritatively.
type Server struct {
	// Addr is the IP:port it listens on, for UDP and TCP alike.
	Addr string
	ttl  uint32

	mu    sync.RWMutex
	zones map[string]*zone // by canonical apex

	udp, tcp *dns.Server
}

// zone is one provider's zone: its names' IPv4 addresses, and whether its
// DNS is dark.
type zone struct {
	apex  string
	hosts map[string][]netip.Addr // canonical name → A addresses
	dark  bool
}

// Start serves on ip, UDP and TCP on one port it chooses; ttl is every
// answer's TTL and the zones' negative TTL.
func Start(ip string, ttl time.Duration) (*Server, error) {
	s := &Server{ttl: uint32(ttl.Seconds()), zones: map[string]*zone{}}
	var err error
	for range 20 { // the UDP port may be taken for TCP: try another
		var pc net.PacketConn
		var ln net.Listener
		if pc, err = net.ListenPacket("udp", net.JoinHostPort(ip, "0")); err != nil {
			return nil, fmt.Errorf("labdns: %w", err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			continue
		}
		s.Addr = pc.LocalAddr().String()
		if err := s.serve(pc, ln); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("labdns: no port free for both UDP and TCP on %s: %w", ip, err)
}

// serve runs both servers and returns once both serve, or with the error
// of one that could not start (the other is then shut down).
func (s *Server) serve(pc net.PacketConn, ln net.Listener) error {
	up, failed := make(chan struct{}, 2), make(chan error, 2)
	s.udp = &dns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: func() { up <- struct{}{} }}
	s.tcp = &dns.Server{Listener: ln, Handler: s, NotifyStartedFunc: func() { up <- struct{}{} }}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				failed <- err
			}
		}()
	}
	for range 2 {
		select {
		case <-up:
		case err := <-failed:
			_ = s.udp.Shutdown()
			_ = s.tcp.Shutdown()
			return fmt.Errorf("labdns: %w", err)
		}
	}
	return nil
}

// Set makes name (in zone apex, which is created if new) answer addrs.
func (s *Server) Set(apex, name string, addrs ...netip.Addr) error {
	apex, name = dns.CanonicalName(apex), dns.CanonicalName(name)
	if !dns.IsSubDomain(apex, name) {
		return fmt.Errorf("labdns: %s is not in zone %s", name, apex)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zones[apex]
	if z == nil {
		z = &zone{apex: apex, hosts: map[string][]netip.Addr{}}
		s.zones[apex] = z
	}
	z.hosts[name] = append([]netip.Addr(nil), addrs...)
	return nil
}

// SetDark makes zone apex's DNS stop answering (true) or answer again.
func (s *Server) SetDark(apex string, dark bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zones[dns.CanonicalName(apex)]
	if z == nil {
		return fmt.Errorf("labdns: no zone %s", apex)
	}
	z.dark = dark
	return nil
}

// Light brings every zone's DNS back.
func (s *Server) Light() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.zones {
		z.dark = false
	}
}

// Close stops the server.
func (s *Server) Close() error {
	return errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
}

// ServeDNS answers one query; a query for a dark zone gets nothing.
func (s *Server) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	reply, ok := s.answer(q)
	if !ok {
		return // dark: the asker waits out its timeout
	}
	_ = w.WriteMsg(reply)
}

// answer builds the reply to q, or reports that its zone is dark.
func (s *Server) answer(q *dns.Msg) (*dns.Msg, bool) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	if len(q.Question) != 1 || q.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeFormatError
		return m, true
	}
	question := q.Question[0]
	name := dns.CanonicalName(question.Name)
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.zoneOf(name)
	switch {
	case z == nil:
		m.Rcode = dns.RcodeRefused // not ours: an authoritative server refuses
		return m, true
	case z.dark:
		return nil, false
	}
	m.Authoritative = true
	addrs, exists := z.hosts[name]
	switch {
	case !exists && name != z.apex:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{z.soa(s.ttl)}
	case question.Qtype == dns.TypeA && len(addrs) > 0:
		for _, a := range addrs {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: s.ttl}, A: a.AsSlice()})
		}
	default: // NODATA: the name exists without records of this type
		m.Ns = []dns.RR{z.soa(s.ttl)}
	}
	return m, true
}

// zoneOf is the zone holding name, the longest apex first; nil if none.
func (s *Server) zoneOf(name string) *zone {
	var best *zone
	for apex, z := range s.zones {
		if dns.IsSubDomain(apex, name) && (best == nil || len(apex) > len(best.apex)) {
			best = z
		}
	}
	return best
}

// soa is the zone's SOA, whose minimum (the negative TTL) is ttl.
func (z *zone) soa(ttl uint32) dns.RR {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: z.apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  "ns." + z.apex, Mbox: "hostmaster." + z.apex,
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: ttl,
	}
}
