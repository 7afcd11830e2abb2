package xfr

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/miekg/dns"

	"outlast/internal/zoneserial"
)

// Version is the whole zone as outlast answers it at one moment.
type Version struct {
	Serial  uint32
	Records []dns.RR // the zone's SOA first (with Serial), then every other record once
}

// The journal's default bounds.
const (
	// DefaultMaxVersions is how many versions a journal keeps, the newest
	// included (Knot keeps 20 changesets by default; outlast's changes are
	// small and frequent during an incident, so it keeps more).
	DefaultMaxVersions = 100
	// DefaultMaxBytes bounds the newest zone plus every kept step, in
	// uncompressed wire bytes (Knot's per-zone journal default is 100 MiB).
	DefaultMaxBytes = 64 << 20
)

// Limits bound a Journal's memory. A zero field takes its default.
type Limits struct {
	// MaxVersions is how many versions the journal can diff from, the newest
	// included: a secondary further behind gets the full zone (default 100,
	// minimum 1).
	MaxVersions int
	// MaxBytes bounds the uncompressed wire size of the newest zone plus all
	// kept steps (default 64 MiB). The oldest steps are dropped to stay under
	// it; a zone larger than MaxBytes on its own is refused.
	MaxBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxVersions <= 0 {
		l.MaxVersions = DefaultMaxVersions
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Errors returned by Journal.Add and the transfer builders.
var (
	ErrNoSOA          = errors.New("xfr: a version must start with the zone's SOA record, whose serial is the version's serial")
	ErrSecondSOA      = errors.New("xfr: a version holds exactly one SOA record, the first")
	ErrOutOfZone      = errors.New("xfr: a record lies outside the zone of the version's SOA")
	ErrZoneChanged    = errors.New("xfr: a version's SOA owner differs from the journal's zone; use one journal per zone")
	ErrSerialNotNewer = errors.New("xfr: serial is not greater than the newest version's in RFC 1982 arithmetic; derive it from replicated state so it only grows")
	ErrTooLarge       = errors.New("xfr: zone is larger than the journal's MaxBytes; raise the limit")
	ErrEmpty          = errors.New("xfr: the journal holds no version yet")
	ErrRecordTooLarge = errors.New("xfr: a record does not fit in one message of the given size")
)

// Journal holds the newest version of one zone and the steps from older
// versions to it, oldest first, within Limits. It is safe for concurrent use.
type Journal struct {
	limits Limits

	mu          sync.RWMutex
	latest      Version
	latestBytes int
	steps       []step // steps[i] leads from an older version to steps[i+1]'s start; the last ends at latest
	stepBytes   int
}

type step struct {
	diff  Diff
	bytes int
}

// NewJournal returns an empty journal bounded by l.
func NewJournal(l Limits) *Journal {
	return &Journal{limits: l.withDefaults()}
}

// checkShape checks the SOA-first contract of a version.
func checkShape(v Version) error {
	if len(v.Records) == 0 {
		return ErrNoSOA
	}
	soa, ok := v.Records[0].(*dns.SOA)
	if !ok || soa.Serial != v.Serial {
		return ErrNoSOA
	}
	for _, rr := range v.Records[1:] {
		if rr == nil {
			return fmt.Errorf("xfr: nil record in version %d", v.Serial)
		}
		if rr.Header().Rrtype == dns.TypeSOA {
			return ErrSecondSOA
		}
		if !dns.IsSubDomain(soa.Hdr.Name, rr.Header().Name) {
			return fmt.Errorf("%w: %s is not under %s", ErrOutOfZone, rr.Header().Name, soa.Hdr.Name)
		}
	}
	return nil
}

// Add makes v the newest version. It refuses a version whose serial is not
// greater than the newest one's (RFC 1982), one without a leading SOA
// carrying its serial, one with a second SOA or a record outside the zone,
// and one larger than MaxBytes; the journal is unchanged then. Duplicate
// records in v are dropped. The journal keeps v's records without copying
// them: the caller must not modify them afterwards.
func (j *Journal) Add(v Version) error {
	if err := checkShape(v); err != nil {
		return err
	}
	size := recordsLen(v.Records) // bounded before anything is allocated for v
	if size > j.limits.MaxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, j.limits.MaxBytes)
	}
	newKeys, err := keyAll(v.Records)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.checkNext(v); err != nil {
		return err
	}
	stored := Version{Serial: v.Serial, Records: make([]dns.RR, 0, len(newKeys)+1)}
	stored.Records = append(stored.Records, v.Records[0])
	for _, k := range newKeys {
		stored.Records = append(stored.Records, k.rr)
	}
	if j.latest.Records != nil {
		oldKeys, err := keyAll(j.latest.Records) // packed before, cannot fail
		if err != nil {
			return err
		}
		d := diffKeyed(j.latest.Records[0], v.Records[0], oldKeys, newKeys)
		s := step{diff: d, bytes: diffBytes(d)}
		j.steps = append(j.steps, s)
		j.stepBytes += s.bytes
	}
	j.latest, j.latestBytes = stored, recordsLen(stored.Records)
	j.trim()
	return nil
}

