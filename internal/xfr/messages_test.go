package xfr

import (
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func bigZone(t testing.TB, serial uint32, n int) Version {
	v := version(t, serial)
	for i := range n {
		v.Records = append(v.Records, mustRR(t, fmt.Sprintf("h%d.example. 60 IN TXT \"%0200d\"", i, i)))
	}
	return v
}

// packAsServer packs msgs as the server will send them: a reply with the
// question, an OPT with NSID and a TSIG signature, and checks each fits.
func packAsServer(t *testing.T, msgs [][]dns.RR, maxSize int) {
	t.Helper()
	secret := map[string]string{"xfr-key.": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}
	for i, rrs := range msgs {
		m := new(dns.Msg)
		m.SetQuestion("example.", dns.TypeAXFR)
		m.Response = true
		m.Answer = rrs
		m.SetEdns0(4096, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6e6f64652d6f6e652d6f662d6d616e79"})
		m.SetTsig("xfr-key.", dns.HmacSHA512, 300, time.Now().Unix())
		b, _, err := dns.TsigGenerate(m, secret["xfr-key."], "", false)
		if err != nil {
			t.Fatalf("message %d does not pack: %v", i, err)
		}
		if len(b) > maxSize {
			t.Errorf("message %d is %d bytes, over the %d limit", i, len(b), maxSize)
		}
	}
}

func TestAXFRMessagesSplitUnderSizeWithSOAFirstAndLast(t *testing.T) {
	zone := bigZone(t, 7, 2000) // ~460 KB: many messages
	for _, size := range []int{DefaultMessageSize, 16384, 4096} {
		msgs, err := AXFRMessages(zone, size)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) < 2 {
			t.Fatalf("size %d: %d messages, want a split", size, len(msgs))
		}
		packAsServer(t, msgs, size)
		first, last := msgs[0][0], msgs[len(msgs)-1][len(msgs[len(msgs)-1])-1]
		if first != zone.Records[0] || last != zone.Records[0] {
			t.Errorf("size %d: first %v, last %v; want the SOA both times (RFC 5936 §2.2)", size, first, last)
		}
		total := 0
		for _, m := range msgs {
			if len(m) == 0 {
				t.Errorf("size %d: an empty message", size)
			}
			total += len(m)
		}
		if total != len(zone.Records)+1 {
			t.Errorf("size %d: %d records sent, want %d (zone and closing SOA)", size, total, len(zone.Records)+1)
		}
	}
}

func TestSplitRefusesARecordLargerThanAMessage(t *testing.T) {
	zone := version(t, 1)
	txt := &dns.TXT{Hdr: dns.RR_Header{Name: "big.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
	for range 20 {
		txt.Txt = append(txt.Txt, string(make([]byte, 250)))
	}
	zone.Records = append(zone.Records, txt)
	if _, err := AXFRMessages(zone, 4096); err == nil {
		t.Errorf("a 5 KB record split into 4 KB messages without error")
	}
	if _, err := AXFRMessages(zone, MessageReserve); err == nil {
		t.Errorf("a message size leaving no room for records accepted")
	}
}

func TestIXFRMessagesFormat(t *testing.T) {
	j := NewJournal(Limits{})
	_ = j.Add(version(t, 1, "www.example. 60 IN A 192.0.2.1"))
	_ = j.Add(version(t, 2, "www.example. 60 IN A 192.0.2.2"))
	_ = j.Add(version(t, 3, "www.example. 60 IN A 192.0.2.2", "api.example. 60 IN A 192.0.2.9"))
	msgs, incremental, err := j.IXFR(1, DefaultMessageSize)
	if err != nil || !incremental || len(msgs) != 1 {
		t.Fatalf("IXFR(1) = %d messages, incremental %v, %v", len(msgs), incremental, err)
	}
	var got []string
	for _, rr := range msgs[0] {
		if soa, ok := rr.(*dns.SOA); ok {
			got = append(got, fmt.Sprintf("SOA %d", soa.Serial))
		} else {
			got = append(got, rr.String())
		}
	}
	want := []string{
		"SOA 3",
		"SOA 1", "www.example.\t60\tIN\tA\t192.0.2.1", "SOA 2", "www.example.\t60\tIN\tA\t192.0.2.2",
		"SOA 2", "SOA 3", "api.example.\t60\tIN\tA\t192.0.2.9",
		"SOA 3",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("IXFR(1) records:\n got %q\nwant %q", got, want)
	}
}

func TestIXFRCurrentSerialIsSingleSOA(t *testing.T) {
	j := NewJournal(Limits{})
	_ = j.Add(version(t, 1, "www.example. 60 IN A 192.0.2.1"))
	_ = j.Add(version(t, 2, "www.example. 60 IN A 192.0.2.2"))
	for _, from := range []uint32{2, 3} { // current, and ahead
		msgs, incremental, err := j.IXFR(from, DefaultMessageSize)
		if err != nil || incremental || len(msgs) != 1 || len(msgs[0]) != 1 {
			t.Fatalf("IXFR(%d) = %v, incremental %v, %v; want one message with one SOA", from, msgs, incremental, err)
		}
		if soa, ok := msgs[0][0].(*dns.SOA); !ok || soa.Serial != 2 {
			t.Errorf("IXFR(%d) answered %v, want the current SOA", from, msgs[0][0])
		}
	}
}

func TestIXFRFromUnknownSerialIsFullZone(t *testing.T) {
	j := NewJournal(Limits{MaxVersions: 2})
	for s := uint32(1); s <= 4; s++ {
		_ = j.Add(version(t, s, fmt.Sprintf("www.example. 60 IN A 192.0.2.%d", s)))
	}
	msgs, incremental, err := j.IXFR(1, DefaultMessageSize)
	if err != nil || incremental {
		t.Fatalf("IXFR(1) past the journal: incremental %v, %v", incremental, err)
	}
	rrs := msgs[0]
	if len(rrs) != 3 || rrs[0].(*dns.SOA).Serial != 4 || rrs[2].(*dns.SOA).Serial != 4 {
		t.Errorf("IXFR(1) = %v; want the AXFR form SOA 4, www, SOA 4", rrs)
	}
}

func TestIXFRMessagesSplitUnderSize(t *testing.T) {
	j := NewJournal(Limits{})
	_ = j.Add(bigZone(t, 1, 300))
	changed := bigZone(t, 2, 300)
	for i := 1; i < len(changed.Records); i += 2 {
		changed.Records[i].Header().Ttl = 30 // half the zone changes TTL
	}
	if err := j.Add(changed); err != nil {
		t.Fatal(err)
	}
	msgs, incremental, err := j.IXFR(1, 8192)
	if err != nil || !incremental || len(msgs) < 2 {
		t.Fatalf("IXFR = %d messages, incremental %v, %v; want several", len(msgs), incremental, err)
	}
	packAsServer(t, msgs, 8192)
}
