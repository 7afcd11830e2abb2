package dnscookie

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q in test: %v", s, err)
	}
	return b
}

func mustSecret(t testing.TB, s string) Secret {
	t.Helper()
	sec, err := ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", s, err)
	}
	return sec
}

// mustOption parses a whole COOKIE option written in hex.
func mustOption(t testing.TB, s string) ([ClientLen]byte, []byte) {
	t.Helper()
	client, server, err := Parse(mustHex(t, s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return client, server
}

func at(unix int64) time.Time { return time.Unix(unix, 0) }

// The secrets and addresses of RFC 9018 Appendix A.
const (
	rfcSecret    = "e5e973e5a6b2a43f48e7dc849e37bfcf"
	rfcOldSecret = "dd3bdf9344b678b185a6f5cb60fca715"
	rfcNewSecret = "445536bcd2513298075a5d379663c962"
)

var (
	rfcClient1 = netip.MustParseAddr("198.51.100.100")
	rfcClient2 = netip.MustParseAddr("203.0.113.203")
	rfcClient6 = netip.MustParseAddr("2001:db8:220:1:59de:d0f4:8769:82b8")
)

// TestRFC9018AppendixA reproduces every example of RFC 9018 Appendix A byte
// for byte: the server cookies BIND and Knot make from the same inputs. It is
// the proof that a cluster of outlast nodes and those servers can share a
// secret.
func TestRFC9018AppendixA(t *testing.T) {
	cases := []struct {
		name   string
		jar    Jar
		query  string // the option the client sends
		ip     netip.Addr
		issued int64 // the query's server cookie timestamp, if it has one
		now    int64
		check  Verdict // Check of the query's server cookie at now
		reply  string  // the option the server returns at now
	}{
		{
			name:  "A.1 learning a new server cookie",
			jar:   Jar{Current: mustSecret(t, rfcSecret)},
			query: "2464c4abcf10c957",
			ip:    rfcClient1,
			now:   1559731985,
			reply: "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
		},
		{
			name:   "A.2 the same client, 40 minutes later",
			jar:    Jar{Current: mustSecret(t, rfcSecret)},
			query:  "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
			ip:     rfcClient1,
			issued: 1559731985,
			now:    1559734385,
			check:  ValidButRefresh,
			reply:  "2464c4abcf10c957010000005cf7a871d4a564a1442aca77",
		},
		{
			// Reserved bytes 01abcdef are hashed as received. The cookie
			// is 1h52m old when it comes back, so it has expired then.
			name:   "A.3 another client, reserved bytes set",
			jar:    Jar{Current: mustSecret(t, rfcSecret)},
			query:  "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
			ip:     rfcClient2,
			issued: 1559727985,
			now:    1559734700,
			check:  Invalid,
			reply:  "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e",
		},
		{
			name:   "A.4 IPv6, the secret rolled over",
			jar:    Jar{Current: mustSecret(t, rfcNewSecret), Previous: mustSecret(t, rfcOldSecret)},
			query:  "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
			ip:     rfcClient6,
			issued: 1559741817,
			now:    1559741961,
			check:  ValidButRefresh,
			reply:  "22681ab97d52c298010000005cf7c609a6bb79d16625507a",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, server := mustOption(t, c.query)
			if server != nil {
				if v := c.jar.Check(client, server, c.ip, at(c.now)); v != c.check {
					t.Errorf("Check at %d = %v, want %v", c.now, v, c.check)
				}
				// When it was issued, the cookie was fresh and ours.
				if v := c.jar.Check(client, server, c.ip, at(c.issued)); v == Invalid {
					t.Errorf("Check at issue time %d = %v, want valid", c.issued, v)
				}
			}
			got := c.jar.Make(client[:], client, c.ip, at(c.now))
			if want := mustHex(t, c.reply); !bytes.Equal(got, want) {
				t.Errorf("reply option = %x, want %x", got, want)
			}
		})
	}
}

// TestRFC9018A4RetiredSecret: once the old secret is dropped, the cookie it
// made is no longer accepted.
func TestRFC9018A4RetiredSecret(t *testing.T) {
	client, server := mustOption(t, "22681ab97d52c298010000005cf7c57926556bd0934c72f8")
	jar := Jar{Current: mustSecret(t, rfcNewSecret)}
	if v := jar.Check(client, server, rfcClient6, at(1559741961)); v != Invalid {
		t.Errorf("cookie of a retired secret: %v, want invalid", v)
	}
}

func TestRotation(t *testing.T) {
	a, b, c := Secret{1}, Secret{2}, Secret{3}
	client := [ClientLen]byte{9, 8, 7, 6, 5, 4, 3, 2}
	ip := netip.MustParseAddr("192.0.2.7")
	now := at(1_700_000_000)

	jar := Jar{Current: a}
	cookie := jar.Make(nil, client, ip, now)
	if v := jar.Check(client, cookie, ip, now); v != Valid {
		t.Fatalf("fresh cookie: %v, want valid", v)
	}

	jar = jar.Rotated(b)
	if jar.Current != b || jar.Previous != a {
		t.Fatalf("Rotated(b) = %+v, want Current b and Previous a", jar)
	}
	if v := jar.Check(client, cookie, ip, now); v != ValidButRefresh {
		t.Errorf("cookie of the previous secret: %v, want valid-but-refresh", v)
	}
	renewed := jar.Make(nil, client, ip, now)
	if v := jar.Check(client, renewed, ip, now); v != Valid {
		t.Errorf("cookie of the new secret: %v, want valid", v)
	}

	jar = jar.Rotated(c)
	if v := jar.Check(client, cookie, ip, now); v != Invalid {
		t.Errorf("cookie of a secret two rotations ago: %v, want invalid", v)
	}
	if v := (&Jar{Current: c}).Check(client, renewed, ip, now); v != Invalid {
		t.Errorf("cookie of an unknown secret: %v, want invalid", v)
	}
}

// TestZeroSecretAcceptsNothing: a jar left unset, or an unset Previous, must
// not accept the cookies anyone can make with the all-zero key.
func TestZeroSecretAcceptsNothing(t *testing.T) {
	client := [ClientLen]byte{1}
	ip := netip.MustParseAddr("192.0.2.1")
	now := at(1_700_000_000)
	var zero Jar
	forged := zero.Make(nil, client, ip, now)
	if v := zero.Check(client, forged, ip, now); v != Invalid {
		t.Errorf("zero jar accepted a zero-key cookie: %v", v)
	}
	withCurrent := Jar{Current: Secret{7}}
	if v := withCurrent.Check(client, forged, ip, now); v != Invalid {
		t.Errorf("an unset Previous accepted a zero-key cookie: %v", v)
	}
}

func TestTimestampEdges(t *testing.T) {
	jar := Jar{Current: Secret{0xaa}}
	client := [ClientLen]byte{1, 2, 3, 4, 5, 6, 7, 8}
	ip := netip.MustParseAddr("2001:db8::1")
	const made = 1_700_000_000
	cookie := jar.Make(nil, client, ip, at(made))
	cases := []struct {
		age  int64 // seconds between making and checking; negative: ahead
		want Verdict
	}{
		{0, Valid},
		{1800, Valid},
		{1801, ValidButRefresh},
		{3600, ValidButRefresh},
		{3601, Invalid},
		{86400, Invalid},
		{-300, Valid},
		{-301, Invalid},
		{-86400, Invalid},
		// Half the serial space away: neither past nor future, refused.
		{1 << 31, Invalid},
		{-(1 << 31), Invalid},
	}
	for _, c := range cases {
		if got := jar.Check(client, cookie, ip, at(made+c.age)); got != c.want {
			t.Errorf("age %d s: %v, want %v", c.age, got, c.want)
		}
	}
}

// TestTimestampWrap: in 2106 the 32-bit seconds wrap to zero; a cookie made
// just before must still be fresh just after (RFC 1982 arithmetic).
func TestTimestampWrap(t *testing.T) {
	jar := Jar{Current: Secret{0x55}}
	client := [ClientLen]byte{8}
	ip := netip.MustParseAddr("198.51.100.1")
	const wrap = int64(1) << 32
	before := jar.Make(nil, client, ip, at(wrap-100))
	if v := jar.Check(client, before, ip, at(wrap+100)); v != Valid {
		t.Errorf("made 100 s before the wrap, checked 100 s after: %v, want valid", v)
	}
	if v := jar.Check(client, before, ip, at(wrap+3600)); v != Invalid {
		t.Errorf("made 100 s before the wrap, checked 3700 s later: %v, want invalid", v)
	}
	after := jar.Make(nil, client, ip, at(wrap+200))
	if v := jar.Check(client, after, ip, at(wrap-50)); v != Valid {
		t.Errorf("made 250 s ahead across the wrap: %v, want valid", v)
	}
	if v := jar.Check(client, after, ip, at(wrap-200)); v != Invalid {
		t.Errorf("made 400 s ahead across the wrap: %v, want invalid", v)
	}
}

// TestCookieBindsClientAndAddress: a cookie is good only for the client
// cookie and the address it was made for, and any change to it is caught.
func TestCookieBindsClientAndAddress(t *testing.T) {
	jar := Jar{Current: Secret{0x42, 0x17}}
	client := [ClientLen]byte{0xde, 0xad, 0xbe, 0xef, 0xfe, 0xeb, 0xda, 0xed}
	now := at(1_700_000_000)
	for _, addrs := range [][2]string{
		{"192.0.2.10", "192.0.2.11"},
		{"2001:db8::10", "2001:db8::11"},
		{"192.0.2.10", "::ffff:192.0.2.11"},
		{"2001:db8::10", "::"},
	} {
		ip, other := netip.MustParseAddr(addrs[0]), netip.MustParseAddr(addrs[1])
		cookie := jar.Make(nil, client, ip, now)
		if v := jar.Check(client, cookie, ip, now); v != Valid {
			t.Errorf("%s: own cookie %v, want valid", ip, v)
		}
		if v := jar.Check(client, cookie, other, now); v != Invalid {
			t.Errorf("%s's cookie from %s: %v, want invalid", ip, other, v)
		}
		otherClient := client
		otherClient[7] ^= 1
		if v := jar.Check(otherClient, cookie, ip, now); v != Invalid {
			t.Errorf("%s: cookie with another client cookie %v, want invalid", ip, v)
		}
		for i := range cookie {
			for bit := range 8 {
				tampered := bytes.Clone(cookie)
				tampered[i] ^= 1 << bit
				// Even a timestamp moved by one second no longer
				// matches the hash, which covers it.
				if v := jar.Check(client, tampered, ip, now); v != Invalid {
					t.Errorf("%s: byte %d bit %d flipped: %v, want invalid", ip, i, bit, v)
				}
			}
		}
	}
}

// TestMappedIPv4IsIPv4: a node on a dual-stack socket sees ::ffff:a.b.c.d
// and must make the cookie a node on an IPv4 socket (or BIND, or Knot) makes.
func TestMappedIPv4IsIPv4(t *testing.T) {
	jar := Jar{Current: mustSecret(t, rfcSecret)}
	client, _ := mustOption(t, "2464c4abcf10c957")
	mapped := netip.MustParseAddr("::ffff:198.51.100.100")
	got := jar.Make(nil, client, mapped, at(1559731985))
	if want := mustHex(t, "010000005cf79f111f8130c3eee29480"); !bytes.Equal(got, want) {
		t.Errorf("cookie for %s = %x, want RFC 9018 A.1's %x", mapped, got, want)
	}
	if v := jar.Check(client, got, rfcClient1, at(1559731985)); v != Valid {
		t.Errorf("cookie made for the mapped address, checked for the IPv4 one: %v", v)
	}
}

func TestCheckRejectsOtherShapes(t *testing.T) {
	jar := Jar{Current: Secret{3}}
	client := [ClientLen]byte{4}
	ip := netip.MustParseAddr("192.0.2.4")
	now := at(1_700_000_000)
	good := jar.Make(nil, client, ip, now)
	for _, n := range []int{0, 8, 15, 17, 24, 32} {
		server := make([]byte, n)
		copy(server, good)
		if v := jar.Check(client, server, ip, now); v != Invalid {
			t.Errorf("%d-byte server cookie: %v, want invalid", n, v)
		}
	}
	for _, version := range []byte{0, 2, 255} {
		other := bytes.Clone(good)
		other[0] = version
		if v := jar.Check(client, other, ip, now); v != Invalid {
			t.Errorf("version %d: %v, want invalid", version, v)
		}
	}
}

func TestParse(t *testing.T) {
	option := make([]byte, 48)
	for i := range option {
		option[i] = byte(i + 1)
	}
	for n := 0; n <= len(option); n++ {
		client, server, err := Parse(option[:n])
		wantOK := n == 8 || (n >= 16 && n <= 40)
		if !wantOK {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%d bytes: err %v, want ErrMalformed", n, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d bytes: %v", n, err)
			continue
		}
		if !bytes.Equal(client[:], option[:8]) {
			t.Errorf("%d bytes: client %x, want %x", n, client, option[:8])
		}
		if n == 8 && server != nil {
			t.Errorf("client cookie alone: server %x, want nil", server)
		}
		if n > 8 && (!bytes.Equal(server, option[8:n]) || cap(server) != n-8) {
			t.Errorf("%d bytes: server %x (cap %d), want %x", n, server, cap(server), option[8:n])
		}
	}
}

