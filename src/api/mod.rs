//! Request and response types of the AWS KMS JSON 1.1 protocol.
//!
//! Field names are AWS's (PascalCase on the wire); blobs are base64 strings;
//! timestamps are epoch seconds. Plaintext and data keys are [`SecretBlob`]s:
//! zeroized on drop and redacted in `Debug`.
//!
//! The types are grouped by operation family: the wire values ([`Blob`],
//! [`SecretBlob`], [`Timestamp`]) in `primitives`, the enumerations in
//! `enums`, then `keys` (CreateKey, DescribeKey, ListKeys, tags, deletion),
//! `crypto` (Encrypt, Decrypt, ReEncrypt, GenerateDataKey), `rotation`,
//! `import`, `aliases` and `policy`. Everything is re-exported here.

mod aliases;
mod crypto;
mod enums;
mod import;
mod keys;
mod policy;
mod primitives;
mod rotation;

pub use aliases::*;
pub use crypto::*;
pub use enums::*;
pub use import::*;
pub use keys::*;
pub use policy::*;
pub use primitives::*;
pub use rotation::*;
