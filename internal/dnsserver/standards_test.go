package dnsserver

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestAcceptAllBoundsBeforeParsing: the header alone decides that a query
// without exactly one question, or with an opcode we do not serve, is
// answered without unpacking anything.
func TestAcceptAllBoundsBeforeParsing(t *testing.T) {
	query := uint16(dns.OpcodeQuery) << 11
	cases := []struct {
		desc string
		h    dns.Header
		want dns.MsgAcceptAction
	}{
		{"one question", dns.Header{Bits: query, Qdcount: 1}, dns.MsgAccept},
		{"with OPT and TSIG", dns.Header{Bits: query, Qdcount: 1, Arcount: 2}, dns.MsgAccept},
		{"no question", dns.Header{Bits: query}, dns.MsgReject},
		{"two questions", dns.Header{Bits: query, Qdcount: 2}, dns.MsgReject},
		{"65,535 questions", dns.Header{Bits: query, Qdcount: 65535}, dns.MsgReject},
		{"three additional", dns.Header{Bits: query, Qdcount: 1, Arcount: 3}, dns.MsgReject},
		{"response", dns.Header{Bits: flagQR, Qdcount: 65535}, dns.MsgIgnore},
		{"NOTIFY", dns.Header{Bits: uint16(dns.OpcodeNotify) << 11, Qdcount: 1}, dns.MsgRejectNotImplemented},
		{"STATUS with 65,535 questions", dns.Header{Bits: uint16(dns.OpcodeStatus) << 11, Qdcount: 65535}, dns.MsgRejectNotImplemented},
	}
	for _, c := range cases {
		if got := acceptAll(c.h); got != c.want {
			t.Errorf("%s: action %d, want %d", c.desc, got, c.want)
		}
	}
}

