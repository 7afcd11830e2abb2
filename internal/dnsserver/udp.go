package dnsserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"outlast/internal/rrl"
	"outlast/internal/udpbatch"
)

// UDP is served by outlast's own read loops rather than miekg's Server,
// which starts a goroutine per packet and sets a read deadline per read:
// under load those cost more than the answer itself (see
// docs/performance.md). Each CPU gets its own socket on the same port
// (SO_REUSEPORT, so the kernel spreads queries over them) and one goroutine
// that reads a batch of queries, answers them and writes the replies,
// reusing its buffers. miekg still parses each query, and each reply leaves
// from the address its query was sent to, as miekg's Server does on a
// wildcard bind.

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

// udpBatch is how many datagrams one recvmmsg or sendmmsg moves at most.
// Under load a read finds many queries waiting, and one system call per
// batch instead of two per query is most of the remaining cost (see
// docs/architecture.md); when idle a read returns with the first query.
const udpBatch = 32

// serveUDP answers queries on conn until it is closed, a batch at a time.
func (s *Server) serveUDP(conn *net.UDPConn) {
	bc, err := udpbatch.New(conn, udpBatch)
	if err != nil {
		s.log.Error("serving udp", "err", err)
		return
	}
	in, out := newBatch(udpBufSize), newBatch(0)
	l := newLoop()
	for {
		n, err := bc.Read(in)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("reading queries", "err", err)
			continue
		}
		k := s.answerBatch(l, in[:n], out)
		s.send(bc, out[:k])
		if s.onQuery != nil {
			for _, q := range l.seen[:k] {
				s.onQuery(q)
			}
		}
	}
}

// loop is what one read loop keeps from batch to batch.
type loop struct {
	req     dns.Msg
	dec     decoder
	sources replySources
	seen    []Query // what OnQuery hears of each reply of the batch
	now     int64   // the batch's time for rate limiting, from Server.started
}

func newLoop() *loop { return &loop{seen: make([]Query, udpBatch)} }

// answerBatch answers the datagrams in, writing the replies to the front
// of out (in the order of their queries, each to its query's sender) and
// their question types and rcodes to l.seen; it returns how many there
// are. Datagrams that get no reply leave no gap. out holds at least
// len(in) entries, and in at most udpBatch.
func (s *Server) answerBatch(l *loop, in, out []udpbatch.Message) int {
	if s.limit.Limiter != nil {
		l.now = int64(time.Since(s.started)) // monotonic: the limiter's clock must not jump
	}
	k := 0
	for i := range in {
		m, r := &in[i], &out[k]
		reply, q, ok := s.answerUDP(l, m.Buf[:m.N], r.Buf[:0], m.Addr.Addr().Unmap())
		if !ok {
			if q.Limited == rrl.Drop && s.onQuery != nil {
				s.onQuery(q)
			}
			continue
		}
		// UDP replies stay under the EDNS cap, so the buffer is kept.
		r.Buf, r.N, r.Addr = reply, len(reply), m.Addr
		r.OOB = l.sources.oob(m.OOB[:m.NN])
		r.NN = len(r.OOB)
		l.seen[k] = q
		k++
	}
	return k
}

// newBatch makes udpBatch messages of one buffer each, of size bytes, with
// room for the control messages that say where a query was sent.
func newBatch(size int) []udpbatch.Message {
	ms := make([]udpbatch.Message, udpBatch)
	for i := range ms {
		ms[i].Buf = make([]byte, size, max(size, 512))
		if size > 0 {
			ms[i].OOB = make([]byte, oobSize)
		}
	}
	return ms
}

// send writes every reply, skipping one the kernel refuses (sendmmsg stops
// at the first failure) so the rest still go out.
func (s *Server) send(bc *udpbatch.Conn, replies []udpbatch.Message) {
	for len(replies) > 0 {
		n, err := bc.Write(replies)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("writing response", "remote", replies[n].Addr, "err", err)
			n++
		}
		replies = replies[n:]
	}
}

