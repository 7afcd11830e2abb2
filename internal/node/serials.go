package node

import (
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
	saved    map[string]uint32
}

// transferSerials numbers the zones secondaries copy (zones[].transfer):
// see internal/zoneserial. Other zones keep dnsserver.Serial's numbering.
func (n *Node) transferSerials(cfg *config.Config, st *state.State, answers []model.Answer) map[string]uint32 {
	z := &n.serials
	if !z.loaded {
		z.loaded = true
		z.saved = n.loadSerials()
		for apex, serial := range z.saved {
			z.numberer.Restore(apex, serial)
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
	if serials != nil && !maps.Equal(serials, z.saved) {
		n.saveSerials(serials)
		z.saved = serials
	}
	return serials
}

func (n *Node) serialsPath() string {
	if n.local.Cluster.DataDir == "" {
		return "" // refused by config for transferred zones; nothing to keep
	}
	return filepath.Join(n.local.Cluster.DataDir, serialsFile)
}

func (n *Node) loadSerials() map[string]uint32 {
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
	var serials map[string]uint32
	if err := json.NewDecoder(io.LimitReader(f, maxSerialsFile)).Decode(&serials); err != nil {
		n.log.Error("zone serials not read: numbering from the Raft index", "path", path, "err", err)
		return nil
	}
	return serials
}

// saveSerials writes the serials through a temporary file and a rename,
// so a crash leaves the old file or the new one, never half of one.
func (n *Node) saveSerials(serials map[string]uint32) {
	path := n.serialsPath()
	if path == "" {
		return
	}
	data, _ := json.Marshal(serials)
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, data, 0o600)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		n.log.Error("zone serials not saved: after a restart a serial may be given twice", "path", path, "err", err)
	}
}
