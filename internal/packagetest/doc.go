// Package packagetest installs the release's .deb on this machine and runs
// it as its package would: deploy/package builds it, dpkg installs it, the
// unit passes systemd-analyze verify and its exposure is measured, the
// binary serves DNS as the package's user with only CAP_NET_BIND_SERVICE
// and tells its readiness over NOTIFY_SOCKET, and dpkg --purge leaves the
// machine as it was. The package has no code of its own, only tests; they
// need root and dpkg and skip without them.
package packagetest
