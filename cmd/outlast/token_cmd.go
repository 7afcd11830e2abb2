package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"outlast/internal/config"
)

// tokenCmd runs `outlast token new`: a fresh API token and the line that
// lets it in. Only the hash goes into the configuration.
func tokenCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "new" {
		fmt.Fprint(stderr, "usage: outlast token new --name NAME --scope read|admin\n")
		return exitUsage
	}
	fs := newFlags("token new", stderr)
	name := fs.String("name", "", "who uses the token (recorded with every change they make)")
	scope := fs.String("scope", "read", "read or admin")
	if code, ok := parseFlags(fs, args[1:], 0); !ok {
		return code
	}
	if *name == "" || (config.Scope(*scope) != config.ScopeRead && config.Scope(*scope) != config.ScopeAdmin) {
		fmt.Fprint(stderr, "outlast token new: --name is required and --scope must be read or admin\n")
		return exitUsage
	}
	token := "olt_" + rand.Text()
	sum := sha256.Sum256([]byte(token))
	fmt.Fprintf(stdout, "token: %s\n\n", token)
	fmt.Fprintf(stdout, "Give the token to %s (OUTLAST_TOKEN); it is not stored anywhere. Add this to api.tokens on every node:\n\n", *name)
	fmt.Fprintf(stdout, "    - {name: %s, scope: %s, sha256: %s}\n", *name, *scope, hex.EncodeToString(sum[:]))
	return exitOK
}
