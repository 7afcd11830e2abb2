package config

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"outlast/internal/errtest"
)

// header is the part of a configuration before its services.
const header = "node: {name: n1, location: aws/us-east-1}\nzones:\n  - apex: example.test\n" +
	"    ns: [{name: ns1.example.test, addresses: [127.0.0.1]}]\nservices:\n"

// aliasBomb builds a configuration of about size bytes that reads like a
// normal one but multiplies through anchors: every service aliases the
// first service's endpoint list, and every endpoint aliases the first
// endpoint's address list, so it stands for services × endpoints × addresses
// values (for 12 KB, 130 × 100 × 100 = 1.3 million addresses).
func aliasBomb(size int) []byte {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("  - name: s0.example.test\n    check: {type: tcp, port: 80}\n    endpoints: &E\n")
	b.WriteString("      - {name: e0, location: aws/r, addresses: &A [10.0.0.1")
	for range 99 {
		b.WriteString(", 10.0.0.1")
	}
	b.WriteString("]}\n")
	for i := range 99 {
		fmt.Fprintf(&b, "      - {name: e%d, location: aws/r, addresses: *A}\n", i+1)
	}
	for i := 1; b.Len() < size-60; i++ {
		fmt.Fprintf(&b, "  - {name: s%d.example.test, check: {type: tcp, port: 80}, endpoints: *E}\n", i)
	}
	return []byte(b.String())
}

// laughs is the classic "billion laughs": ten levels of anchors, each a
// list of ten aliases of the one before, under a field no config has.
func laughs() []byte {
	var b strings.Builder
	b.WriteString(header + "  - {name: s.example.test}\nlol:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  - &l%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return []byte(b.String())
}

// allocated is how many bytes f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAliasBombRefused is issue 12's defect 1: a 12 KB document of nested
// anchors used to expand, path by path, until the node ran out of memory.
// It must now be refused before decoding, saying which limit it passed, and
// cheaply (BenchmarkAliasBomb gives the time).
func TestAliasBombRefused(t *testing.T) {
	for name, doc := range map[string][]byte{"services x endpoints x addresses": aliasBomb(12 << 10), "billion laughs": laughs()} {
		t.Run(name, func(t *testing.T) {
			var err error
			bytes := allocated(func() { _, err = Parse("bomb.yaml", doc) })
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
				t.Fatalf("want one problem, got %v", err)
			}
			if msg := cerr.Error(); !strings.Contains(msg, "more than 262144 YAML nodes once alias *") ||
				!strings.Contains(msg, "config.MaxExpandedNodes") {
				t.Errorf("the problem should name the limit and the alias: %s", msg)
			}
			if bytes > 50<<20 {
				t.Errorf("refusing a %d-byte document allocated %d MB; want under 50 MB", len(doc), bytes>>20)
			}
			t.Logf("%d-byte document refused after allocating %.1f MB: %s", len(doc), float64(bytes)/1e6, err)
		})
	}
}

// BenchmarkAliasBomb times refusing the 12 KB alias bomb:
//
//	go test -run '^$' -bench AliasBomb -benchmem ./internal/config/
func BenchmarkAliasBomb(b *testing.B) {
	doc := aliasBomb(12 << 10)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bomb.yaml", doc); err == nil {
			b.Fatal("the alias bomb was accepted")
		}
	}
}

// TestSharedAnchorsLoad keeps the normal use of anchors working: one check
// block and one fallback list shared by many services.
func TestSharedAnchorsLoad(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := range 500 {
		check, fallback := "*check", "*fallback"
		if i == 0 {
			check = "&check {type: http, port: 8080, interval: 2s, fall: 3, http: {path: /healthz, expect_status: 200-299}}"
			fallback = "&fallback [192.0.2.1, 192.0.2.2]"
		}
		fmt.Fprintf(&b, "  - name: s%d.example.test\n    when_all_down: fallback\n    fallback: %s\n    check: %s\n", i, fallback, check)
		fmt.Fprintf(&b, "    endpoints:\n      - {name: s%d-a, location: aws/r1, addresses: [10.0.%d.%d]}\n", i, i/256, i%256)
	}
	cfg, err := Parse("anchors.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("a configuration sharing a check through an anchor must load: %v", err)
	}
	last := cfg.Services[499]
	if len(cfg.Services) != 500 || last.Check.Port != 8080 || last.Check.Fall != 3 || last.Check.HTTP.Path != "/healthz" || len(last.Fallback) != 2 {
		t.Errorf("the aliased check or fallback did not reach the last service: %+v", last)
	}
}

// legitConfig writes a configuration as a large deployment would, services
// × endpoints, all services sharing one anchored check.
func legitConfig(services, endpoints int) []byte {
	var b strings.Builder
	b.WriteString(header)
	for s := range services {
		check := "*check"
		if s == 0 {
			check = "&check {type: https, port: 443, interval: 2s, timeout: 1s, fall: 2, rise: 3, http: {path: /healthz, expect_status: 200-299}}"
		}
		fmt.Fprintf(&b, "  - name: s%d.example.test\n    policy: all\n    check: %s\n    endpoints:\n", s, check)
		for e := range endpoints {
			fmt.Fprintf(&b, "      - {name: s%de%d, location: aws/r%d, addresses: [10.%d.%d.%d]}\n", s, e, e%3, s/256, s%256, e)
		}
	}
	return []byte(b.String())
}

