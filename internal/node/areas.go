package node

import (
	"fmt"
	"log/slog"
	"slices"

	"outlast/internal/config"
	"outlast/internal/dnsserver"
	"outlast/internal/geo"
	"outlast/internal/geo/geoip"
)

// areas keeps the table that sorts DNS clients into the configuration's
// areas: its geo.areas prefixes (topology, always first) and, when this
// node names one, its MaxMind database, reloaded when the file changes.
// Only the answer loop uses it (New calls it before the loop starts).
type areas struct {
	log   *slog.Logger
	key   string         // what the table was built from: the areas and the database path
	names []string       // index → area name
	watch *geoip.Watcher // nil without geoip.database
	db    *geoip.DB      // the database the table holds
	table *geo.Chain     // nil without areas
}

// static returns the table for cfg to hand to the DNS snapshot, rebuilt
// when the areas or the database changed. A database that fails to load
// the first time is an error; later, the last good one stays and the
// failure is logged once.
func (a *areas) static(cfg *config.Config, s *dnsserver.Static) error {
	if err := a.refresh(cfg); err != nil {
		return err
	}
	if a.table != nil {
		s.Areas, s.AreaNames = a.table, a.names
	}
	return nil
}

func (a *areas) refresh(cfg *config.Config) error {
	key := fmt.Sprintf("%v|%s", cfg.Geo.Areas, cfg.GeoIP.Database)
	rebuild := key != a.key
	if rebuild {
		a.names, a.watch, a.db = areaNames(cfg.Geo.Areas), nil, nil
		if cfg.GeoIP.Database != "" {
			a.watch = geoip.NewWatcher(cfg.GeoIP.Database, rules(cfg.Geo.Areas))
		}
	}
	if a.watch != nil {
		if _, err := a.watch.Check(); err != nil {
			if a.watch.DB() == nil {
				return fmt.Errorf("node: geoip.database: %w", err)
			}
			a.log.Error("geoip database not reloaded: answering from the last good one", "err", err)
		}
		if db := a.watch.DB(); db != a.db {
			a.db, rebuild = db, true
			a.log.Info("geoip database loaded", "path", db.Path, "type", db.Type, "built", db.Built,
				"networks", db.Networks, "matched", db.Matched, "entries", len(db.Entries))
		}
	}
	if !rebuild {
		return nil
	}
	table, err := a.build(cfg.Geo.Areas)
	if err != nil {
		return err
	}
	a.key, a.table = key, table
	return nil
}

// build joins the areas' prefixes and the database's entries.
func (a *areas) build(areas []config.Area) (*geo.Chain, error) {
	if len(areas) == 0 {
		return nil, nil
	}
	var topology []geo.Entry
	for i, ar := range areas {
		for _, p := range ar.Prefixes {
			topology = append(topology, geo.Entry{Prefix: p, Area: i})
		}
	}
	first, err := geo.NewTable(topology, a.names)
	if err != nil {
		return nil, fmt.Errorf("node: geo.areas: %w", err)
	}
	var db *geo.Table
	if a.db != nil {
		if db, err = geo.NewTable(a.db.Entries, a.names); err != nil {
			return nil, fmt.Errorf("node: geoip.database %s: %w", a.db.Path, err)
		}
	}
	return geo.NewChain(first, db)
}

func areaNames(areas []config.Area) []string {
	names := make([]string, len(areas))
	for i, a := range areas {
		names[i] = a.Name
	}
	return names
}

// rules say which database countries and continents each area takes.
func rules(areas []config.Area) []geoip.Rule {
	out := make([]geoip.Rule, 0, len(areas))
	for i, a := range areas {
		if len(a.Countries) > 0 || len(a.Continents) > 0 {
			out = append(out, geoip.Rule{Area: i, Countries: slices.Clone(a.Countries), Continents: slices.Clone(a.Continents)})
		}
	}
	return out
}
