//! Memory per idle key: a counting allocator measures the bytes the store
//! holds after creating 100,000 keys, the audit record of each creation
//! included. Prints `memory_per_idle_key_bytes N`.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle::api::CreateKeyRequest;
use kms_lifecycle::{Kms, Rules};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;
static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        HELD.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        HELD.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        HELD.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let n = 100_000;
    let (mut kms, _) = Kms::with_manual_clock(Rules::current(), 1_767_225_600);
    // Warm up the store's maps so that growth is included fairly.
    kms.create_key(CreateKeyRequest::default()).unwrap();
    let before = HELD.load(Ordering::Relaxed);
    for _ in 0..n {
        kms.create_key(CreateKeyRequest::default()).unwrap();
    }
    // Everything the store holds for these keys, including the audit record
    // of each CreateKey call (a compact record, rendered only when read).
    let held = HELD.load(Ordering::Relaxed) - before;
    println!("memory_per_idle_key_bytes {:.0}", held as f64 / n as f64);
    std::hint::black_box(&kms);
}
