//! The two rule sets of spec §1, as data: the model crate's [`Rules`], used
//! as is (one vocabulary: the reference and the model cannot disagree on a
//! rule, because there is one value).
//!
//! `classic` is the behaviour of the course; `current` is AWS KMS in 2026. No
//! code tests which preset is in use: every difference is a field of
//! [`Rules`]. The wrapping key specs and algorithms GetParametersForImport
//! accepts follow from three of its fields ([`wrapping_key_specs`],
//! [`wrapping_algorithms`]).

use crate::api::{WrappingAlgorithm, WrappingKeySpec};
pub use kms_lifecycle_model::Rules;

/// The wrapping key specs `rules` accepts, in the order error messages list
/// them: RSA_2048, and RSA_3072 and RSA_4096 where
/// [`Rules::large_wrapping_keys`].
pub fn wrapping_key_specs(rules: &Rules) -> &'static [WrappingKeySpec] {
    use WrappingKeySpec as S;
    if rules.large_wrapping_keys {
        &[S::Rsa2048, S::Rsa3072, S::Rsa4096]
    } else {
        &[S::Rsa2048]
    }
}

/// The wrapping algorithms `rules` accepts, in the order error messages list
/// them: the two RSAES_OAEP ones, RSAES_PKCS1_V1_5 where
/// [`Rules::pkcs1_v15_allowed`], and the two RSA_AES_KEY_WRAP ones where
/// [`Rules::aes_key_wrap_algorithms`].
pub fn wrapping_algorithms(rules: &Rules) -> &'static [WrappingAlgorithm] {
    use WrappingAlgorithm as A;
    match (rules.pkcs1_v15_allowed, rules.aes_key_wrap_algorithms) {
        (false, false) => &[A::RsaesOaepSha256, A::RsaesOaepSha1],
        (true, false) => &[A::RsaesOaepSha256, A::RsaesOaepSha1, A::RsaesPkcs1V15],
        (false, true) => &[
            A::RsaesOaepSha256,
            A::RsaesOaepSha1,
            A::RsaAesKeyWrapSha256,
            A::RsaAesKeyWrapSha1,
        ],
        (true, true) => &[
            A::RsaesOaepSha256,
            A::RsaesOaepSha1,
            A::RsaesPkcs1V15,
            A::RsaAesKeyWrapSha256,
            A::RsaAesKeyWrapSha1,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presets_accept_what_aws_documents() {
        use WrappingAlgorithm as A;
        use WrappingKeySpec as S;
        // The course: RSA_2048 only, and PKCS#1 v1.5 still accepted.
        assert_eq!(wrapping_key_specs(&Rules::classic()), &[S::Rsa2048]);
        assert_eq!(
            wrapping_algorithms(&Rules::classic()),
            &[A::RsaesOaepSha256, A::RsaesOaepSha1, A::RsaesPkcs1V15]
        );
        // AWS in 2026: three RSA sizes, the AES key wrap algorithms, no PKCS#1 v1.5.
        assert_eq!(
            wrapping_key_specs(&Rules::current()),
            &[S::Rsa2048, S::Rsa3072, S::Rsa4096]
        );
        assert_eq!(
            wrapping_algorithms(&Rules::current()),
            &[
                A::RsaesOaepSha256,
                A::RsaesOaepSha1,
                A::RsaAesKeyWrapSha256,
                A::RsaAesKeyWrapSha1
            ]
        );
    }
}
