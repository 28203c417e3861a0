//! `/api/v1/organizations/*`: organizations, membership and the active organization.

use crow_common::identity::{check_name, may_assign, normalize_email, Action, Role};
use crow_common::time::iso8601;
use crow_common::{ids, ApiError};
use crow_edge::{json, now_ms, read_json};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::auth::{self, Principal};
use crate::db::{is_unique_violation, Db};
use crate::error::{Error, Result};
use crate::{args, App};

#[derive(Debug, Deserialize)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub plan: String,
    pub custom_limit_per_minute: Option<i64>,
    pub custom_limit_per_day: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ORG_COLUMNS: &str =
    "id, name, slug, plan, custom_limit_per_minute, custom_limit_per_day, created_at, updated_at";

fn org_json(o: &OrgRow, role: Option<Role>) -> Value {
    let policy =
        auth::plan_policy(Some(&o.plan), o.custom_limit_per_minute, o.custom_limit_per_day);
    json!({
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "plan": o.plan,
        "role": role.map(Role::as_str),
        "rateLimits": {
            "tier": policy.tier.as_str(),
            "perMinute": policy.windows[0].limit,
            "perDay": policy.windows[1].limit,
        },
        "createdAt": iso8601(o.created_at),
        "updatedAt": iso8601(o.updated_at),
    })
}

