package zone

import (
	"strings"
	"testing"

	"outlast/internal/config"
)

// FuzzRecords: any file text and inline record parse or fail without a
// panic, and an error stays small whatever the input. Several $GENERATE
// lines are fuzzed too: MaxGenerated bounds them together, so a text of
// many stops after 65,536 records (0.14 s for twenty such lines), where MaxRecords alone
// would let it run to a million.
// go test -run '^$' -fuzz FuzzRecords -fuzztime 30s ./internal/zone/
func FuzzRecords(f *testing.F) {
	f.Add(exampleFile, "www 300 IN A 192.0.2.1")
	f.Add("$INCLUDE x\n", "$TTL 5")
	f.Add("a ( TXT \"x;\" \\( \n ) ; c\n$GENERATE 1-2 h$ A 192.0.2.$\n", "@ CNAME x")
	f.Add("@ SOA a. b. 1 2 3 4 5\n@ SOA a. b. 1 2 3 4 5\n", "")
	f.Add("$GENERATE 0-65535 a$ A 192.0.2.1\n$GENERATE 0-65535 b$ A 192.0.2.1\n", "")
	f.Fuzz(func(t *testing.T, text, record string) {
		if len(text) > 1<<12 {
			return // the parser is linear; large inputs only slow the search
		}
		z := config.Zone{Apex: "example.com.", File: "db", FileText: text}
		if record != "" {
			z.Records = []string{record}
		}
		rrs, err := Records(z)
		if err != nil {
			if n := len(err.Error()); n > 2*maxMessage+maxQuoted {
				t.Errorf("error of %d bytes: %.200s…", n, err)
			}
			return
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == 6 && strings.EqualFold(rr.Header().Name, "example.com.") {
				t.Errorf("Records returned the apex SOA: %v", rr)
			}
		}
		// Check on the same zone must not panic either.
		cfg := &config.Config{Zones: []config.Zone{z}}
		_ = Check(cfg)
	})
}
