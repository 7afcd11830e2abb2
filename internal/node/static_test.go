package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestServesZoneFile: a node whose zone names a master file answers the
// file's records beside the steered name, and the zone's serial follows the
// configuration version the cluster agreed on (configured serial + version).
func TestServesZoneFile(t *testing.T) {
	dir := t.TempDir()
	zoneFile := `$ORIGIN example.test.
$TTL 300
@       IN MX  10 mail
@       IN TXT "v=spf1 -all"
mail    IN A   192.0.2.25
www     IN CNAME api
sub     IN NS  ns.sub
ns.sub  IN A   192.0.2.53
`
	if err := os.WriteFile(filepath.Join(dir, "example.test.zone"), []byte(zoneFile), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(configText(freePort(t)), "  - apex: example.test\n", "  - apex: example.test\n    file: example.test.zone\n", 1)
	cfg := loadConfigFile(t, dir, text)
	n := startNode(t, cfg)
	ask := func(name string, qtype uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, n.DNSAddr().String())
		if err != nil {
			t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
		}
		return r
	}

	mx := ask("example.test.", dns.TypeMX)
	if len(mx.Answer) != 1 || !mx.Authoritative || len(mx.Extra) != 1 || mx.Extra[0].(*dns.A).A.String() != "192.0.2.25" {
		t.Errorf("MX at the apex: %v; want the file's MX, authoritative, with mail's address in additional", mx)
	}
	www := ask("www.example.test.", dns.TypeA)
	if len(www.Answer) < 2 || www.Answer[0].Header().Rrtype != dns.TypeCNAME || www.Answer[1].Header().Name != "api.example.test." {
		t.Errorf("www A: %v; want the CNAME to the steered api.example.test and its answer", www)
	}
	ref := ask("host.sub.example.test.", dns.TypeA)
	if ref.Authoritative || len(ref.Ns) != 1 || len(ref.Extra) != 1 {
		t.Errorf("below the delegation: %v; want a referral (not authoritative, NS in authority, glue)", ref)
	}
	// The single node agrees on its file as configuration version 1.
	deadline := time.Now().Add(10 * time.Second)
	for {
		soa := ask("example.test.", dns.TypeSOA)
		if len(soa.Answer) == 1 && soa.Answer[0].(*dns.SOA).Serial == cfg.Zones[0].SOA.Serial+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SOA after 10 s: %v; want serial %d (configured %d + version 1)", soa.Answer, cfg.Zones[0].SOA.Serial+1, cfg.Zones[0].SOA.Serial)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
