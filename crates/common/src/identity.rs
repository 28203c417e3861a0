//! Identity rules that do not depend on storage: input validation for users and organizations,
//! the password-hash record format, roles and what each may do.

use crate::crypto;
use crate::error::ApiError;

/// PBKDF2-HMAC-SHA256 iterations. 100 000 is the most the Workers runtime's WebCrypto accepts
/// (it refuses higher counts), and costs a few milliseconds of native CPU per sign-in.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;

/// Normalises and checks an email address: trimmed, lower-cased, one `@`, a dotted domain, no
/// spaces or control characters. Deliverability is not checked.
pub fn normalize_email(field: &str, raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_ascii_lowercase();
    let bad = |issue: &str| Err(ApiError::invalid_field(field, issue.to_string()));
    if email.is_empty() || email.len() > EMAIL_MAX {
        return bad("must be an email address of at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else { return bad("must contain @") };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return bad("is not a valid email address");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c)) {
        return bad("contains characters not allowed in an email address");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
        || !labels.iter().all(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return bad("has an invalid domain");
    }
    Ok(email)
}

/// Password policy: 10 to 128 characters, not a run of one character, not mostly the email's
/// local part, and not one of the most common passwords.
pub fn check_password(field: &str, password: &str, email: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    let weak = |issue: &str| Err(ApiError::invalid_field(field, issue.to_string()));
    if n < PASSWORD_MIN {
        return weak("must be at least 10 characters");
    }
    if n > PASSWORD_MAX {
        return weak("must be at most 128 characters");
    }
    let first = password.chars().next().unwrap_or_default();
    if password.chars().all(|c| c == first) {
        return weak("is a single repeated character");
    }
    let lower = password.to_lowercase();
    const COMMON: [&str; 12] = [
        "password123",
        "1234567890",
        "qwertyuiop",
        "password1234",
        "iloveyou123",
        "123456789a",
        "passw0rd123",
        "letmein1234",
        "welcome1234",
        "0123456789",
        "abcdefghij",
        "qwerty12345",
    ];
    if COMMON.contains(&lower.as_str()) {
        return weak("is too common");
    }
    if let Some((local, _)) = email.split_once('@') {
        if local.len() >= 4 && lower.contains(&local.to_lowercase()) {
            return weak("must not contain the email address");
        }
    }
    Ok(())
}

/// Trims and checks a display name (users, organizations, API keys).
pub fn check_name(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if name.chars().count() > max {
        return Err(ApiError::invalid_field(field, format!("must be at most {max} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(field, "must not contain control characters"));
    }
    Ok(name.to_string())
}

/// A URL-safe slug from a name: lower-case ASCII letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').chars().take(40).collect::<String>();
    if slug.is_empty() {
        "org".to_string()
    } else {
        slug
    }
}

/// A stored password hash: `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordRecord {
    pub fn encode(&self) -> String {
        format!(
            "pbkdf2-sha256${}${}${}",
            self.iterations,
            crypto::b64url(&self.salt),
            crypto::b64url(&self.hash)
        )
    }

    pub fn parse(s: &str) -> Option<PasswordRecord> {
        let mut parts = s.split('$');
        if parts.next()? != "pbkdf2-sha256" {
            return None;
        }
        let iterations = parts.next()?.parse().ok()?;
        let salt = crypto::b64url_decode(parts.next()?)?;
        let hash = crypto::b64url_decode(parts.next()?)?;
        if parts.next().is_some() || salt.len() < 16 || hash.len() != 32 {
            return None;
        }
        Some(PasswordRecord { iterations, salt, hash })
    }

    /// Whether `derived` (the KDF's output for the presented password) matches, in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        crypto::ct_eq(&self.hash, derived)
    }
}

/// Reference PBKDF2-HMAC-SHA256 (RFC 8018), one 32-byte block. The gateway derives with the
/// runtime's WebCrypto (native speed); this implementation checks the record format and test
/// vectors on the host.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = crypto::hmac_sha256(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = crypto::hmac_sha256(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// Roles inside an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

/// Things a member may try to do to an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the organization and its data.
    Read,
    /// Write the organization's data (products, interactions, …).
    WriteData,
    /// Rename the organization.
    Update,
    /// Create, list and revoke API keys.
    ManageKeys,
    /// Add, re-role and remove members.
    ManageMembers,
    /// Checkout, portal, cancel and resume.
    ManageBilling,
    /// Delete the organization.
    Delete,
}

pub fn allows(role: Role, action: Action) -> bool {
    match action {
        Action::Read | Action::WriteData => true,
        Action::Update | Action::ManageKeys | Action::ManageMembers | Action::ManageBilling => {
            role >= Role::Admin
        }
        Action::Delete => role == Role::Owner,
    }
}

/// Whether `actor` may give `target_new` to a member who has `target_old` (None when adding).
/// Admins manage members and admins; only owners create, demote or remove owners.
pub fn may_assign(actor: Role, target_old: Option<Role>, target_new: Option<Role>) -> bool {
    if !allows(actor, Action::ManageMembers) {
        return false;
    }
    let touches_owner = target_old == Some(Role::Owner) || target_new == Some(Role::Owner);
    !touches_owner || actor == Role::Owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalize_email("email", "  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "ada@x",
            "a b@x.com",
            "ada@x..com",
            "ada@-x.com",
            "a@b@c.com",
        ] {
            let e = normalize_email("email", bad).unwrap_err();
            assert_eq!(e.details["field"], "email", "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("password", "correct horse battery", "ada@x.com").is_ok());
        for bad in ["short", "aaaaaaaaaaaa", "Password123", "adalovelace99", &"x".repeat(129)] {
            assert!(check_password("password", bad, "adalovelace@x.com").is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_slugs() {
        assert_eq!(check_name("name", "  Acme  ", 10).unwrap(), "Acme");
        assert!(check_name("name", "   ", 10).is_err());
        assert!(check_name("name", "x\u{0}y", 10).is_err());
        assert!(check_name("name", "elevenchars", 10).is_err());
        assert_eq!(slugify("Acme Retail, Inc."), "acme-retail-inc");
        assert_eq!(slugify("***"), "org");
    }

    #[test]
    fn pbkdf2_matches_rfc7914_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, first 32 bytes.
        let out = pbkdf2_sha256(b"passwd", b"salt", 1);
        assert_eq!(
            crypto::hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn password_records_round_trip() {
        let rec = PasswordRecord {
            iterations: 1000,
            salt: vec![7; 16],
            hash: pbkdf2_sha256(b"pw", &[7; 16], 1000).to_vec(),
        };
        let parsed = PasswordRecord::parse(&rec.encode()).unwrap();
        assert_eq!(parsed, rec);
        assert!(parsed.matches(&pbkdf2_sha256(b"pw", &[7; 16], 1000)));
        assert!(!parsed.matches(&pbkdf2_sha256(b"pW", &[7; 16], 1000)));
        for bad in ["", "bcrypt$1$a$b", "pbkdf2-sha256$x$AAAA$AAAA", "pbkdf2-sha256$1$AA$AA"] {
            assert!(PasswordRecord::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn role_matrix() {
        use Role::*;
        assert!(!allows(Member, Action::ManageKeys));
        assert!(!allows(Member, Action::ManageMembers));
        assert!(!allows(Member, Action::Delete));
        assert!(allows(Admin, Action::ManageKeys));
        assert!(!allows(Admin, Action::Delete));
        assert!(allows(Owner, Action::Delete));
        assert!(may_assign(Admin, None, Some(Member)));
        assert!(may_assign(Admin, Some(Member), Some(Admin)));
        assert!(!may_assign(Admin, Some(Owner), Some(Member)));
        assert!(!may_assign(Admin, None, Some(Owner)));
        assert!(may_assign(Owner, Some(Owner), Some(Admin)));
        assert!(!may_assign(Member, None, Some(Member)));
    }
}
