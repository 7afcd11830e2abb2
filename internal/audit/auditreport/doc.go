// Package auditreport renders an audit.Report for people. Text is the
// terminal report: the matrix as tables, the findings that matter in full
// and the verdict against --fail-on. HTML is one self-contained page: a
// header with the verdict, the picture (a matrix of failure domains ×
// services coloured by impact, with outlast's own quorum, vote and
// nameservers beside it) and the findings, worst first, each with why it
// matters and what to change.
//
// The page must open offline, be attached to a ticket and read years later,
// so it references nothing outside itself: inline CSS, no script, no font.
// Colour never carries meaning alone: every cell and badge also says it in
// a word and a symbol.
package auditreport
