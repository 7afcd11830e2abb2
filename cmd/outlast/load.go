package main

import (
	"outlast/internal/config"
	"outlast/internal/zone"
)

// loadConfig reads a node's configuration file as the node does: config
// checks the file, then zone.Check parses the zones' records, which config
// cannot (it links no DNS library), and fills what a zone file gives (its
// nameservers, say). Every command that reads a node's file uses it, so
// none sees a zone without the nameservers its file names.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := zone.Check(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}
