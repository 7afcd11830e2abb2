package dnsserver

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// staticZone is example.test.'s static data: MX, SRV, TXT and CAA with
// in-zone targets, CNAME chains in, out of and around the zone, a
// delegation with in-domain glue and an out-of-zone nameserver, names
// that exist only because a descendant does (x and ent.x), and the static
// A and CNAME a steered CNAME replaces (cdn, wcdn).
const staticZone = `$ORIGIN example.test.
$TTL 300
@          MX    10 mail
@          MX    20 mx.elsewhere.test.
@          TXT   "v=spf1 -all"
@          CAA   0 issue "letsencrypt.org"
mail       A     192.0.2.25
mail       AAAA  2001:db8::25
_sip._tcp  SRV   10 5 5060 sipsrv
sipsrv     A     192.0.2.60
alias      CNAME alias2
alias2     CNAME Mail.Example.Test.
out        CNAME target.elsewhere.test.
dangling   CNAME gone
loop1      CNAME loop2
loop2      CNAME loop1
tosteer    CNAME www
tosub      CNAME app.sub
tochild    CNAME host.child
child      NS    ns1.child
child      NS    ns.other.test.
ns1.child  A     192.0.2.80
deep.ent.x TXT   "deep"
www        TXT   "a steered name keeps its TXT"
www        A     192.0.2.200
multi      AAAA  2001:db8::200
ns1        A     192.0.2.53
1.2        PTR   mail
tocdn      CNAME cdn
flat       TXT   "flattened"
cdn        A     192.0.2.201
wcdn       CNAME www
`

// staticRecords parses a master file for one zone, as zone.Records would.
func staticRecords(t testing.TB, origin, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), origin, "test.zone")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return rrs
}

// staticSnapshot serves testZones with the steered testAnswers and
// staticZone, at configuration version 5.
func staticSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{
		Records: map[string][]dns.RR{"Example.Test": staticRecords(t, "example.test.", staticZone)},
		Version: 5,
	})
	if err != nil {
		t.Fatalf("NewSnapshot: %v", err)
	}
	return snap
}

// sections is a reply in presentation form: rcode and flags, then the
// answer, authority and additional sections (no OPT), record by record.
func sections(r *dns.Msg) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s aa=%v tc=%v\n", dns.RcodeToString[r.Rcode], r.Authoritative, r.Truncated)
	for i, sec := range [][]dns.RR{r.Answer, r.Ns, r.Extra} {
		for _, rr := range sec {
			if rr.Header().Rrtype != dns.TypeOPT {
				fmt.Fprintf(&b, "%s %s\n", []string{"an", "ns", "ar"}[i], strings.ReplaceAll(rr.String(), "\t", " "))
			}
		}
	}
	return b.String()
}

// negSOA is example.test.'s SOA in a negative answer: serial 7 + version 5,
// TTL min(3600, minimum 5).
const negSOA = "ns example.test. 5 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"

