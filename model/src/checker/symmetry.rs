//! Symmetry over key identities: states that differ only by a permutation of
//! interchangeable keys are explored once.

use super::*;

impl Representative for CheckState {
    fn representative(&self) -> Self {
        let n = self.s.keys.len();
        let mut order: Vec<usize> = (0..n).collect();
        // Ties between equal keys are broken by what names them (alias slots,
        // then ciphertexts), so that the representative is canonical: two
        // states equal up to a renaming of keys have the same representative,
        // and the unique state count does not depend on the exploration order.
        let named_by = |k: usize| {
            let k = k as u8;
            (
                self.s
                    .aliases
                    .iter()
                    .map(|a| *a == Some(k))
                    .collect::<Vec<_>>(),
                self.s
                    .ciphertexts
                    .iter()
                    .map(|c| c.key == k)
                    .collect::<Vec<_>>(),
            )
        };
        order.sort_by(|&a, &b| {
            self.s.keys[a]
                .cmp(&self.s.keys[b])
                .then_with(|| named_by(a).cmp(&named_by(b)))
        });
        // new_index[old] = position in the sorted order.
        let mut new_index = vec![0u8; n];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new as u8;
        }
        let keys: Vec<Key> = order.iter().map(|&i| self.s.keys[i].clone()).collect();
        let aliases = self
            .s
            .aliases
            .iter()
            .map(|a| a.map(|k| new_index[k as usize]))
            .collect();
        let ciphertexts = self
            .s
            .ciphertexts
            .iter()
            .map(|c| crate::Ciphertext {
                key: new_index[c.key as usize],
                ..*c
            })
            .collect();
        CheckState {
            s: State {
                now: self.s.now,
                keys,
                aliases,
                ciphertexts,
            },
            broken: self.broken,
            ticks: self.ticks,
            expired: self.expired,
        }
    }
}