// TestMetaRecordsAndQuestionCount sends crafted queries as raw packets over
// loopback UDP and TCP and checks the exact rcode of each reply. The
// choices, and where Knot differs, are listed in meta.go.
func TestMetaRecordsAndQuestionCount(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	www := func() *dns.Msg { return question("www.example.test.", dns.TypeA) }
	cases := []struct {
		desc  string
		pkt   []byte
		rcode int
	}{
		{"plain query", packed(t, www()), dns.RcodeSuccess},
		{"no question", withQuestions(packed(t, www()), 0, 0), dns.RcodeFormatError},
		{"two questions", packed(t, twoQuestions()), dns.RcodeFormatError},
		{"65,535 questions of compression pointers", withQuestions(packed(t, www()), 65535, 650), dns.RcodeFormatError},
		{"STATUS with two questions", opcode(packed(t, twoQuestions()), dns.OpcodeStatus), dns.RcodeNotImplemented},
		{"two OPT records", packed(t, extra(www(), ednsOPT(), ednsOPT())), dns.RcodeFormatError},
		{"two OPT records, one of version 1", packed(t, extra(www(), ednsOPT(), versionOPT(1))), dns.RcodeFormatError},
		{"OPT in the answer section", packed(t, inAnswer(www(), ednsOPT())), dns.RcodeFormatError},
		{"OPT in the authority section", packed(t, inAuthority(www(), ednsOPT())), dns.RcodeFormatError},
		{"OPT of version 1", packed(t, extra(www(), versionOPT(1))), dns.RcodeBadVers},
		{"TSIG before OPT", packed(t, extra(www(), unknownTSIG(), ednsOPT())), dns.RcodeFormatError},
		{"TSIG in the answer section", packed(t, inAnswer(www(), unknownTSIG())), dns.RcodeFormatError},
		{"TSIG without rdata", packed(t, extra(www(), &dns.TSIG{Hdr: dns.RR_Header{Name: "nokey.example.", Rrtype: dns.TypeTSIG, Class: dns.ClassANY}})), dns.RcodeFormatError},
		{"TSIG with an unknown key", packed(t, extra(www(), unknownTSIG())), dns.RcodeNotAuth},
		{"OPT and TSIG with an unknown key", packed(t, extra(www(), ednsOPT(), unknownTSIG())), dns.RcodeNotAuth},
		{"TSIG outside our zones", packed(t, extra(question("elsewhere.test.", dns.TypeA), unknownTSIG())), dns.RcodeNotAuth},
		{"COOKIE of 0 bytes", packed(t, extra(www(), cookieOPT(0))), dns.RcodeFormatError},
		{"COOKIE of 7 bytes", packed(t, extra(www(), cookieOPT(7))), dns.RcodeFormatError},
		{"COOKIE of 8 bytes (client only)", packed(t, extra(www(), cookieOPT(8))), dns.RcodeSuccess},
		{"COOKIE with a 5-byte server cookie", packed(t, extra(www(), cookieOPT(8+5))), dns.RcodeFormatError},
		{"COOKIE with an 8-byte server cookie", packed(t, extra(www(), cookieOPT(8+8))), dns.RcodeSuccess},
		{"COOKIE with a 32-byte server cookie", packed(t, extra(www(), cookieOPT(8+32))), dns.RcodeSuccess},
		{"COOKIE with a 33-byte server cookie", packed(t, extra(www(), cookieOPT(8+33))), dns.RcodeFormatError},
		{"qtype OPT", packed(t, question("www.example.test.", dns.TypeOPT)), dns.RcodeFormatError},
		{"qtype TSIG", packed(t, question("www.example.test.", dns.TypeTSIG)), dns.RcodeFormatError},
		{"qtype TKEY", packed(t, question("www.example.test.", dns.TypeTKEY)), dns.RcodeFormatError},
		{"qtype OPT outside our zones", packed(t, question("elsewhere.test.", dns.TypeOPT)), dns.RcodeFormatError},
		{"qtype 0", packed(t, question("www.example.test.", dns.TypeNone)), dns.RcodeNotImplemented},
		{"qtype MAILA is NODATA", packed(t, question("www.example.test.", dns.TypeMAILA)), dns.RcodeSuccess},
		{"qtype IXFR", packed(t, question("example.test.", dns.TypeIXFR)), dns.RcodeRefused},
		{"qtype AXFR", packed(t, question("example.test.", dns.TypeAXFR)), dns.RcodeRefused},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(network+"/"+c.desc, func(t *testing.T) {
				r := rawExchange(t, network, ts.addr(network), c.pkt)
				if got := r.Rcode; got != c.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[got], dns.RcodeToString[c.rcode])
				}
				if c.rcode != dns.RcodeSuccess && len(r.Answer)+len(r.Ns) > 0 {
					t.Errorf("error reply carries records: %v", r)
				}
			})
		}
	}
}

// TestUnknownTSIGKeyGetsBADKEY: the NOTAUTH reply to a TSIG carries the
// unsigned TSIG RFC 8945 5.3.2 asks for: the query's key, algorithm and
// time, no MAC, error BADKEY, and it is the last record.
func TestUnknownTSIGKeyGetsBADKEY(t *testing.T) {
	ts := startServer(t, testSnapshot(t), Options{})
	for _, network := range networks {
		for _, withOPT := range []bool{false, true} {
			m := question("www.example.test.", dns.TypeA)
			if withOPT {
				m.Extra = append(m.Extra, ednsOPT())
			}
			m.Extra = append(m.Extra, unknownTSIG())
			r := rawExchange(t, network, ts.addr(network), packed(t, m))
			if r.Rcode != dns.RcodeNotAuth || len(r.Extra) == 0 {
				t.Fatalf("%s OPT=%v: rcode %s with %d additional, want NOTAUTH with a TSIG",
					network, withOPT, dns.RcodeToString[r.Rcode], len(r.Extra))
			}
			got, ok := r.Extra[len(r.Extra)-1].(*dns.TSIG)
			if !ok {
				t.Fatalf("%s: last additional record %v, want TSIG", network, r.Extra[len(r.Extra)-1])
			}
			if got.Hdr.Name != "nokey.example." || got.Algorithm != dns.HmacSHA256 || got.TimeSigned != 1_700_000_000 ||
				got.Fudge != 300 || got.MACSize != 0 || got.OrigId != m.Id || got.Error != dns.RcodeBadKey {
				t.Errorf("%s: TSIG %v, want key nokey.example., hmac-sha256, time 1700000000, fudge 300, no MAC, error BADKEY", network, got)
			}
			if (r.IsEdns0() != nil) != withOPT {
				t.Errorf("%s: OPT in the reply %v, want %v", network, r.IsEdns0() != nil, withOPT)
			}
		}
	}
}

