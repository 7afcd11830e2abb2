// Package statuspage owns the status page every outlast node serves at "/":
// who this node is and whether it answers from stale state, the cluster's
// leader and members, a per-provider summary, a health matrix per service
// (endpoints grouped by region × vantage points, each cell the last check
// with its latency and age) beside the effective verdict and any override
// and, for a geo service, each client area's order of locations, the
// current DNS answers (a geo name's one per client area; a CNAME's
// targets; a mode other than healthy flagged and explained), what this
// node's resolver holds for the endpoints' target hostnames (a stale or
// unresolved one also gets a line in the summary and a mark beside its
// endpoint), for each service of policy primary its primary and epoch, a
// promotion waiting for on_promote, former primaries being fenced, what
// holds an automatic change (shown as an alert, in words), its rules and
// gates and the last run of each hook, the zones it serves (each one's
// serial, signing keys, next re-sign and DS, and its secondaries' last
// NOTIFY, a rejected or unanswered one shown as an alert, in words), and
// the latest events.
//
// The page is rendered on the server with html/template and carries all its
// CSS and JavaScript inline: it fetches nothing from anywhere else, so it
// keeps working while half the internet (and the provider's own status page)
// is broken. It is complete without JavaScript; with it, a few lines fetch
// the page's live region from FragmentPath every two seconds and swap it in,
// without reloading the page.
//
// The page applies no authentication itself. On a node whose status is not
// public, api.Handler.ProtectPage guards it and shows LoginPage, the page's
// login form in the same look, to a browser without a token; a session
// shows the page with a logout button.
package statuspage
