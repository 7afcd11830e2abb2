package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse, the path the API's config
// validate and apply take with a read or admin token. Parse must never
// panic, and whatever it is given its error stays small and its memory
// bounded. Crashers found are kept under testdata/fuzz/FuzzParse.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 5m ./internal/config/
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			cfg *Config
			err error
		)
		// Inputs are at most MaxFileSize; what an input may cost is bounded by
		// MaxExpandedNodes, whose worst case (every value wrong, 8 KB of
		// aliases) allocates about 80 MB.
		const most = 256 << 20
		if bytes := allocated(func() { cfg, err = Parse("fuzz.yaml", data) }); bytes > most {
			t.Fatalf("Parse of %d bytes allocated %d MB", len(data), bytes>>20)
		}
		if err == nil {
			if cfg == nil || cfg.Hash == "" {
				t.Fatal("no error, but no hashed configuration either")
			}
			return
		}
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Fatalf("want *config.Error, got %T: %v", err, err)
		}
		if cfg != nil || len(cerr.Problems) == 0 || len(cerr.Problems) > MaxProblems+1 {
			t.Fatalf("%d problems and config %v", len(cerr.Problems), cfg != nil)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if len(line) > maxErrorLine+len("fuzz.yaml") {
				t.Fatalf("a problem of %d bytes: %.300s…", len(line), line)
			}
		}
	})
}

// fuzzSeeds are the example configurations, the base used by the tests, and
// small versions of each kind of trouble: aliases, bombs, cycles, duplicate
// keys, deep nesting.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(base),
		laughs(),
		aliasBomb(0),
		[]byte(header + "  - &s {name: a.example.test, endpoints: [*s]}\n"),
		[]byte(strings.Replace(base, "      fall: 2", "      fall: 2\n      fall: 3", 1)),
		[]byte(base + "services: []\n"),
		[]byte(header + "  - name: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"),
		[]byte(header + "  - name: &n a.example.test\n    check: &c {type: tcp, port: 80}\n" +
			"    endpoints: [{name: e, location: aws/r, addresses: &a [10.0.0.1]}]\n" +
			"  - {name: b.example.test, check: *c, fallback: *a, when_all_down: fallback, endpoints: [{name: f, location: gcp/r, addresses: *a}]}\n"),
		[]byte(clusterOfOne + zoneSecConfig(keyDir+tsigKey, "    transfer: {allow: [{addresses: [192.0.2.0/24], keys: [xfr.example]}], notify: [{address: 192.0.2.53, key: xfr.example}]}\n")),
		[]byte(zoneSecConfig(keyDir, "    dnssec: {keys: [Kexample.test.+013+12345], validity: 72h, refresh: 24h, jitter: 12h, key_ttl: 10m}\n")),
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../examples/*/*.yaml")
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}
