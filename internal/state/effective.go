package state

import "outlast/internal/config"

// EffectiveConfig is the configuration a node runs (and the API's
// Backend.Config): its own file (local) until the cluster agreed on a
// configuration, then the file's local parts (node, listeners, cluster)
// with the agreed replicated part and its hash. The node and the API's
// test double both call it, so what a test shows cannot drift from what
// the node runs.
func EffectiveConfig(local *config.Config, st *State) *config.Config {
	if st == nil || st.Config == nil {
		return local
	}
	cfg := local.WithShared(st.Config.Shared)
	cfg.Hash = st.Config.Hash
	return cfg
}
