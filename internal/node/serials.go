package node

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/zoneserial"
)

// serialsFile keeps, in cluster.data_dir, the last serial this node gave
// each transferred zone. The Raft index alone would do, but a zone whose
// content changed without a new entry (a hostname target resolved anew)
// was given the last serial plus one, past configured plus index; a node
// that restarts must not number from the index again below it.
const serialsFile = "zone-serials.json"

// maxSerialsFile bounds what is read back: one serial per zone.
const maxSerialsFile = 1 << 20

// zoneSerials numbers the transferred zones and remembers the last
// serials on disk. Only the answer loop uses it: no lock.
type zoneSerials struct {
	numberer zoneserial.Numberer
	loaded   bool
	saved    map[string]keptSerial
}

// keptSerial is a zone's last serial on disk, with its content's
// fingerprint (hex), so the same content keeps its serial after a restart.
type keptSerial struct {
	Serial      uint32 `json:"serial"`
	Fingerprint string `json:"fingerprint"`
}

// transferSerials numbers the zones secondaries copy (zones[].transfer):
// see internal/zoneserial. Other zones keep dnsserver.Serial's numbering.
func (n *Node) transferSerials(cfg *config.Config, st *state.State, answers []model.Answer) map[string]uint32 {
	z := &n.serials
	if !z.loaded {
		z.loaded = true
		z.saved = n.loadSerials()
		for apex, k := range z.saved {
			var fp [32]byte
			_, _ = hex.Decode(fp[:], []byte(k.Fingerprint)) // a bad one only makes any content new
			z.numberer.Restore(apex, k.Serial, fp)
		}
	}
	var serials map[string]uint32
	for i := range cfg.Zones {
		zc := &cfg.Zones[i]
		if zc.Transfer == nil {
			continue
		}
		if serials == nil {
			serials = make(map[string]uint32)
		}
		fp := zoneserial.Fingerprint(zc.Apex, cfg.Hash, answers)
		serials[zc.Apex] = z.numberer.Serial(zc.Apex, zc.SOA.Serial, fp, st.Index)
	}
	z.numberer.Forget(func(apex string) bool { _, ok := serials[apex]; return ok })
	kept := make(map[string]keptSerial, len(serials))
	for apex := range serials {
		serial, fp, _ := z.numberer.Last(apex)
		kept[apex] = keptSerial{Serial: serial, Fingerprint: hex.EncodeToString(fp[:])}
	}
	if len(kept) > 0 && !maps.Equal(kept, z.saved) {
		n.log.Debug("zone serials", "serials", serials, "index", st.Index)
		n.saveSerials(kept)
		z.saved = kept
	}
	return serials
}

func (n *Node) serialsPath() string {
	if n.local.Cluster.DataDir == "" {
		return "" // refused by config for transferred zones; nothing to keep
	}
	return filepath.Join(n.local.Cluster.DataDir, serialsFile)
}

func (n *Node) loadSerials() map[string]keptSerial {
	path := n.serialsPath()
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		if !os.IsNotExist(err) {
			n.log.Error("zone serials not read: numbering from the Raft index", "path", path, "err", err)
		}
		return nil
	}
	defer f.Close()
	var serials map[string]keptSerial
	if err := json.NewDecoder(io.LimitReader(f, maxSerialsFile)).Decode(&serials); err != nil {
		n.log.Error("zone serials not read: numbering from the Raft index", "path", path, "err", err)
		return nil
	}
	return serials
}

// saveSerials writes the serials through a temporary file and a rename,
// so a crash leaves the old file or the new one, never half of one.
func (n *Node) saveSerials(serials map[string]keptSerial) {
	path := n.serialsPath()
	if path == "" {
		return
	}
	data, _ := json.Marshal(serials)
	tmp := path + ".tmp"
	err := os.MkdirAll(filepath.Dir(path), 0o700)
	if err == nil {
		err = os.WriteFile(tmp, data, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		n.log.Error("zone serials not saved: after a restart a serial may be given twice", "path", path, "err", err)
	}
}
