// Package balance owns the proxy's per-request choice of upstream endpoint:
// a weighted random pick, scaled by a slow-start ramp, that sends a retry to
// another failure domain.
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
//   - A retry must not go to the region that just failed. Failures are
//     correlated within a failure domain (a provider's region), so the retry
//     goes to another domain when one is left (see Picker.PickRetry).
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
//     Eligible means: not excluded by the caller's hook (ejected, drained,
//     down) and, for a retry, allowed by the retry tier.
//   - The ramp starts from UpSince, the moment the agreed state saw the
//     endpoint come back up, not the moment this node noticed, so every
//     node ramps alike. A zero UpSince means up since before anyone
//     remembers: factor 1.
//   - Slow start shapes relative shares; it cannot hold traffic back when
//     the ramping endpoint is the only one eligible: it then gets all of it.
//   - A retry prefers a candidate not yet tried in a failure domain not yet
//     tried (TierOtherDomain); if none is left, another untried candidate of
//     a tried domain (TierSameDomain); else none (TierNone). PickOtherDomain
//     is the strict form for a caller that would rather give up than retry
//     in the same domain.
//
// A Picker is immutable once built: the proxy builds one per service from
// each new agreed state (weights and UpSince change only there) and swaps it
// in; a request keeps the Picker it started with, because a Tried record
// holds that Picker's candidate indices.
package balance