// answerUDP answers one datagram the way miekg's Server does before it
// calls a handler: garbage without a header is dropped (a reply to it could
// amplify an attack), a response is ignored, a request acceptAll rejects
// gets its NOTIMP or FORMERR, one that does not parse FORMERR; the rest is
// answered from the current snapshot. ok is false when nothing is to be
// sent. remote is the sender's address.
func (s *Server) answerUDP(l *loop, m, out []byte, remote netip.Addr) (reply []byte, q Query, ok bool) {
	if len(m) < headerLen {
		return nil, Query{}, false
	}
	h := dns.Header{
		Id: binary.BigEndian.Uint16(m[0:]), Bits: binary.BigEndian.Uint16(m[2:]),
		Qdcount: binary.BigEndian.Uint16(m[4:]), Ancount: binary.BigEndian.Uint16(m[6:]),
		Nscount: binary.BigEndian.Uint16(m[8:]), Arcount: binary.BigEndian.Uint16(m[10:]),
	}
	action := acceptAll(h)
	if action == dns.MsgIgnore {
		return nil, Query{}, false
	}
	if action == dns.MsgAccept && l.dec.decode(&l.req, m) == nil {
		if special(&l.req) {
			if reply, q, c, charged, handled := s.answerSpecialUDP(&l.req, m, out, remote); handled {
				if reply == nil || !charged {
					return reply, q, reply != nil
				}
				return s.rateLimit(l, reply, q, c, remote)
			}
		}
		reply, q, c := s.snap.Load().respondCharged(out, &l.req, true, remote)
		return s.rateLimit(l, reply, q, c, remote)
	}
	rcode := rejectRcode(action)
	bare := dns.Msg{MsgHdr: dns.MsgHdr{Id: h.Id, Opcode: int(h.Bits>>11) & 0xF, RecursionDesired: h.Bits&flagRD != 0}}
	return appendBare(out, &bare, rcode), Query{Rcode: rcode}, true
}

// rateLimit passes reply through response rate limiting: sent as is,
// truncated (slipped) or not sent at all.
func (s *Server) rateLimit(l *loop, reply []byte, q Query, c charge, remote netip.Addr) ([]byte, Query, bool) {
	if s.limit.Limiter == nil || c.cookie || s.limit.exempt(remote) {
		return reply, q, true
	}
	q.Limited = s.limit.Limiter.Decide(l.now, remote, c.class, c.name)
	switch q.Limited {
	case rrl.Drop:
		return nil, q, false
	case rrl.Slip:
		return slip(reply), q, true
	}
	return reply, q, true
}

// oobSize holds the control messages a dual-stack socket may attach to one
// query: the IPv4 and the IPv6 packet information.
var oobSize = len(ipv4.NewControlMessage(ipv4.FlagDst|ipv4.FlagInterface)) +
	len(ipv6.NewControlMessage(ipv6.FlagDst|ipv6.FlagInterface))

// replySources turns the control messages of a query, which say where it
// was sent, into those of its reply, which send it from there: on a
// wildcard bind a reply from any other address is dropped by the resolver.
// Nearly every query on a socket goes to the same address, so the last
// conversion is kept and reused rather than parsed again.
type replySources struct {
	in, out []byte
	ok      bool
}

func (r *replySources) oob(in []byte) []byte {
	if r.ok && bytes.Equal(in, r.in) {
		return r.out
	}
	r.in, r.out, r.ok = append(r.in[:0], in...), replyOOB(in), true
	return r.out
}

// replyOOB is what miekg's session helpers send: the query's destination as
// the reply's source, in the family of that address (an IPv4 query on a
// dual-stack socket arrives with a mapped IPv6 destination).
func replyOOB(query []byte) []byte {
	var dst net.IP
	var cm6 ipv6.ControlMessage
	if cm6.Parse(query) == nil && cm6.Dst != nil {
		dst = cm6.Dst
	} else if cm4 := new(ipv4.ControlMessage); cm4.Parse(query) == nil {
		dst = cm4.Dst
	}
	switch {
	case dst == nil:
		return nil
	case dst.To4() == nil:
		return (&ipv6.ControlMessage{Src: dst}).Marshal()
	default:
		return (&ipv4.ControlMessage{Src: dst.To4()}).Marshal()
	}
}
