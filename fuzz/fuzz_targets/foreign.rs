#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kms_lifecycle::testing::fuzzing::foreign(data);
});
