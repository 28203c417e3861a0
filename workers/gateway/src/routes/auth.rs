//! `/api/v1/auth/*`: email/password accounts, sessions, API keys and key verification.

use crow_common::body::DEFAULT_JSON_LIMIT;
use crow_common::credentials::{self, generate_api_key};
use crow_common::crypto::{random_string, sha256_b64url, ALPHANUMERIC};
use crow_common::identity::{check_name, check_password, normalize_email, Action, NAME_MAX};
use crow_common::signup;
use crow_common::time::iso8601;
use crow_common::{ids, ApiError};
use crow_edge::{header, json, now_ms, read_json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Headers, Request, Response};

use crate::auth::{self, KeyState};
use crate::db::Db;
use crate::error::{DependencyExt, Error, Result};
use crate::mail::Mailer;
use crate::routes::users::{user_json, UserRow};
use crate::{args, kdf, limits, App};

/// Sessions last a week, like Better Auth's default.
const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// API keys: one year by default and at most.
const KEY_MAX_TTL_SECS: i64 = 365 * 24 * 3600;
const KEY_MIN_TTL_SECS: i64 = 24 * 3600;
/// Upper bound on live keys per organization (OWASP API6: key minting is a sensitive flow).
const MAX_KEYS_PER_ORG: i64 = 100;

fn random_failure(e: crow_common::crypto::RandomError) -> Error {
    Error::Internal(worker::Error::RustError(e.to_string()))
}

fn is_https(req: &Request) -> bool {
    req.url().map(|u| u.scheme() == "https").unwrap_or(false)
}

/// Creates a session row and returns the `Set-Cookie` value and the expiry.
async fn start_session(
    app: &App<'_>,
    req: &Request,
    db: &Db,
    user_id: &str,
) -> Result<(String, i64)> {
    let secret = crate::config::secret(app.env, "AUTH_SECRET")
        .ok_or_else(|| ApiError::unavailable("session signing secret"))?;
    let token =
        random_string(credentials::SESSION_TOKEN_LEN, ALPHANUMERIC).map_err(random_failure)?;
    let now = now_ms() as i64;
    let expires = now + SESSION_TTL_MS;
    let id = ids::new_id("ses", now as u64).map_err(random_failure)?;
    let ua = header(req, "User-Agent").map(|u| u.chars().take(256).collect::<String>());
    let ip = header(req, "CF-Connecting-IP");
    db.run(
        "INSERT INTO sessions (id, token_hash, user_id, expires_at, created_at, ip_address, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![&id, &sha256_b64url(token.as_bytes()), user_id, expires, now, ip.as_ref(), ua.as_ref()],
    )
    .await?;
    let cookie = credentials::session_set_cookie(
        &credentials::sign_session_token(&secret, &token),
        is_https(req),
        (SESSION_TTL_MS / 1000) as u64,
    );
    Ok((cookie, expires))
}

