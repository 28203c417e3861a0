//! Who is calling, and what they may do to an organization.
//!
//! Credentials, in order: the internal service key (`X-Internal-Key`, constant-time compared;
//! only then are `X-Organization-Id` / `X-User-Id` honoured), an API key (`Authorization: Bearer`
//! or `X-API-Key`), the Better Auth session cookie. A malformed or failing credential is a 401,
//! never a silent fall-back to anonymous.

use crow_common::credentials::{self, Presented};
use crow_common::crypto::{secret_eq, sha256_b64url};
use crow_common::identity::{allows, Action, Role};
use crow_common::ratelimit::{Policy, Tier};
use crow_common::ApiError;
use crow_edge::{header, now_ms};
use serde::Deserialize;
use worker::Request;

use crate::args;
use crate::config;
use crate::db::Db;
use crate::error::Result;
use crate::limits::Subject;
use crate::App;

/// Who the caller is.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A dashboard user with a session cookie.
    Session { user_id: String, session_id: String, active_org: Option<String> },
    /// An integration with an API key, bound to one organization.
    ApiKey { key_id: String, org_id: String, user_id: Option<String> },
    /// Another CROW worker acting for an organization and possibly a user.
    Internal { org_id: Option<String>, user_id: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The request came from another CROW worker (internal key verified), possibly carrying the
    /// end caller's API key. Such requests were already rate-limited at the edge they entered.
    pub via_internal: bool,
    /// The rate-limit policy of the caller's organization plan.
    pub policy: Policy,
}

impl Caller {
    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::Session { user_id, .. } => Some(user_id),
            Principal::ApiKey { user_id, .. } | Principal::Internal { user_id, .. } => {
                user_id.as_deref()
            }
        }
    }

    /// Whom this request counts against (`None` for internal calls, counted where they entered).
    pub fn rate_subject(&self) -> Option<Subject> {
        if self.via_internal {
            return None;
        }
        match &self.principal {
            Principal::Session { user_id, .. } => Some(Subject::User(user_id.clone())),
            Principal::ApiKey { key_id, .. } => Some(Subject::Key(key_id.clone())),
            Principal::Internal { .. } => None,
        }
    }

    pub fn is_session(&self) -> bool {
        matches!(self.principal, Principal::Session { .. })
    }

    /// For routes that act on the signed-in user (profile, keys, memberships): a session, or an
    /// internal call naming the user. API keys identify an integration, not a person (OWASP
    /// API2), so they are refused here.
    pub fn require_user(&self) -> Result<&str> {
        match &self.principal {
            Principal::ApiKey { .. } => Err(ApiError::forbidden(
                "This route needs a signed-in user; API keys cannot use it",
            )
            .into()),
            _ => self
                .user_id()
                .ok_or_else(|| ApiError::unauthorized("Sign in to use this route").into()),
        }
    }

    /// The organization a request without an explicit org id means: the key's, the internal
    /// caller's, or the session user's active organization.
    pub fn default_org(&self) -> Option<&str> {
        match &self.principal {
            Principal::Session { active_org, .. } => active_org.as_deref(),
            Principal::ApiKey { org_id, .. } => Some(org_id),
            Principal::Internal { org_id, .. } => org_id.as_deref(),
        }
    }
}

/// A caller's standing in one organization.
#[derive(Debug, Clone)]
pub struct Access {
    pub org_id: String,
    /// The member's role; `None` for API keys and internal calls without a user.
    pub role: Option<Role>,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    organization_id: String,
    created_by: Option<String>,
    expires_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
    plan: String,
    custom_limit_per_minute: Option<i64>,
    custom_limit_per_day: Option<i64>,
}

#[derive(Deserialize)]
struct SessionRow {
    id: String,
    user_id: String,
    active_organization_id: Option<String>,
    plan: Option<String>,
    custom_limit_per_minute: Option<i64>,
    custom_limit_per_day: Option<i64>,
}

/// The rate-limit policy for an organization's plan and (Enterprise) custom limits.
pub fn plan_policy(plan: Option<&str>, per_minute: Option<i64>, per_day: Option<i64>) -> Policy {
    let custom = match (per_minute, per_day) {
        (Some(m), Some(d)) if m > 0 && d > 0 => Some((m as u64, d as u64)),
        _ => None,
    };
    Policy::for_tier(Tier::from_plan(plan.unwrap_or("free")), custom)
}

