package node

import (
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
)

// TestTransferSerialsSurviveARestart: a serial bumped without a new Raft
// entry (content changed at the same index) is kept on disk, so a node
// started again at that index numbers past it instead of giving a serial
// the secondaries already hold, or one behind it.
func TestTransferSerialsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Hash: "h", Cluster: config.Cluster{DataDir: dir},
		Zones: []config.Zone{{Apex: "example.test.", SOA: config.SOA{Serial: 100}, Transfer: &config.ZoneTransfer{}}}}
	answer := func(addr string) []model.Answer {
		return []model.Answer{{Name: "api.example.test.", Type: model.TypeA, Addrs: []netip.Addr{netip.MustParseAddr(addr)}}}
	}
	st := &state.State{Index: 10}
	newNode := func() *Node { return &Node{local: cfg, log: slog.New(slog.DiscardHandler)} }

	first := newNode()
	if got := first.transferSerials(cfg, st, answer("192.0.2.1"))["example.test."]; got != 110 {
		t.Fatalf("first version at index 10: serial %d, want 110", got)
	}
	bumped := first.transferSerials(cfg, st, answer("192.0.2.2"))["example.test."]
	if bumped != 111 {
		t.Fatalf("new content at the same index: serial %d, want 111", bumped)
	}
	if _, err := os.Stat(filepath.Join(dir, serialsFile)); err != nil {
		t.Fatalf("the serials were not kept: %v", err)
	}
	if again := newNode().transferSerials(cfg, st, answer("192.0.2.2"))["example.test."]; again != bumped {
		t.Errorf("after a restart, the same content at index 10: serial %d, want %d again", again, bumped)
	}
	if next := newNode().transferSerials(cfg, st, answer("192.0.2.3"))["example.test."]; next <= bumped {
		t.Errorf("after a restart, new content at index 10: serial %d, want past %d", next, bumped)
	}
}