fn with_cookie(resp: Response, cookie: &str) -> Response {
    let headers = Headers::new();
    for (k, v) in resp.headers().entries() {
        let _ = headers.append(&k, &v);
    }
    let _ = headers.append("Set-Cookie", cookie);
    let _ = headers.set("Cache-Control", "no-store");
    resp.with_headers(headers)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignUp {
    name: String,
    email: String,
    password: String,
}

/// `POST /api/v1/auth/sign-up/email`. Answers `202` the same way for every valid request,
/// whether or not the address has an account, and does the same work for both: one PBKDF2
/// derivation and one D1 batch (sweep expired rows, write the pending sign-up, read whether the
/// address has an account). What differs goes to the address after the answer: a verification
/// link for a new address, a notice for an existing account. No account or session is created
/// here; `verify-email` does that for whoever can read the mailbox.
pub async fn sign_up(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let body: SignUp = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let name = check_name("name", &body.name, NAME_MAX)?;
    let email = normalize_email("email", &body.email)?;
    check_password("password", &body.password, &email)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let password_hash = kdf::hash_password(&body.password).await?;
    let token = random_string(signup::TOKEN_LEN, ALPHANUMERIC).map_err(random_failure)?;
    let now = now_ms() as i64;
    let expires = now + signup::VERIFICATION_TTL_MS;
    let id = ids::new_id("ver", now as u64).map_err(random_failure)?;
    let token_hash = sha256_b64url(token.as_bytes());
    // One transaction. The INSERT is conditional twice over, in the statement itself: at most
    // MAX_PENDING_PER_EMAIL live rows per address (a further sign-up writes nothing), and an
    // address that has an account gets a row without token, name or password hash (it counts
    // against the cap, so notices are capped too, but can never be verified).
    let results = db
        .read_batch(vec![
            db.statement(
                "DELETE FROM email_verifications WHERE id IN \
                 (SELECT id FROM email_verifications WHERE expires_at <= ?1 LIMIT 20)",
                args![now],
            )?,
            db.statement(
                "INSERT INTO email_verifications (id, token_hash, email, name, password_hash, created_at, expires_at) \
                 SELECT ?1, CASE WHEN a.n = 0 THEN ?2 END, ?3, CASE WHEN a.n = 0 THEN ?4 END, \
                        CASE WHEN a.n = 0 THEN ?5 END, ?6, ?7 \
                 FROM (SELECT COUNT(*) AS n FROM users WHERE email = ?3) AS a \
                 WHERE (SELECT COUNT(*) FROM email_verifications WHERE email = ?3 AND expires_at > ?6) < ?8",
                args![&id, &token_hash, &email, &name, &password_hash, now, expires, signup::MAX_PENDING_PER_EMAIL],
            )?,
            db.statement(
                "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1) AS account",
                args![&email],
            )?,
        ])
        .await?;
    #[derive(Deserialize)]
    struct Account {
        account: i64,
    }
    let written = changes(&results, 1)? > 0;
    let account = rows::<Account>(&results, 2)?.first().is_some_and(|a| a.account != 0);
    if written {
        let app_url = crate::config::var(app.env, "APP_URL", "http://localhost:3000");
        let (kind, message) = if account {
            ("sign-up notice", signup::existing_account_notice(&app_url))
        } else {
            (
                "sign-up verification",
                signup::verification_message(&app_url, &token, &iso8601(expires)),
            )
        };
        Mailer::new(app).send_later(app, kind, email.clone(), message);
    }
    let resp = json(
        202,
        &json!({ "status": "verification_sent", "email": email, "expiresAt": iso8601(expires) }),
    )?;
    let _ = resp.headers().set("Cache-Control", "no-store");
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyEmail {
    token: String,
    password: String,
}

/// The one answer for a password that is not the one chosen at sign-up.
fn wrong_password() -> Error {
    ApiError::invalid_field("password", "is not the password chosen at sign-up").into()
}

/// `POST /api/v1/auth/verify-email {token, password}`: the token from the sign-up mail and the
/// password chosen at sign-up create the account and start a session. The password is asked
/// again so that a mailbox owner who follows a link someone else requested (with a password
/// they chose) cannot end up in an account that stranger can sign in to. Then one D1 batch
/// reads the pending row again, creates the user from it unless the address has an account by
/// now (`ON CONFLICT DO NOTHING`), and deletes every pending row of the address, so a token
/// works once. A token or password that does not verify changes nothing.
pub async fn verify_email(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let body: VerifyEmail = read_json(req, 4096).await?;
    signup::check_token("token", &body.token)?;
    if body.password.is_empty()
        || body.password.chars().count() > crow_common::identity::PASSWORD_MAX
    {
        return Err(ApiError::invalid_field("password", "must be 1 to 128 characters").into());
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let token_hash = sha256_b64url(body.token.as_bytes());
    let now = now_ms() as i64;
    let live = "SELECT email, password_hash FROM email_verifications \
                WHERE token_hash = ?1 AND expires_at > ?2 AND password_hash IS NOT NULL";
    #[derive(Deserialize)]
    struct Pending {
        password_hash: String,
    }
    let pending: Pending = db
        .first(live, args![&token_hash, now])
        .await?
        .ok_or_else(|| Error::from(signup::invalid_token("token")))?;
    if !kdf::verify_password(&body.password, Some(&pending.password_hash)).await? {
        return Err(wrong_password());
    }
    let id = ids::new_id("usr", now as u64).map_err(random_failure)?;
    // Each statement names the row that was checked (token and password hash), so a concurrent
    // verification that consumed it first leaves this one with nothing to do.
    let results = db
        .read_batch(vec![
            db.statement(live, args![&token_hash, now])?,
            db.statement(
                "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
                 SELECT ?3, email, name, password_hash, ?2, ?2 FROM email_verifications \
                 WHERE token_hash = ?1 AND expires_at > ?2 AND password_hash = ?4 \
                 ON CONFLICT (email) DO NOTHING RETURNING id",
                args![&token_hash, now, &id, &pending.password_hash],
            )?,
            db.statement(
                "DELETE FROM email_verifications WHERE email = \
                 (SELECT email FROM email_verifications WHERE token_hash = ?1 AND expires_at > ?2)",
                args![&token_hash, now],
            )?,
        ])
        .await?;
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    if rows::<Pending>(&results, 0)?.is_empty() {
        return Err(signup::invalid_token("token").into());
    }
    let Some(user_id) = rows::<Created>(&results, 1)?.into_iter().next().map(|c| c.id) else {
        // The address got an account between sign-up and now: the caller proved they read the
        // mailbox, so saying so reveals nothing to them, and they are not signed in to an
        // account whose password they did not set.
        return Err(conflict_email());
    };
    let (cookie, expires) = start_session(app, req, &db, &user_id).await?;
    let user = load_user(&db, &user_id).await?;
    let resp = json(
        201,
        &json!({ "user": user_json(&user), "session": { "expiresAt": iso8601(expires) } }),
    )?;
    Ok(with_cookie(resp, &cookie))
}

/// The rows statement `i` of a batch returned.
fn rows<T: serde::de::DeserializeOwned>(results: &[worker::D1Result], i: usize) -> Result<Vec<T>> {
    let result = results.get(i).ok_or_else(|| missing_result(i))?;
    result.results::<T>().dep("database")
}

/// How many rows statement `i` of a batch changed.
fn changes(results: &[worker::D1Result], i: usize) -> Result<u64> {
    let result = results.get(i).ok_or_else(|| missing_result(i))?;
    Ok(result.meta().dep("database")?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

fn missing_result(i: usize) -> Error {
    Error::Internal(worker::Error::RustError(format!("the batch returned no result {i}")))
}

fn conflict_email() -> Error {
    ApiError::conflict("An account with this email already exists; sign in instead")
        .detail("field", "email")
        .into()
}

pub async fn load_user(db: &Db, id: &str) -> Result<UserRow> {
    db.first::<UserRow>(
        "SELECT id, email, name, active_organization_id, image_content_type, image_updated_at, created_at, updated_at FROM users WHERE id = ?1",
        args![id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("User").into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Credentials {
    id: String,
    password_hash: String,
}

pub async fn sign_in(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let body: SignIn = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let email = normalize_email("email", &body.email)?;
    if body.password.is_empty()
        || body.password.chars().count() > crow_common::identity::PASSWORD_MAX
    {
        return Err(ApiError::invalid_field("password", "must be 1 to 128 characters").into());
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let row: Option<Credentials> =
        db.first("SELECT id, password_hash FROM users WHERE email = ?1", args![&email]).await?;
    let ok = kdf::verify_password(&body.password, row.as_ref().map(|r| r.password_hash.as_str()))
        .await?;
    let Some(row) = row.filter(|_| ok) else {
        return Err(ApiError::unauthorized("Invalid email or password").into());
    };
    let (cookie, expires) = start_session(app, req, &db, &row.id).await?;
    let user = load_user(&db, &row.id).await?;
    let resp = json(
        200,
        &json!({ "user": user_json(&user), "session": { "expiresAt": iso8601(expires) } }),
    )?;
    Ok(with_cookie(resp, &cookie))
}

pub async fn sign_out(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let caller = app.caller()?;
    let auth::Principal::Session { session_id, .. } = &caller.principal else {
        return Err(
            ApiError::validation("Sign-out ends a cookie session; this request has none").into()
        );
    };
    let db = Db::new(app.env, &app.ctx.meter)?;
    db.run("DELETE FROM sessions WHERE id = ?1", args![session_id]).await?;
    let resp = json(200, &json!({ "success": true }))?;
    Ok(with_cookie(resp, &credentials::session_clear_cookie(is_https(req))))
}

#[derive(Deserialize)]
struct SessionInfo {
    id: String,
    expires_at: i64,
    created_at: i64,
}

pub async fn get_session(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let auth::Principal::Session { session_id, user_id, .. } = &caller.principal else {
        return Err(ApiError::unauthorized("No session; sign in first").into());
    };
    let db = Db::new(app.env, &app.ctx.meter)?;
    let s: SessionInfo = db
        .first("SELECT id, expires_at, created_at FROM sessions WHERE id = ?1", args![session_id])
        .await?
        .ok_or_else(|| ApiError::unauthorized("The session has ended; sign in again"))?;
    let user = load_user(&db, user_id).await?;
    Ok(json(
        200,
        &json!({
            "session": { "id": s.id, "createdAt": iso8601(s.created_at), "expiresAt": iso8601(s.expires_at) },
            "user": user_json(&user),
        }),
    )?)
}

// ---------------------------------------------------------------------------------------------
// API keys

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKey {
    name: String,
    /// Lifetime in seconds (Better Auth's `expiresIn`); default and maximum one year.
    expires_in: Option<i64>,
    organization_id: Option<String>,
}

#[derive(Deserialize, Serialize)]
pub struct KeyRow {
    id: String,
    organization_id: String,
    name: String,
    start: String,
    prefix: String,
    created_by: Option<String>,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

fn key_json(k: &KeyRow) -> serde_json::Value {
    json!({
        "id": k.id,
        "organizationId": k.organization_id,
        "name": k.name,
        "start": k.start,
        "prefix": k.prefix,
        "createdBy": k.created_by,
        "createdAt": iso8601(k.created_at),
        "expiresAt": iso8601(k.expires_at),
        "lastUsedAt": k.last_used_at.map(iso8601),
        "revokedAt": k.revoked_at.map(iso8601),
    })
}

/// The organization a key-management request is about: `organizationId` if given, else the
/// session's active organization.
fn target_org(app: &App<'_>, explicit: Option<String>) -> Result<String> {
    let caller = app.caller()?;
    explicit.or_else(|| caller.default_org().map(str::to_string)).ok_or_else(|| {
        ApiError::invalid_field("organizationId", "is required when no organization is active")
            .into()
    })
}

pub async fn create_key(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let caller = app.caller()?;
    let body: CreateKey = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let name = check_name("name", &body.name, 64)?;
    let ttl = body.expires_in.unwrap_or(KEY_MAX_TTL_SECS);
    if !(KEY_MIN_TTL_SECS..=KEY_MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid_field(
            "expiresIn",
            "must be between 86400 (1 day) and 31536000 (1 year) seconds",
        )
        .detail("min", KEY_MIN_TTL_SECS)
        .detail("max", KEY_MAX_TTL_SECS)
        .into());
    }
    let org_id = target_org(app, body.organization_id)?;
    let access = auth::org_access(app, caller, &org_id, Action::ManageKeys).await?;
    let user_id = caller.require_user()?.to_string();
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    let key = generate_api_key().map_err(random_failure)?;
    let id = ids::new_id("key", now as u64).map_err(random_failure)?;
    // The cap is part of the insert: concurrent creations cannot together pass it.
    let inserted = db
        .run(
            "INSERT INTO api_keys (id, organization_id, created_by, name, start, prefix, key_hash, created_at, expires_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             WHERE (SELECT COUNT(*) FROM api_keys WHERE organization_id = ?2 AND revoked_at IS NULL AND expires_at > ?8) < ?10",
            args![
                &id,
                &access.org_id,
                &user_id,
                &name,
                &key.start,
                credentials::API_KEY_PREFIX,
                &key.hash,
                now,
                now + ttl * 1000,
                MAX_KEYS_PER_ORG
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::conflict(format!(
            "An organization can hold at most {MAX_KEYS_PER_ORG} live keys; revoke one first"
        ))
        .detail("limit", MAX_KEYS_PER_ORG)
        .into());
    }
    let row = load_key(&db, &access.org_id, &id).await?;
    let mut body = key_json(&row);
    // The only time the full key is ever returned.
    body["key"] = json!(key.plaintext);
    let resp = json(201, &body)?;
    let _ = resp.headers().set("Cache-Control", "no-store");
    Ok(resp)
}

async fn load_key(db: &Db, org_id: &str, id: &str) -> Result<KeyRow> {
    db.first::<KeyRow>(
        "SELECT id, organization_id, name, start, prefix, created_by, created_at, expires_at, last_used_at, revoked_at \
         FROM api_keys WHERE id = ?1 AND organization_id = ?2",
        args![id, org_id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("API key").into())
}

pub async fn list_keys(app: &App<'_>, req: &Request) -> Result<Response> {
    let caller = app.caller()?;
    let explicit = req.url().ok().and_then(|u| {
        u.query_pairs().find(|(k, _)| k == "organizationId").map(|(_, v)| v.into_owned())
    });
    let org_id = target_org(app, explicit)?;
    let access = auth::org_access(app, caller, &org_id, Action::ManageKeys).await?;
    caller.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let rows: Vec<KeyRow> = db
        .all(
            "SELECT id, organization_id, name, start, prefix, created_by, created_at, expires_at, last_used_at, revoked_at \
             FROM api_keys WHERE organization_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 200",
            args![&access.org_id],
        )
        .await?;
    Ok(json(200, &json!({ "data": rows.iter().map(key_json).collect::<Vec<_>>() }))?)
}

/// Revokes a key: the very next request with it is refused (the lookup reads D1 every time).
pub async fn revoke_key(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let key_id = app.param("keyId")?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    #[derive(Deserialize)]
    struct Owner {
        organization_id: String,
    }
    // Which org the key belongs to; then the caller must be allowed to manage that org's keys.
    let owner: Owner = db
        .first("SELECT organization_id FROM api_keys WHERE id = ?1", args![key_id])
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    let access = auth::org_access(app, caller, &owner.organization_id, Action::ManageKeys)
        .await
        .map_err(|e| match ApiError::from(e) {
            nf if nf.code == crow_common::ErrorCode::NotFound => {
                ApiError::not_found("API key").into()
            }
            other => Error::from(other),
        })?;
    caller.require_user()?;
    let now = now_ms() as i64;
    db.run(
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND organization_id = ?3 AND revoked_at IS NULL",
        args![now, key_id, &access.org_id],
    )
    .await?;
    let row = load_key(&db, &access.org_id, key_id).await?;
    Ok(json(200, &key_json(&row))?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyBody {
    key: String,
    /// Internal callers only: also count one request against the key's rate limit (or, for an
    /// invalid key, against `clientIp`), and return the decision.
    #[serde(default)]
    consume: bool,
    client_ip: Option<String>,
}

/// `POST /api/v1/auth/api-key/verify`, used by the MCP and A2A workers. With the internal key
/// the answer says which key, organization and user, and with `consume` it also counts the
/// request against the key's budget (one budget whichever door the key uses). Anyone else learns
/// only valid or invalid (the endpoint must not be an oracle) and is limited per client IP like
/// every anonymous request.
pub async fn verify_key(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let body: VerifyBody = read_json(req, 4096).await?;
    let internal = app.caller.as_ref().is_some_and(|c| c.via_internal);
    let (state, verified) = auth::lookup_key(app, body.key.trim()).await?;
    if !internal {
        return Ok(json(200, &json!({ "valid": verified.is_some() }))?);
    }
    let mut answer = match &verified {
        Some(v) => json!({
            "valid": true,
            "code": KeyState::Valid.code(),
            "keyId": v.key_id,
            "organizationId": v.org_id,
            "userId": v.user_id,
            "expiresAt": iso8601(v.expires_at),
            "tier": v.policy.tier.as_str(),
        }),
        None => json!({ "valid": false, "code": state.code() }),
    };
    if body.consume && limits::enabled(app.env) {
        let target = match verified {
            Some(v) => Some((limits::Subject::Key(v.key_id), v.policy)),
            None => body
                .client_ip
                .filter(|ip| !ip.is_empty())
                .map(|ip| (limits::Subject::Ip(ip), limits::public_policy())),
        };
        if let Some((subject, policy)) = target {
            let applied = limits::check(app.env, &app.ctx.meter, subject, policy).await?;
            answer["rateLimit"] = applied.to_json();
        }
    }
    Ok(json(200, &answer)?)
}
