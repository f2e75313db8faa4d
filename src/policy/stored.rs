//! A key policy as the store keeps it: parsed once, when it is set.

use super::Document;
use crate::error::KmsError;
use std::sync::Arc;

/// A key policy: its text byte for byte (GetKeyPolicy returns it) and its
/// document, parsed when CreateKey, PutKeyPolicy or the store set it, so that
/// authorizing a call reads the document instead of parsing the text again.
/// Cloning shares the document (`Kms::fork` copies every key).
#[derive(Clone, Debug)]
pub(crate) struct StoredPolicy {
    text: Box<str>,
    document: Arc<Document>,
}

impl StoredPolicy {
    /// Parses `text` ([`Document::parse`], with its AWS errors).
    pub(crate) fn parse(text: &str) -> Result<Self, KmsError> {
        let document = Document::parse(text)?;
        Ok(Self {
            text: text.into(),
            document: Arc::new(document),
        })
    }

    /// The text as it was set.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The parsed document.
    pub(crate) fn document(&self) -> &Document {
        &self.document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_text_byte_for_byte_and_its_parse() {
        let text = "{ \"Version\":\"2012-10-17\", \"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}] }";
        let p = StoredPolicy::parse(text).unwrap();
        assert_eq!(p.text(), text);
        assert_eq!(p.document(), &Document::parse(text).unwrap());
        assert_eq!(
            StoredPolicy::parse("{").unwrap_err().name(),
            "MalformedPolicyDocumentException"
        );
    }
}
