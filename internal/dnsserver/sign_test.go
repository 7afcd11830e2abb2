package dnsserver

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"outlast/internal/dnssec"
)

// signedExtra adds a secure delegation (with DS) beside the insecure one
// (child., no DS) of staticZone.
const signedExtra = `$ORIGIN example.test.
$TTL 300
secure     NS    ns.other.test.
secure     DS    12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE8F2CF0E5A0B0B3D3E4F5A6B7
`

// signedFixture is example.test. signed with a fresh CSK (sub.example.test.
// stays unsigned), with the static, steered and geo data of the other tests.
type signedFixture struct {
	signer *dnssec.Signer
	dnskey *dns.DNSKEY
	static Static
	now    time.Time
}

func newSignedFixture(t testing.TB) *signedFixture {
	t.Helper()
	return newSignedFixtureWith(t, dnssec.Options{})
}

// newSignedFixtureWith is newSignedFixture with the signer's options.
func newSignedFixtureWith(t testing.TB, opts dnssec.Options) *signedFixture {
	t.Helper()
	base, err := dnssec.Keygen(t.TempDir(), "example.test.", dns.ECDSAP256SHA256, true)
	if err != nil {
		t.Fatal(err)
	}
	key, err := dnssec.LoadKey(base)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := dnssec.NewSigner("example.test.", []*dnssec.Key{key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st := geoStatic()
	st.Records = map[string][]dns.RR{"example.test.": append(staticRecords(t, "example.test.", staticZone), staticRecords(t, "example.test.", signedExtra)...)}
	st.Version = 5
	st.Signers = map[string]*dnssec.Signer{"Example.Test": signer}
	st.Now = now
	return &signedFixture{signer: signer, dnskey: signer.DNSKEY()[0].(*dns.DNSKEY), static: st, now: now}
}

func (f *signedFixture) snapshot(t testing.TB) *Snapshot {
	t.Helper()
	snap, err := NewSnapshot(testZones(), append(testAnswers(), geoAnswers()...), f.static)
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return snap
}

// dnssecQuestion is a query with the DO bit (and CO when co), bufsize
// bytes of EDNS buffer.
func dnssecQuestion(name string, qtype uint16, bufsize uint16, co bool) *dns.Msg {
	m := question(name, qtype)
	m.SetEdns0(bufsize, true)
	m.IsEdns0().SetCo(co)
	return m
}

// withDO sets the DO bit in m's OPT.
func withDO(m *dns.Msg) *dns.Msg {
	m.IsEdns0().SetDo()
	return m
}

type setID struct {
	name  string
	rtype uint16
}

// verifySection checks every RRSIG of a section against the set it covers
// in that section (as unpacked from the wire) with the zone's key, and
// returns the sets that were signed.
func (f *signedFixture) verifySection(t *testing.T, rrs []dns.RR) map[setID]bool {
	t.Helper()
	sets := make(map[setID][]dns.RR)
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeRRSIG {
			id := setID{strings.ToLower(rr.Header().Name), rr.Header().Rrtype}
			sets[id] = append(sets[id], rr)
		}
	}
	signed := make(map[setID]bool)
	for _, rr := range rrs {
		sig, ok := rr.(*dns.RRSIG)
		if !ok {
			continue
		}
		id := setID{strings.ToLower(sig.Hdr.Name), sig.TypeCovered}
		set := sets[id]
		if len(set) == 0 {
			t.Errorf("RRSIG over %s %s with no such set in its section", id.name, dns.TypeToString[id.rtype])
			continue
		}
		if sig.OrigTtl != set[0].Header().Ttl || sig.Hdr.Ttl != set[0].Header().Ttl {
			t.Errorf("RRSIG over %s %s: TTL %d, original TTL %d, set TTL %d", id.name, dns.TypeToString[id.rtype], sig.Hdr.Ttl, sig.OrigTtl, set[0].Header().Ttl)
		}
		if err := sig.Verify(f.dnskey, set); err != nil {
			t.Errorf("RRSIG over %s %s does not verify: %v\n%v", id.name, dns.TypeToString[id.rtype], err, set)
		}
		if !sig.ValidityPeriod(f.now) {
			t.Errorf("RRSIG over %s %s is not valid now", id.name, dns.TypeToString[id.rtype])
		}
		signed[id] = true
	}
	return signed
}

// verifyReply verifies the answer and authority sections and requires
// the listed sets ("name TYPE") to be signed and no other set to be.
func (f *signedFixture) verifyReply(t *testing.T, r *dns.Msg, want ...string) {
	t.Helper()
	got := f.verifySection(t, r.Answer)
	for k := range f.verifySection(t, r.Ns) {
		got[k] = true
	}
	var names []string
	for k := range got {
		names = append(names, k.name+" "+dns.TypeToString[k.rtype])
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("signed sets %v, want %v\n%v", names, want, r)
	}
}

func nsecOf(t *testing.T, r *dns.Msg) *dns.NSEC {
	t.Helper()
	for _, rr := range r.Ns {
		if n, ok := rr.(*dns.NSEC); ok {
			return n
		}
	}
	t.Fatalf("no NSEC in authority:\n%v", r)
	return nil
}

func bitmap(types ...uint16) []uint16 { slices.Sort(types); return types }

// TestSignedAnswersVerify asks a real server on loopback for every kind of
// signed answer with the DO bit, and verifies each RRSIG with miekg against
// its set as unpacked from the reply.
func TestSignedAnswersVerify(t *testing.T) {
	f := newSignedFixture(t)
	ts := startServer(t, f.snapshot(t), Options{})
	cases := []struct {
		name  string
		q     *dns.Msg
		rcode int
		want  []string
	}{
		{"steered A", dnssecQuestion("WwW.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, []string{"www.example.test. A"}},
		{"weighted", dnssecQuestion("weighted.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, []string{"weighted.example.test. A"}},
		{"geo area", withDO(withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24")), dns.RcodeSuccess, []string{"geo.example.test. A"}},
		{"cname chain", dnssecQuestion("Alias.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess,
			[]string{"alias.example.test. CNAME", "alias2.example.test. CNAME", "mail.example.test. A"}},
		{"steered cname in zone", dnssecQuestion("incdn.example.test.", dns.TypeAAAA, 1232, false), dns.RcodeSuccess,
			[]string{"incdn.example.test. CNAME", "www.example.test. AAAA"}},
		{"chain into unsigned zone", dnssecQuestion("tosub.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, []string{"tosub.example.test. CNAME"}},
		{"static MX", dnssecQuestion("example.test.", dns.TypeMX, 1232, false), dns.RcodeSuccess, []string{"example.test. MX"}},
		{"static TXT", dnssecQuestion("example.test.", dns.TypeTXT, 1232, false), dns.RcodeSuccess, []string{"example.test. TXT"}},
		{"SOA", dnssecQuestion("example.test.", dns.TypeSOA, 1232, false), dns.RcodeSuccess, []string{"example.test. SOA"}},
		{"NS", dnssecQuestion("example.test.", dns.TypeNS, 1232, false), dns.RcodeSuccess, []string{"example.test. NS"}},
		{"DNSKEY", dnssecQuestion("example.test.", dns.TypeDNSKEY, 1232, false), dns.RcodeSuccess, []string{"example.test. DNSKEY"}},
		{"CDS", dnssecQuestion("example.test.", dns.TypeCDS, 1232, false), dns.RcodeSuccess, []string{"example.test. CDS"}},
		{"CDNSKEY", dnssecQuestion("example.test.", dns.TypeCDNSKEY, 1232, false), dns.RcodeSuccess, []string{"example.test. CDNSKEY"}},
		{"ANY HINFO", dnssecQuestion("deep.a.b.example.test.", dns.TypeANY, 1232, false), dns.RcodeSuccess, []string{"deep.a.b.example.test. A"}},
		{"DS", dnssecQuestion("secure.example.test.", dns.TypeDS, 1232, false), dns.RcodeSuccess, []string{"secure.example.test. DS"}},
		{"unsigned zone", dnssecQuestion("app.sub.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.exchange(t, "udp", c.q)
			if r.Rcode != c.rcode || r.Truncated || r.AuthenticatedData {
				t.Fatalf("rcode %s tc=%v ad=%v, want %s:\n%v", dns.RcodeToString[r.Rcode], r.Truncated, r.AuthenticatedData, dns.RcodeToString[c.rcode], r)
			}
			if len(r.Answer) == 0 {
				t.Fatalf("no answer:\n%v", r)
			}
			f.verifyReply(t, r, c.want...)
		})
	}
}

// TestSignedDenials: NODATA (a name's missing type, an empty non-terminal,
// a closed service), a nonexistent name (NOERROR, or NXDOMAIN with CO),
// an explicit NXNAME query, and delegations with and without DS.
func TestSignedDenials(t *testing.T) {
	f := newSignedFixture(t)
	ts := startServer(t, f.snapshot(t), Options{})
	cases := []struct {
		name   string
		q      *dns.Msg
		rcode  int
		owner  string
		types  []uint16
		signed []string
	}{
		{"nodata", dnssecQuestion("www.example.test.", dns.TypeMX, 1232, false), dns.RcodeSuccess, "www.example.test.",
			bitmap(dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypeRRSIG, dns.TypeNSEC), []string{"example.test. SOA", "www.example.test. NSEC"}},
		{"empty non-terminal", dnssecQuestion("ent.x.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, "ent.x.example.test.",
			bitmap(dns.TypeRRSIG, dns.TypeNSEC), []string{"example.test. SOA", "ent.x.example.test. NSEC"}},
		{"closed service", dnssecQuestion("closed.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, "closed.example.test.",
			bitmap(dns.TypeRRSIG, dns.TypeNSEC), []string{"example.test. SOA", "closed.example.test. NSEC"}},
		{"apex nodata", dnssecQuestion("example.test.", dns.TypeSRV, 1232, false), dns.RcodeSuccess, "example.test.",
			bitmap(dns.TypeSOA, dns.TypeNS, dns.TypeMX, dns.TypeTXT, dns.TypeCAA, dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY, dns.TypeRRSIG, dns.TypeNSEC),
			[]string{"example.test. SOA", "example.test. NSEC"}},
		{"nonexistent", dnssecQuestion("Nope.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, "nope.example.test.",
			bitmap(dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNXNAME), []string{"example.test. SOA", "nope.example.test. NSEC"}},
		{"nonexistent CO", dnssecQuestion("nope.example.test.", dns.TypeA, 1232, true), dns.RcodeNameError, "nope.example.test.",
			bitmap(dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNXNAME), []string{"example.test. SOA", "nope.example.test. NSEC"}},
		{"chain to nonexistent", dnssecQuestion("dangling.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, "gone.example.test.",
			bitmap(dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNXNAME), []string{"dangling.example.test. CNAME", "example.test. SOA", "gone.example.test. NSEC"}},
		{"insecure delegation", dnssecQuestion("host.child.example.test.", dns.TypeA, 1232, false), dns.RcodeSuccess, "child.example.test.",
			bitmap(dns.TypeNS, dns.TypeRRSIG, dns.TypeNSEC), []string{"child.example.test. NSEC"}},
		{"DS nodata", dnssecQuestion("child.example.test.", dns.TypeDS, 1232, false), dns.RcodeSuccess, "child.example.test.",
			bitmap(dns.TypeNS, dns.TypeRRSIG, dns.TypeNSEC), []string{"example.test. SOA", "child.example.test. NSEC"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.exchange(t, "udp", c.q)
			if r.Rcode != c.rcode {
				t.Fatalf("rcode %s, want %s:\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[c.rcode], r)
			}
			n := nsecOf(t, r)
			if !strings.EqualFold(n.Hdr.Name, c.owner) || !strings.EqualFold(n.NextDomain, `\000.`+c.owner) || !slices.Equal(n.TypeBitMap, c.types) {
				t.Errorf("NSEC %v, want owner %s, next \\000.%[2]s, types %v", n, c.owner, c.types)
			}
			if co := r.IsEdns0().Co(); co != (c.rcode == dns.RcodeNameError) {
				t.Errorf("CO in the reply %v, want it exactly on the NXDOMAIN", co)
			}
			f.verifyReply(t, r, c.signed...)
		})
	}
	t.Run("secure delegation", func(t *testing.T) {
		r := ts.exchange(t, "udp", dnssecQuestion("www.secure.example.test.", dns.TypeA, 1232, false))
		if r.Authoritative || len(r.Answer) != 0 {
			t.Fatalf("want a referral:\n%v", r)
		}
		f.verifyReply(t, r, "secure.example.test. DS")
	})
	t.Run("NXNAME", func(t *testing.T) {
		if r := ts.exchange(t, "udp", dnssecQuestion("www.example.test.", dns.TypeNXNAME, 1232, false)); r.Rcode != dns.RcodeFormatError {
			t.Fatalf("rcode %s, want FORMERR", dns.RcodeToString[r.Rcode])
		}
	})
}

// TestSignedTruncation: a set and its RRSIGs that do not fit a 512-byte
// buffer are left out together, with TC; over TCP they come whole.
func TestSignedTruncation(t *testing.T) {
	f := newSignedFixture(t)
	ts := startServer(t, f.snapshot(t), Options{})
	q := dnssecQuestion("mid.example.test.", dns.TypeAAAA, 512, false)
	r := ts.exchange(t, "udp", q)
	if !r.Truncated || len(r.Answer) != 0 || len(r.Ns) != 0 {
		t.Fatalf("want TC and no records over UDP:\n%v", r)
	}
	r = ts.exchange(t, "tcp", q)
	if r.Truncated || len(r.Answer) != 31 {
		t.Fatalf("want 30 AAAA and their RRSIG over TCP, got %d records tc=%v", len(r.Answer), r.Truncated)
	}
	f.verifyReply(t, r, "mid.example.test. AAAA")
}

// TestFreshDenialsOverUDPAreBounded: a flood of names that do not exist
// costs one signature each, which rate limiting cannot spare (it judges a
// reply once built); over UDP, whose source can be forged, a zone signs at
// most its DenialRate of new denials a second and sends the rest to TCP
// with an empty TC reply. Cached denials and TCP are not limited.
func TestFreshDenialsOverUDPAreBounded(t *testing.T) {
	clock := time.Now()
	f := newSignedFixtureWith(t, dnssec.Options{DenialRate: 2, Clock: func() time.Time { return clock }})
	ts := startServer(t, f.snapshot(t), Options{})
	ask := func(network, name string) *dns.Msg {
		return ts.exchange(t, network, dnssecQuestion(name, dns.TypeA, 1232, false))
	}
	for _, name := range []string{"flood1.example.test.", "flood2.example.test."} {
		if r := ask("udp", name); r.Truncated || nsecOf(t, r) == nil {
			t.Fatalf("%s within the allowance: want its denial, got\n%v", name, r)
		}
	}
	r := ask("udp", "flood3.example.test.")
	if !r.Truncated || len(r.Answer)+len(r.Ns)+len(r.Extra) > 1 {
		t.Fatalf("a third fresh denial in the same second over UDP: want an empty reply with TC, got\n%v", r)
	}
	if r := ask("udp", "flood1.example.test."); r.Truncated || nsecOf(t, r) == nil {
		t.Errorf("a cached denial with the allowance spent: want it, got\n%v", r)
	}
	r = ask("tcp", "flood3.example.test.")
	if r.Truncated || nsecOf(t, r) == nil {
		t.Fatalf("the same name over TCP: want its denial, got\n%v", r)
	}
	f.verifyReply(t, r, "example.test. SOA", "flood3.example.test. NSEC")
}

// TestSignedWithoutDOUnchanged: without the DO bit a signed zone answers
// byte for byte as the same zone unsigned, whatever is asked.
func TestSignedWithoutDOUnchanged(t *testing.T) {
	f := newSignedFixture(t)
	signed := f.snapshot(t)
	st := f.static
	st.Signers, st.Now = nil, time.Time{}
	unsigned, err := NewSnapshot(testZones(), append(testAnswers(), geoAnswers()...), st)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www", "alias", "nope", "closed", "ent.x", "host.child", "child", "secure", "", "mid", "dangling", "geo", "tosub"} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypeDS, dns.TypeSOA, dns.TypeNS} {
			for _, edns := range []bool{false, true} {
				q := question(strings.TrimPrefix(name+".example.test.", "."), qtype)
				if edns {
					q.SetEdns0(1232, false)
				}
				q = repack(t, q)
				a, _ := signed.respond(nil, q, true, netip.Addr{})
				b, _ := unsigned.respond(nil, q, true, netip.Addr{})
				if len(a) != len(b) || sortedReply(t, a) != sortedReply(t, b) {
					t.Errorf("%s %s edns=%v: the signed zone answers otherwise without DO", q.Question[0].Name, dns.TypeToString[qtype], edns)
				}
			}
		}
	}
}

// sortedReply is a reply's header and records in presentation form, the
// records of each section sorted: rotation and weighted picks vary by query.
func sortedReply(t *testing.T, wire []byte) string {
	t.Helper()
	var r dns.Msg
	if err := r.Unpack(wire); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	out := []string{r.MsgHdr.String()}
	for _, sec := range [][]dns.RR{r.Answer, r.Ns, r.Extra} {
		var rrs []string
		for _, rr := range sec {
			rrs = append(rrs, rr.String())
		}
		slices.Sort(rrs)
		out = append(out, rrs...)
	}
	return strings.Join(out, "\n")
}

// TestSignaturesReusedAcrossBuilds: a second build with the same signer
// signs nothing again (ECDSA signatures differ each time they are made, so
// equal bytes mean the cached ones were used), and ResignAt is when the
// first of them falls due.
func TestSignaturesReusedAcrossBuilds(t *testing.T) {
	f := newSignedFixture(t)
	first, second := f.snapshot(t), f.snapshot(t)
	q := repack(t, dnssecQuestion("www.example.test.", dns.TypeA, 1232, false))
	a, _ := first.respond(nil, q, true, netip.Addr{})
	b, _ := second.respond(nil, q, true, netip.Addr{})
	if !bytes.Equal(a, b) {
		t.Fatal("the second build signed www A again instead of reusing its signature")
	}
	at := second.ResignAt()
	if !at.After(f.now) || at.After(f.now.Add(7*24*time.Hour)) {
		t.Fatalf("ResignAt %v, want within the week after %v", at, f.now)
	}
	if !testSnapshot(t).ResignAt().IsZero() {
		t.Fatal("an unsigned snapshot has a ResignAt")
	}
}

// TestSerials: Static.Serials sets a zone's SOA serial; the others keep
// Serial(configured, Version); a zone that is not configured is refused.
func TestSerials(t *testing.T) {
	snap, err := NewSnapshot(testZones(), nil, Static{Version: 3, Serials: map[string]uint32{"Example.Test": 42}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{"example.test.": 42, "sub.example.test.": Serial(7, 3)} {
		out, _ := snap.respond(nil, question(name, dns.TypeSOA), true, netip.Addr{})
		var r dns.Msg
		if err := r.Unpack(out); err != nil || len(r.Answer) != 1 {
			t.Fatalf("%s SOA: %v %v", name, err, r)
		}
		if got := r.Answer[0].(*dns.SOA).Serial; got != want {
			t.Errorf("%s serial %d, want %d", name, got, want)
		}
	}
	if _, err := NewSnapshot(testZones(), nil, Static{Serials: map[string]uint32{"other.test": 1}}); err == nil || !strings.Contains(err.Error(), "other.test") {
		t.Fatalf("a serial for an unconfigured zone: %v", err)
	}
}

// TestSignedRefuses: a signer without Now, or for another zone, and
// static records a signed zone makes itself.
func TestSignedRefuses(t *testing.T) {
	f := newSignedFixture(t)
	noNow := f.static
	noNow.Now = time.Time{}
	wrongZone := f.static
	wrongZone.Signers = map[string]*dnssec.Signer{"sub.example.test.": f.signer}
	ownKeys := f.static
	ownKeys.Records = map[string][]dns.RR{"example.test.": staticRecords(t, "example.test.", "@ 300 IN NSEC a.example.test. A\n")}
	for name, st := range map[string]Static{"no Now": noNow, "wrong zone": wrongZone, "static NSEC": ownKeys} {
		if _, err := NewSnapshot(testZones(), append(testAnswers(), geoAnswers()...), st); err == nil {
			t.Errorf("%s: NewSnapshot accepted it", name)
		}
	}
}
