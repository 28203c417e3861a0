#![recursion_limit = "512"]
//! CROW Edge REST API gateway (`api.crowai.dev`): `/api/v1/*`, credential resolution, and the
//! entry point for the dashboard, external apps, and the MCP and A2A workers' tool calls.
//!
//! This crate is glue: it maps HTTP and bindings onto the pure logic in `crow-common`.

use crow_common::router::{Params, Resolution, Router};
use crow_common::{ApiError, GATEWAY_SERVICE};
use crow_edge::{finish, route_miss, Ctx};
use worker::{event, Context, Env, Request, Response};

mod ai;
mod auth;
mod billing;
mod config;
mod cors;
mod crawler;
mod db;
mod error;
mod kdf;
mod limits;
mod mail;
pub mod openapi;
mod rate_limiter;
mod routes;
mod scope;
mod semantic;
mod store;

pub use rate_limiter::RateLimiter;

use auth::Caller;
use error::Result;

/// Every route the gateway serves. The OpenAPI parity test reads the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Ready,
    OpenApi,
    SignUp,
    VerifyEmail,
    SignIn,
    SignOut,
    GetSession,
    CreateKey,
    ListKeys,
    RevokeKey,
    VerifyKey,
    OrgCreate,
    OrgList,
    OrgGet,
    OrgUpdate,
    OrgDelete,
    OrgActivate,
    MembersList,
    MemberAdd,
    MemberUpdate,
    MemberRemove,
    Me,
    MeUpdate,
    PreferencesGet,
    PreferencesPut,
    PicturePut,
    PictureDelete,
    PictureGet,
    ProductCreate,
    ProductList,
    ProductGet,
    ProductUpdate,
    ProductDelete,
    ProductDescriptions,
    ProductDescriptionsGenerate,
    InteractionIngest,
    InteractionList,
    InteractionSummary,
    PatternCreate,
    PatternList,
    NotificationList,
    NotificationUnreadCount,
    NotificationRead,
    NotificationReadAll,
    CrawlerJobCreate,
    CrawlerJobList,
    CrawlerJobGet,
    CrawlerJobCancel,
    ProductSearch,
    InteractionSearch,
    PatternSearch,
    QnaSearch,
    QnaDocumentCreate,
    QnaDocumentList,
    QnaDocumentGet,
    QnaDocumentDelete,
    ChatSessionCreate,
    ChatSessionList,
    ChatSessionGet,
    ChatSessionDelete,
    ChatMessagePost,
    ChatMessageList,
    BillingPlans,
    BillingCheckout,
    BillingPortal,
    BillingSubscription,
    BillingCancel,
    BillingResume,
    BillingInvoices,
    BillingWebhook,
    // Analytics (issue 12).
    AnalyticsProducts,
    AnalyticsTimeSeries,
    AnalyticsCompare,
    AnalyticsFunnel,
    AnalyticsStores,
}

/// What a route needs from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// No credential is read (health, sign-up, email verification, sign-in).
    Public,
    /// A credential is read if present (key verification distinguishes internal callers).
    Optional,
    /// 401 without a valid credential.
    Required,
}

impl Route {
    pub fn auth(self) -> AuthMode {
        match self {
            Route::Health
            | Route::Ready
            | Route::OpenApi
            | Route::SignUp
            | Route::VerifyEmail
            | Route::SignIn
            | Route::BillingPlans
            | Route::BillingWebhook => AuthMode::Public,
            Route::VerifyKey => AuthMode::Optional,
            _ => AuthMode::Required,
        }
    }
}

