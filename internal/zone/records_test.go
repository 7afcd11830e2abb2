package zone

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/errtest"
)

const exampleFile = `$TTL 3600
@   IN SOA ns1.example.com. Hostmaster.Example.com. (
        2024010101 ; serial
        7200 3600 1209600 300 )
    IN NS  ns1
    IN NS  ns2.example.net.
    IN MX  10 mail
    IN TXT "v=spf1 -all"
    IN CAA 0 issue "letsencrypt.org"
ns1 IN A 192.0.2.53
WWW 300 IN A 192.0.2.1 ; mixed case, kept as written
    300 IN AAAA 2001:db8::1
alias  IN CNAME www
_sip._tcp IN SRV 10 60 5060 sip
1.2.0.192.in-addr.arpa. IN PTR www.example.com.
sub IN NS ns.sub
ns.sub IN A 192.0.2.99
$ORIGIN other.example.com.
deep IN TXT "x"
`

func TestRecords(t *testing.T) {
	z := config.Zone{Apex: "example.com.", File: "db.example", FileText: exampleFile,
		Records: []string{"api 60 IN A 192.0.2.7", "@ 300 IN TXT \"inline\""}}
	rrs, err := Records(z)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range rrs {
		got = append(got, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	want := []string{
		"example.com. 3600 IN MX 10 mail.example.com.",
		`example.com. 3600 IN TXT "v=spf1 -all"`,
		`example.com. 3600 IN CAA 0 issue "letsencrypt.org"`,
		"ns1.example.com. 3600 IN A 192.0.2.53",
		"WWW.example.com. 300 IN A 192.0.2.1",
		"WWW.example.com. 300 IN AAAA 2001:db8::1",
		"alias.example.com. 3600 IN CNAME www.example.com.",
		"_sip._tcp.example.com. 3600 IN SRV 10 60 5060 sip.example.com.",
		"1.2.0.192.in-addr.arpa. 3600 IN PTR www.example.com.",
		"sub.example.com. 3600 IN NS ns.sub.example.com.",
		"ns.sub.example.com. 3600 IN A 192.0.2.99",
		`deep.other.example.com. 3600 IN TXT "x"`,
		"api.example.com. 60 IN A 192.0.2.7",
		`example.com. 300 IN TXT "inline"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Records:\n%s\nwant (no apex SOA or NS):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRecordsErrors: every error names where the record was written, as
// FILE:LINE[:COL] for a file and zones[...].records[j] for inline records.
func TestRecordsErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		records []string
		want    string
	}{
		{"syntax", "@ IN NS ns1\nwww IN A 192.0.2.300\n", nil, `db.example:2:`},
		{"syntax message", "www IN A nope\n", nil, `db.example:1:13: bad A A: "nope"`},
		{"include", "www IN A 192.0.2.1\n\n$INCLUDE /etc/passwd\n", nil, "db.example:3: $INCLUDE is not allowed"},
		{"class", "www CH TXT \"x\"\n", nil, "db.example:1: www.example.com. has class CH; outlast serves class IN only"},
		{"second SOA", "@ SOA a. b. 1 2 3 4 5\n\n@ SOA a. b. 1 2 3 4 5\n", nil,
			"db.example:3: a second SOA record at the apex (the first is at db.example:1)"},
		{"inline syntax", "", []string{"www 300 IN A 192.0.2.1", "mail 300 IN MX mail"},
			`zones[example.com].records[1]: bad MX Pref: "mail"`},
		{"inline two", "", []string{"a IN A 192.0.2.1\nb IN A 192.0.2.2"}, "zones[example.com].records[0]: holds more than one record"},
		{"inline directive", "", []string{"$TTL 60"}, "zones[example.com].records[0]: \"$TTL 60\": directives"},
		{"inline empty", "", []string{"  ; nothing"}, "zones[example.com].records[0]: holds no record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := config.Zone{Apex: "example.com.", Records: tc.records}
			if tc.file != "" {
				z.File, z.FileText = "db.example", tc.file
			}
			_, err := Records(z)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

// TestLineOfEachRecord: the line a record is reported at is where it
// starts, across comments, parentheses, quotes and directives.
func TestLineOfEachRecord(t *testing.T) {
	text := "; header\n$TTL 60\n\n@ SOA ns1 host (\n 1 2 3\n 4 5 )\n" + // SOA at 4
		"a TXT \"semi ; colon (\" ; c\n" + // 7
		"  ; just a comment\n" +
		"b TXT ( \"one\"\n  \"two\" )\n" + // 9
		"$ORIGIN sub.example.com.\n" +
		"c A 192.0.2.1" // 12, no final newline
	p := &parsed{apex: "example.com."}
	if err := p.file("zones[0].file", "f", text); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range append([]entry{*p.soa}, p.entries...) {
		got = append(got, e.rr.Header().Name+"@"+e.where)
	}
	want := "example.com.@f:4 a.example.com.@f:7 b.example.com.@f:9 c.sub.example.com.@f:12"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestGenerateGivesItsLine(t *testing.T) {
	p := &parsed{apex: "example.com."}
	if err := p.file("zones[0].file", "f", "a A 192.0.2.1\n$GENERATE 1-3 host$ A 192.0.2.$\nb A 192.0.2.9\n"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.entries {
		got = append(got, e.where)
	}
	if want := "f:1 f:2 f:2 f:2 f:3"; strings.Join(got, " ") != want {
		t.Errorf("lines %v, want %s", got, want)
	}
}

var _ dns.RR = (*dns.A)(nil)

// TestGenerateBounded: $GENERATE lines may stand for MaxGenerated records
// together, no more, so a few bytes cannot make the node hold MaxRecords.
func TestGenerateBounded(t *testing.T) {
	ok := "$GENERATE 1-65536 h$ A 192.0.2.1\n"
	if _, err := Records(config.Zone{Apex: "example.com", File: "db", FileText: ok}); err != nil {
		t.Fatalf("one full $GENERATE range: %v", err)
	}
	over := ok + "a A 192.0.2.2\n$GENERATE 1-2 g$ A 192.0.2.3\n"
	_, err := Records(config.Zone{Apex: "example.com", File: "db", FileText: over})
	errtest.WantMessage(t, err, "db:3: the file's $GENERATE lines stand for more than 65536 records (zone.MaxGenerated)")
}