/// How a key lookup ended. Only internal callers learn more than valid/invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Valid,
    NotFound,
    Revoked,
    Expired,
}

impl KeyState {
    pub fn code(self) -> &'static str {
        match self {
            KeyState::Valid => "VALID",
            KeyState::NotFound => "NOT_FOUND",
            KeyState::Revoked => "REVOKED",
            KeyState::Expired => "EXPIRED",
        }
    }
}

pub struct VerifiedKey {
    pub key_id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub expires_at: i64,
    pub policy: Policy,
}

/// Looks a presented API key up by its hash. Records `last_used_at` at most once a minute per key.
pub async fn lookup_key(app: &App<'_>, key: &str) -> Result<(KeyState, Option<VerifiedKey>)> {
    if credentials::check_api_key_format(key).is_err() {
        return Ok((KeyState::NotFound, None));
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let hash = credentials::hash_api_key(key);
    let row: Option<KeyRow> = db
        .first(
            "SELECT k.id, k.organization_id, k.created_by, k.expires_at, k.revoked_at, k.last_used_at, \
             o.plan, o.custom_limit_per_minute, o.custom_limit_per_day \
             FROM api_keys k JOIN organizations o ON o.id = k.organization_id WHERE k.key_hash = ?1",
            args![&hash],
        )
        .await?;
    let Some(row) = row else { return Ok((KeyState::NotFound, None)) };
    let now = now_ms() as i64;
    if row.revoked_at.is_some() {
        return Ok((KeyState::Revoked, None));
    }
    if row.expires_at <= now {
        return Ok((KeyState::Expired, None));
    }
    if row.last_used_at.is_none_or(|t| now - t > 60_000) {
        let stmt = db.statement(
            "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?3)",
            args![now, &row.id, now - 60_000],
        )?;
        app.wait_until(async move {
            if let Err(e) = stmt.run().await {
                worker::console_error!("recording last_used_at failed: {e}");
            }
        });
    }
    Ok((
        KeyState::Valid,
        Some(VerifiedKey {
            policy: plan_policy(
                Some(&row.plan),
                row.custom_limit_per_minute,
                row.custom_limit_per_day,
            ),
            key_id: row.id,
            org_id: row.organization_id,
            user_id: row.created_by,
            expires_at: row.expires_at,
        }),
    ))
}

async fn session_caller(app: &App<'_>, cookie_value: &str) -> Result<(Principal, Policy)> {
    let secret = config::secret(app.env, "AUTH_SECRET")
        .ok_or_else(|| ApiError::unavailable("session signing secret"))?;
    let token = credentials::verify_session_cookie(&secret, cookie_value)
        .ok_or_else(|| ApiError::unauthorized("The session cookie is invalid"))?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let row: Option<SessionRow> = db
        .first(
            "SELECT s.id, s.user_id, u.active_organization_id, o.plan, o.custom_limit_per_minute, o.custom_limit_per_day \
             FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN organizations o ON o.id = u.active_organization_id \
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            args![&sha256_b64url(token.as_bytes()), now_ms()],
        )
        .await?;
    let row = row.ok_or_else(|| ApiError::unauthorized("The session has ended; sign in again"))?;
    let policy =
        plan_policy(row.plan.as_deref(), row.custom_limit_per_minute, row.custom_limit_per_day);
    Ok((
        Principal::Session {
            user_id: row.user_id,
            session_id: row.id,
            active_org: row.active_organization_id,
        },
        policy,
    ))
}

fn invalid_key() -> ApiError {
    ApiError::unauthorized("Invalid, revoked or expired API key")
        .header("WWW-Authenticate", "Bearer realm=\"crow\"")
}

/// Whether the request carries any credential header (key, cookie or internal key).
pub fn presents_credential(req: &Request) -> bool {
    ["Authorization", "X-API-Key", "Cookie", "X-Internal-Key"]
        .iter()
        .any(|h| header(req, h).is_some_and(|v| !v.is_empty()))
}

/// Resolves the caller, or `None` for an anonymous request.
pub async fn resolve(app: &App<'_>, req: &Request) -> Result<Option<Caller>> {
    let presented = credentials::presented(
        header(req, "Authorization").as_deref(),
        header(req, "X-API-Key").as_deref(),
        header(req, "Cookie").as_deref(),
    )
    .map_err(|e| {
        ApiError::unauthorized(e.to_string()).header("WWW-Authenticate", "Bearer realm=\"crow\"")
    })?;

    let via_internal = match header(req, "X-Internal-Key") {
        None => false,
        Some(k) => {
            let expected = config::secret(app.env, "INTERNAL_API_KEY").unwrap_or_default();
            if !secret_eq(&k, &expected) {
                return Err(ApiError::unauthorized("Invalid internal key").into());
            }
            true
        }
    };

    // A worker that has just verified an API key (the MCP server, at the start of the same
    // request) names the key instead of sending it again: saves the second key lookup.
    if via_internal {
        if let Some(key_id) = header(req, "X-Api-Key-Id").filter(|s| !s.is_empty()) {
            let org_id = header(req, "X-Organization-Id")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::unauthorized("X-Api-Key-Id needs X-Organization-Id"))?;
            let user_id = header(req, "X-User-Id").filter(|s| !s.is_empty());
            let principal = Principal::ApiKey { key_id, org_id, user_id };
            return Ok(Some(Caller {
                principal,
                via_internal,
                policy: plan_policy(None, None, None),
            }));
        }
    }

    let (principal, policy) = match presented {
        Some(Presented::ApiKey(key)) => match lookup_key(app, &key).await? {
            (KeyState::Valid, Some(v)) => (
                Principal::ApiKey { key_id: v.key_id, org_id: v.org_id, user_id: v.user_id },
                v.policy,
            ),
            _ => return Err(invalid_key().into()),
        },
        Some(Presented::SessionCookie(value)) if !via_internal => {
            session_caller(app, &value).await?
        }
        _ if via_internal => (
            Principal::Internal {
                org_id: header(req, "X-Organization-Id").filter(|s| !s.is_empty()),
                user_id: header(req, "X-User-Id").filter(|s| !s.is_empty()),
            },
            plan_policy(None, None, None),
        ),
        _ => return Ok(None),
    };
    Ok(Some(Caller { principal, via_internal, policy }))
}

