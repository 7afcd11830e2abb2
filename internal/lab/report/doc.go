// Package report renders a demo run (lab.Report) for people and machines:
// an aligned terminal table, indented JSON with the result model's own
// field names, and one self-contained HTML file with a timeline chart per
// scenario.
//
// The HTML report must open offline and years later, so it references
// nothing outside itself: the styles are inline and the charts are inline
// SVG whose geometry is computed here in Go by small pure helpers (scales,
// paths, label lanes) rather than by a charting script.
package report
