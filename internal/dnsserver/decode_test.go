package dnsserver

import (
	"reflect"
	"testing"

	"github.com/miekg/dns"
)

// decodeSeeds are queries of the shapes the decoder takes and of some it
// leaves to Unpack.
func decodeSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, m := range []*dns.Msg{
		question("www.example.test.", dns.TypeA),
		question(".", dns.TypeNS),
		question("_sip._tcp.Example.TEST.", dns.TypeSRV),
		extra(question("www.example.test.", dns.TypeA), ednsOPT()),
		withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24"),
		withECS(question("geo.example.test.", dns.TypeAAAA), "2001:db8::/56"),
		withECS(question("geo.example.test.", dns.TypeA), "0.0.0.0/0"),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 24, 8, 10, 1, 2),
		withRawECS(question("geo.example.test.", dns.TypeA), 0, 1, 24, 0, 10, 1, 2, 3, 4, 5),
		extra(question("www.example.test.", dns.TypeA), unknownTSIG()),
		question(`we\.ird.example.test.`, dns.TypeA),
		twoQuestions(),
		withCookie("www.example.test.", "0102030405060708"),
		withOptions(withECS(question("geo.example.test.", dns.TypeA), "10.1.2.0/24"),
			&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708" + "0100000065a4b0c0" + "1122334455667788"},
			&dns.EDNS0_NSID{Code: dns.EDNS0NSID}),
		withOptions(withCookie("www.example.test.", "0102030405060708"),
			&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}), // two cookies: left to Unpack
	} {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzDecoder holds the decoder to Unpack: whatever it takes, it must
// read exactly as miekg does, and a decoder reused across queries must
// not carry one query into the next.
func FuzzDecoder(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	var d decoder
	var got dns.Msg
	f.Fuzz(func(t *testing.T, data []byte) {
		took := d.fast(&got, data)
		var want dns.Msg
		err := want.Unpack(data)
		if !took {
			return
		}
		if err != nil {
			t.Fatalf("decoder took % x, which Unpack refuses: %v", data, err)
		}
		if !reflect.DeepEqual(&got, &want) {
			t.Fatalf("decoder read % x as\n%v\nUnpack as\n%v", data, &got, &want)
		}
		var again dns.Msg
		if err := d.decode(&again, data); err != nil || !reflect.DeepEqual(&again, &want) {
			t.Fatalf("decoding % x a second time: %v\n%v", data, err, &again)
		}
	})
}

// TestDecoderTakesTheCommonShapes: the shapes the fast path exists for are
// taken (not silently left to Unpack), and those it leaves are left.
func TestDecoderTakesTheCommonShapes(t *testing.T) {
	seeds := decodeSeeds(t)
	var d decoder
	for i, want := range []bool{true, true, true, true, true, true, true, true, true, false, false, false, true, true, false} {
		var m dns.Msg
		if got := d.fast(&m, seeds[i]); got != want {
			t.Errorf("seed %d (% x): taken %v, want %v", i, seeds[i], got, want)
		}
	}
}

// TestDecoderNoAllocations: a name asked again, with or without ECS, a
// cookie asked again, NSID, cost no allocation.
func TestDecoderNoAllocations(t *testing.T) {
	seeds := decodeSeeds(t)
	var d decoder
	var m dns.Msg
	for _, i := range []int{0, 4, 5, 12, 13} {
		d.decode(&m, seeds[i])
		if n := testing.AllocsPerRun(50, func() { _ = d.decode(&m, seeds[i]) }); n != 0 {
			t.Errorf("seed %d: %.1f allocations per decode, want 0", i, n)
		}
	}
}
