package lab

import (
	"fmt"
	"strings"
)

// DBName is the lab's policy primary service: a database with one
// writable primary, db-use1 in aws/us-east-1, and a replica, db-gcp in
// gcp/us-central1, each a RoleServer on an address of its own.
const DBName = "db.example.test."

// dbSubnet holds the role servers' addresses: what db.example.test answers.
const dbSubnet = "127.77.4."

// dbSpecs are the database's servers, in priority order; the first
// starts as the primary.
var dbSpecs = []struct {
	endpoint, location string
	priority           int
	role               Role
}{
	{"db-use1", "aws/us-east-1", 1, Primary},
	{"db-gcp", "gcp/us-central1", 2, Replica},
}

func dbIP(i int) string { return fmt.Sprintf("%s%d", dbSubnet, i+1) }

// Hooks' limits in the lab: on_promote is tried twice for 1 s each, so a
// promotion never waits long on loopback; on_demote once, as the leader
// runs it again when the former primary's verdict turns up (and every
// 10 s) until it succeeds.
const (
	dbHookTimeout    = "1s"
	dbPromoteRetries = 1
	dbDemoteRetries  = 0
)

// startDB runs the role servers on the service port. The cluster's first
// election waits until every endpoint is judged and takes the one up of
// lowest priority number: db-use1, the running primary.
func (l *Lab) startDB() error {
	for i, spec := range dbSpecs {
		s, err := startRoleServer(spec.endpoint, fmt.Sprintf("%s:%d", dbIP(i), l.port), spec.role)
		if err != nil {
			return err
		}
		l.DB = append(l.DB, s)
	}
	return nil
}

// dbServiceText is db.example.test in the nodes' configuration: policy
// primary, failback manual, the name moved after on_promote succeeded,
// and each endpoint's hooks calling its own role server.
func (l *Lab) dbServiceText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    ttl: %s\n    policy: primary\n    primary: {mode: elect, failback: manual, move_dns: after-promote}\n", DBName, TTL)
	b.WriteString(l.checkText())
	b.WriteString("    endpoints:\n")
	for i, spec := range dbSpecs {
		base := "http://" + l.DB[i].Addr
		fmt.Fprintf(&b, "      - name: %s\n        location: %s\n        addresses: [%s]\n        priority: %d\n", spec.endpoint, spec.location, dbIP(i), spec.priority)
		fmt.Fprintf(&b, "        on_promote: {url: \"%s/promote\", timeout: %s, retries: %d}\n", base, dbHookTimeout, dbPromoteRetries)
		fmt.Fprintf(&b, "        on_demote: {url: \"%s/demote\", timeout: %s, retries: %d}\n", base, dbHookTimeout, dbDemoteRetries)
	}
	return b.String()
}

// roleServer returns the role server of the given endpoint, or nil.
func (l *Lab) roleServer(endpoint string) *RoleServer {
	for _, s := range l.DB {
		if s.Name == endpoint {
			return s
		}
	}
	return nil
}

// failRegion fails us-east-1 for primary-region-outage: its API region
// hangs and its database server stops answering.
func (l *Lab) failRegion() error {
	l.roleServer("db-use1").Freeze()
	return l.region("use1").Hang()
}

// healRegion brings us-east-1 back.
func (l *Lab) healRegion() error {
	l.roleServer("db-use1").Thaw()
	return l.region("use1").Heal()
}
