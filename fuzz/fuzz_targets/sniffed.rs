#![no_main]
//! Fuzz target `sniffed`: see `moderato::harness`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    moderato::harness::run_target("sniffed", data);
});
