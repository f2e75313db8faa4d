//! Every feature configuration reaches what it claims, every property holds
//! there, and a claim is not found where its feature is made unreachable.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::Rules;
use kms_lifecycle_model::checker::{LifecycleModel, RunReport, run};
use kms_lifecycle_model::features::{Feature, configurations};

fn check(m: &LifecycleModel) -> RunReport {
    run(m, 1, true, None, &mut |_, _, _| {})
}

#[test]
fn every_feature_configuration_reaches_its_claims_and_every_property_holds() {
    let mut claimed = Vec::new();
    for rules in [Rules::classic(), Rules::current()] {
        for (name, m) in configurations(rules) {
            let r = check(&m);
            let bad: Vec<_> = r
                .verdicts
                .iter()
                .filter(|v| !v.2)
                .map(|v| v.0.clone())
                .collect();
            assert!(r.ok(), "{name} ({}): {bad:?}", rules.name());
            assert_eq!(
                r.verdicts
                    .iter()
                    .filter(|v| v.0.starts_with("sometimes feature:"))
                    .count(),
                m.claims.len()
            );
            claimed.extend(m.claims.iter().copied());
        }
    }
    for f in Feature::ALL {
        assert!(claimed.contains(&f), "no configuration claims {f:?}");
    }
}

#[test]
fn a_claim_is_not_found_where_its_feature_cannot_happen() {
    let (_, mut m) = configurations(Rules::current())
        .into_iter()
        .find(|(n, _)| *n == "managed")
        .unwrap();
    m.managed = false;
    let r = check(&m);
    assert!(!r.ok());
    let v = r
        .verdicts
        .iter()
        .find(|v| v.0.contains("AWS managed key rotated"))
        .unwrap();
    assert!(!v.2, "found without a managed key");
    let (_, mut m) = configurations(Rules::current())
        .into_iter()
        .find(|(n, _)| *n == "import-history")
        .unwrap();
    m.max_ticks = 3;
    assert!(
        !check(&m).ok(),
        "expire-reimport-expire needs four clock steps"
    );
}
