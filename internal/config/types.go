package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"time"

	"outlast/internal/model"
)

// Config is the whole of one outlast node's configuration file.
type Config struct {
	// Node describes this outlast node as a vantage point.
	Node Node `yaml:"node"`
	// DNS configures the authoritative DNS listener.
	DNS DNSListener `yaml:"dns"`
	// HTTP configures the listener for /healthz, /metrics, the API and the status page.
	HTTP HTTPListener `yaml:"http"`
	// API says who may use the operator API and the status page.
	API API `yaml:"api"`
	// Cluster joins this node to other outlast nodes through Raft. Leave it
	// out to run a single node on its own.
	Cluster Cluster `yaml:"cluster"`
	// Health tunes how probe results become verdicts.
	Health HealthPolicy `yaml:"health"`
	// Resolver says how this node resolves the target hostnames of
	// endpoints named by hostname (local to each node: each resolves
	// through resolvers near it).
	Resolver Resolver `yaml:"resolver"`
	// GeoIP names this node's MaxMind-format database, which maps client
	// addresses to countries and continents for geo.areas (local: each
	// node reads its own copy).
	GeoIP GeoIP `yaml:"geoip"`
	// Geo sorts DNS clients into areas, for services with policy geo.
	Geo Geo `yaml:"geo"`
	// Proxy is this node's HTTP failover proxy (local; default: off).
	Proxy Proxy `yaml:"proxy"`
	// Zones are the DNS zones this node is authoritative for. At least one is required.
	Zones []Zone `yaml:"zones"`
	// Services are the names outlast steers. Each must sit inside one of the zones.
	Services []Service `yaml:"services"`

	// Source is the file name Load or Parse was given, for errors found
	// after loading (such as internal/zone's checks of the records).
	Source string `yaml:"-"`

	// Hash identifies the replicated part (Shared().Hash()), so operators
	// can tell which configuration a node or cluster runs.
	Hash string `yaml:"-"`
}

// Node identifies this outlast node.
type Node struct {
	// Name of this node as a vantage point in evidence and metrics (default: the host name).
	Name string `yaml:"name"`
	// Location of this node, "provider/region" (default: "local/local").
	Location model.Location `yaml:"location"`
	// ProbeSource is the local address probes are sent from (default: the
	// system's choice), for hosts that must probe out of one interface.
	ProbeSource netip.Addr `yaml:"probe_source"`
	// HookDir is the directory whose programs a primary service's exec
	// hooks may run (on_promote, on_demote); an exec hook naming a program
	// elsewhere is refused. Local, because the shared configuration can be
	// replaced through the API: a hook runs only what an operator installed
	// on every node (default: none, which refuses exec hooks).
	HookDir string `yaml:"hook_dir"`
}

// Shared is the part of the configuration every node of a cluster agrees on:
// it is replicated through Raft, while Node, DNS, HTTP and Cluster stay local.
// Its JSON is what log entries and snapshots hold: a field added later is
// omitted when empty, so what older nodes wrote reads back the same.
type Shared struct {
	Health   HealthPolicy `json:"health"`
	Geo      Geo          `json:"geo,omitzero"`
	Zones    []Zone       `json:"zones"`
	Services []Service    `json:"services"`
}