pub fn router() -> Router<Route> {
    use Route::*;
    Router::new()
        .add("GET", "/health", Health)
        .add("GET", "/health/ready", Ready)
        .add("GET", "/api/v1/openapi.json", OpenApi)
        .add("POST", "/api/v1/auth/sign-up/email", SignUp)
        .add("POST", "/api/v1/auth/verify-email", VerifyEmail)
        .add("POST", "/api/v1/auth/sign-in/email", SignIn)
        .add("POST", "/api/v1/auth/sign-out", SignOut)
        .add("GET", "/api/v1/auth/get-session", GetSession)
        .add("POST", "/api/v1/auth/api-keys", CreateKey)
        .add("GET", "/api/v1/auth/api-keys", ListKeys)
        .add("DELETE", "/api/v1/auth/api-keys/:keyId", RevokeKey)
        .add("POST", "/api/v1/auth/api-key/verify", VerifyKey)
        .add("POST", "/api/v1/organizations", OrgCreate)
        .add("GET", "/api/v1/organizations", OrgList)
        .add("GET", "/api/v1/organizations/:orgId", OrgGet)
        .add("PATCH", "/api/v1/organizations/:orgId", OrgUpdate)
        .add("DELETE", "/api/v1/organizations/:orgId", OrgDelete)
        .add("POST", "/api/v1/organizations/:orgId/activate", OrgActivate)
        .add("GET", "/api/v1/organizations/:orgId/members", MembersList)
        .add("POST", "/api/v1/organizations/:orgId/members", MemberAdd)
        .add("PATCH", "/api/v1/organizations/:orgId/members/:userId", MemberUpdate)
        .add("DELETE", "/api/v1/organizations/:orgId/members/:userId", MemberRemove)
        .add("GET", "/api/v1/users/me", Me)
        .add("PATCH", "/api/v1/users/me", MeUpdate)
        .add("GET", "/api/v1/users/me/preferences", PreferencesGet)
        .add("PUT", "/api/v1/users/me/preferences", PreferencesPut)
        .add("PUT", "/api/v1/users/me/picture", PicturePut)
        .add("DELETE", "/api/v1/users/me/picture", PictureDelete)
        .add("GET", "/api/v1/users/:userId/picture", PictureGet)
        .add("POST", "/api/v1/products", ProductCreate)
        .add("GET", "/api/v1/products/organization/:orgId", ProductList)
        .add("GET", "/api/v1/products/:id", ProductGet)
        .add("PATCH", "/api/v1/products/:id", ProductUpdate)
        .add("DELETE", "/api/v1/products/:id", ProductDelete)
        .add("GET", "/api/v1/products/:id/ai-descriptions", ProductDescriptions)
        .add("POST", "/api/v1/products/:id/ai-descriptions", ProductDescriptionsGenerate)
        .add("POST", "/api/v1/interactions/organization/:orgId/batch", InteractionIngest)
        .add("GET", "/api/v1/interactions/organization/:orgId", InteractionList)
        .add("GET", "/api/v1/interactions/organization/:orgId/summary", InteractionSummary)
        .add("POST", "/api/v1/patterns/organization/:orgId", PatternCreate)
        .add("GET", "/api/v1/patterns/organization/:orgId", PatternList)
        .add("GET", "/api/v1/notifications", NotificationList)
        .add("GET", "/api/v1/notifications/unread-count", NotificationUnreadCount)
        .add("POST", "/api/v1/notifications/:id/read", NotificationRead)
        .add("POST", "/api/v1/notifications/read-all", NotificationReadAll)
        .add("POST", "/api/v1/crawler-jobs", CrawlerJobCreate)
        .add("GET", "/api/v1/crawler-jobs", CrawlerJobList)
        .add("GET", "/api/v1/crawler-jobs/:id", CrawlerJobGet)
        .add("POST", "/api/v1/crawler-jobs/:id/cancel", CrawlerJobCancel)
        .add("GET", "/api/v1/products/search", ProductSearch)
        .add("GET", "/api/v1/interactions/organization/:orgId/search", InteractionSearch)
        .add("GET", "/api/v1/patterns/organization/:orgId/search", PatternSearch)
        .add("GET", "/api/v1/qna/search", QnaSearch)
        .add("POST", "/api/v1/qna/documents", QnaDocumentCreate)
        .add("GET", "/api/v1/qna/documents", QnaDocumentList)
        .add("GET", "/api/v1/qna/documents/:id", QnaDocumentGet)
        .add("DELETE", "/api/v1/qna/documents/:id", QnaDocumentDelete)
        .add("POST", "/api/v1/chat/sessions", ChatSessionCreate)
        .add("GET", "/api/v1/chat/sessions", ChatSessionList)
        .add("GET", "/api/v1/chat/sessions/:id", ChatSessionGet)
        .add("DELETE", "/api/v1/chat/sessions/:id", ChatSessionDelete)
        .add("POST", "/api/v1/chat/sessions/:id/messages", ChatMessagePost)
        .add("GET", "/api/v1/chat/sessions/:id/messages", ChatMessageList)
        .add("GET", "/api/v1/billing/plans", BillingPlans)
        .add("POST", "/api/v1/billing/checkout/session", BillingCheckout)
        .add("POST", "/api/v1/billing/portal-session", BillingPortal)
        .add("GET", "/api/v1/billing/subscription", BillingSubscription)
        .add("POST", "/api/v1/billing/subscriptions/:orgId/cancel", BillingCancel)
        .add("POST", "/api/v1/billing/subscriptions/:orgId/resume", BillingResume)
        .add("GET", "/api/v1/billing/invoices", BillingInvoices)
        .add("POST", "/api/v1/billing/webhook", BillingWebhook)
        // Analytics (issue 12).
        .add("GET", "/api/v1/analytics/organization/:orgId/products", AnalyticsProducts)
        .add("GET", "/api/v1/analytics/organization/:orgId/timeseries", AnalyticsTimeSeries)
        .add("GET", "/api/v1/analytics/organization/:orgId/compare", AnalyticsCompare)
        .add("GET", "/api/v1/analytics/organization/:orgId/funnel", AnalyticsFunnel)
        .add("GET", "/api/v1/analytics/organization/:orgId/stores", AnalyticsStores)
}

