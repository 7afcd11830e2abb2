package dnsserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/xfr"
)

// fuzzTransferServer is a server (not started) with transfers of
// example.test. allowed to 127.0.0.0/8 signed with testKeyName, or
// unsigned from 127.0.0.1.
func fuzzTransferServer(f *testing.F) (*Server, keyring) {
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{})
	if err != nil {
		f.Fatal(err)
	}
	j := xfr.NewJournal(xfr.Limits{})
	v, err := snap.ZoneVersion("example.test.")
	if err != nil {
		f.Fatal(err)
	}
	if err := j.Add(v); err != nil {
		f.Fatal(err)
	}
	tr, err := NewTransfer(TransferConfig{Zones: []TransferZone{{Apex: "example.test.", Journal: j, ACLs: xfr.ACLs{
		{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Keys: map[string]xfr.Key{testKeyName: {Algorithm: dns.HmacSHA256, Secret: testKeySecret}}},
		{Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}}}})
	if err != nil {
		f.Fatal(err)
	}
	return New(Options{Transfer: tr}, snap), tr.keys
}

// transferSeeds are requests packed, and signed where a key is given.
func transferSeeds(f *testing.F) [][]byte {
	type seed struct {
		m      *dns.Msg
		key    string
		secret string
	}
	noSOA := new(dns.Msg)
	noSOA.SetQuestion("example.test.", dns.TypeIXFR)
	seeds := []seed{
		{axfr(), testKeyName, testKeySecret}, {ixfr(3), testKeyName, testKeySecret}, {ixfr(7), "", ""},
		{axfr(), "", ""}, {noSOA, "", ""}, {question("example.test.", dns.TypeSOA), testKeyName, testKeySecret},
		{question("www.example.test.", dns.TypeA), testKeyName, otherSecret}, {question("big.example.test.", dns.TypeAAAA), testKeyName, testKeySecret},
		{question("example.test.", dns.TypeSOA), "stranger.", otherSecret},
	}
	var out [][]byte
	for _, s := range seeds {
		var b []byte
		var err error
		if s.key == "" {
			b, err = s.m.Pack()
		} else {
			s.m.SetTsig(s.key, dns.HmacSHA256, 300, time.Now().Unix())
			b, _, err = dns.TsigGenerate(s.m, s.secret, "", false)
		}
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzSignedDatagram feeds datagrams to the UDP path with transfers and
// TSIG keys configured: signed or not, transfer requests or not. It must
// not panic, and every reply must unpack, fit the largest UDP reply and
// answer the query's ID.
func FuzzSignedDatagram(f *testing.F) {
	for _, s := range transferSeeds(f) {
		f.Add(s)
	}
	s, _ := fuzzTransferServer(f)
	l := newLoop()
	out := make([]byte, 0, udpBufSize)
	f.Fuzz(func(t *testing.T, m []byte) {
		if len(m) > udpBufSize {
			return // the read loop never reads more
		}
		reply, _, ok := s.answerUDP(l, m, out[:0], netip.MustParseAddr("127.0.0.1"))
		if !ok {
			return
		}
		var r dns.Msg
		if err := r.Unpack(reply); err != nil {
			t.Fatalf("reply does not unpack: %v\n% x", err, reply)
		}
		if len(reply) > maxUDPSize {
			t.Fatalf("reply of %d bytes over UDP, above %d", len(reply), maxUDPSize)
		}
		if r.Id != uint16(m[0])<<8|uint16(m[1]) {
			t.Fatalf("reply ID %d does not answer the query's", r.Id)
		}
	})
}

// FuzzTransferRequest feeds TCP requests, as miekg's server hands them
// over (parsed, accepted by the header rule, TSIG verified), to ServeDNS
// with transfers configured. It must not panic; every message written must
// unpack, and a transfer never writes more messages than the zone's AXFR
// (one here) or replies to a refused request with records.
func FuzzTransferRequest(f *testing.F) {
	for _, s := range transferSeeds(f) {
		f.Add(s, false)
	}
	s, keys := fuzzTransferServer(f)
	f.Fuzz(func(t *testing.T, m []byte, stranger bool) {
		if len(m) > dns.MaxMsgSize || len(m) < headerLen {
			return
		}
		var req dns.Msg
		if err := req.Unpack(m); err != nil {
			return // miekg answers FORMERR itself
		}
		h := dns.Header{Id: binary.BigEndian.Uint16(m), Bits: binary.BigEndian.Uint16(m[2:]), Qdcount: binary.BigEndian.Uint16(m[4:]),
			Ancount: binary.BigEndian.Uint16(m[6:]), Nscount: binary.BigEndian.Uint16(m[8:]), Arcount: binary.BigEndian.Uint16(m[10:])}
		if acceptAll(h) != dns.MsgAccept {
			return
		}
		w := &streamWriter{remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}}
		if stranger {
			w.remote = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 5353}
		}
		if req.IsTsig() != nil {
			w.status = dns.TsigVerifyWithProvider(append([]byte(nil), m...), keys, "", false)
		}
		s.ServeDNS(w, &req)
		if len(w.msgs) > 2 {
			t.Fatalf("%d messages written, the zone takes 1", len(w.msgs))
		}
		for _, b := range w.msgs {
			var r dns.Msg
			if err := r.Unpack(b); err != nil {
				t.Fatalf("message does not unpack: %v", err)
			}
			if stranger && isTransfer(&req) && len(r.Answer) > 0 {
				t.Fatalf("a transfer from a stranger got %d records", len(r.Answer))
			}
		}
	})
}

// streamWriter is a dns.ResponseWriter keeping every message written, with
// the TSIG status miekg's server would give.
type streamWriter struct {
	remote net.Addr
	status error
	msgs   [][]byte
}

func (w *streamWriter) LocalAddr() net.Addr  { return w.remote }
func (w *streamWriter) RemoteAddr() net.Addr { return w.remote }
func (w *streamWriter) Write(b []byte) (int, error) {
	w.msgs = append(w.msgs, append([]byte(nil), b...))
	return len(b), nil
}
func (w *streamWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack() // miekg would sign here; the packing is what matters
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *streamWriter) Close() error        { return nil }
func (w *streamWriter) TsigStatus() error   { return w.status }
func (w *streamWriter) TsigTimersOnly(bool) {}
func (w *streamWriter) Hijack()             {}
