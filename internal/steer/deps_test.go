package steer

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPureDependencies holds the design rule that the steering decision does no
// IO: nothing it links may reach the network, Raft, DNS, gRPC, metrics or a
// logger (tailscale's deptest idea).
func TestPureDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "outlast/internal/steer").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if forbidden(pkg) {
			t.Errorf("package steer depends on %s; it must stay pure", pkg)
		}
	}
}

func forbidden(pkg string) bool {
	if pkg == "net" || pkg == "log" || pkg == "log/slog" || pkg == "os/exec" {
		return true
	}
	if strings.HasPrefix(pkg, "net/") && pkg != "net/netip" {
		return true
	}
	for _, bad := range []string{"github.com/miekg/dns", "github.com/hashicorp/", "google.golang.org/grpc", "github.com/prometheus/"} {
		if strings.HasPrefix(pkg, bad) {
			return true
		}
	}
	return false
}
