// Package zone turns a configured zone's static records (config.Zone's
// Records and the text of its File) into DNS records, and checks them
// against the rest of the configuration: records outside their zone, a
// CNAME beside other data, a steered service below a delegation. It is
// pure: config.Load reads the files, this package only parses text.
//
// Rules, in short (docs/configuration.md has them for users):
//   - Names are kept as written (an answer shows the owner's case as the
//     file wrote it) but compared without regard to case, as DNS does.
//   - outlast owns the apex SOA and NS: the file's apex SOA is dropped (the
//     serial is the configuration's version) and its apex NS set fills the
//     zone's ns when the configuration has none; when both exist they must
//     agree. Records returns neither, since they come from the config.
//   - A steered service may share its name with records: its answers replace
//     the records of its own type (A or AAAA) there; other types stay. A
//     CNAME at a service's name is an error, as is a service at or below a
//     delegation (an NS set below the apex).
//   - $INCLUDE is refused: the text is replicated to every node, so it must
//     hold its records itself.
package zone
