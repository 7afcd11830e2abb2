// Package balance owns the proxy's per-request choice of upstream endpoint:
// a weighted random pick, scaled by a slow-start ramp, among the candidates
// the caller's hook leaves (the proxy's hook leaves out ejected endpoints,
// those already tried and, for a retry, their failure domains; its tiers
// and retry rule are in internal/proxy).
//
// It is pure, like packages health and steer: no IO, no logging, no clock and
// no global random source. The time and the random draw are arguments, so a
// test replays any sequence of picks exactly.
//
// Why:
//
//   - A region that comes back must not get all of its traffic back at once.
//     Its caches are cold, its autoscaling has shrunk and the fault may not
//     be gone; a full share at once can knock it over again and flap. So an
//     endpoint's share grows over a window after it comes back up, as
//     Envoy's slow_start_config and HAProxy's slowstart do (see Ramp).
//
// Rules:
//
//   - Each candidate's effective weight is Weight × Ramp factor. The factor
//     is 1 outside the slow-start window, so with slow start off the pick is
//     plain weighted random.
//   - Weight 0 means "no traffic while others are up", as in the DNS
//     weighted policy (package steer): among the candidates still eligible
//     for a pick, those of weight 0 take nothing while any of weight > 0 is
//     eligible; when only weight-0 candidates are eligible they share the
//     traffic evenly (each counts as weight 1, still scaled by its ramp).
//     Eligible means: not excluded by the caller's hook.
//   - The ramp starts from UpSince, the moment the agreed state saw the
//     endpoint come back up, not the moment this node noticed, so every
//     node ramps alike. A zero UpSince means up since before anyone
//     remembers: factor 1.
//   - Slow start shapes relative shares; it cannot hold traffic back when
//     the ramping endpoint is the only one eligible: it then gets all of it.
//
// A Picker is immutable once built: the proxy builds one per tier from each
// new agreed state (weights and UpSince change only there) and swaps it in.
package balance
