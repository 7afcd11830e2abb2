package node

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/dnssec"
	"outlast/internal/dnsserver"
	"outlast/internal/metrics"
)

// zoneSigners keeps the signers of the zones the configuration signs. A
// signer outlives the snapshots built with it: it holds the signatures
// made so far, so a rebuild every second signs only the sets that
// changed. Only buildAnswers uses it, from the answer loop: no lock.
type zoneSigners struct {
	key     string // the configuration hash and key directory they were made from
	signers map[string]*dnssec.Signer
	// reported is each signer's Stats().Signed when the metrics last read it.
	reported map[*dnssec.Signer]uint64
}

// signersOf returns the signers of cfg's signed zones (nil when none is
// signed), loading the keys from dns.key_dir when the configuration or the
// directory changed. A key that does not load fails the build, so the node
// keeps answering from its last snapshot rather than serve a signed zone
// unsigned, which validators would take for an attack.
func (n *Node) signersOf(cfg *config.Config) (map[string]*dnssec.Signer, error) {
	keyDir := n.local.DNS.KeyDir
	c := &n.signers
	key := cfg.Hash + "\x00" + keyDir
	if c.key == key {
		return c.signers, nil
	}
	signers := make(map[string]*dnssec.Signer)
	for i := range cfg.Zones {
		z := &cfg.Zones[i]
		if z.DNSSEC == nil {
			continue
		}
		s, err := loadSigner(z, keyDir)
		if err != nil {
			return nil, fmt.Errorf("node: zone %s cannot be signed: %w", z.Apex, err)
		}
		signers[z.Apex] = s
	}
	if len(signers) == 0 {
		signers = nil
	}
	c.key, c.signers = key, signers
	return signers, nil
}

// loadSigner reads a zone's keys from keyDir and makes its signer.
func loadSigner(z *config.Zone, keyDir string) (*dnssec.Signer, error) {
	if keyDir == "" {
		return nil, fmt.Errorf("dns.key_dir is not set on this node; set it and copy the zone's keys there")
	}
	var keys []*dnssec.Key
	for _, base := range z.DNSSEC.Keys {
		if base != filepath.Base(base) || strings.HasPrefix(base, ".") {
			// The replicated configuration may come from the API: it names
			// keys, never paths elsewhere on this node's disk.
			return nil, fmt.Errorf("key %q is not a base name in dns.key_dir", base)
		}
		k, err := dnssec.LoadKey(filepath.Join(keyDir, base))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	d := z.DNSSEC
	return dnssec.NewSigner(z.Apex, keys, dnssec.Options{
		Validity: d.Validity, Refresh: d.Refresh, Jitter: d.Jitter,
		KeyTTL: seconds(d.KeyTTL), DenialRate: d.DenialRate,
		DenialTTL: seconds(min(z.SOA.TTL, z.SOA.Minimum)), // RFC 9077
	})
}

func seconds(d time.Duration) uint32 { return uint32(d / time.Second) }

// recordSigning gives the metrics the signers' counts after a build: the
// signatures each made since the last build (a signer replaced by a new
// configuration counts from zero).
func (n *Node) recordSigning(signers map[string]*dnssec.Signer, snap *dnsserver.Snapshot) {
	c := &n.signers
	seen := make(map[*dnssec.Signer]uint64, len(signers))
	facts := make([]metrics.SigningFacts, 0, len(signers))
	for apex, s := range signers {
		st := s.Stats()
		facts = append(facts, metrics.SigningFacts{Zone: apex, NewSigs: st.Signed - c.reported[s], CachedSets: st.CachedSets})
		seen[s] = st.Signed
	}
	c.reported = seen
	n.metrics.Signing(facts, snap.ResignAt())
}
