package main

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestTokenNew(t *testing.T) {
	code, out, _ := runCmd("token", "new", "--name", "alice", "--scope", "admin")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	token := regexp.MustCompile(`token: (olt_\S+)`).FindStringSubmatch(out)
	hash := regexp.MustCompile(`sha256: ([0-9a-f]{64})`).FindStringSubmatch(out)
	if token == nil || hash == nil || !strings.Contains(out, "{name: alice, scope: admin,") {
		t.Fatalf("output lacks the token or the config line:\n%s", out)
	}
	sum := sha256.Sum256([]byte(token[1]))
	if hex.EncodeToString(sum[:]) != hash[1] {
		t.Error("the printed sha256 is not the hash of the printed token")
	}
	for _, args := range [][]string{{"token"}, {"token", "new"}, {"token", "new", "--name", "x", "--scope", "root"}} {
		if code, _, _ := runCmd(args...); code != exitUsage {
			t.Errorf("outlast %v: exit %d, want usage", args, code)
		}
	}
}
