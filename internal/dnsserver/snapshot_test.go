package dnsserver

import (
	"math/rand/v2"
	"strings"
	"testing"

	"outlast/internal/config"
	"outlast/internal/errtest"
	"outlast/internal/model"
)

func TestNewSnapshotRejects(t *testing.T) {
	cases := []struct {
		desc   string
		zones  func([]config.Zone) []config.Zone
		answer model.Answer
		errHas string
	}{
		{"name outside every zone", nil,
			model.Answer{Name: "www.elsewhere.test.", Type: model.TypeA, Addrs: addrs("192.0.2.1")}, "outside every zone"},
		{"IPv6 address in an A answer", nil,
			model.Answer{Name: "x.example.test.", Type: model.TypeA, Addrs: addrs("2001:db8::1")}, "wrong family"},
		{"IPv4 address in a weighted AAAA pool", nil,
			model.Answer{Name: "x.example.test.", Type: model.TypeAAAA, Pools: []model.WeightedPool{{Weight: 1, Addrs: addrs("192.0.2.1")}}}, "wrong family"},
		{"unsupported type", nil,
			model.Answer{Name: "x.example.test.", Type: "TXT"}, "unsupported type"},
		{"service clashes with nameserver glue", nil,
			model.Answer{Name: "ns1.example.test.", Type: model.TypeA, Addrs: addrs("192.0.2.1")}, "defined twice"},
		{"service defined twice", nil,
			model.Answer{Name: "www.example.test.", Type: model.TypeA, Addrs: addrs("192.0.2.1")}, "defined twice"},
		{"zone defined twice", func(z []config.Zone) []config.Zone { return append(z, z[0]) },
			model.Answer{}, "zone \"example.test.\" defined twice"},
		{"zone without nameservers", func(z []config.Zone) []config.Zone { z[1].NS = nil; return z },
			model.Answer{}, "no nameservers"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			zones := testZones()
			if c.zones != nil {
				zones = c.zones(zones)
			}
			answers := testAnswers()
			if c.answer.Name != "" {
				answers = append(answers, c.answer)
			}
			// No sentinel: the configuration's author reads what to fix.
			_, err := NewSnapshot(zones, answers, Static{})
			if errtest.WantMessage(t, err, c.errHas) && !strings.HasPrefix(err.Error(), "dnsserver: ") {
				t.Errorf("NewSnapshot error %q lacks the dnsserver prefix", err)
			}
		})
	}
}

func TestEmptyNonTerminals(t *testing.T) {
	snap := testSnapshot(t)
	exist := []string{"example.test.", "b.example.test.", "a.b.example.test.", "deep.a.b.example.test.",
		"sub.example.test.", "ns1.example.test.", "ns1.sub.example.test.", "app.sub.example.test."}
	for _, name := range exist {
		w, err := wireName(name)
		if err != nil {
			t.Fatal(err)
		}
		if snap.names[string(w)] == nil {
			t.Errorf("%s should exist in the snapshot", name)
		}
	}
	for _, name := range []string{"test.", "c.example.test.", "ns2.other.test.", "x.a.b.example.test."} {
		w, _ := wireName(name)
		if snap.names[string(w)] != nil {
			t.Errorf("%s should not exist in the snapshot", name)
		}
	}
}

// TestWeightedPickMatchesModel holds the snapshot's pool choice to
// model.Answer.Pick for the same random value.
func TestWeightedPickMatchesModel(t *testing.T) {
	ans := model.Answer{Name: "w.example.test.", Type: model.TypeA, TTL: 30, Pools: []model.WeightedPool{
		{Weight: 5, Addrs: addrs("192.0.2.1")}, {Weight: 0, Addrs: addrs("192.0.2.2")},
		{Weight: 2, Addrs: addrs("192.0.2.3", "192.0.2.4")}, {Weight: 1, Addrs: addrs("192.0.2.1")},
	}}
	snap, err := NewSnapshot(testZones(), []model.Answer{ans}, Static{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := wireName(ans.Name)
	set := snap.names[string(w)].a
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		r := rng.Uint64()
		want := ans.Pick(r)
		got := set.pick(r)
		if len(got) != len(want) {
			t.Fatalf("pick(%d): %d records, model picks %v", r, len(got), want)
		}
		for i, rr := range got {
			if ip := rr.tail[len(rr.tail)-4:]; [4]byte(ip) != want[i].As4() {
				t.Fatalf("pick(%d) record %d is %v, model picks %v", r, i, ip, want)
			}
		}
	}
}