// Hash is the first 16 hex digits of the SHA-256 of the canonical JSON of s:
// the same services, zones and health settings give the same hash on every
// node, however their files are laid out.
func (s Shared) Hash() string {
	data, err := json.Marshal(s)
	if err != nil {
		panic("config: Shared does not encode: " + err.Error()) // only plain data types: cannot happen
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Shared returns the replicated part of the configuration.
func (c *Config) Shared() Shared {
	return Shared{Health: c.Health, Geo: c.Geo, Zones: c.Zones, Services: c.Services}
}

// WithShared returns a copy of c whose replicated part is s.
func (c *Config) WithShared(s Shared) *Config {
	out := *c
	out.Health, out.Geo, out.Zones, out.Services = s.Health, s.Geo, s.Zones, s.Services
	return &out
}

// API configures access to the operator API (/api/v1/) and the status page.
type API struct {
	// Tokens that may use the API (default: none; then only public reads work).
	Tokens []Token `yaml:"tokens"`
	// PublicStatus lets anyone read the status page and the API's read
	// endpoints without a token (default false). Writes always need an admin token.
	PublicStatus bool `yaml:"public_status"`
}

// Scope is what a token may do.
type Scope string

// Token scopes.
const (
	ScopeRead  Scope = "read"  // every GET
	ScopeAdmin Scope = "admin" // reads and writes (overrides, configuration)
)

// Token is one bearer token, stored as a hash (make one with outlast token new).
type Token struct {
	// Name says who uses the token; writes are recorded under it. Required.
	Name string `yaml:"name"`
	// Scope is read or admin. Required.
	Scope Scope `yaml:"scope"`
	// SHA256 is the hex SHA-256 of the token. Required.
	SHA256 string `yaml:"sha256"`
}

// Cluster configures membership in a cluster of outlast nodes.
type Cluster struct {
	// Listen is the host:port for Raft and the cluster RPC, one TCP port,
	// mutual TLS (default: none, a single node on its own).
	Listen string `yaml:"listen"`
	// Advertise is the address other nodes reach this one at (default: Listen).
	Advertise string `yaml:"advertise"`
	// DataDir holds the Raft log and snapshots. Required with Listen.
	DataDir string `yaml:"data_dir"`
	// Peers are the nodes that form the cluster on first start, this one
	// included or not; every node of a new cluster lists the same set.
	Peers []Peer `yaml:"peers"`
	// Bootstrap forms the cluster from Peers when the data directory is
	// empty (default true). Set it to false on a node that an operator adds
	// later with outlast cluster join.
	Bootstrap *bool `yaml:"bootstrap"`
	// StaleAfter: a node that has heard from no leader for this long says
	// it is answering from stale state, in /healthz, metrics and logs (default 5s).
	StaleAfter time.Duration `yaml:"stale_after,nonzero"`
	// RaftMultiplier scales Raft's failure detection, as Consul's
	// raft_multiplier does: 1 (the default) replaces a dead leader in one to
	// three seconds; links with long or lossy round trips between providers
	// want 2 to 5, which trade that much slower elections for fewer needless
	// ones. At most 10. Every node should use the same value.
	RaftMultiplier int `yaml:"raft_multiplier,nonzero"`
	// TLS holds the node's certificate and the cluster CA. Required with Listen.
	TLS ClusterTLS `yaml:"tls"`
}

// Peer is another node of the cluster.
type Peer struct {
	// Name is the peer's node.name. Required.
	Name string `yaml:"name"`
	// Address is the peer's cluster.advertise address, host:port. Required.
	Address string `yaml:"address"`
	// Location is the peer's node.location, "provider/region" (default:
	// unknown). Only outlast audit reads it, to check that the cluster keeps
	// its quorum when a provider fails.
	Location model.Location `yaml:"location"`
}

// ClusterTLS names the files for mutual TLS between nodes (see docs/tls.md).
type ClusterTLS struct {
	// CAFile holds the cluster CA certificate(s). Required with cluster.listen.
	CAFile string `yaml:"ca_file"`
	// CertFile holds this node's certificate. Required with cluster.listen.
	CertFile string `yaml:"cert_file"`
	// KeyFile holds this node's private key. Required with cluster.listen.
	KeyFile string `yaml:"key_file"`
}

// DNSListener is where the authoritative DNS server listens.
type DNSListener struct {
	// Listen is the host:port for both UDP and TCP (default "127.0.0.1:53").
	Listen string `yaml:"listen"`
	// NSID is what this node answers a query asking for its name server
	// identifier (RFC 5001, dig +nsid), so an operator can tell which node
	// of the fleet gave an answer (default: node.name; "" answers none).
	NSID *string `yaml:"nsid"`
	// RateLimit limits the UDP responses one network receives (on by
	// default; local).
	RateLimit RateLimit `yaml:"rate_limit"`
	// Cookies answers DNS cookies (RFC 7873, RFC 9018) with server
	// cookies made from a secret the cluster shares and rotates daily; a
	// query with a valid one is not rate limited (default true).
	Cookies *bool `yaml:"cookies"`
	// KeyDir holds the DNSSEC key files zones[].dnssec.keys name, the same
	// files on every node (local: secrets never enter the replicated
	// configuration), relative to the configuration file (default: none,
	// which refuses signed zones).
	KeyDir string `yaml:"key_dir"`
	// TSIGKeys are the keys zone transfers and NOTIFY are signed with
	// (local; default: none).
	TSIGKeys []TSIGKey `yaml:"tsig_keys"`
}

// CookiesOn reports whether the node answers DNS cookies.
func (d *DNSListener) CookiesOn() bool { return d.Cookies == nil || *d.Cookies }

// MaxNSID bounds dns.nsid: it rides in every answer that asks for it.
const MaxNSID = 128

// NSIDValue is the identifier the node answers, or nil for none.
func (d *DNSListener) NSIDValue() []byte {
	if d.NSID == nil || *d.NSID == "" {
		return nil
	}
	return []byte(*d.NSID)
}

// HTTPListener is where /healthz and /metrics are served.
type HTTPListener struct {
	// Listen is the host:port (default "127.0.0.1:8080").
	Listen string `yaml:"listen"`
	// AllowedHosts are the host names requests may name in their Host
	// header, besides IP addresses and localhost (default: none). A request
	// for any other name is refused, so a web page cannot reach the node
	// through a name its attacker controls (DNS rebinding).
	AllowedHosts []string `yaml:"allowed_hosts"`
	// TLS says when the listener serves HTTPS with the node certificate:
	// HTTPAuto (the default) off loopback only, where tokens cross a
	// network; HTTPAlways on loopback too (behind a local proxy that
	// passes TLS through, or to test what remote operators get).
	TLS HTTPTLS `yaml:"tls"`
}

// HTTPTLS is when the HTTP listener serves TLS.
type HTTPTLS string

// The values of http.tls.
const (
	HTTPAuto   HTTPTLS = "auto"
	HTTPAlways HTTPTLS = "always"
)

// Resolver configures how a node keeps endpoint target hostnames resolved.
// Zero durations take the defaults given; they are internal/resolve's.
type Resolver struct {
	// Servers are the recursive resolvers asked, in order, as IP:port
	// (default: the nameservers of /etc/resolv.conf).
	Servers []string `yaml:"servers"`
	// Timeout of one question to one server (default 2s).
	Timeout time.Duration `yaml:"timeout,nonzero"`
	// MinTTL and MaxTTL clamp the upstream's TTL: the addresses are asked
	// again no sooner than MinTTL and no later than MaxTTL after an answer
	// (defaults 5s and 1h).
	MinTTL time.Duration `yaml:"min_ttl,nonzero"`
	MaxTTL time.Duration `yaml:"max_ttl,nonzero"`
	// MaxStale is how long past their TTL the last good addresses keep
	// being answered and probed while the upstream fails (default 1h).
	// Beyond it the target counts as unresolved. Give every node the same value.
	MaxStale time.Duration `yaml:"max_stale,nonzero"`
	// StaleTTL is the TTL of answers built from stale addresses, so
	// resolvers come back soon (default 30s).
	StaleTTL time.Duration `yaml:"stale_ttl,nonzero"`
}

// GeoIP configures this node's client-location database.
type GeoIP struct {
	// Database is the path of a MaxMind-format database (GeoLite2 or DB-IP
	// lite, Country or City), read again when it changes; a file that does
	// not load keeps the last good one (default: none; areas then match by
	// geo.areas[].prefixes alone). outlast never downloads it.
	Database string `yaml:"database"`
}

// Geo sorts DNS clients into areas. Replicated: every node sorts alike.
type Geo struct {
	// Areas are the places clients are sorted into (default: none).
	Areas []Area `yaml:"areas" json:",omitempty"`
	// Coordinates place endpoint locations for nearest orders, overriding
	// the built-in table of the main AWS, Google Cloud and Azure regions
	// (default: none).
	Coordinates []LocationPoint `yaml:"coordinates" json:",omitempty"`
}

// Area is one place DNS clients are sorted into. A client is in the area
// of the longest of all areas' prefixes holding its address (EDNS Client
// Subnet, else the resolver's address); failing that, in the area whose
// countries, else continents, hold the database's answer for it.
type Area struct {
	// Name of the area, used by services[].geo. Required, unique.
	Name string `yaml:"name"`
	// Prefixes are client networks in this area, CIDR (default: none).
	Prefixes []netip.Prefix `yaml:"prefixes" json:",omitempty"`
	// Countries are ISO 3166-1 alpha-2 codes matched in the database (default: none).
	Countries []string `yaml:"countries" json:",omitempty"`
	// Continents are codes matched in the database: AF, AN, AS, EU, NA,
	// OC or SA (default: none).
	Continents []string `yaml:"continents" json:",omitempty"`
	// Center is [latitude, longitude], where nearest orders measure from
	// (default: the center of the first of continents).
	Center []float64 `yaml:"center" json:",omitempty"`
}

// LocationPoint places one location for nearest orders.
type LocationPoint struct {
	// Location is provider/region. Required.
	Location model.Location `yaml:"location"`
	// At is [latitude, longitude]. Required.
	At []float64 `yaml:"at"`
}

// HealthPolicy tunes the health engine.
type HealthPolicy struct {
	// StaleAfter is how many check intervals a vantage point's view may age
	// before it stops voting (default 3).
	StaleAfter int `yaml:"stale_after,nonzero"`
}

// Zone is one DNS zone served authoritatively.
type Zone struct {
	// Apex is the zone's name, such as "example.test". Required.
	Apex string `yaml:"apex"`
	// SOA holds the zone's start-of-authority fields.
	SOA SOA `yaml:"soa"`
	// NS lists the zone's nameservers. At least one is required, here or
	// as the apex NS records of File or Records (then they fill this list;
	// when both are given they must agree).
	NS []NameServer `yaml:"ns"`
	// Records are ordinary records the zone serves besides its services,
	// one RFC 1035 master-file line each, names relative to the apex
	// ("@ 300 IN MX 10 mail", "www 300 IN A 192.0.2.1") (default: none).
	Records []string `yaml:"records"`
	// File is an RFC 1035 master file of records the zone serves, relative
	// to the directory of the configuration file (default: none).
	File string `yaml:"file"`
	// FileText is the content of File, read by Load (at most
	// MaxZoneFileSize bytes). The replicated configuration (Shared) carries
	// the text, not only the path: every node serves the same version of
	// the zone, whatever its own disk holds, and the configuration's hash
	// changes when the file does.
	FileText string `yaml:"-"`
	// DNSSEC signs the zone online (default: unsigned).
	DNSSEC *ZoneDNSSEC `yaml:"dnssec" json:",omitempty"`
	// Transfer serves the zone to secondaries at other providers (default:
	// no transfers).
	Transfer *ZoneTransfer `yaml:"transfer" json:",omitempty"`
}

// HasRecords reports whether the zone serves static records, inline or from a file.
func (z *Zone) HasRecords() bool { return len(z.Records) > 0 || z.File != "" }

// SOA holds a zone's start-of-authority record fields.
type SOA struct {
	// MName is the primary nameserver (default: the first NS name).
	MName string `yaml:"mname"`
	// RName is the responsible mailbox in DNS form (default "hostmaster.<apex>").
	RName string `yaml:"rname"`
	// Serial is the zone serial (default 1).
	Serial uint32 `yaml:"serial,nonzero"`
	// Refresh for secondaries (default 1h).
	Refresh time.Duration `yaml:"refresh,nonzero"`
	// Retry for secondaries (default 10m).
	Retry time.Duration `yaml:"retry,nonzero"`
	// Expire for secondaries (default 168h).
	Expire time.Duration `yaml:"expire,nonzero"`
	// Minimum is the negative-caching TTL of RFC 2308 (default 5s, so a
	// name that comes back is seen again quickly).
	Minimum time.Duration `yaml:"minimum,nonzero"`
	// TTL of the SOA and NS records themselves (default 1h).
	TTL time.Duration `yaml:"ttl,nonzero"`
}

// NameServer is one NS record of a zone, with glue addresses when it sits inside the zone.
type NameServer struct {
	// Name is the nameserver's host name. Required.
	Name string `yaml:"name"`
	// Addresses are glue A/AAAA records; required when Name is inside the zone.
	Addresses []netip.Addr `yaml:"addresses"`
	// Location is where the nameserver runs, "provider/region" (default:
	// unknown). Only outlast audit reads it, to check the nameservers do not
	// all share one provider.
	Location model.Location `yaml:"location"`
}

// Policy names a steering policy.
type Policy string

// Steering policies.
const (
	PolicyFailover Policy = "failover" // lowest priority number with healthy endpoints
	PolicyWeighted Policy = "weighted" // one healthy endpoint per query, in proportion to weight
	PolicyAll      Policy = "all"      // every healthy address, up to max_answers
	PolicyGeo      Policy = "geo"      // per client area, the healthy endpoints of its first location in order
	PolicyPrimary  Policy = "primary"  // exactly one endpoint, the primary the cluster agreed on
)

// AllDown names what a service answers when every endpoint is down.
type AllDown string

// All-down behaviours.
const (
	AllDownServeAll AllDown = "serve-all" // answer with every non-drained endpoint
	AllDownEmpty    AllDown = "empty"     // answer NODATA (fail closed)
	AllDownFallback AllDown = "fallback"  // answer with the fixed fallback addresses
)

// AnswerStyle says how a service answers its endpoints named by hostname.
type AnswerStyle string

// Answer styles.
const (
	// AnswerFlatten answers the addresses the node resolved for the chosen
	// endpoints' targets (an alias: allowed at a zone apex, and beside
	// endpoints named by address).
	AnswerFlatten AnswerStyle = "flatten"
	// AnswerCNAME answers a CNAME to the chosen endpoint's target.
	AnswerCNAME AnswerStyle = "cname"
)

// Service is one steered DNS name.
type Service struct {
	// Name is the fully qualified DNS name, inside one of the zones. Required.
	Name string `yaml:"name"`
	// Type is the record type answered: A or AAAA (default A).
	Type model.RecordType `yaml:"type"`
	// TTL of the answers (default 30s; whole seconds).
	TTL time.Duration `yaml:"ttl,nonzero"`
	// Policy is failover, weighted, all, geo or primary (default failover).
	Policy Policy `yaml:"policy"`
	// Primary configures a service of policy primary: who elects the one
	// endpoint answered, failback, safety rules and gates. Refused with
	// any other policy.
	Primary ServicePrimary `yaml:"primary" json:",omitzero"`
	// Answer is how endpoints named by a target hostname are answered:
	// flatten (their resolved addresses) or cname (a CNAME to the chosen
	// endpoint's target; every endpoint then names a target, the policy is
	// failover or weighted and the name is not a zone apex) (default flatten).
	Answer AnswerStyle `yaml:"answer" json:",omitempty"`
	// MaxAnswers caps the addresses in one answer (default 8).
	MaxAnswers int `yaml:"max_answers,nonzero"`
	// WhenAllDown is serve-all, empty or fallback (default serve-all).
	WhenAllDown AllDown `yaml:"when_all_down"`
	// Fallback addresses answered when every endpoint is down and
	// WhenAllDown is fallback. Required then, forbidden otherwise.
	Fallback []netip.Addr `yaml:"fallback"`
	// PanicThreshold is a percentage (0-100). When fewer than this share of
	// the non-drained endpoints are up, answer with all of them rather than
	// crush the survivors (default 0: off).
	PanicThreshold int `yaml:"panic_threshold"`
	// RTO is the service's recovery time objective: how long clients may
	// fail after an endpoint dies. outlast audit checks that TTL + interval
	// × fall + timeout fits in it (default 0: no objective, not checked).
	RTO time.Duration `yaml:"rto"`
	// ReturnRamp is how long an endpoint that comes back up (down to up in
	// the agreed state) takes to get its full share of DNS answers,
	// growing linearly from 10%; for failover and weighted services
	// (default 0s: at once).
	ReturnRamp time.Duration `yaml:"return_ramp" json:",omitempty"`
	// Geo gives, for policy geo, each area's order of endpoint locations.
	// Required with policy geo, refused otherwise.
	Geo ServiceGeo `yaml:"geo" json:",omitzero"`
	// Check is how every endpoint of the service is probed. Required.
	Check Check `yaml:"check"`
	// Endpoints serving the name. At least one is required.
	Endpoints []Endpoint `yaml:"endpoints"`
}

// ServiceGeo is a geo service's orders of endpoint locations.
type ServiceGeo struct {
	// Areas give each area's order; an area left out, and clients in no
	// area, use Default. At least one is required.
	Areas []AreaOrder `yaml:"areas" json:",omitempty"`
	// Default is the order of endpoint locations for clients in no area
	// (default: by priority, as policy failover).
	Default []model.Location `yaml:"default" json:",omitempty"`
}

// AreaOrder is the order in which one area's clients are given endpoint locations.
type AreaOrder struct {
	// Area is a name of geo.areas. Required.
	Area string `yaml:"area"`
	// Order lists endpoint locations, preferred first; endpoints elsewhere
	// follow by priority. Either Order or Nearest is required.
	Order []model.Location `yaml:"order"`
	// Nearest orders every endpoint location by its distance from the
	// area's center (default false). Load fills Order with the result.
	Nearest bool `yaml:"nearest" json:",omitempty"`
}

// Endpoint is one place a service runs.
type Endpoint struct {
	// Name is unique across the whole configuration. Required.
	Name string `yaml:"name"`
	// Location is "provider/region". Required.
	Location model.Location `yaml:"location"`
	// Addresses answered for this endpoint; their family must match the
	// service type. Either Addresses or Target is required, not both.
	Addresses []netip.Addr `yaml:"addresses"`
	// Target is the hostname the endpoint is reached at (an ALB's or a
	// CDN's name), instead of Addresses. The node resolves it (see
	// resolver); probes connect to its addresses and send it as HTTP Host
	// and TLS SNI unless check.http.host or check.tls.server_name say
	// otherwise (default: none).
	Target string `yaml:"target" json:",omitempty"`
	// ProbeAddress is the address probed (default: the first of
	// Addresses; not allowed with Target).
	ProbeAddress netip.Addr `yaml:"probe_address"`
	// Priority for the failover policy; lower is preferred (default 1).
	Priority int `yaml:"priority"`
	// Weight for the weighted policy (default 1; 0 takes no traffic while others are up).
	Weight *uint32 `yaml:"weight"`
	// Drained endpoints are probed but never answered (default false).
	Drained bool `yaml:"drained"`
	// OnPromote runs on the leader before this endpoint becomes the
	// primary of a policy primary service (default: none).
	OnPromote *Hook `yaml:"on_promote" json:",omitempty"`
	// OnDemote runs on the leader after this endpoint stopped being the
	// primary, until it succeeds (default: none).
	OnDemote *Hook `yaml:"on_demote" json:",omitempty"`
}

// HasTarget reports whether the endpoint is named by hostname.
func (e *Endpoint) HasTarget() bool { return e.Target != "" }

// CheckType names a probe type.
type CheckType string

// Probe types.
const (
	CheckHTTP  CheckType = "http"
	CheckHTTPS CheckType = "https"
	CheckTCP   CheckType = "tcp"
	CheckDNS   CheckType = "dns"
	CheckGRPC  CheckType = "grpc"
)

// Check says how to probe a service's endpoints.
type Check struct {
	// Type is http, https, tcp, dns or grpc. Required.
	Type CheckType `yaml:"type"`
	// Port probed on the endpoint's probe address (default: 80 for http,
	// 443 for https, 53 for dns; required for tcp and grpc).
	Port int `yaml:"port,nonzero"`
	// Interval between probes from one vantage point (default 1s).
	Interval time.Duration `yaml:"interval,nonzero"`
	// FastInterval is the time between probes while a change is being
	// confirmed: after a failed probe of an endpoint that was up, until fall
	// failures mark it down or a good probe restores it, and the same with
	// rise coming up (default: a quarter of Interval, at least 100ms; equal
	// to Interval turns it off).
	FastInterval time.Duration `yaml:"fast_interval,nonzero"`
	// Timeout of one probe; at most Interval (default: 1s or Interval, whichever is smaller).
	Timeout time.Duration `yaml:"timeout,nonzero"`
	// Fall is how many consecutive failures mark an endpoint down (default 3).
	Fall int `yaml:"fall,nonzero"`
	// Rise is how many consecutive successes mark it up again (default 2).
	Rise int `yaml:"rise,nonzero"`
	// HTTP options, for types http and https.
	HTTP HTTPCheck `yaml:"http"`
	// DNS options, for type dns.
	DNS DNSCheck `yaml:"dns"`
	// GRPC options, for type grpc.
	GRPC GRPCCheck `yaml:"grpc"`
	// TLS options, for https and grpc (grpc uses TLS only when Enabled).
	TLS TLSCheck `yaml:"tls"`
}

// HTTPCheck holds the HTTP probe's request and what a good response is.
type HTTPCheck struct {
	// Method of the request (default GET).
	Method string `yaml:"method"`
	// Path requested (default "/").
	Path string `yaml:"path"`
	// Host header (default: the probed address and port).
	Host string `yaml:"host"`
	// ExpectStatus is the accepted status range, "200-399" or a single "204" (default "200-399").
	ExpectStatus StatusRange `yaml:"expect_status"`
	// BodyContains must appear in the first 64 KiB of the body (default: not checked).
	BodyContains string `yaml:"body_contains"`
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct {
	Min, Max int
}

// DNSCheck holds the DNS probe's query and what a good response is.
type DNSCheck struct {
	// Query is the name asked for. Required for type dns.
	Query string `yaml:"query"`
	// QType is the record type asked for (default A).
	QType string `yaml:"qtype"`
	// ExpectRcode is the rcode a healthy server gives (default NOERROR).
	ExpectRcode string `yaml:"expect_rcode"`
	// ExpectAnswer, when set, must equal the data of one answer record,
	// such as "192.0.2.1" for A (default: not checked).
	ExpectAnswer string `yaml:"expect_answer"`
}

// GRPCCheck holds the gRPC health probe's options.
type GRPCCheck struct {
	// Service is the grpc.health.v1 service name (default "": the whole server).
	Service string `yaml:"service"`
}

// TLSCheck holds TLS options for probes that use TLS.
type TLSCheck struct {
	// Enabled turns TLS on for grpc checks; https always uses TLS (default false).
	Enabled bool `yaml:"enabled"`
	// ServerName for SNI and verification (default: the HTTP Host, else the probed address).
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any certificate (default false).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// ExpiryWarning: a certificate expiring sooner than this is reported as a
	// warning on an otherwise passing probe (default 336h, 14 days).
	ExpiryWarning time.Duration `yaml:"expiry_warning,nonzero"`
}
