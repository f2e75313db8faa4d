//! Performing an action on the target through the one driver
//! ([`crate::conform::drive`]), and what the oracle observes of its answer.

use super::observe::{Obs, ObsOk, model_state};
use super::replay::Replay;
use crate::conform::drive::{Performed, TargetTime};
use kms_lifecycle_model as model;
use model::Action;

/// How far the target's clock may be from the oracle's estimate without
/// clock control, seconds: ValidTo in the past and beyond 365 days are kept
/// this far clear of the edge.
const CLOCK_SLACK: u64 = 600;

impl Replay {
    /// Performs `a` on the target and observes its answer.
    pub(super) fn perform(&mut self, a: &Action) -> Obs {
        let at = TargetTime {
            now: self.time.at(self.states[0].now),
            slack: if self.clock { 0 } else { CLOCK_SLACK },
        };
        let done = self.drive.perform(&mut *self.api, a, at)?;
        Ok(match done {
            Performed::Key {
                index,
                first_seen,
                metadata,
            } => {
                if first_seen && *a == Action::UseManagedAlias {
                    let earlier = self.missing.borrow().tainted(&metadata.key_id);
                    self.retire_if_preexisting(a, Some(metadata.creation_date.0), earlier);
                }
                ObsOk::Key(index, model_state(metadata.key_state))
            }
            Performed::Encrypted { key, .. } => ObsOk::Encrypted(key),
            Performed::Decrypted {
                key,
                same_plaintext,
            } => ObsOk::Decrypted(key, same_plaintext),
            Performed::Status(s) => ObsOk::Status(s),
            Performed::Scheduled(s) => ObsOk::Scheduled(s),
            Performed::Params(p) => ObsOk::Params(p.parameters_valid_to.0),
            Performed::Policy(p) => ObsOk::Policy(p),
            Performed::PolicyNames(r) => ObsOk::PolicyNames(r.policy_names),
            Performed::Plain => ObsOk::Plain,
        })
    }
}