pub async fn load_org(db: &Db, id: &str) -> Result<OrgRow> {
    db.first::<OrgRow>(&format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = ?1"), args![id])
        .await?
        .ok_or_else(|| ApiError::not_found("Organization").into())
}

fn random_failure(e: crow_common::crypto::RandomError) -> Error {
    Error::Internal(worker::Error::RustError(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateOrg {
    name: String,
}

/// Creates an organization; the creator becomes its owner and, if they had none, it becomes
/// their active organization. Both rows are written in one batch (all or nothing).
pub async fn create(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let user_id = app.caller()?.require_user()?.to_string();
    let body: CreateOrg = read_json(req, 4096).await?;
    let name = check_name("name", &body.name, 100)?;
    let now = now_ms() as i64;
    let id = ids::new_id("org", now as u64).map_err(random_failure)?;
    // Slugs are unique; the id's random tail disambiguates.
    let slug = format!("{}-{}", crow_common::identity::slugify(&name), &id[id.len() - 6..]);
    let db = Db::new(app.env, &app.ctx.meter)?;
    let statements = vec![
        db.statement(
            "INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            args![&id, &name, &slug, now],
        )?,
        db.statement(
            "INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
            args![&id, &user_id, now],
        )?,
        db.statement(
            "UPDATE users SET active_organization_id = ?1 WHERE id = ?2 AND active_organization_id IS NULL",
            args![&id, &user_id],
        )?,
    ];
    match db.batch(statements).await {
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::conflict("Please retry: slug collision").into())
        }
        other => other?,
    };
    let org = load_org(&db, &id).await?;
    Ok(json(201, &org_json(&org, Some(Role::Owner)))?)
}

#[derive(Deserialize)]
struct MyOrg {
    id: String,
    name: String,
    slug: String,
    plan: String,
    custom_limit_per_minute: Option<i64>,
    custom_limit_per_day: Option<i64>,
    created_at: i64,
    updated_at: i64,
    role: String,
}

/// The caller's organizations: a user's memberships, or the one organization of a key.
pub async fn list_mine(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let data: Vec<Value> = match (&caller.principal, caller.user_id()) {
        (Principal::Session { .. }, Some(user_id))
        | (Principal::Internal { .. }, Some(user_id)) => {
            let rows: Vec<MyOrg> = db
                .all(
                    "SELECT o.id, o.name, o.slug, o.plan, o.custom_limit_per_minute, o.custom_limit_per_day, o.created_at, o.updated_at, m.role \
                     FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = ?1 ORDER BY o.created_at, o.id",
                    args![user_id],
                )
                .await?;
            rows.into_iter()
                .map(|r| {
                    let role = Role::parse(&r.role);
                    let org = OrgRow {
                        id: r.id,
                        name: r.name,
                        slug: r.slug,
                        plan: r.plan,
                        custom_limit_per_minute: r.custom_limit_per_minute,
                        custom_limit_per_day: r.custom_limit_per_day,
                        created_at: r.created_at,
                        updated_at: r.updated_at,
                    };
                    org_json(&org, role)
                })
                .collect()
        }
        _ => match caller.default_org() {
            Some(org_id) => vec![org_json(&load_org(&db, org_id).await?, None)],
            None => Vec::new(),
        },
    };
    Ok(json(200, &json!({ "data": data, "activeOrganizationId": caller.default_org() }))?)
}

pub async fn get(app: &App<'_>) -> Result<Response> {
    let access = auth::org_access(app, app.caller()?, app.param("orgId")?, Action::Read).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &org_json(&load_org(&db, &access.org_id).await?, access.role))?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateOrg {
    name: Option<String>,
}

pub async fn update(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = auth::org_access(app, app.caller()?, app.param("orgId")?, Action::Update).await?;
    let body: UpdateOrg = read_json(req, 4096).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    if let Some(name) = body.name {
        let name = check_name("name", &name, 100)?;
        db.run(
            "UPDATE organizations SET name = ?1, updated_at = ?2 WHERE id = ?3",
            args![&name, now_ms(), &access.org_id],
        )
        .await?;
    }
    Ok(json(200, &org_json(&load_org(&db, &access.org_id).await?, access.role))?)
}

/// Deletes an organization and, through foreign keys, everything it owns.
pub async fn delete(app: &App<'_>) -> Result<Response> {
    let access = auth::org_access(app, app.caller()?, app.param("orgId")?, Action::Delete).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    db.batch(vec![
        db.statement(
            "UPDATE users SET active_organization_id = NULL WHERE active_organization_id = ?1",
            args![&access.org_id],
        )?,
        db.statement("DELETE FROM organizations WHERE id = ?1", args![&access.org_id])?,
    ])
    .await?;
    Ok(json(200, &json!({ "id": access.org_id, "deleted": true }))?)
}

/// Makes an organization the signed-in user's active one.
pub async fn activate(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let access = auth::org_access(app, caller, app.param("orgId")?, Action::Read).await?;
    let user_id = caller.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    db.run(
        "UPDATE users SET active_organization_id = ?1 WHERE id = ?2",
        args![&access.org_id, user_id],
    )
    .await?;
    Ok(json(200, &json!({ "activeOrganizationId": access.org_id }))?)
}

#[derive(Deserialize)]
struct MemberRow {
    user_id: String,
    email: String,
    name: String,
    role: String,
    created_at: i64,
}

fn member_json(m: &MemberRow) -> Value {
    json!({ "userId": m.user_id, "email": m.email, "name": m.name, "role": m.role, "joinedAt": iso8601(m.created_at) })
}

const MEMBER_SELECT: &str = "SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id";

pub async fn list_members(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let access = auth::org_access(app, caller, app.param("orgId")?, Action::Read).await?;
    caller.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let rows: Vec<MemberRow> = db
        .all(
            &format!(
                "{MEMBER_SELECT} WHERE m.organization_id = ?1 ORDER BY m.created_at, m.user_id"
            ),
            args![&access.org_id],
        )
        .await?;
    Ok(json(200, &json!({ "data": rows.iter().map(member_json).collect::<Vec<_>>() }))?)
}

fn parse_role(raw: &str) -> Result<Role> {
    Role::parse(raw).ok_or_else(|| {
        ApiError::invalid_field("role", "must be one of owner, admin, member").into()
    })
}

fn require_assign(actor: Option<Role>, old: Option<Role>, new: Option<Role>) -> Result<()> {
    let actor = actor.ok_or_else(|| ApiError::forbidden("Only members can manage members"))?;
    if may_assign(actor, old, new) {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only owners can grant, change or remove the owner role").into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    email: String,
    role: String,
}

pub async fn add_member(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let caller = app.caller()?;
    let access = auth::org_access(app, caller, app.param("orgId")?, Action::ManageMembers).await?;
    caller.require_user()?;
    let body: AddMember = read_json(req, 4096).await?;
    let email = normalize_email("email", &body.email)?;
    let role = parse_role(&body.role)?;
    require_assign(access.role, None, Some(role))?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let user: Id = db
        .first("SELECT id FROM users WHERE email = ?1", args![&email])
        .await?
        .ok_or_else(|| {
            ApiError::invalid_field(
                "email",
                "no account uses this email; ask them to sign up first",
            )
        })?;
    let inserted = db
        .run(
            "INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            args![&access.org_id, &user.id, role.as_str(), now_ms()],
        )
        .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::conflict("This user is already a member")
                .detail("field", "email")
                .into())
        }
        other => other?,
    };
    let row: MemberRow = db
        .first(
            &format!("{MEMBER_SELECT} WHERE m.organization_id = ?1 AND m.user_id = ?2"),
            args![&access.org_id, &user.id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Member"))?;
    Ok(json(201, &member_json(&row))?)
}

async fn existing_member(app: &App<'_>, org_id: &str) -> Result<(String, Role)> {
    let user_id = app.param("userId")?.to_string();
    let role = auth::member_role(app, org_id, &user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Member"))?;
    Ok((user_id, role))
}

async fn owner_count(db: &Db, org_id: &str) -> Result<i64> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    Ok(db
        .first::<N>(
            "SELECT COUNT(*) AS n FROM memberships WHERE organization_id = ?1 AND role = 'owner'",
            args![org_id],
        )
        .await?
        .map(|n| n.n)
        .unwrap_or(0))
}

/// The conditions every membership change carries in its own statement, so that concurrent
/// changes cannot together break the rules the handler checked (no check-then-act):
/// the member still has the role the handler read (`?4`), an owner is demoted or removed only
/// while another owner remains, and the actor (`?5`) still holds the role the change needs
/// (an owner when it touches the owner role, else an admin or owner).
/// Placeholders: ?2 organization, ?3 member, ?4 the member's role as read, ?5 actor user,
/// ?6 1 when the change touches the owner role, ?7 1 when the member stops being an owner.
const MEMBERSHIP_GUARD: &str = "organization_id = ?2 AND user_id = ?3 AND role = ?4 \
     AND (?7 = 0 OR (SELECT COUNT(*) FROM memberships WHERE organization_id = ?2 AND role = 'owner') > 1) \
     AND EXISTS (SELECT 1 FROM memberships WHERE organization_id = ?2 AND user_id = ?5 \
                 AND (role = 'owner' OR (?6 = 0 AND role = 'admin')))";

/// Why a guarded membership change wrote nothing: read after the refused write, only to word
/// the answer (nothing is written on the strength of it).
async fn refused_change(
    app: &App<'_>,
    db: &Db,
    org_id: &str,
    user_id: &str,
    old_role: Role,
) -> Error {
    match auth::member_role(app, org_id, user_id).await {
        Ok(None) => ApiError::not_found("Member").into(),
        Ok(Some(Role::Owner)) if old_role == Role::Owner => match owner_count(db, org_id).await {
            Ok(n) if n <= 1 => {
                ApiError::conflict("An organization must keep at least one owner").into()
            }
            Ok(_) => changed_meanwhile(),
            Err(e) => e,
        },
        Ok(Some(_)) => changed_meanwhile(),
        Err(e) => e,
    }
}

fn changed_meanwhile() -> Error {
    ApiError::conflict("The membership or your role changed meanwhile; read it again and retry")
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeRole {
    role: String,
}

pub async fn update_member(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let caller = app.caller()?;
    let access = auth::org_access(app, caller, app.param("orgId")?, Action::ManageMembers).await?;
    caller.require_user()?;
    let body: ChangeRole = read_json(req, 4096).await?;
    let new_role = parse_role(&body.role)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let (user_id, old_role) = existing_member(app, &access.org_id).await?;
    require_assign(access.role, Some(old_role), Some(new_role))?;
    let actor = caller.require_user()?;
    let touches_owner = old_role == Role::Owner || new_role == Role::Owner;
    let loses_owner = old_role == Role::Owner && new_role != Role::Owner;
    if loses_owner && owner_count(&db, &access.org_id).await? <= 1 {
        return Err(ApiError::conflict("An organization must keep at least one owner")
            .detail("field", "role")
            .into());
    }
    let changed = db
        .run(
            &format!("UPDATE memberships SET role = ?1 WHERE {MEMBERSHIP_GUARD}"),
            args![
                new_role.as_str(),
                &access.org_id,
                &user_id,
                old_role.as_str(),
                actor,
                touches_owner as i64,
                loses_owner as i64
            ],
        )
        .await?;
    if changed == 0 {
        return Err(refused_change(app, &db, &access.org_id, &user_id, old_role).await);
    }
    let row: MemberRow = db
        .first(
            &format!("{MEMBER_SELECT} WHERE m.organization_id = ?1 AND m.user_id = ?2"),
            args![&access.org_id, &user_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Member"))?;
    Ok(json(200, &member_json(&row))?)
}

pub async fn remove_member(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    let access = auth::org_access(app, caller, app.param("orgId")?, Action::ManageMembers).await?;
    caller.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let (user_id, old_role) = existing_member(app, &access.org_id).await?;
    require_assign(access.role, Some(old_role), None)?;
    let actor = caller.require_user()?;
    let is_owner = old_role == Role::Owner;
    if is_owner && owner_count(&db, &access.org_id).await? <= 1 {
        return Err(ApiError::conflict("An organization must keep at least one owner").into());
    }
    // The active-organization reset applies only if the guarded delete did (same transaction).
    let changes = db
        .batch(vec![
            db.statement(
                &format!("DELETE FROM memberships WHERE {MEMBERSHIP_GUARD}"),
                args![
                    "",
                    &access.org_id,
                    &user_id,
                    old_role.as_str(),
                    actor,
                    is_owner as i64,
                    is_owner as i64
                ],
            )?,
            db.statement(
                "UPDATE users SET active_organization_id = NULL WHERE id = ?1 AND active_organization_id = ?2 \
                 AND NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = ?2 AND user_id = ?1)",
                args![&user_id, &access.org_id],
            )?,
        ])
        .await?;
    if changes.first().copied().unwrap_or(0) == 0 {
        return Err(refused_change(app, &db, &access.org_id, &user_id, old_role).await);
    }
    Ok(json(200, &json!({ "userId": user_id, "removed": true }))?)
}
