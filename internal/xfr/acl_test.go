package xfr

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestACLAllow(t *testing.T) {
	key := Key{Algorithm: dns.HmacSHA256, Secret: "c2VjcmV0"}
	addrOnly := ACL{Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}}
	keyOnly := ACL{Keys: map[string]Key{"NS1-Key": key}}
	both := ACL{Addresses: addrOnly.Addresses, Keys: keyOnly.Keys}
	in, out := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("198.51.100.1")
	mapped := netip.MustParseAddr("::ffff:192.0.2.7")
	tests := []struct {
		name     string
		acl      ACL
		remote   netip.Addr
		tsigName string
		tsigOK   bool
		want     bool
	}{
		{"empty rule allows nobody", ACL{}, in, "", false, false},
		{"empty rule, signed", ACL{}, in, "ns1-key.", true, false},
		{"address in", addrOnly, in, "", false, true},
		{"address out", addrOnly, out, "", false, false},
		{"IPv6 in", addrOnly, netip.MustParseAddr("2001:db8::53"), "", false, true},
		{"v4-mapped from a dual-stack socket", addrOnly, mapped, "", false, true},
		{"invalid address", addrOnly, netip.Addr{}, "", false, false},
		{"address in, signed by any valid key", addrOnly, in, "other.", true, true},
		{"address in, bad signature", addrOnly, in, "other.", false, false},
		{"key ok, any address", keyOnly, out, "ns1-key.", true, true},
		{"key name case and final dot", keyOnly, out, "NS1-KEY", true, true},
		{"key unsigned", keyOnly, in, "", false, false},
		{"key bad signature", keyOnly, in, "ns1-key.", false, false},
		{"unknown key", keyOnly, in, "other.", true, false},
		{"both: address and key", both, in, "ns1-key.", true, true},
		{"both: key but wrong address", both, out, "ns1-key.", true, false},
		{"both: address but unsigned", both, in, "", false, false},
	}
	for _, tt := range tests {
		if got := tt.acl.Allow(tt.remote, tt.tsigName, tt.tsigOK); got != tt.want {
			t.Errorf("%s: Allow(%v, %q, %v) = %v, want %v", tt.name, tt.remote, tt.tsigName, tt.tsigOK, got, tt.want)
		}
	}
}

func TestACLsAllowAnyRuleAndSecrets(t *testing.T) {
	l := ACLs{
		{Addresses: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Keys: map[string]Key{"knot.": {Algorithm: dns.HmacSHA256, Secret: "a25vdA=="}}},
		{Addresses: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}, Keys: map[string]Key{"Bind": {Algorithm: dns.HmacSHA256, Secret: "YmluZA=="}}},
	}
	if !l.Allow(netip.MustParseAddr("203.0.113.5"), "bind.", true) {
		t.Errorf("second rule's secondary refused")
	}
	if l.Allow(netip.MustParseAddr("203.0.113.5"), "knot.", true) {
		t.Errorf("knot's key allowed from bind's addresses: rules must not mix")
	}
	if (ACLs{}).Allow(netip.MustParseAddr("192.0.2.1"), "", false) {
		t.Errorf("an empty list allowed a transfer")
	}
	s := l.Secrets()
	if s["knot."] != "a25vdA==" || s["bind."] != "YmluZA==" || len(s) != 2 {
		t.Errorf("Secrets = %v", s)
	}
}

// TestKeyNeverPrintsItsSecret: %v, %+v and %#v of a key, alone or inside
// a rule, name no secret.
func TestKeyNeverPrintsItsSecret(t *testing.T) {
	k := Key{Algorithm: dns.HmacSHA256, Secret: "c2VjcmV0IHNoYXJlZCB3aXRoIHRoZSBzZWNvbmRhcmllcw=="}
	acl := ACL{Keys: map[string]Key{"k.": k}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{k, acl, Target{Key: k}} {
			if out := fmt.Sprintf(verb, x); strings.Contains(out, k.Secret) {
				t.Errorf("%s of %T prints the secret: %s", verb, x, out)
			}
		}
	}
}