// TestLargestLegitConfig loads the largest configurations the limits are
// meant to admit (the figures in the comment on MaxFileSize come from here):
//
//	go test -run LargestLegit -v ./internal/config/
func TestLargestLegitConfig(t *testing.T) {
	for _, size := range [][2]int{{100, 100}, {2000, 6}} {
		doc := legitConfig(size[0], size[1])
		var cfg *Config
		var err error
		bytes := allocated(func() { cfg, err = Parse("large.yaml", doc) })
		if err != nil {
			t.Fatalf("%d services x %d endpoints must load: %v", size[0], size[1], err)
		}
		if got := len(cfg.Services) * len(cfg.Services[0].Endpoints); got != size[0]*size[1] {
			t.Fatalf("decoded %d endpoints, want %d", got, size[0]*size[1])
		}
		e := expansion{}
		root, _ := parseYAML(doc)
		e.walk(root, 0)
		t.Logf("%d services x %d endpoints: %.2f MB of YAML, %d nodes and %.2f MB of values expanded, %.0f MB allocated",
			size[0], size[1], float64(len(doc))/1e6, e.nodes, float64(e.bytes)/1e6, float64(bytes)/1e6)
	}
}

// BenchmarkLargestLegitConfig times loading 10,000 endpoints:
//
//	go test -run '^$' -bench LargestLegit -benchmem ./internal/config/
func BenchmarkLargestLegitConfig(b *testing.B) {
	doc := legitConfig(100, 100)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("large.yaml", doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFileSizeLimit(t *testing.T) {
	padded := func(n int) []byte {
		pad := n - len(base) - len("#\n")
		return []byte(base + "#" + strings.Repeat("x", pad) + "\n")
	}
	if _, err := Parse("c.yaml", padded(MaxFileSize)); err != nil {
		t.Errorf("a file of exactly MaxFileSize bytes must load: %v", err)
	}
	_, err := Parse("c.yaml", padded(MaxFileSize+1))
	want := "c.yaml: the file is larger than 1048576 bytes (config.MaxFileSize), the most outlast reads; a configuration of 10,000 endpoints fits in less"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestExpandedBytesLimit(t *testing.T) {
	long := strings.Repeat("x", 64<<10)
	doc := header + "  - name: &long " + long + "\n" + strings.Repeat("  - name: *long\n", 70)
	_, err := Parse("c.yaml", []byte(doc))
	// 64 KB aliased 70 times passes MaxExpandedBytes; the error says where and which limit.
	errtest.WantMessage(t, err, "c.yaml:69:11: the configuration's values add up to more than 4194304 bytes once alias *long is expanded (config.MaxExpandedBytes)")
}

func TestAliasInsideItself(t *testing.T) {
	_, err := Parse("c.yaml", []byte(header+"  - &s {name: a.example.test, endpoints: [*s]}\n"))
	want := "c.yaml:6:43: alias *s is inside the value it names, so it never ends"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestDeepNestingRefused(t *testing.T) {
	doc := header + "  - name: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
	_, err := Parse("c.yaml", []byte(doc))
	errtest.WantMessage(t, err, "values are nested more than 64 deep; no configuration field is")
}

// TestProblemsBounded: a file with thousands of mistakes gets an error of
// MaxProblems lines and a count, not megabytes.
func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "  - name: a.example.test\n    check: {type: tcp, port: 80}\n    endpoints:\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "      - {name: e%d, location: aws/r, addresses: [300.0.0.%d]}\n", i, i)
	}
	_, err := Parse("c.yaml", []byte(b.String()))
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want *Error, got %v", err)
	}
	if len(cerr.Problems) != MaxProblems+1 || cerr.Omitted != 4900 {
		t.Fatalf("want %d problems listed and 4900 omitted, got %d and %d", MaxProblems, len(cerr.Problems)-1, cerr.Omitted)
	}
	want := "c.yaml: … and 4900 more problems not listed (config.MaxProblems is 100); fix these and check again"
	if last := cerr.Problems[MaxProblems].Format("c.yaml"); last != want {
		t.Errorf("last line\n got %s\nwant %s", last, want)
	}
}

// TestLongValuesClipped: a problem quotes at most maxQuoted bytes of what
// the user wrote, so one long value cannot make a long error.
func TestLongValuesClipped(t *testing.T) {
	long := strings.Repeat("k", 200<<10)
	_, err := Parse("c.yaml", []byte(strings.Replace(base, "      type: http", "      type: "+long, 1)))
	if err == nil || len(err.Error()) > maxErrorLine+len("c.yaml") {
		t.Fatalf("want one clipped problem, got %d bytes", len(fmt.Sprint(err)))
	}
	// The key is quoted in part.
	errtest.WantMessage(t, err, "kkk…\" is not a check type")
}