func packed(t *testing.T, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withQuestions rewrites QDCOUNT to n and appends pointers questions, each
// a compression pointer to the first name with type and class A IN.
func withQuestions(pkt []byte, n uint16, pointers int) []byte {
	pkt = append([]byte(nil), pkt...)
	binary.BigEndian.PutUint16(pkt[4:], n)
	for range pointers {
		pkt = append(pkt, 0xC0, headerLen, 0, 1, 0, 1)
	}
	return pkt
}

func opcode(pkt []byte, op int) []byte {
	pkt[2] = pkt[2]&^0x78 | byte(op)<<3
	return pkt
}

func twoQuestions() *dns.Msg {
	m := question("www.example.test.", dns.TypeA)
	m.Question = append(m.Question, m.Question[0])
	return m
}

func extra(m *dns.Msg, rrs ...dns.RR) *dns.Msg       { m.Extra = append(m.Extra, rrs...); return m }
func inAnswer(m *dns.Msg, rrs ...dns.RR) *dns.Msg    { m.Answer = append(m.Answer, rrs...); return m }
func inAuthority(m *dns.Msg, rrs ...dns.RR) *dns.Msg { m.Ns = append(m.Ns, rrs...); return m }

func ednsOPT() *dns.OPT {
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetUDPSize(1232)
	return o
}

func versionOPT(v uint8) *dns.OPT {
	o := ednsOPT()
	o.SetVersion(v)
	return o
}

// cookieOPT is an OPT with a COOKIE option of n bytes.
func cookieOPT(n int) *dns.OPT {
	o := ednsOPT()
	cookie := make([]byte, 0, 2*n)
	for i := range n {
		cookie = append(cookie, "0123456789abcdef"[i%16], '0')
	}
	o.Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: string(cookie)}}
	return o
}

// unknownTSIG is a TSIG under a key the server cannot know.
func unknownTSIG() *dns.TSIG {
	return &dns.TSIG{Hdr: dns.RR_Header{Name: "nokey.example.", Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm: dns.HmacSHA256, TimeSigned: 1_700_000_000, Fudge: 300, MACSize: 32,
		MAC: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}
}

// rawExchange sends pkt as it is over network and returns the parsed reply,
// checking it carries the query's ID.
func rawExchange(t *testing.T, network, addr string, pkt []byte) *dns.Msg {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	out := pkt
	if network == "tcp" {
		out = binary.BigEndian.AppendUint16(nil, uint16(len(pkt)))
		out = append(out, pkt...)
	}
	if _, err := conn.Write(out); err != nil {
		t.Fatal(err)
	}
	reply, err := readReply(conn, network)
	if err != nil {
		t.Fatalf("%s: no reply: %v", network, err)
	}
	var r dns.Msg
	if err := r.Unpack(reply); err != nil {
		t.Fatalf("%s: reply does not parse: %v\n%x", network, err, reply)
	}
	if r.Id != binary.BigEndian.Uint16(pkt) || !r.Response {
		t.Fatalf("%s: reply ID %d response %v, want ID %d and QR", network, r.Id, r.Response, binary.BigEndian.Uint16(pkt))
	}
	return &r
}

// readReply reads one DNS message: a datagram, or a length-prefixed message
// from a stream.
func readReply(conn net.Conn, network string) ([]byte, error) {
	if network != "tcp" {
		buf := make([]byte, 65535)
		n, err := conn.Read(buf)
		return buf[:n], err
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(size[:]))
	_, err := io.ReadFull(conn, buf)
	return buf, err
}
