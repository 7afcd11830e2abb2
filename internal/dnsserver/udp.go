package dnsserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// UDP is served by outlast's own read loops rather than miekg's Server,
// which starts a goroutine per packet and sets a read deadline per read:
// under load those cost more than the answer itself (see
// docs/performance.md). Each CPU gets its own socket on the same port
// (SO_REUSEPORT, so the kernel spreads queries over them) and one goroutine
// that reads a query, answers it and writes the reply, reusing its buffers.
// miekg still parses the query, and its session helpers answer from the
// address the query was sent to, as its Server does on a wildcard bind.

// udpBufSize is the largest query read; a larger datagram is cut short,
// fails to parse and is dropped, as miekg's Server does with its UDPSize.
const udpBufSize = 4096

// listenUDP binds count sockets to addr with SO_REUSEPORT; with port 0 the
// first picks the port and the others join it.
func listenUDP(addr string, count int) ([]*net.UDPConn, error) {
	lc := net.ListenConfig{Control: reusePort}
	var conns []*net.UDPConn
	for i := range count {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("dnsserver: listening on udp %s: %w", addr, err)
		}
		conn := pc.(*net.UDPConn)
		if err := askDestination(conn); err != nil {
			conn.Close()
			closeAll(conns)
			return nil, fmt.Errorf("dnsserver: udp %s: %w", addr, err)
		}
		conns = append(conns, conn)
		if i == 0 {
			addr = conn.LocalAddr().String()
		}
	}
	return conns, nil
}

// askDestination has the kernel report each query's destination address,
// so a reply from a wildcard bind leaves from the address that was asked.
func askDestination(conn *net.UDPConn) error {
	err6 := ipv6.NewPacketConn(conn).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
	err4 := ipv4.NewPacketConn(conn).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	if err6 != nil && err4 != nil {
		return err4
	}
	return nil
}

func closeAll(conns []*net.UDPConn) {
	for _, c := range conns {
		c.Close()
	}
}

// udpSockets is how many UDP sockets to serve: one per CPU Go may use.
func udpSockets() int {
	if !manySockets {
		return 1
	}
	return max(1, runtime.GOMAXPROCS(0))
}

// serveUDP answers queries on conn until it is closed.
func (s *Server) serveUDP(conn *net.UDPConn) {
	buf := make([]byte, udpBufSize)
	out := make([]byte, 0, 4096)
	var req dns.Msg
	for {
		n, session, err := dns.ReadFromSessionUDP(conn, buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("reading a query", "err", err)
			continue
		}
		reply, qtype, rcode, ok := s.answerUDP(&req, buf[:n], out[:0])
		if !ok {
			continue
		}
		if _, err := dns.WriteToSessionUDP(conn, reply, session); err != nil {
			s.log.Debug("writing response", "remote", session.RemoteAddr(), "err", err)
		}
		if cap(reply) <= maxPooledBuf {
			out = reply[:0]
		}
		if s.onQuery != nil {
			s.onQuery(qtype, rcode)
		}
	}
}

// answerUDP answers one datagram the way miekg's Server does before it
// calls a handler: garbage without a header is dropped (a reply to it could
// amplify an attack), a request acceptAll rejects or that does not parse
// gets FORMERR, a response is ignored; the rest is answered from the
// current snapshot. ok is false when nothing is to be sent.
func (s *Server) answerUDP(req *dns.Msg, m, out []byte) (reply []byte, qtype uint16, rcode int, ok bool) {
	if len(m) < headerLen {
		return nil, 0, 0, false
	}
	h := dns.Header{
		Id: binary.BigEndian.Uint16(m[0:]), Bits: binary.BigEndian.Uint16(m[2:]),
		Qdcount: binary.BigEndian.Uint16(m[4:]), Ancount: binary.BigEndian.Uint16(m[6:]),
		Nscount: binary.BigEndian.Uint16(m[8:]), Arcount: binary.BigEndian.Uint16(m[10:]),
	}
	action := acceptAll(h)
	if action == dns.MsgIgnore {
		return nil, 0, 0, false
	}
	if action == dns.MsgAccept && req.Unpack(m) == nil {
		reply, qtype, rcode = s.snap.Load().respond(out, req, true)
		return reply, qtype, rcode, true
	}
	bare := dns.Msg{MsgHdr: dns.MsgHdr{Id: h.Id, Opcode: int(h.Bits>>11) & 0xF, RecursionDesired: h.Bits&(1<<8) != 0}}
	return appendBare(out, &bare, dns.RcodeFormatError), 0, dns.RcodeFormatError, true
}
