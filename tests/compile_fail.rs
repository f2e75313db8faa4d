//! Illegal lifecycle steps do not compile (issue 2, item 2): each program in
//! `tests/ui/` uses the typestate API in a way spec §3 forbids, and its
//! expected compiler message is committed next to it.

#[test]
fn illegal_lifecycle_steps_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