/// The caller's access to `org_id` for `action`. Organizations the caller cannot see answer 404,
/// exactly like organizations that do not exist; visible ones the role does not allow, 403.
pub async fn org_access(
    app: &App<'_>,
    caller: &Caller,
    org_id: &str,
    action: Action,
) -> Result<Access> {
    let not_found = || ApiError::not_found("Organization");
    let role = match &caller.principal {
        Principal::ApiKey { org_id: key_org, .. } => {
            if key_org != org_id {
                return Err(not_found().into());
            }
            None
        }
        Principal::Internal { org_id: scoped, user_id } => {
            if scoped.as_deref().is_some_and(|o| o != org_id) {
                return Err(not_found().into());
            }
            match user_id {
                Some(u) => Some(member_role(app, org_id, u).await?.ok_or_else(not_found)?),
                None if scoped.is_some() => None,
                None => return Err(not_found().into()),
            }
        }
        Principal::Session { user_id, .. } => {
            Some(member_role(app, org_id, user_id).await?.ok_or_else(not_found)?)
        }
    };
    let allowed = match role {
        Some(r) => allows(r, action),
        None => matches!(action, Action::Read | Action::WriteData),
    };
    if !allowed {
        let who = role
            .map(|r| format!("the {} role", r.as_str()))
            .unwrap_or_else(|| "an API key".to_string());
        return Err(ApiError::forbidden(format!("{who} is not allowed to do this"))
            .detail(
                "required",
                match action {
                    Action::Delete => "owner",
                    _ => "admin",
                },
            )
            .into());
    }
    Ok(Access { org_id: org_id.to_string(), role })
}

#[derive(Deserialize)]
struct RoleRow {
    role: String,
}

pub async fn member_role(app: &App<'_>, org_id: &str, user_id: &str) -> Result<Option<Role>> {
    let db = Db::new(app.env, &app.ctx.meter)?;
    let row: Option<RoleRow> = db
        .first(
            "SELECT role FROM memberships WHERE organization_id = ?1 AND user_id = ?2",
            args![org_id, user_id],
        )
        .await?;
    Ok(row.and_then(|r| Role::parse(&r.role)))
}