/// Everything a handler needs.
pub struct App<'a> {
    pub env: &'a Env,
    pub ctx: &'a Ctx,
    wctx: &'a Context,
    params: Params,
    /// Query-string pairs, decoded.
    pub query: Vec<(String, String)>,
    /// The resolved caller (`None`: anonymous, or a public route).
    pub caller: Option<Caller>,
}

impl App<'_> {
    /// A path parameter. Route patterns guarantee presence; a miss is a 404, not a panic.
    pub fn param(&self, name: &str) -> Result<&str> {
        self.params
            .get(name)
            .ok_or_else(|| ApiError::route_not_found(&self.ctx.method, &self.ctx.path).into())
    }

    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The caller, or 401.
    pub fn caller(&self) -> Result<&Caller> {
        self.caller.as_ref().ok_or_else(|| {
            ApiError::unauthorized("Authentication required: send an API key or a session cookie")
                .header("WWW-Authenticate", "Bearer realm=\"crow\"")
                .into()
        })
    }

    /// Runs work after the response is sent (bookkeeping writes).
    pub fn wait_until(&self, fut: impl std::future::Future<Output = ()> + 'static) {
        self.wctx.wait_until(fut);
    }
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<crawler::JobMessage>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    crawler::consume(batch, env).await
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::begin(&req, &env, GATEWAY_SERVICE);
    let origin = cors::allowed_origin(&env, &req);
    let mut limit: Option<limits::Applied> = None;
    let result = handle(req, &env, &ctx, &wctx, &mut limit).await.map_err(ApiError::from);
    let mut resp = finish(result, &ctx);
    if let Some(applied) = &limit {
        applied.apply(&mut resp);
        if matches!(resp.status_code(), 401 | 403) {
            limits::refund_later(&env, &wctx, applied);
        }
    }
    cors::decorate(&mut resp, origin.as_deref());
    Ok(resp)
}

