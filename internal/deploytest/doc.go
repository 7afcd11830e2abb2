// Package deploytest holds the monitoring artifacts in deploy/ to the
// metrics that exist. The Prometheus alert rules (deploy/prometheus) and the
// Grafana dashboard (deploy/grafana) name metrics as plain strings that no
// compiler checks; these tests fail when either refers to a metric
// internal/metrics does not register, when a rule or its unit tests break
// under promtool, or when the dashboard stops being a well-formed Grafana
// dashboard. The package has no code of its own, only tests.
package deploytest