func TestStaticAnswers(t *testing.T) {
	ts := startServer(t, staticSnapshot(t), Options{})
	referral := "NOERROR aa=false tc=false\n" +
		"ns child.example.test. 300 IN NS ns1.child.example.test.\n" +
		"ns child.example.test. 300 IN NS ns.other.test.\n" +
		"ar ns1.child.example.test. 300 IN A 192.0.2.80\n"
	cases := []struct {
		name  string
		qtype uint16
		want  string
	}{
		// Exact matches.
		{"mail.example.test.", dns.TypeA, "NOERROR aa=true tc=false\nan mail.example.test. 300 IN A 192.0.2.25\n"},
		{"MaIl.ExAmPlE.tEsT.", dns.TypeAAAA, "NOERROR aa=true tc=false\nan MaIl.ExAmPlE.tEsT. 300 IN AAAA 2001:db8::25\n"},
		{"example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\nan example.test. 300 IN TXT \"v=spf1 -all\"\n"},
		{"example.test.", dns.TypeCAA, "NOERROR aa=true tc=false\nan example.test. 300 IN CAA 0 issue \"letsencrypt.org\"\n"},
		{"deep.ent.x.example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\nan deep.ent.x.example.test. 300 IN TXT \"deep\"\n"},
		{"1.2.example.test.", dns.TypePTR, "NOERROR aa=true tc=false\nan 1.2.example.test. 300 IN PTR mail.example.test.\n"},
		// Additional section: in-zone addresses of MX and SRV targets, A before AAAA.
		{"EXAMPLE.test.", dns.TypeMX, "NOERROR aa=true tc=false\n" +
			"an EXAMPLE.test. 300 IN MX 10 mail.example.test.\nan EXAMPLE.test. 300 IN MX 20 mx.elsewhere.test.\n" +
			"ar mail.example.test. 300 IN A 192.0.2.25\nar mail.example.test. 300 IN AAAA 2001:db8::25\n"},
		{"_sip._tcp.example.test.", dns.TypeSRV, "NOERROR aa=true tc=false\n" +
			"an _sip._tcp.example.test. 300 IN SRV 10 5 5060 sipsrv.example.test.\nar sipsrv.example.test. 300 IN A 192.0.2.60\n"},
		// NODATA, at names with data and at empty non-terminals; NXDOMAIN.
		{"mail.example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\n" + negSOA},
		{"ent.x.example.test.", dns.TypeA, "NOERROR aa=true tc=false\n" + negSOA},
		{"X.example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\n" + negSOA},
		{"_tcp.example.test.", dns.TypeSRV, "NOERROR aa=true tc=false\n" + negSOA},
		{"nope.ent.x.example.test.", dns.TypeA, "NXDOMAIN aa=true tc=false\n" + negSOA},
		{"x.mail.example.test.", dns.TypeA, "NXDOMAIN aa=true tc=false\n" + negSOA},
		// CNAME chains: inside the zone, with the asked case on the first
		// owner and the data's case after it; asked for the CNAME itself.
		{"AlIaS.example.test.", dns.TypeA, "NOERROR aa=true tc=false\n" +
			"an AlIaS.example.test. 300 IN CNAME alias2.example.test.\n" +
			"an alias2.example.test. 300 IN CNAME Mail.Example.Test.\n" +
			"an Mail.Example.Test. 300 IN A 192.0.2.25\n"},
		{"alias.example.test.", dns.TypeCNAME, "NOERROR aa=true tc=false\nan alias.example.test. 300 IN CNAME alias2.example.test.\n"},
		{"alias.example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\n" +
			"an alias.example.test. 300 IN CNAME alias2.example.test.\n" +
			"an alias2.example.test. 300 IN CNAME Mail.Example.Test.\n" +
			"ns Example.Test. 5 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		// Out of the zone: the CNAME alone; to a missing name: NXDOMAIN (RFC 6604).
		{"out.example.test.", dns.TypeA, "NOERROR aa=true tc=false\nan out.example.test. 300 IN CNAME target.elsewhere.test.\n"},
		{"dangling.example.test.", dns.TypeA, "NXDOMAIN aa=true tc=false\n" +
			"an dangling.example.test. 300 IN CNAME gone.example.test.\n" + negSOA},
		// A loop stops where it would repeat itself.
		{"loop1.example.test.", dns.TypeA, "NOERROR aa=true tc=false\n" +
			"an loop1.example.test. 300 IN CNAME loop2.example.test.\nan loop2.example.test. 300 IN CNAME loop1.example.test.\n"},
		// Into a steered name and into another zone served here.
		{"tosteer.example.test.", dns.TypeA, "NOERROR aa=true tc=false\n" +
			"an tosteer.example.test. 300 IN CNAME www.example.test.\nan www.example.test. 30 IN A 192.0.2.1\n"},
		{"tosub.example.test.", dns.TypeA, "NOERROR aa=true tc=false\n" +
			"an tosub.example.test. 300 IN CNAME app.sub.example.test.\nan app.sub.example.test. 30 IN A 192.0.2.41\n"},
		{"tosub.example.test.", dns.TypeMX, "NOERROR aa=true tc=false\n" +
			"an tosub.example.test. 300 IN CNAME app.sub.example.test.\n" +
			"ns sub.example.test. 5 IN SOA ns1.sub.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		// Into a delegation: the chain stops (no referral mixed into an answer).
		{"tochild.example.test.", dns.TypeA, "NOERROR aa=true tc=false\nan tochild.example.test. 300 IN CNAME host.child.example.test.\n"},
		// Delegation: referrals at, below and for the glue; DS from the parent.
		{"child.example.test.", dns.TypeA, referral},
		{"child.example.test.", dns.TypeNS, referral},
		{"host.child.example.test.", dns.TypeA, referral},
		{"a.b.child.example.test.", dns.TypeMX, referral},
		{"ns1.child.example.test.", dns.TypeA, referral},
		{"child.example.test.", dns.TypeDS, "NOERROR aa=true tc=false\n" + negSOA},
		// A steered name keeps its other static types; the steered answer
		// replaces the static A, and the static AAAA beside a steered A.
		{"www.example.test.", dns.TypeTXT, "NOERROR aa=true tc=false\nan www.example.test. 300 IN TXT \"a steered name keeps its TXT\"\n"},
		{"www.example.test.", dns.TypeA, "NOERROR aa=true tc=false\nan www.example.test. 30 IN A 192.0.2.1\n"},
		{"multi.example.test.", dns.TypeAAAA, "NOERROR aa=true tc=false\n" + negSOA},
		// The zone's ns addresses and the file's agree, so both are served once.
		{"ns1.example.test.", dns.TypeA, "NOERROR aa=true tc=false\nan ns1.example.test. 3600 IN A 192.0.2.53\n"},
		// Serial: configured 7 plus configuration version 5.
		{"example.test.", dns.TypeSOA, "NOERROR aa=true tc=false\n" +
			"an example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 12 3600 600 604800 5\n"},
		// ANY stays minimal (RFC 8482).
		{"alias.example.test.", dns.TypeANY, "NOERROR aa=true tc=false\nan alias.example.test. 300 IN CNAME alias2.example.test.\n"},
		{"_sip._tcp.example.test.", dns.TypeANY, "NOERROR aa=true tc=false\n" +
			"an _sip._tcp.example.test. 300 IN SRV 10 5 5060 sipsrv.example.test.\nar sipsrv.example.test. 300 IN A 192.0.2.60\n"},
	}
	for _, network := range networks {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s/%s", network, c.name, dns.TypeToString[c.qtype]), func(t *testing.T) {
				got := sections(ts.exchange(t, network, question(c.name, c.qtype)))
				want := strings.ReplaceAll(c.want, "ns example.test.", "ns "+zoneCase(c.name))
				if got != want {
					t.Errorf("reply\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
}

// zoneCase returns example.test. in the case a question name ends with:
// the negative answer's SOA owner points into the question.
func zoneCase(name string) string {
	if !strings.HasSuffix(strings.ToLower(name), "example.test.") {
		return "example.test."
	}
	return name[len(name)-len("example.test."):]
}

// TestStaticAdditionalLeftOutWhenFull: optional additional records are
// dropped, without TC, when they do not fit a 512-byte UDP reply; the
// answer stays whole.
func TestStaticAdditionalLeftOutWhenFull(t *testing.T) {
	var zone strings.Builder
	zone.WriteString("$ORIGIN example.test.\n")
	for i := range 12 {
		fmt.Fprintf(&zone, "@ 300 MX %d mail%02d.example.test.\nmail%02d 300 A 192.0.2.%d\n", i, i, i, i+1)
	}
	snap, err := NewSnapshot(testZones(), nil, Static{Records: map[string][]dns.RR{"example.test.": staticRecords(t, "example.test.", zone.String())}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, snap, Options{})
	for _, c := range []struct {
		network string
		extra   int
	}{{"udp", 0}, {"tcp", 12}} {
		r := ts.exchange(t, c.network, question("example.test.", dns.TypeMX))
		if r.Truncated || len(r.Answer) != 12 || len(r.Extra) != c.extra {
			t.Errorf("%s: TC=%v, %d answers, %d additional; want no TC, 12 answers, %d additional",
				c.network, r.Truncated, len(r.Answer), len(r.Extra), c.extra)
		}
	}
}

func TestStaticRejects(t *testing.T) {
	cases := []struct {
		desc, zone, errHas string
	}{
		{"record outside the zone", "www.elsewhere.test. 300 A 192.0.2.1", "lies outside the zone"},
		{"apex SOA", "@ 300 SOA a. b. 1 2 3 4 5", "soa settings"},
		{"apex NS", "@ 300 NS ns9.example.test.", "ns settings"},
		{"wildcard", "*.w 300 A 192.0.2.1", "wildcard"},
		{"DNAME", "d 300 DNAME elsewhere.test.", "DNAME is not supported"},
		{"CNAME beside other data", "c 300 CNAME www\nc 300 TXT \"x\"", "example.test.: a CNAME beside other data"},
		{"two CNAMEs", "c 300 CNAME www\nc 300 CNAME mail", "at most one"},
		{"data below a delegation", "d 300 NS ns.other.test.\nx.d 300 TXT \"hidden\"", "x.d.example.test.: TXT records hidden by the delegation at d.example.test."},
		{"steered service below a delegation", "www 300 NS ns.other.test.", "www.example.test.: a steered service at or below the delegation at www.example.test."},
		{"glue that differs from the zone's ns addresses", "ns1 300 A 192.0.2.99", "differ from the zone's ns addresses"},
		{"data inside a deeper zone served here", "x.sub 300 TXT \"x\"", "inside another zone"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			recs := staticRecords(t, "example.test.", "$ORIGIN example.test.\n"+c.zone+"\n")
			_, err := NewSnapshot(testZones(), testAnswers(), Static{Records: map[string][]dns.RR{"example.test.": recs}})
			if err == nil || !strings.Contains(err.Error(), c.errHas) || !strings.HasPrefix(err.Error(), "dnsserver: ") {
				t.Errorf("NewSnapshot error %v, want one starting dnsserver: and containing %q", err, c.errHas)
			}
		})
	}
	_, err := NewSnapshot(testZones(), nil, Static{Records: map[string][]dns.RR{"nowhere.test.": nil}})
	if err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("records for an unknown zone: %v, want a not configured error", err)
	}
}

// TestStaticSkipsParentCopyOfServedChild: the parent's NS set and glue for
// a child zone served here are skipped; the child answers for itself.
func TestStaticSkipsParentCopyOfServedChild(t *testing.T) {
	recs := staticRecords(t, "example.test.", "$ORIGIN example.test.\nsub 300 NS ns1.sub\nns1.sub 300 A 192.0.2.54\n")
	snap, err := NewSnapshot(testZones(), testAnswers(), Static{Records: map[string][]dns.RR{"example.test.": recs}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, snap, Options{})
	r := ts.exchange(t, "udp", question("app.sub.example.test.", dns.TypeA))
	check(t, r, want{aa: true, answers: []string{"app.sub.example.test.\t30\tIN\tA\t192.0.2.41"}})
}

// TestSerialFollowsVersion: the SOA serial is soa.serial before any
// version is agreed, and grows with every version after.
func TestSerialFollowsVersion(t *testing.T) {
	var last uint32
	for _, version := range []uint64{0, 1, 2, 40} {
		snap, err := NewSnapshot(testZones(), nil, Static{Version: version})
		if err != nil {
			t.Fatal(err)
		}
		ts := startServer(t, snap, Options{})
		for _, network := range networks {
			r := ts.exchange(t, network, question("example.test.", dns.TypeSOA))
			soa := r.Answer[0].(*dns.SOA)
			if want := 7 + uint32(version); soa.Serial != want {
				t.Errorf("version %d over %s: serial %d, want %d", version, network, soa.Serial, want)
			}
			if version > 0 && soa.Serial <= last {
				t.Errorf("version %d: serial %d does not grow from %d", version, soa.Serial, last)
			}
		}
		last = 7 + uint32(version)
	}
	if got := Serial(4294967295, 2); got != 1 {
		t.Errorf("Serial wraps as RFC 1982 counts: %d, want 1", got)
	}
}

// TestStaticNoAllocations holds every static answer, and the steered ones
// beside them (addresses, CNAMEs, weighted CNAMEs, unresolved), to no
// allocation on the query path.
func TestStaticNoAllocations(t *testing.T) {
	snap := staticSnapshot(t)
	out := make([]byte, 0, 1<<16)
	names := []string{"mail.example.test.", "example.test.", "alias.example.test.", "dangling.example.test.",
		"child.example.test.", "host.child.example.test.", "ent.x.example.test.", "nope.example.test.",
		"www.example.test.", "tosub.example.test.", "_sip._tcp.example.test.",
		"cdn.example.test.", "wcdn.example.test.", "incdn.example.test.", "flat.example.test.", "toflat.example.test.",
		"tomail.example.test.", "tonowhere.example.test.", "tocdn.example.test."}
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeSRV, dns.TypeDS, dns.TypeANY} {
			req := question(strings.ToUpper(name), qtype)
			for _, udp := range []bool{true, false} {
				if n := testing.AllocsPerRun(20, func() { snap.respond(out[:0], req, udp, netip.Addr{}) }); n != 0 {
					t.Errorf("%s %s: %.1f allocations per query, want 0", name, dns.TypeToString[qtype], n)
				}
			}
		}
	}
}
