package steer

import (
	"testing"

	"outlast/internal/config"
)

// BenchmarkAnswer is one service of three endpoints, as the DNS server
// recomputes it after every verdict change.
func BenchmarkAnswer(b *testing.B) {
	for _, policy := range []config.Policy{config.PolicyFailover, config.PolicyWeighted, config.PolicyAll} {
		b.Run(string(policy), func(b *testing.B) {
			svc := three(policy)
			h := health("use1=down euw1=up standby=up")
			for b.Loop() {
				Answer(&svc, h, nil)
			}
		})
	}
}
