package config

import (
	"strings"
	"testing"
	"time"
)

// primaryService is a database service of policy primary appended to
// base's services; node is a line for the node section.
func primaryService(hookDir, service string) string {
	cfg := strings.Replace(base, "  location: aws/us-east-1\ndns:", "  location: aws/us-east-1\n"+hookDir+"dns:", 1)
	return cfg + service
}

const dbService = `  - name: db.example.test
    policy: primary
    check: {type: tcp, port: 5432}
    endpoints:
      - name: db-a
        location: aws/us-east-1
        addresses: [127.0.0.21]
        on_promote: {exec: [promote-db-a, --fast]}
        on_demote: {url: "http://127.0.0.1:9000/demote", retries: 0}
      - name: db-b
        location: gcp/us-central1
        addresses: [127.0.0.22]
        priority: 2
`

func TestPrimaryLoads(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(primaryService("  hook_dir: /etc/outlast/hooks\n", dbService+`    primary:
      gates: [maintenance]
      rules: [{name: in-cluster, answered_among: [db-a, db-b]}]
`)))
	if err != nil {
		t.Fatal(err)
	}
	svc := cfg.Services[1]
	p, a := svc.Primary, svc.Endpoints[0]
	if !svc.Elects() || p.Failback != FailbackManual || p.MoveDNS != MoveAfterPromote {
		t.Errorf("primary %+v: want mode elect, failback manual, move_dns after-promote by default", p)
	}
	if a.OnPromote.Timeout != 30*time.Second || *a.OnPromote.Retries != 3 || a.OnPromote.Method != "" {
		t.Errorf("on_promote %+v: want timeout 30s and 3 retries by default, no method for exec", a.OnPromote)
	}
	if a.OnDemote.Method != "POST" || *a.OnDemote.Retries != 0 {
		t.Errorf("on_demote %+v: want POST by default and an explicit 0 retries kept", a.OnDemote)
	}
}

// TestPrimaryProblems: each way to get a primary service wrong names the
// field and what to do.
func TestPrimaryProblems(t *testing.T) {
	dir := "  hook_dir: /etc/outlast/hooks\n"
	plain := strings.Replace(dbService, "        on_promote: {exec: [promote-db-a, --fast]}\n        on_demote: {url: \"http://127.0.0.1:9000/demote\", retries: 0}\n", "", 1)
	cases := []struct{ name, hookDir, service, want string }{
		{"exec without hook_dir", "", dbService, "services[1].endpoints[0].on_promote.exec: exec hooks run only programs in node.hook_dir"},
		{"exec outside hook_dir", dir, strings.Replace(dbService, "promote-db-a,", "/usr/bin/rm,", 1), `services[1].endpoints[0].on_promote.exec[0]: "/usr/bin/rm" must name a program in node.hook_dir`},
		{"dot dot", dir, strings.Replace(dbService, "promote-db-a,", "../rm,", 1), `"../rm" must name a program in node.hook_dir`},
		{"both exec and url", dir, strings.Replace(dbService, "{exec: [promote-db-a, --fast]}", "{exec: [p], url: \"http://h/\"}", 1), "on_promote: sets both exec and url"},
		{"neither", dir, strings.Replace(dbService, "{exec: [promote-db-a, --fast]}", "{timeout: 5s}", 1), "on_promote: needs exec"},
		{"bad url", dir, strings.Replace(dbService, "http://127.0.0.1:9000/demote", "ftp://h/x", 1), `on_demote.url: "ftp://h/x": use an http:// or https:// URL`},
		{"url without host", dir, strings.Replace(dbService, "http://127.0.0.1:9000/demote", "http:///demote", 1), `on_demote.url: "http:///demote" has no host`},
		{"url with a space", dir, strings.Replace(dbService, "http://127.0.0.1:9000/demote", "http://h/de mote", 1), `on_demote.url: "http://h/de mote" holds spaces`},
		{"too many retries", dir, strings.Replace(dbService, "retries: 0", "retries: 11", 1), "on_demote.retries: 11 is outside 0..10"},
		{"timeout too long", dir, strings.Replace(dbService, "retries: 0", "timeout: 11m", 1), "on_demote.timeout: 11m0s is outside"},
		{"header with newline", dir, strings.Replace(dbService, "retries: 0", "headers: [\"X-A: a\\nb\", \"Authorization: Bearer t\"]", 1), `on_demote.headers[0]: "X-A: a\nb" is not a header`},
		{"hooks on failover", dir, strings.Replace(dbService, "policy: primary", "policy: failover", 1), "services[1].endpoints[0]: on_promote and on_demote are for services with policy primary"},
		{"primary section on failover", dir, plain + "    primary: {failback: auto}\n", "services[1].primary: is for services with policy primary; this one is failover"},
		{"bad mode", dir, plain + "    primary: {mode: vote}\n", `services[1].primary.mode: "vote" is not valid; use elect or follow`},
		{"hooks in follow", dir, dbService + "    primary: {mode: follow}\n", "hooks are not run in mode follow"},
		{"bad gate", dir, plain + "    primary: {gates: [Maint Window]}\n", `services[1].primary.gates[0]: "Maint Window" is not a gate name`},
		{"rule on a stranger", dir, plain + "    primary: {rules: [{name: r, answered_among: [db-z]}]}\n", `services[1].primary.rules[0].answered_among[0]: "db-z" is not an endpoint of db.example.test.`},
		{"rule without name", dir, plain + "    primary: {rules: [{answered_among: [db-a]}]}\n", "services[1].primary.rules[0].name: is required"},
		{"panic threshold", dir, plain + "    panic_threshold: 50\n", "services[1].panic_threshold: a primary service answers its one primary"},
		{"when all down", dir, plain + "    when_all_down: empty\n", "services[1].when_all_down: a primary service keeps answering its primary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := c.service
			if strings.Contains(c.name, "failover") && !strings.Contains(svc, "policy: failover") {
				svc = strings.Replace(svc, "policy: primary", "policy: failover", 1)
			}
			_, err := Parse("c.yaml", []byte(primaryService(c.hookDir, svc)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %q", err, c.want)
			}
		})
	}
}
