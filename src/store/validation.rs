//! Validation of request members shared by several operations.

use super::*;

pub(super) fn check_description(d: &str) -> KmsResult<()> {
    if d.chars().count() > 8192 {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192".into(),
        ));
    }
    Ok(())
}

pub(super) fn check_tags(tags: &[Tag]) -> KmsResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for t in tags {
        let n = t.tag_key.chars().count();
        if n == 0 || n > 128 {
            return Err(KmsError::ValidationException(
                "1 validation error detected: Value at 'tags.member.tagKey' failed to satisfy constraint: Member must have length between 1 and 128".into(),
            ));
        }
        if t.tag_value.chars().count() > 256 {
            return Err(KmsError::ValidationException(
                "1 validation error detected: Value at 'tags.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256".into(),
            ));
        }
        out.insert(t.tag_key.clone(), t.tag_value.clone());
    }
    Ok(out)
}

pub(super) fn check_plaintext(pt: &[u8]) -> KmsResult<()> {
    // The value itself is secret: never echo it.
    if pt.is_empty() {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    if pt.len() > 4096 {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096".into(),
        ));
    }
    Ok(())
}

pub(super) fn check_blob(field: &str, b: &[u8]) -> KmsResult<()> {
    if b.is_empty() || b.len() > 6144 {
        return Err(KmsError::ValidationException(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and 6144"
        )));
    }
    Ok(())
}

pub(super) fn check_context(ctx: &EncryptionContext) -> KmsResult<()> {
    let total: usize = ctx.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > 8192 {
        return Err(KmsError::ValidationException(
            "Encryption context must be at most 8192 bytes.".into(),
        ));
    }
    Ok(())
}

/// The algorithms of asymmetric keys are refused for symmetric keys.
pub(super) fn check_algorithm(member: &str, a: Option<EncryptionAlgorithm>) -> KmsResult<()> {
    match a {
        None | Some(EncryptionAlgorithm::SymmetricDefault) => Ok(()),
        Some(a) => Err(KmsError::validation(
            member,
            a,
            "Member must satisfy enum value set: [SYMMETRIC_DEFAULT]",
        )),
    }
}

/// Offset and page size of a List request.
pub(super) fn page(req: &ListRequest) -> KmsResult<(usize, usize)> {
    let limit = match req.limit {
        None => 100,
        Some(l) if (1..=1000).contains(&l) => l as usize,
        Some(l) => {
            return Err(KmsError::validation(
                "limit",
                l,
                "Member must have value between 1 and 1000",
            ));
        }
    };
    let start = match &req.marker {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            KmsError::ValidationException(format!("Invalid marker '{}'", m.escape_default()))
        })?,
    };
    Ok((start, limit))
}
