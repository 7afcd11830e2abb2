package zoneserial

import (
	"net/netip"
	"testing"

	"pgregory.net/rapid"

	"outlast/internal/model"
)

func answer(name, addr string) model.Answer {
	return model.Answer{Name: name, Type: model.TypeA, TTL: 30, Mode: model.ModeHealthy, Addrs: []netip.Addr{netip.MustParseAddr(addr)}}
}

func TestFingerprintSeesWhatSecondariesServe(t *testing.T) {
	base := []model.Answer{answer("api.example.test.", "192.0.2.1"), answer("www.other.test.", "192.0.2.9")}
	fp := Fingerprint("example.test.", "h1", base)
	changed := func(name string, answers []model.Answer, hash string) {
		t.Helper()
		if Fingerprint("example.test.", hash, answers) == fp {
			t.Errorf("%s: the fingerprint did not change", name)
		}
	}
	same := func(name string, answers []model.Answer) {
		t.Helper()
		if Fingerprint("example.test.", "h1", answers) != fp {
			t.Errorf("%s: the fingerprint changed", name)
		}
	}
	changed("failover", []model.Answer{answer("api.example.test.", "192.0.2.2"), base[1]}, "h1")
	changed("configuration", base, "h2")
	changed("mode", []model.Answer{{Name: "api.example.test.", Type: model.TypeA, TTL: 30, Mode: model.ModeEmpty}, base[1]}, "h1")
	same("another zone", []model.Answer{base[0], answer("www.other.test.", "192.0.2.10")})
	same("another area", append(append([]model.Answer{}, base...), model.Answer{Name: "api.example.test.", Area: "eu", Type: model.TypeA, Addrs: base[0].Addrs}))
	pools := func(w uint32) []model.Answer {
		return []model.Answer{{Name: "api.example.test.", Type: model.TypeA, Pools: []model.WeightedPool{
			{Endpoint: "a", Weight: 10, Addrs: base[0].Addrs}, {Endpoint: "b", Weight: w, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.3")}}}}}
	}
	ramp := Fingerprint("example.test.", "h1", pools(5))
	if Fingerprint("example.test.", "h1", pools(50)) != ramp {
		t.Error("a ramp's weight step made a new version")
	}
	if Fingerprint("example.test.", "h1", pools(0)) == ramp {
		t.Error("a pool's weight dropping to zero made no new version")
	}
}

func TestSerial(t *testing.T) {
	var n Numberer
	a, b := [32]byte{1}, [32]byte{2}
	steps := []struct {
		fp    [32]byte
		index uint64
		want  uint32
	}{
		{a, 10, 110},  // first version: configured 100 + index
		{a, 15, 110},  // same content, later index: same serial
		{b, 20, 120},  // new content
		{a, 20, 121},  // new content at the same index: one more
		{b, 21, 122},  // configured+21 is not greater: one more
		{a, 500, 600}, // the index overtakes again
	}
	for i, s := range steps {
		if got := n.Serial("example.test.", 100, s.fp, s.index); got != s.want {
			t.Errorf("step %d: got serial %d, want %d", i, got, s.want)
		}
	}
	n.Forget(func(string) bool { return false })
	if got := n.Serial("example.test.", 100, a, 7); got != 107 {
		t.Errorf("after Forget: got %d, want 107", got)
	}
}

// TestSerialOnlyGrows: whatever the contents and indexes (indexes never
// decrease, as Raft's), every new content gets a serial greater than the
// last in RFC 1982 arithmetic, and unchanged content keeps its serial,
// even across the 32-bit wrap.
func TestSerialOnlyGrows(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var n Numberer
		configured := rapid.Uint32().Draw(t, "configured")
		index := rapid.Uint64Range(0, 1<<40).Draw(t, "start")
		var last uint32
		var lastFP [32]byte
		for i := range rapid.IntRange(1, 50).Draw(t, "steps") {
			index += rapid.Uint64Range(0, 1<<20).Draw(t, "advance")
			fp := [32]byte{rapid.Byte().Draw(t, "content")}
			got := n.Serial("z.", configured, fp, index)
			switch {
			case i == 0:
			case fp == lastFP && got != last:
				t.Fatalf("step %d: same content, serial %d became %d", i, last, got)
			case fp != lastFP && !Less(last, got):
				t.Fatalf("step %d: new content, serial %d then %d: not greater", i, last, got)
			}
			last, lastFP = got, fp
		}
	})
}

// TestRestore: a node that restarts reads back its last serial and
// content: the same content keeps it, and new content is numbered past it
// even when the Raft index is behind it (the last serial was a bump
// without a new entry).
func TestRestore(t *testing.T) {
	var n Numberer
	a, b := [32]byte{1}, [32]byte{2}
	n.Restore("example.test.", 500, a)
	if got := n.Serial("example.test.", 100, a, 10); got != 500 {
		t.Errorf("the content restored: got %d, want 500", got)
	}
	if got := n.Serial("example.test.", 100, b, 10); got != 501 {
		t.Errorf("new content at index 10 after Restore(500): got %d, want 501", got)
	}
	if got, fp, ok := n.Last("example.test."); got != 501 || fp != b || !ok {
		t.Errorf("Last: %d %v %v, want 501, the new content's fingerprint", got, fp, ok)
	}
	n.Restore("other.test.", 5, b)
	if got := n.Serial("other.test.", 100, a, 10); got != 110 {
		t.Errorf("after Restore(5) at index 10: got %d, want 110 (the index is ahead)", got)
	}
}
