//! A Bloom filter over 64-bit identifier keys: which keys a table *may* hold. A claim of a new
//! identifier (the common case) then costs no look-up in a B-tree that no longer fits in the
//! page cache; a key the filter may hold is looked up as before, so answers never change.
//!
//! Identifier keys are the first 64 bits of a SHA-256 digest: uniformly random already, so the
//! probe positions are taken from the key's own bits (double hashing), with no hash function.

/// Bits per key at capacity, and probes per key: about 5 % false positives when full (a false
/// positive costs one look-up). By arithmetic: 10 million users of the benchmark's export
/// (every one an email, a third a phone, half a username: 18 million keys) cost 14–17 MB.
const BITS_PER_KEY: usize = 6;
const PROBES: u64 = 4;
/// The smallest filter (128 KiB), so a small journal does not rebuild it at every merge.
const MIN_CAPACITY: usize = 1 << 17;

pub(crate) struct KeyFilter {
    words: Vec<u64>,
    /// The number of bits (a multiple of 64, not a power of two: the filter is sized to its
    /// keys, not to the next power).
    bits: u64,
    count: usize,
    capacity: usize,
}

impl KeyFilter {
    /// An empty filter sized for `capacity` keys.
    pub(crate) fn with_capacity(capacity: usize) -> KeyFilter {
        let capacity = capacity.max(MIN_CAPACITY);
        let words = (capacity * BITS_PER_KEY).div_ceil(64);
        KeyFilter {
            words: vec![0; words],
            bits: words as u64 * 64,
            count: 0,
            capacity,
        }
    }

    /// A filter for `count` keys with room to grow by a quarter before it is rebuilt.
    pub(crate) fn for_keys(count: usize) -> KeyFilter {
        KeyFilter::with_capacity(count + count / 4)
    }

    fn probes(bits: u64, key: i64) -> impl Iterator<Item = u64> {
        let h1 = key as u64;
        let h2 = h1.rotate_left(32) | 1;
        // Each probe's 64 bits mapped onto 0..bits by a multiply (Lemire's reduction).
        (0..PROBES).map(move |i| {
            let h = h1.wrapping_add(i.wrapping_mul(h2));
            ((h as u128 * bits as u128) >> 64) as u64
        })
    }

    pub(crate) fn insert(&mut self, key: i64) {
        for bit in Self::probes(self.bits, key) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.count += 1;
    }

    /// False only when the key was never inserted.
    pub(crate) fn may_contain(&self, key: i64) -> bool {
        Self::probes(self.bits, key)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Whether `more` keys still fit at the intended error rate.
    pub(crate) fn has_room_for(&self, more: usize) -> bool {
        self.count + more <= self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> i64 {
        // Stand-ins for digest bits: a 64-bit mix of a counter.
        let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as i64
    }

    #[test]
    fn holds_every_inserted_key_and_few_others() {
        let mut f = KeyFilter::with_capacity(200_000);
        for i in 0..200_000 {
            f.insert(key(i));
        }
        assert!((0..200_000).all(|i| f.may_contain(key(i))));
        let false_positives = (1_000_000..1_100_000)
            .filter(|i| f.may_contain(key(*i)))
            .count();
        assert!(
            false_positives < 7_000,
            "{false_positives} false positives in 100 000"
        );
        assert!(!f.has_room_for(f.capacity));
        assert!(KeyFilter::with_capacity(10).has_room_for(MIN_CAPACITY));
    }
}
