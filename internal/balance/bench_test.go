package balance

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkPick is the per-request choice among three regions, one of them
// ramping, with an ejection hook, as the proxy makes it.
func BenchmarkPick(b *testing.B) {
	p, err := New([]Candidate{
		{Name: "aws-use1", Domain: "aws/us-east-1", Weight: 2},
		{Name: "gcp-usc1", Domain: "gcp/us-central1", Weight: 1, UpSince: t0.Add(-20 * time.Second)},
		{Name: "azure-weu", Domain: "azure/westeurope", Weight: 1},
	}, SlowStart{Window: time.Minute, Aggression: 2})
	if err != nil {
		b.Fatal(err)
	}
	ejected := func(c *Candidate) bool { return false }
	r := rand.New(rand.NewPCG(1, 2))
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.Pick(t0, r.Uint64(), ejected)
		}
	})
}
