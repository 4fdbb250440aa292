//! A compact open-addressing hash table from 64-bit feature keys to feature indices.
//!
//! Keys are already well-mixed hashes, so the table uses their low bits directly: one probe in
//! the common case and no per-lookup hashing, which keeps the scoring loop fast.

const EMPTY: u32 = u32::MAX;

/// Maps feature keys to dense feature indices.
#[derive(Debug, Clone, Default)]
pub struct FeatureTable {
    /// Key and value side by side, so that a probe touches one cache line.
    slots: Vec<(u64, u32)>,
    mask: usize,
    len: usize,
}

impl FeatureTable {
    /// Builds the table so that `keys[i]` maps to `i`. Later duplicates are ignored.
    pub fn from_keys(keys: &[u64]) -> Self {
        let capacity = (keys.len() * 2).next_power_of_two().max(16);
        let mut table = FeatureTable {
            slots: vec![(0, EMPTY); capacity],
            mask: capacity - 1,
            len: 0,
        };
        for (index, &key) in keys.iter().enumerate() {
            table.insert(key, index as u32);
        }
        table
    }

    /// Inserts `key → value` unless `key` is already in (the table must have a free slot).
    fn insert(&mut self, key: u64, value: u32) {
        let mut slot = (key as usize) & self.mask;
        loop {
            let (k, v) = self.slots[slot];
            if v == EMPTY {
                self.slots[slot] = (key, value);
                self.len += 1;
                return;
            }
            if k == key {
                return;
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// Inserts `key → value` unless `key` is already in, doubling the table (kept at most half
    /// full) when needed: for tables filled as they are used, such as the scorer's word cache.
    pub fn insert_growing(&mut self, key: u64, value: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            let capacity = (old.len() * 2).max(1024);
            self.slots = vec![(0, EMPTY); capacity];
            self.mask = capacity - 1;
            self.len = 0;
            for (k, v) in old {
                if v != EMPTY {
                    self.insert(k, v);
                }
            }
        }
        self.insert(key, value);
    }

    /// Every key and its value, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.slots.iter().copied().filter(|&(_, v)| v != EMPTY)
    }

    /// Empties the table (keeping nothing allocated).
    pub fn clear(&mut self) {
        *self = FeatureTable::default();
    }

    /// Asks the CPU to start loading the slot of `key`, for a lookup shortly after.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if self.slots.is_empty() {
            return;
        }
        let slot = (key as usize) & self.mask;
        #[cfg(target_arch = "x86_64")]
        // SAFETY: prefetching is a hint; `slot` is within the table.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(slot).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// The index of `key`, if it is in the table.
    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mut slot = (key as usize) & self.mask;
        loop {
            let (k, value) = self.slots[slot];
            if value == EMPTY {
                return None;
            }
            if k == key {
                return Some(value);
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_rejects_others() {
        let keys: Vec<u64> = (0..1000u64)
            .map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let table = FeatureTable::from_keys(&keys);
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some(i as u32));
        }
        assert_eq!(table.get(12345), None);
        // Colliding low bits still resolve.
        let table = FeatureTable::from_keys(&[16, 32, 48]);
        assert_eq!(table.get(48), Some(2));
        assert_eq!(table.get(64), None);
    }

    #[test]
    fn a_growing_table_keeps_every_key_and_the_first_value() {
        let mut table = FeatureTable::default();
        assert_eq!(table.get(7), None);
        for i in 0..5000u64 {
            table.insert_growing(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i as u32);
        }
        table.insert_growing(0, 99);
        for i in 0..5000u64 {
            assert_eq!(
                table.get(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                Some(i as u32)
            );
        }
        table.clear();
        assert_eq!(table.get(0), None);
    }
}
