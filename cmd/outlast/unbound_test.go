package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// unboundConfig is a caching resolver for the geo test: the subnetcache
// module in front of the iterator (no validator: the test zone is unsigned
// and has no trust anchor), a stub zone for example.test at one outlast
// node, and ECS sent to that node only. A client's own ECS option is
// forwarded because the node is listed in send-client-subnet; without a
// client option unbound would send the client's address, truncated to
// max-client-subnet-ipv4. test. is one of the names unbound serves as an
// empty local zone by default (RFC 6761); nodefault lets the stub answer.
// Nothing is read from /etc/unbound.
const unboundConfig = `server:
  verbosity: 1
  interface: %[1]s
  port: %[2]d
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: %[3]q
  pidfile: %[4]q
  use-syslog: no
  logfile: ""
  qname-minimisation: no
  prefetch: no
  serve-expired: no
  cache-min-ttl: 0
  local-zone: "test." nodefault
  module-config: "subnetcache iterator"
  send-client-subnet: %[5]s
  max-client-subnet-ipv4: 24
  max-client-subnet-ipv6: 56
remote-control:
  control-enable: no
stub-zone:
  name: "example.test."
  stub-addr: %[5]s@%[6]d
`

// startUnbound runs unbound on listenIP:port as a stub resolver for
// example.test at authIP:authPort until the test ends; it skips the test
// when unbound is not installed.
func startUnbound(t *testing.T, listenIP string, port int, authIP string, authPort int) string {
	t.Helper()
	bin := lookProgram(t, "unbound", "/usr/sbin/unbound", "apt-get install --no-install-recommends unbound")
	dir := t.TempDir()
	conf := filepath.Join(dir, "unbound.conf")
	write(t, conf, fmt.Sprintf(unboundConfig, listenIP, port, dir, filepath.Join(dir, "unbound.pid"), authIP, authPort))
	// unbound-checkconf names a wrong option better than unbound's start does.
	if check := bin + "-checkconf"; fileExists(check) {
		if out, err := exec.Command(check, conf).CombinedOutput(); err != nil {
			t.Fatalf("unbound-checkconf %s: %v\n%s", conf, err, out)
		}
	}
	startProcess(t, bin, "-d", "-c", conf)
	addr := net.JoinHostPort(listenIP, strconv.Itoa(port))
	waitListening(t, addr)
	return addr
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ecsAnswer is what a resolver answered one ECS query.
type ecsAnswer struct {
	addrs []string // A records, in order
	ttl   uint32   // the first A record's TTL
	scope int      // ECS scope prefix length echoed, -1 without an ECS option
	rcode int
}

func (a ecsAnswer) String() string {
	return fmt.Sprintf("%s %v ttl=%d scope=%d", dns.RcodeToString[a.rcode], a.addrs, a.ttl, a.scope)
}

// askECS asks server for name A over UDP, as a client of subnet (an
// IPv4 CIDR) would through a resolver that sends ECS.
func askECS(server, name string, subnet netip.Prefix) (ecsAnswer, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	m.RecursionDesired = true
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(1232)
	opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{
		Code:          dns.EDNS0SUBNET,
		Family:        1,
		SourceNetmask: uint8(subnet.Bits()),
		Address:       subnet.Addr().AsSlice(),
	})
	m.Extra = append(m.Extra, opt)
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return ecsAnswer{}, err
	}
	a := ecsAnswer{scope: -1, rcode: r.Rcode}
	for _, rr := range r.Answer {
		if rec, ok := rr.(*dns.A); ok {
			if len(a.addrs) == 0 {
				a.ttl = rec.Hdr.Ttl
			}
			a.addrs = append(a.addrs, rec.A.String())
		}
	}
	if o := r.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if s, ok := e.(*dns.EDNS0_SUBNET); ok {
				a.scope = int(s.SourceScope)
			}
		}
	}
	return a, nil
}

// aQueries reads how many A queries a node has answered with NOERROR, from
// its outlast_dns_queries_total metric.
func aQueries(t *testing.T, httpAddr string) int {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	const series = `outlast_dns_queries_total{qtype="A",rcode="NOERROR"} `
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s%s: %v", series, v, err)
			}
			return int(n)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0 // not yet counted: the series appears with its first query
}
