package wire

import (
	"context"
	"net/http"
	"time"
)

// ZoneStatus is one zone this node serves, as GET /api/v1/zones shows it:
// what it answers now, how it signs the zone, and how secondaries at other
// providers follow it. Every fact is this node's: another node signs with
// the same keys and numbers the zone alike, but its NOTIFYs are its own.
type ZoneStatus struct {
	Apex string `json:"apex"`
	// Serial is the SOA serial this node answers now; 0 before it answers.
	Serial uint32 `json:"serial"`
	// Signing is nil for a zone that is not signed (no zones[].dnssec).
	Signing *ZoneSigning `json:"signing,omitempty"`
	// Transfer is nil for a zone no secondary copies (no zones[].transfer).
	Transfer *ZoneTransfer `json:"transfer,omitempty"`
}

// ZoneSigning is how a signed zone is signed on this node.
type ZoneSigning struct {
	// Keys are the zone's DNSKEYs, as published at its apex.
	Keys []ZoneKey `json:"keys"`
	// DS are the DS records for the zone's parent, one per SEP key with a
	// SHA-256 digest, in presentation format: paste them at the registrar.
	DS []string `json:"ds"`
	// Signatures is how many RRSIGs this node made for the zone since it
	// loaded its keys; CachedSets how many sets' signatures it keeps.
	Signatures uint64 `json:"signatures"`
	CachedSets int    `json:"cached_sets"`
	// ResignAt is when this node next signs a set again because its
	// signatures near their expiration, even if nothing changed. It is
	// the node's earliest over all its signed zones (the snapshot keeps
	// one time), so with several signed zones it may be another's.
	ResignAt time.Time `json:"resign_at,omitzero"`
}

// ZoneKey is one DNSKEY of a signed zone.
type ZoneKey struct {
	Tag       uint16 `json:"tag"`
	Algorithm string `json:"algorithm"`
	// SEP keys (flags 257) sign the DNSKEY set; the parent's DS points at them.
	SEP bool `json:"sep"`
}

// ZoneTransfer is how secondaries follow a transferred zone on this node.
// It names TSIG keys, never their secrets.
type ZoneTransfer struct {
	// Allow are the transfer rules (zones[].transfer.allow) this node
	// applies. A rule naming a key this node lacks in dns.tsig_keys allows
	// nothing here: it lists that key in MissingKeys.
	Allow []TransferRule `json:"allow"`
	// Notify are the secondaries this node sends NOTIFY to.
	Notify []NotifyStatus `json:"notify,omitempty"`
	// Journal is what a secondary can ask IXFR from.
	Journal JournalStatus `json:"journal"`
}

// TransferRule is one allow rule: a request must come from one of
// Addresses (when set) and be signed with one of Keys (when set).
type TransferRule struct {
	Addresses []string `json:"addresses,omitempty"`
	Keys      []string `json:"keys,omitempty"`
	// MissingKeys are Keys this node has no secret for: the rule allows
	// nothing here until dns.tsig_keys holds them.
	MissingKeys []string `json:"missing_keys,omitempty"`
}

// The outcomes of a NOTIFY, in NotifyStatus.Result.
const (
	NotifyAcknowledged = "acknowledged" // the secondary answered NOERROR
	NotifyRejected     = "rejected"     // it answered with an error: its ACL refuses this node
	NotifyUnanswered   = "unanswered"   // it never answered, after every retry
	NotifyNone         = "none"         // not sent yet since this node started
)

// NotifyStatus is one secondary told of each new serial, and how the last
// NOTIFY this node sent it went.
type NotifyStatus struct {
	// Address is the secondary's ip:port; Key the TSIG key NOTIFY is
	// signed with ("" unsigned).
	Address string `json:"address"`
	Key     string `json:"key,omitempty"`
	// Result is one of the Notify constants; Serial and At are those of
	// the last NOTIFY that ended (zero with NotifyNone), Rcode the
	// secondary's answer when it was rejected.
	Result string    `json:"result"`
	Serial uint32    `json:"serial,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Rcode  string    `json:"rcode,omitempty"`
}

// Failing reports whether the secondary's last NOTIFY went wrong.
func (n NotifyStatus) Failing() bool {
	return n.Result == NotifyRejected || n.Result == NotifyUnanswered
}

// JournalStatus is a transferred zone's journal: the versions IXFR can
// start from, Oldest to Newest (Newest is the serial served); a secondary
// holding an older serial gets the whole zone (AXFR).
type JournalStatus struct {
	Versions int    `json:"versions"`
	Oldest   uint32 `json:"oldest"`
	Newest   uint32 `json:"newest"`
	Bytes    int    `json:"bytes"`
}

// Zones is GET /api/v1/zones.
func (c *Client) Zones(ctx context.Context) ([]ZoneStatus, error) {
	var out struct{ Zones []ZoneStatus }
	err := c.do(ctx, http.MethodGet, "zones", nil, nil, nil, &out)
	return out.Zones, err
}