func (j *Journal) checkNext(v Version) error {
	if j.latest.Records == nil {
		return nil
	}
	if !zoneserial.Less(j.latest.Serial, v.Serial) {
		return fmt.Errorf("%w: newest %d, offered %d", ErrSerialNotNewer, j.latest.Serial, v.Serial)
	}
	oldApex := j.latest.Records[0].Header().Name
	newApex := v.Records[0].Header().Name
	if dns.CanonicalName(oldApex) != dns.CanonicalName(newApex) {
		return fmt.Errorf("%w: journal %s, version %s", ErrZoneChanged, oldApex, newApex)
	}
	return nil
}

// trim drops the oldest steps until the bounds hold, and every step whose
// start is no longer before the newest serial in RFC 1982 arithmetic (after
// a wrap-around), so that a serial names at most one kept version.
func (j *Journal) trim() {
	drop := 0
	for i, s := range j.steps {
		if !zoneserial.Less(s.diff.From(), j.latest.Serial) {
			drop = i + 1
		}
	}
	for len(j.steps)-drop > j.limits.MaxVersions-1 {
		drop++
	}
	bytes := j.stepBytes
	for i := 0; i < drop; i++ {
		bytes -= j.steps[i].bytes
	}
	for drop < len(j.steps) && j.latestBytes+bytes > j.limits.MaxBytes {
		bytes -= j.steps[drop].bytes
		drop++
	}
	j.steps = slices.Delete(j.steps, 0, drop)
	j.stepBytes = bytes
}

// Latest returns the newest version; its Records are nil when the journal
// is empty. The records are shared and must not be modified.
func (j *Journal) Latest() Version {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.latest
}

// Diff returns the steps from the version with serial from to the newest,
// oldest first. ok is false when the journal holds no such version (from is
// older than the journal reaches, or unknown, or the journal is empty): the
// server then answers with the full zone. When from is the newest serial,
// or ahead of it, Diff returns no steps and ok true: RFC 1995 §2 answers such
// a request with the single current SOA.
func (j *Journal) Diff(from uint32) (diffs []Diff, ok bool) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.diffLocked(from)
}

func (j *Journal) diffLocked(from uint32) ([]Diff, bool) {
	if j.latest.Records == nil {
		return nil, false
	}
	if from == j.latest.Serial || zoneserial.Less(j.latest.Serial, from) {
		return nil, true
	}
	for i, s := range j.steps {
		if s.diff.From() == from {
			out := make([]Diff, 0, len(j.steps)-i)
			for _, s := range j.steps[i:] {
				out = append(out, s.diff)
			}
			return out, true
		}
	}
	return nil, false
}

// Stats describes what a journal holds, for metrics and tests.
type Stats struct {
	Versions int    // versions Diff can start from, the newest included (0 when empty)
	Bytes    int    // uncompressed wire bytes of the newest zone and all kept steps
	Oldest   uint32 // the oldest serial Diff can start from
	Newest   uint32
}

// Stats returns the journal's current size.
func (j *Journal) Stats() Stats {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.latest.Records == nil {
		return Stats{}
	}
	st := Stats{Versions: len(j.steps) + 1, Bytes: j.latestBytes + j.stepBytes, Oldest: j.latest.Serial, Newest: j.latest.Serial}
	if len(j.steps) > 0 {
		st.Oldest = j.steps[0].diff.From()
	}
	return st
}

// AddIfChanged adds v unless it holds exactly the newest version's records
// (its SOA included, serial and all), and reports whether it added it. It
// is what a node calls after each new snapshot: most snapshots change
// another zone, or nothing a secondary sees, and need no new version and
// no NOTIFY. A version with other records but the newest serial is refused
// with ErrSerialNotNewer, as by Add: the serial did not follow the change.
func (j *Journal) AddIfChanged(v Version) (added bool, err error) {
	if err := checkShape(v); err != nil {
		return false, err
	}
	if same, err := j.holds(v); err != nil || same {
		return false, err
	}
	if err := j.Add(v); err != nil {
		return false, err
	}
	return true, nil
}

// holds reports whether the newest version has exactly v's records.
func (j *Journal) holds(v Version) (bool, error) {
	latest := j.Latest()
	if latest.Records == nil || latest.Serial != v.Serial {
		return false, nil
	}
	oldSOA, err := recordKey(latest.Records[0])
	if err != nil {
		return false, err
	}
	newSOA, err := recordKey(v.Records[0])
	if err != nil || oldSOA != newSOA {
		return false, err
	}
	d, err := Compute(latest, v)
	if err != nil {
		return false, err
	}
	return len(d.Deleted) == 1 && len(d.Added) == 1, nil
}
