//! The `check` and `explore` commands.
pub fn check_main(_args: &[String]) -> i32 {
    0
}
pub fn explore_main(_args: &[String]) -> i32 {
    0
}
