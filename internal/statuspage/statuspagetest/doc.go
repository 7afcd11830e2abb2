// Package statuspagetest drives the status page in a headless Chromium for
// tests: the status page's own test with a fake backend, and the node's with
// a real cluster. It finds the browser (a test skips, saying so, without
// one), waits for a matrix cell, a verdict, a target hostname, a name's
// answer for a client area or a service's primary and epoch to show a
// state, tells whether the page was reloaded meanwhile, and saves
// screenshots.
package statuspagetest
