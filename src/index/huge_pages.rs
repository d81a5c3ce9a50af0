//! Transparent huge pages for the big arrays a graph walk reads at random.
//!
//! A search touches a few thousand rows scattered over the whole row store (51 MB for issue 5's
//! 100k × 128 `f32`s): with 4 KiB pages nearly every row costs a TLB miss and a page walk besides
//! its cache misses. Linux backs a range with 2 MiB pages when the range is advised
//! (`MADV_HUGEPAGE`) and the system's THP mode is `always` or `madvise` (the usual default);
//! elsewhere [`advise`] does nothing. Pages are only backed as huge when they are first written,
//! so the element buffer of dense rows and multivector arenas
//! ([`crate::index::element::Elements`]) advises itself each time it grows, before the rest of
//! the new capacity is written; a graph's layer 0 is advised when it is allocated.

/// Advises the kernel to back the allocated capacity of `buffer` with huge pages (a hint: it
/// changes no data and nothing fails if it is not taken). Only the whole 2 MiB pages inside the
/// allocation are advised; buffers smaller than 4 MiB are left alone.
pub fn advise<T>(buffer: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = buffer.capacity() * std::mem::size_of::<T>();
        if bytes < 2 * HUGE {
            return;
        }
        let start = buffer.as_ptr() as usize;
        let (from, to) = (start.next_multiple_of(HUGE), (start + bytes) / HUGE * HUGE);
        if from < to {
            // SAFETY: madvise with MADV_HUGEPAGE only changes how the kernel backs pages of
            // this process's own mapping; the range lies inside the live allocation of
            // `buffer`, and the advice neither moves, frees nor alters its contents.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}
