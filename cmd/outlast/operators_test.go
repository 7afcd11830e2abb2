package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outlast/internal/state"
	"outlast/internal/statuspage/statuspagetest"
	"outlast/internal/wire"
)

// The operators' tokens in the cluster test.
const (
	adminToken = "olt_alice-admin-token-for-tests"
	readToken  = "olt_grafana-read-token-for-tests"
)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// operatorsAPI is the api: section every node of the cluster test gets.
func operatorsAPI() string {
	return fmt.Sprintf(`api:
  tokens:
    - {name: alice, scope: admin, sha256: %s}
    - {name: grafana, scope: read, sha256: %s}
`, tokenHash(adminToken), tokenHash(readToken))
}

// ops runs an operator command against one node's API.
func (lab *clusterLab) ops(n *labNode, token string, args ...string) (string, error) {
	cmd := exec.Command(lab.bin, args...)
	cmd.Env = append(os.Environ(), "OUTLAST_ADDR="+n.httpAddr, "OUTLAST_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// operators: a drain set on a follower is forwarded to the leader, shows on
// another node's events with who and why, and every auth rule holds.
func (lab *clusterLab) operators(t *testing.T) {
	leader := lab.waitForLeader(nil, 10*time.Second)
	// The first leader replicates its file's services; wait until every node has them.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		agreed := 0
		for _, n := range lab.nodes {
			if h, err := lab.tryStatus(n); err == nil && h.Config.Version > 0 {
				agreed++
			}
		}
		if agreed == len(lab.nodes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d nodes applied a replicated configuration within 10 s", agreed, len(lab.nodes))
		}
	}
	var follower, other *labNode
	for _, n := range lab.nodes {
		switch {
		case n == leader:
		case follower == nil:
			follower = n
		default:
			other = n
		}
	}
	if out, err := lab.ops(follower, readToken, "drain", "secondary", "--reason", "x"); err == nil || !strings.Contains(out, "403") && !strings.Contains(out, "admin") {
		t.Errorf("a read token must not drain: %v\n%s", err, out)
	}
	if out, err := lab.ops(follower, "", "status"); err == nil || !strings.Contains(out, "401") && !strings.Contains(strings.ToLower(out), "token") {
		t.Errorf("no token must be refused: %v\n%s", err, out)
	}
	out, err := lab.ops(follower, adminToken, "drain", "secondary", "--reason", "maintenance window 42", "--for", "30m")
	if err != nil {
		t.Fatalf("outlast drain on follower %s: %v\n%s", follower.name, err, out)
	}
	t.Logf("outlast drain on %s (a follower): %s", follower.name, strings.TrimSpace(out))
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err = lab.ops(other, readToken, "events")
		if err == nil && strings.Contains(out, "drain") && strings.Contains(out, "alice") && strings.Contains(out, "maintenance window 42") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outlast events on %s does not show the drain with who and why: %v\n%s", other.name, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("outlast events on %s shows the drain:\n%s", other.name, lastLines(out, 3))
	out, err = lab.ops(other, readToken, "endpoints", "-o", "json")
	var services []struct {
		Endpoints []struct {
			Name     string
			Override *struct{ Kind, Who string }
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &services) != nil {
		t.Fatalf("outlast endpoints -o json: %v\n%s", err, out)
	}
	if out, err := lab.ops(leader, adminToken, "undrain", "secondary", "--reason", "window over"); err != nil {
		t.Errorf("outlast undrain: %v\n%s", err, out)
	}
}

// statusPage: a real node's status page in headless Chromium sees the
// primary turn down after its server stops, without a reload.
func (lab *clusterLab) statusPage(t *testing.T) {
	n := lab.nodes[1]
	page := statuspagetest.Open(t, "http://"+n.httpAddr+"/", statuspagetest.WithHeader("Authorization", "Bearer "+readToken))
	if err := page.WaitState("primary", "", "up", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	lab.primary.stop()
	defer func() { lab.primary.serve(); lab.waitAllAnswer(lab.healthy, 15*time.Second) }()
	if err := page.WaitState("primary", "", "down", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if reloaded, how, err := page.Reloaded(); err != nil || reloaded {
		t.Errorf("the page must update without a reload: reloaded=%v (%s), err %v", reloaded, how, err)
	}
	shot := os.Getenv("OUTLAST_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "status.png")
	}
	if err := page.Screenshot(shot, 1280); err != nil {
		t.Error(err)
	}
	t.Logf("status page of %s showed primary down without a reload; screenshot %s", n.name, shot)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// apiEndpoints covers the rest of the API against a follower of the real
// cluster, with the Go client the CLI uses.
func (lab *clusterLab) apiEndpoints(t *testing.T) {
	follower := lab.aFollower()
	ctx, cancel := opsContext()
	defer cancel()
	admin, reader := wire.NewClient(follower.httpAddr, adminToken), wire.NewClient(follower.httpAddr, readToken)
	if _, err := wire.NewClient(follower.httpAddr, "olt_nobody").Status(ctx); !wire.IsStatus(err, 401) {
		t.Errorf("an unknown token must get 401, got %v", err)
	}
	st, err := reader.Status(ctx)
	if err != nil || len(st.Cluster.Members) != 3 || st.Cluster.Leader == "" || st.Cluster.Leader == follower.name {
		t.Fatalf("status from follower %s: %+v, %v", follower.name, st, err)
	}
	if svc, err := reader.Service(ctx, "api.example.test"); err != nil || len(svc.Endpoints) != 2 {
		t.Errorf("service api.example.test: %+v, %v", svc, err)
	}
	if answers, err := reader.Answers(ctx); err != nil || len(answers) == 0 {
		t.Errorf("answers: %+v, %v", answers, err)
	}
	if _, err := reader.SetOverride(ctx, wire.OverrideRequest{Endpoint: "secondary", Kind: state.ForceDown, Reason: "x"}); !wire.IsStatus(err, 403) {
		t.Errorf("a read token setting an override must get 403, got %v", err)
	}
	set, err := admin.SetOverride(ctx, wire.OverrideRequest{Endpoint: "secondary", Kind: state.ForceDown, Reason: "test", For: "1m"})
	if err != nil {
		t.Fatalf("force down through a follower: %v", err)
	}
	if set.Who != "alice" || set.Kind != state.ForceDown {
		t.Errorf("force down recorded as %+v", set)
	}
	// Every node applies the change once the leader tells it the entry is
	// committed, a heartbeat later at most.
	for _, n := range lab.nodes {
		c := wire.NewClient(n.httpAddr, readToken)
		deadline := time.Now().Add(3 * time.Second)
		for {
			list, err := c.Overrides(ctx)
			if err == nil && len(list) == 1 && list[0].Who == "alice" && list[0].Kind == state.ForceDown {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lists overrides %+v (%v) 3 s after a force down through %s", n.name, list, err, follower.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, err := admin.ClearOverride(ctx, "secondary", "test over"); err != nil {
		t.Errorf("clear override: %v", err)
	}
	if _, err := admin.SetOverride(ctx, wire.OverrideRequest{Endpoint: "nowhere", Kind: state.ForceDown, Reason: "x"}); !wire.IsStatus(err, 404) {
		t.Errorf("an override of an unknown endpoint must get 404, got %v", err)
	}
	doc, err := reader.Config(ctx)
	if err != nil || doc.Version == 0 {
		t.Fatalf("config: %+v, %v", doc, err)
	}
	if v, err := reader.ValidateConfig(ctx, []byte("zones: nope\n")); err != nil || v.Valid || len(v.Problems) == 0 {
		t.Errorf("validating a broken file: %+v, %v", v, err)
	}
	file, err := os.ReadFile(follower.config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ApplyConfig(ctx, file, doc.Version+5, "stale edit"); !wire.IsStatus(err, 409) {
		t.Errorf("applying against a version that is not current must get 409, got %v", err)
	}
	// The CLI: validate, then apply a file with one more service, against the version it read.
	out, err := lab.ops(follower, readToken, "config", "validate", follower.config)
	if err != nil || !strings.Contains(out, "ok") {
		t.Errorf("outlast config validate: %v\n%s", err, out)
	}
	bigger := filepath.Join(t.TempDir(), "bigger.yaml")
	extra := fmt.Sprintf("  - name: static.example.test\n    check: {type: tcp, port: 1}\n    endpoints:\n      - {name: static1, location: gcp/us-central1, addresses: [%s]}\n", clusterSecondary)
	if err := os.WriteFile(bigger, append(file, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = lab.ops(follower, adminToken, "config", "apply", bigger, "--reason", "add static")
	if err != nil || !strings.Contains(out, "changed: true") {
		t.Fatalf("outlast config apply: %v\n%s", err, out)
	}
	if after, err := reader.Config(ctx); err != nil || after.Version != doc.Version+1 {
		t.Errorf("config after apply: %+v, %v; want version %d", after, err, doc.Version+1)
	}
	if page, err := reader.Events(ctx, -1, 1000); err != nil || len(page.Events) == 0 {
		t.Errorf("events: %+v, %v", page, err)
	}
	t.Logf("API through follower %s: status, services, answers, overrides (403, 404, set, list, clear), config (get, validate, 409), events", follower.name)
}
