//! The Lambda functions' allocator, which each function binary opts into with
//! [`global_allocator!`](crate::global_allocator) in its `main.rs`.
//!
//! Why mimalloc: a page of items is thousands of small allocations (the SDK's attribute
//! maps, their strings), and with mimalloc a warm invocation's own time is about 10 % lower
//! than with glibc's malloc (docs/performance.md). Its `no_thp` build keeps transparent huge
//! pages off, which doubled peak RSS.
//!
//! Why in the binaries and not here: a `#[global_allocator]` in a library is the allocator
//! of everything that links it — xtask, the gateway, the tests and the benches too, none of
//! which were measured with it or need it. Only the function binaries were.

/// The crate the macro names, so a function needs no dependency of its own on it.
#[doc(hidden)]
pub use mimalloc;

/// Declares the functions' global allocator (mimalloc, see [`crate::allocator`]). Invoke it
/// once, at the top level of a function's `main.rs`:
///
/// ```ignore
/// portal_shared::global_allocator!();
/// ```
#[macro_export]
macro_rules! global_allocator {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::allocator::mimalloc::MiMalloc = $crate::allocator::mimalloc::MiMalloc;
    };
}