func TestSecrets(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a.isZero() {
		t.Errorf("NewSecret gave %x and %x", a, b)
	}
	text := hex.EncodeToString(a[:])
	if back, err := ParseSecret(text); err != nil || back != a {
		t.Errorf("ParseSecret(%s) = %x, %v", text, back, err)
	}
	for _, bad := range []string{"", "e5e973e5", rfcSecret + "00", "g5e973e5a6b2a43f48e7dc849e37bfcf", "0x" + rfcSecret[2:]} {
		if _, err := ParseSecret(bad); !errors.Is(err, ErrSecretText) {
			t.Errorf("ParseSecret(%q): err %v, want ErrSecretText", bad, err)
		}
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{Invalid: "invalid", Valid: "valid", ValidButRefresh: "valid-but-refresh", 9: "Verdict(9)"} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", uint8(v), got, want)
		}
	}
}

// TestNoAllocations: the query path makes and checks a cookie per query.
func TestNoAllocations(t *testing.T) {
	jar := Jar{Current: Secret{1}, Previous: Secret{2}}
	client := [ClientLen]byte{1, 2, 3}
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	now := at(1_700_000_000)
	buf := make([]byte, 0, 64)
	valid := jar.Make(nil, client, v6, now)
	option := append(client[:], valid...)
	for name, f := range map[string]func(){
		"Make":          func() { buf = jar.Make(buf[:0], client, v4, now) },
		"Check valid":   func() { jar.Check(client, valid, v6, now) },
		"Check invalid": func() { jar.Check(client, valid, v4, now) },
		"Parse":         func() { Parse(option) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
}

func BenchmarkMake(b *testing.B) {
	jar := Jar{Current: Secret{1}}
	client := [ClientLen]byte{1}
	ip := netip.MustParseAddr("2001:db8::1")
	now := at(1_700_000_000)
	buf := make([]byte, 0, 24)
	b.ReportAllocs()
	for b.Loop() {
		buf = jar.Make(buf[:0], client, ip, now)
	}
}

func benchmarkCheck(b *testing.B, jar Jar, made Jar, now time.Time) {
	client := [ClientLen]byte{1}
	ip := netip.MustParseAddr("192.0.2.1")
	cookie := made.Make(nil, client, ip, at(1_700_000_000))
	b.ReportAllocs()
	for b.Loop() {
		jar.Check(client, cookie, ip, now)
	}
}

func BenchmarkCheckValid(b *testing.B) {
	jar := Jar{Current: Secret{1}, Previous: Secret{2}}
	benchmarkCheck(b, jar, jar, at(1_700_000_000))
}

// BenchmarkCheckForged is the cost of a query carrying a made-up cookie:
// both secrets are tried.
func BenchmarkCheckForged(b *testing.B) {
	jar := Jar{Current: Secret{1}, Previous: Secret{2}}
	benchmarkCheck(b, jar, Jar{Current: Secret{3}}, at(1_700_000_000))
}

// BenchmarkCheckExpired: an old cookie is turned away before any hashing.
func BenchmarkCheckExpired(b *testing.B) {
	jar := Jar{Current: Secret{1}, Previous: Secret{2}}
	benchmarkCheck(b, jar, jar, at(1_700_100_000))
}

// TestRotationStages walks the three stages the package doc gives: at every
// step, a cookie any node of the cluster may have made checks on every node.
func TestRotationStages(t *testing.T) {
	old, next := Secret{0x0d}, Secret{0x0e}
	client := [ClientLen]byte{5}
	ip := netip.MustParseAddr("2001:db8::5")
	now := at(1_700_000_000)
	stages := []Jar{
		{Current: old},
		{Current: old, Previous: next},
		{Current: next, Previous: old},
		{Current: next},
	}
	// Nodes move one stage at a time, so neighbouring stages coexist.
	for i := 0; i+1 < len(stages); i++ {
		a, b := stages[i], stages[i+1]
		for _, pair := range [][2]Jar{{a, b}, {b, a}} {
			maker, checker := pair[0], pair[1]
			cookie := maker.Make(nil, client, ip, now)
			if v := checker.Check(client, cookie, ip, now); v == Invalid {
				t.Errorf("stages %d/%d: cookie of %+v refused by %+v", i+1, i+2, maker, checker)
			}
		}
	}
}