/// Whether a method can change state (CSRF applies). Reads the request's real method string.
fn is_unsafe(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Ctx,
    wctx: &Context,
    limit: &mut Option<limits::Applied>,
) -> Result<Response> {
    if ctx.method == "OPTIONS" {
        return Ok(cors::preflight(env, &req)?);
    }
    let (route, params) = match router().resolve(&ctx.method, &ctx.path) {
        Resolution::Matched { route, params, .. } => (route, params),
        miss => return Err(route_miss(&miss, ctx).into()),
    };
    // Stripe's webhook deliveries are authenticated by signature and must never be throttled.
    let limited =
        ctx.path.starts_with("/api/v1/") && route != Route::BillingWebhook && limits::enabled(env);
    let query = req
        .url()
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default();
    let mut app = App { env, ctx, wctx, params, query, caller: None };
    // Whom a public route's request counts against, when it carries a valid credential.
    let mut counted_as: Option<Caller> = None;
    match route.auth() {
        AuthMode::Public => {
            // Sign-in, sign-up and email verification always count against the client address:
            // a brute-force guard that a caller's own valid session must not lift.
            let login = matches!(route, Route::SignUp | Route::VerifyEmail | Route::SignIn);
            if login {
                cors::check_login_origin(env, &req)?;
            }
            // Any other public route needs no credential, but one that is sent and valid is
            // counted against its own key or user, not the client address's small Public budget
            // (shared by everyone behind one NAT). An invalid one is ignored: the route is public.
            if limited && !login && auth::presents_credential(&req) {
                counted_as = auth::resolve(&app, &req).await.ok().flatten();
            }
        }
        AuthMode::Optional | AuthMode::Required => {
            match auth::resolve(&app, &req).await {
                Ok(caller) => app.caller = caller,
                // A failed credential counts against the client's address (brute-force guard),
                // never against the key it named.
                Err(e) => {
                    if limited {
                        let applied = limits::check(
                            env,
                            &ctx.meter,
                            limits::Subject::Ip(limits::client_ip(&req)),
                            limits::public_policy(),
                        )
                        .await?;
                        let refused = !applied.decision.allowed;
                        let too_many = applied.too_many();
                        *limit = Some(applied);
                        if refused {
                            return Err(too_many.into());
                        }
                    }
                    return Err(e);
                }
            }
        }
    }
    if limited {
        let target = match app.caller.as_ref().or(counted_as.as_ref()) {
            Some(c) => c.rate_subject().map(|s| (s, c.policy.clone())),
            None => Some((limits::Subject::Ip(limits::client_ip(&req)), limits::public_policy())),
        };
        if let Some((subject, policy)) = target {
            let applied = limits::check(env, &ctx.meter, subject, policy).await?;
            let refused = !applied.decision.allowed;
            let too_many = applied.too_many();
            *limit = Some(applied);
            if refused {
                return Err(too_many.into());
            }
        }
    }
    // After counting: anonymous probing of protected routes spends the client's per-IP budget.
    if route.auth() == AuthMode::Required {
        app.caller()?;
    }
    if app.caller.as_ref().is_some_and(Caller::is_session) && is_unsafe(&ctx.method) {
        cors::check_csrf(env, &req)?;
    }
    dispatch(route, &app, &mut req).await
}

