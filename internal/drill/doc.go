// Package drill runs a traffic-shift drill against a live cluster: it forces
// one endpoint down through the operator API, measures how long the
// nameservers take to stop answering its addresses, removes the override,
// and measures how long they take to answer them again.
//
// The safety rule (Check) is pure: it reads the agreed health the API
// reports and refuses a drill that would leave a service with no healthy
// endpoint, or that would overwrite an operator's own override. Run does
// the IO: every write goes through wire.Client with an admin token (one
// auth model for every write, over https when the node serves it), and the
// shifts are measured with shiftwatch, whose package doc defines the times.
package drill
