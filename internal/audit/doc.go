// Package audit answers the seed's headline question before an outage does:
// how many eggs are in one basket. Given a deployment (services and their
// endpoints, the zones' nameservers, the outlast nodes, and optionally who
// really owns each address), it works out what the loss of each single
// provider or region, and of each pair of them, does to every service, and
// checks that outlast itself does not share the basket: Raft quorum, the
// health vote, the nameservers' spread and the recovery objective.
//
// The package is pure: no IO, no clock, no logging. The command line
// gathers the facts (a config file or a running cluster's API, live DNS,
// providers' IP-range files) and renders the Report.
package audit