async fn dispatch(route: Route, app: &App<'_>, req: &mut Request) -> Result<Response> {
    use routes::{
        auth as a, chat, health, interactions, notifications, orgs, patterns, products, qna,
        search, users,
    };
    match route {
        Route::Health => health::live(app),
        Route::Ready => health::ready(app).await,
        Route::OpenApi => {
            let server = req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
            Ok(crow_edge::json(200, &openapi::document(&server))?)
        }
        Route::SignUp => a::sign_up(app, req).await,
        Route::VerifyEmail => a::verify_email(app, req).await,
        Route::SignIn => a::sign_in(app, req).await,
        Route::SignOut => a::sign_out(app, req).await,
        Route::GetSession => a::get_session(app).await,
        Route::CreateKey => a::create_key(app, req).await,
        Route::ListKeys => a::list_keys(app, req).await,
        Route::RevokeKey => a::revoke_key(app).await,
        Route::VerifyKey => a::verify_key(app, req).await,
        Route::OrgCreate => orgs::create(app, req).await,
        Route::OrgList => orgs::list_mine(app).await,
        Route::OrgGet => orgs::get(app).await,
        Route::OrgUpdate => orgs::update(app, req).await,
        Route::OrgDelete => orgs::delete(app).await,
        Route::OrgActivate => orgs::activate(app).await,
        Route::MembersList => orgs::list_members(app).await,
        Route::MemberAdd => orgs::add_member(app, req).await,
        Route::MemberUpdate => orgs::update_member(app, req).await,
        Route::MemberRemove => orgs::remove_member(app).await,
        Route::Me => users::me(app).await,
        Route::MeUpdate => users::update_me(app, req).await,
        Route::PreferencesGet => users::get_preferences(app).await,
        Route::PreferencesPut => users::put_preferences(app, req).await,
        Route::PicturePut => users::put_picture(app, req).await,
        Route::PictureDelete => users::delete_picture(app).await,
        Route::PictureGet => users::get_picture(app).await,
        Route::ProductCreate => products::create(app, req).await,
        Route::ProductList => products::list(app).await,
        Route::ProductGet => products::get(app).await,
        Route::ProductUpdate => products::update(app, req).await,
        Route::ProductDelete => products::delete(app).await,
        Route::ProductDescriptions => products::get_descriptions(app).await,
        Route::ProductDescriptionsGenerate => products::generate_descriptions(app).await,
        Route::InteractionIngest => interactions::ingest(app, req).await,
        Route::InteractionList => interactions::list(app).await,
        Route::InteractionSummary => interactions::summary(app).await,
        Route::PatternCreate => patterns::create(app, req).await,
        Route::PatternList => patterns::list(app).await,
        Route::NotificationList => notifications::list(app).await,
        Route::NotificationUnreadCount => notifications::unread_count(app).await,
        Route::NotificationRead => notifications::mark_read(app).await,
        Route::NotificationReadAll => notifications::mark_all_read(app).await,
        Route::CrawlerJobCreate => crawler::create(app, req).await,
        Route::CrawlerJobList => crawler::list(app).await,
        Route::CrawlerJobGet => crawler::get(app).await,
        Route::CrawlerJobCancel => crawler::cancel(app).await,
        Route::ProductSearch => search::products(app).await,
        Route::InteractionSearch => search::interactions(app).await,
        Route::PatternSearch => search::patterns(app).await,
        Route::QnaSearch => search::qna(app).await,
        Route::QnaDocumentCreate => qna::create(app, req).await,
        Route::QnaDocumentList => qna::list(app).await,
        Route::QnaDocumentGet => qna::get(app).await,
        Route::QnaDocumentDelete => qna::delete(app).await,
        Route::ChatSessionCreate | Route::ChatSessionList => {
            chat::forward(app, req, "sessions").await
        }
        Route::ChatSessionGet | Route::ChatSessionDelete => {
            chat::forward(app, req, &format!("sessions/{}", app.param("id")?)).await
        }
        Route::ChatMessagePost | Route::ChatMessageList => {
            chat::forward(app, req, &format!("sessions/{}/messages", app.param("id")?)).await
        }
        Route::BillingPlans => billing::plans(app),
        Route::BillingCheckout => billing::checkout(app, req).await,
        Route::BillingPortal => billing::portal(app, req).await,
        Route::BillingSubscription => billing::subscription(app).await,
        Route::BillingCancel => billing::set_cancel(app, true).await,
        Route::BillingResume => billing::set_cancel(app, false).await,
        Route::BillingInvoices => billing::invoices(app).await,
        Route::BillingWebhook => billing::webhook(app, req).await,
        // Analytics (issue 12).
        Route::AnalyticsProducts => routes::analytics::products(app).await,
        Route::AnalyticsTimeSeries => routes::analytics::timeseries(app).await,
        Route::AnalyticsCompare => routes::analytics::compare(app).await,
        Route::AnalyticsFunnel => routes::analytics::funnel(app).await,
        Route::AnalyticsStores => routes::analytics::stores(app).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_is_well_formed() {
        let r = router();
        assert!(matches!(
            r.resolve("GET", "/health"),
            Resolution::Matched { route: Route::Health, .. }
        ));
        assert!(matches!(r.resolve("POST", "/health"), Resolution::MethodNotAllowed { .. }));
        assert!(matches!(r.resolve("GET", "/nope"), Resolution::NotFound));
    }
}
