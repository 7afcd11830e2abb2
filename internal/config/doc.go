// Package config reads outlast's YAML configuration strictly, fills in the
// documented defaults and validates it. Every problem found is reported with
// the file, line and field path it concerns, and all of them at once, so an
// operator fixes a file in one pass. Config is pure: it does no network IO.
package config
