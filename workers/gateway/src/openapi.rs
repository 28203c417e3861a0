//! The gateway's OpenAPI 3.1 document, served at `/api/v1/openapi.json`.
//!
//! It cannot drift from the routes: paths and methods come from the same route table the
//! gateway dispatches on, and [`operation`] is an exhaustive `match` on [`Route`], so a new route
//! does not compile until it is documented. Unit tests check the other direction (every
//! documented operation is a route) and that every `$ref` resolves; the e2e suite validates real
//! responses against these schemas, and schemathesis fuzzes the document.

use crow_common::router::Router;
use crow_common::ErrorCode;
use serde_json::{json, Map, Value};

use crate::{router, AuthMode, Route};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
fn s() -> Value {
    json!({ "type": "string" })
}
fn ns() -> Value {
    json!({ "type": ["string", "null"] })
}
fn int() -> Value {
    json!({ "type": "integer" })
}
fn ts() -> Value {
    json!({ "type": "string", "format": "date-time" })
}
fn nts() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}
fn arr(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}
fn any_obj() -> Value {
    json!({ "type": "object" })
}
fn en(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}
/// A closed object: the listed properties, `required` among them, nothing else.
fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}
fn page(item: &str) -> Value {
    obj(
        &["data", "nextCursor", "total", "limit", "page"],
        json!({
            "data": arr(r(item)),
            "nextCursor": { "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page." },
            "total": int(),
            "limit": int(),
            "page": { "type": ["integer", "null"] },
        }),
    )
}

const API_KEY_FIELDS: [&str; 10] = [
    "id",
    "organizationId",
    "name",
    "start",
    "prefix",
    "createdBy",
    "createdAt",
    "expiresAt",
    "lastUsedAt",
    "revokedAt",
];

fn api_key_props(with_key: bool) -> Value {
    let mut props = json!({
        "id": s(), "organizationId": s(), "name": s(), "start": s(), "prefix": s(), "createdBy": ns(),
        "createdAt": ts(), "expiresAt": ts(), "lastUsedAt": nts(), "revokedAt": nts(),
    });
    if with_key {
        props["key"] = json!({ "type": "string", "description": "The full key. Shown only in this response." });
    }
    props
}

const PRODUCT_FIELDS: [&str; 12] = [
    "id",
    "organizationId",
    "sku",
    "name",
    "description",
    "category",
    "brand",
    "priceCents",
    "currency",
    "tags",
    "createdAt",
    "updatedAt",
];
fn product_props() -> Value {
    json!({
        "id": s(), "organizationId": s(), "sku": ns(), "name": s(), "description": s(), "category": ns(), "brand": ns(),
        "priceCents": { "type": ["integer", "null"] }, "currency": s(), "tags": arr(s()), "createdAt": ts(), "updatedAt": ts(),
    })
}
const INTERACTION_FIELDS: [&str; 8] =
    ["id", "eventId", "sourceType", "kind", "productId", "occurredAt", "content", "attributes"];
fn interaction_props() -> Value {
    json!({
        "id": s(), "eventId": s(), "sourceType": en(&["web", "cctv", "social"]), "kind": s(), "productId": ns(),
        "occurredAt": ts(), "content": s(), "attributes": any_obj(),
    })
}
const PATTERN_FIELDS: [&str; 9] = [
    "id",
    "period",
    "title",
    "description",
    "metric",
    "value",
    "periodStart",
    "confidence",
    "createdAt",
];
fn pattern_props() -> Value {
    json!({
        "id": s(), "period": en(&["daily", "weekly", "monthly", "yearly"]), "title": s(), "description": s(), "metric": ns(),
        "value": { "type": ["number", "null"] }, "periodStart": ts(), "confidence": { "type": ["number", "null"] }, "createdAt": ts(),
    })
}
const DOCUMENT_FIELDS: [&str; 8] = [
    "id",
    "organizationId",
    "source",
    "sourceUrl",
    "title",
    "characters",
    "createdAt",
    "updatedAt",
];
fn document_props(with_content: bool) -> Value {
    let mut p = json!({
        "id": s(), "organizationId": s(), "source": en(&["text", "crawler"]), "sourceUrl": ns(), "title": s(),
        "characters": int(), "createdAt": ts(), "updatedAt": ts(),
    });
    if with_content {
        p["content"] = s();
    }
    p
}

/// A search answer: the items (with `score`, and `snippet` when full-text matched) and paging.
fn search_page(_item: &str, fields: &[&str], mut props: Value) -> Value {
    props["score"] = json!({ "type": "number" });
    props["snippet"] = s();
    let required: Vec<&str> = fields.iter().copied().chain(["score"]).collect();
    obj(
        &["query", "mode", "data", "limit", "page", "matched"],
        json!({
            "query": s(), "mode": en(&["semantic", "fts", "hybrid"]),
            "data": arr(obj(&required, props)),
            "limit": int(), "page": int(), "matched": int(),
        }),
    )
}

fn schemas() -> Value {
    let error_codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut v = json!({
        "Error": obj(&["error"], json!({ "error": obj(&["code", "message", "details", "request_id"], json!({
            "code": { "type": "string", "enum": error_codes },
            "message": s(),
            "details": { "type": "object", "description": "Machine-readable; `field` names the offending input. Ignore unknown keys." },
            "request_id": s(),
        })) })),
        "Health": obj(&["status", "service", "version", "environment", "api_versions"], json!({
            "status": s(), "service": s(), "version": s(), "environment": s(), "api_versions": arr(s()),
        })),
        "Ready": obj(&["status", "service", "checks", "ms"], json!({ "status": s(), "service": s(), "checks": any_obj(), "ms": int() })),
        "User": obj(&["id", "email", "name", "image", "activeOrganizationId", "createdAt", "updatedAt"], json!({
            "id": s(), "email": { "type": "string", "format": "email" }, "name": s(), "image": ns(),
            "activeOrganizationId": ns(), "createdAt": ts(), "updatedAt": ts(),
        })),
        "SignUpRequest": obj(&["name", "email", "password"], json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 100 },
            "email": { "type": "string", "format": "email", "maxLength": 254 },
            "password": { "type": "string", "minLength": 10, "maxLength": 128 },
        })),
        "SignUpAccepted": obj(&["status", "email", "expiresAt"], json!({
            "status": en(&["verification_sent"]),
            "email": { "type": "string", "format": "email" },
            "expiresAt": ts(),
        })),
        "VerifyEmailRequest": obj(&["token", "password"], json!({
            "token": { "type": "string", "minLength": 43, "maxLength": 43, "pattern": "^[A-Za-z0-9]+$", "description": "The code from the sign-up mail." },
            "password": { "type": "string", "minLength": 1, "maxLength": 128, "description": "The password chosen at sign-up." },
        })),
        "SignInRequest": obj(&["email", "password"], json!({ "email": s(), "password": s() })),
        "AuthResult": obj(&["user", "session"], json!({ "user": r("User"), "session": obj(&["expiresAt"], json!({ "expiresAt": ts() })) })),
        "SessionInfo": obj(&["session", "user"], json!({
            "session": obj(&["id", "createdAt", "expiresAt"], json!({ "id": s(), "createdAt": ts(), "expiresAt": ts() })),
            "user": r("User"),
        })),
        "Success": obj(&["success"], json!({ "success": { "type": "boolean" } })),
        "ApiKey": obj(&API_KEY_FIELDS, api_key_props(false)),
        "ApiKeyCreated": obj(&[&API_KEY_FIELDS[..], &["key"]].concat(), api_key_props(true)),
        "ApiKeyList": obj(&["data"], json!({ "data": arr(r("ApiKey")) })),
        "CreateApiKeyRequest": obj(&["name"], json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 64 },
            "expiresIn": { "type": "integer", "minimum": 86400, "maximum": 31536000, "description": "Seconds; default and maximum one year." },
            "organizationId": s(),
        })),
        "VerifyRequest": obj(&["key"], json!({ "key": s(), "consume": { "type": "boolean" }, "clientIp": s() })),
        "VerifyResult": {
            "type": "object", "required": ["valid"],
            "description": "Callers without the internal key receive only `valid`.",
            "properties": {
                "valid": { "type": "boolean" }, "code": s(), "keyId": s(), "organizationId": s(), "userId": ns(),
                "expiresAt": ts(), "tier": s(), "rateLimit": any_obj(),
            },
        },
        "RateLimits": obj(&["tier", "perMinute", "perDay"], json!({ "tier": en(&["free", "starter", "professional", "enterprise"]), "perMinute": int(), "perDay": int() })),
        "Organization": obj(&["id", "name", "slug", "plan", "role", "rateLimits", "createdAt", "updatedAt"], json!({
            "id": s(), "name": s(), "slug": s(), "plan": en(&["free", "starter", "professional", "enterprise"]),
            "role": { "type": ["string", "null"], "enum": ["owner", "admin", "member", null] },
            "rateLimits": r("RateLimits"), "createdAt": ts(), "updatedAt": ts(),
        })),
        "OrganizationList": obj(&["data", "activeOrganizationId"], json!({ "data": arr(r("Organization")), "activeOrganizationId": ns() })),
        "NameRequest": obj(&["name"], json!({ "name": { "type": "string", "minLength": 1, "maxLength": 100 } })),
        "UpdateOrganizationRequest": obj(&[], json!({ "name": { "type": "string", "minLength": 1, "maxLength": 100 } })),
        "Deleted": obj(&["id", "deleted"], json!({ "id": s(), "deleted": { "type": "boolean" } })),
        "ActiveOrganization": obj(&["activeOrganizationId"], json!({ "activeOrganizationId": s() })),
        "Member": obj(&["userId", "email", "name", "role", "joinedAt"], json!({
            "userId": s(), "email": s(), "name": s(), "role": en(&["owner", "admin", "member"]), "joinedAt": ts(),
        })),
        "MemberList": obj(&["data"], json!({ "data": arr(r("Member")) })),
        "AddMemberRequest": obj(&["email", "role"], json!({ "email": s(), "role": en(&["owner", "admin", "member"]) })),
        "ChangeRoleRequest": obj(&["role"], json!({ "role": en(&["owner", "admin", "member"]) })),
        "MemberRemoved": obj(&["userId", "removed"], json!({ "userId": s(), "removed": { "type": "boolean" } })),
        "UpdateUserRequest": obj(&[], json!({ "name": { "type": "string", "minLength": 1, "maxLength": 100 } })),
        "Preferences": obj(&["preferences", "updatedAt"], json!({ "preferences": any_obj(), "updatedAt": nts() })),
        "Product": obj(&PRODUCT_FIELDS, product_props()),
        "ProductInput": obj(&[], json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 200 },
            "description": { "type": "string", "maxLength": 5000 },
            "sku": { "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$" },
            "category": { "type": "string", "maxLength": 100 },
            "brand": { "type": "string", "maxLength": 100 },
            "priceCents": { "type": "integer", "minimum": 0, "maximum": 1000000000 },
            "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
            "tags": { "type": "array", "maxItems": 20, "items": { "type": "string", "minLength": 1, "maxLength": 40 } },
        })),
        "ProductPage": page("Product"),
        "Descriptions": obj(&["productId", "descriptions"], json!({
            "productId": s(),
            "descriptions": arr(obj(&["style", "text", "model", "generatedAt"], json!({ "style": s(), "text": s(), "model": s(), "generatedAt": ts() }))),
        })),
        "InteractionInput": obj(&["eventId", "sourceType", "kind", "occurredAt"], json!({
            "eventId": { "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$", "description": "Client-supplied; ingest is idempotent on it." },
            "sourceType": en(&["web", "cctv", "social"]),
            "kind": { "type": "string", "pattern": "^[a-z_]{1,40}$" },
            "occurredAt": { "type": "string", "format": "date-time" },
            "productId": { "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$", "description": "One of the organization's products; else `attributes.sku` names it by SKU. Unknown ones stay unlinked." },
            "content": { "type": "string", "maxLength": 2000 },
            "attributes": any_obj(),
        })),
        "InteractionBatch": obj(&["interactions"], json!({ "interactions": { "type": "array", "minItems": 1, "maxItems": 500, "items": r("InteractionInput") } })),
        "IngestResult": obj(&["received", "inserted", "duplicates", "linked"], json!({ "received": int(), "inserted": int(), "duplicates": int(),
            "linked": { "type": "integer", "description": "Inserted interactions linked to one of the organization's products (by productId, else attributes.sku)." } })),
        "Interaction": obj(&INTERACTION_FIELDS, interaction_props()),
        "InteractionPage": page("Interaction"),
        "InteractionSummary": obj(&["organizationId", "web", "cctv", "social", "total", "from", "to"], json!({
            "organizationId": s(), "web": int(), "cctv": int(), "social": int(), "total": int(), "from": ns(), "to": ns(),
        })),
        "PatternInput": obj(&["period", "title", "periodStart"], json!({
            "period": en(&["daily", "weekly", "monthly", "yearly"]),
            "title": { "type": "string", "minLength": 1, "maxLength": 200 },
            "description": { "type": "string", "maxLength": 2000 },
            "metric": { "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$" },
            "value": { "type": "number" },
            "periodStart": { "type": "string", "format": "date-time" },
            "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
        })),
        "PatternBatch": obj(&["patterns"], json!({ "patterns": { "type": "array", "minItems": 1, "maxItems": 200, "items": r("PatternInput") } })),
        "PatternsCreated": obj(&["created", "ids"], json!({ "created": int(), "ids": arr(s()) })),
        "Pattern": obj(&PATTERN_FIELDS, pattern_props()),
        "PatternPage": page("Pattern"),
        "Notification": obj(&["id", "organizationId", "kind", "title", "body", "data", "read", "readAt", "createdAt"], json!({
            "id": s(), "organizationId": s(), "kind": s(), "title": s(), "body": s(), "data": any_obj(),
            "read": { "type": "boolean" }, "readAt": nts(), "createdAt": ts(),
        })),
        "NotificationPage": page("Notification"),
        "UnreadCount": obj(&["unread"], json!({ "unread": int() })),
        "Marked": obj(&["marked"], json!({ "marked": int() })),
        "CrawlerJobRequest": obj(&["url"], json!({ "url": { "type": "string", "format": "uri", "maxLength": 2048 } })),
        "CrawlerJob": obj(&["id", "organizationId", "url", "status", "progress", "error", "title", "bytes", "documentId", "createdAt", "startedAt", "finishedAt"], json!({
            "id": s(), "organizationId": s(), "url": s(), "status": en(&["queued", "running", "completed", "failed", "cancelled"]),
            "progress": int(), "error": ns(), "title": ns(), "bytes": { "type": ["integer", "null"] }, "documentId": ns(),
            "createdAt": ts(), "startedAt": nts(), "finishedAt": nts(),
        })),
        "CrawlerJobPage": page("CrawlerJob"),
        "ProductSearch": search_page("Product", &PRODUCT_FIELDS, product_props()),
        "InteractionSearch": search_page("Interaction", &INTERACTION_FIELDS, interaction_props()),
        "PatternSearch": search_page("Pattern", &PATTERN_FIELDS, pattern_props()),
        "PassageSearch": search_page("Passage", &["documentId", "title", "chunkIndex", "text", "charStart", "charEnd"], json!({
            "documentId": s(), "title": s(), "chunkIndex": int(), "text": s(), "charStart": int(), "charEnd": int(),
        })),
        "DocumentRequest": obj(&["title", "text"], json!({
            "title": { "type": "string", "minLength": 1, "maxLength": 200 },
            "text": { "type": "string", "minLength": 1, "maxLength": 200000 },
        })),
        "Document": obj(&DOCUMENT_FIELDS, document_props(false)),
        "DocumentCreated": obj(&[&DOCUMENT_FIELDS[..], &["chunks"]].concat(), { let mut p = document_props(false); p["chunks"] = int(); p }),
        "DocumentWithContent": obj(&[&DOCUMENT_FIELDS[..], &["content"]].concat(), document_props(true)),
        "DocumentPage": page("Document"),
        "PlanList": obj(&["data"], json!({ "data": arr(obj(&["id", "priceId", "rateLimits", "custom"], json!({
            "id": en(&["free", "starter", "professional", "enterprise"]), "priceId": ns(),
            "rateLimits": obj(&["perMinute", "perDay"], json!({ "perMinute": int(), "perDay": int() })), "custom": { "type": "boolean" },
        }))) })),
        "CheckoutRequest": obj(&["plan"], json!({ "plan": en(&["starter", "professional", "enterprise"]), "successUrl": s(), "cancelUrl": s() })),
        "CheckoutSession": obj(&["id", "url", "plan"], json!({ "id": s(), "url": ns(), "plan": s() })),
        "PortalRequest": obj(&[], json!({ "returnUrl": s() })),
        "PortalSession": obj(&["url"], json!({ "url": ns() })),
        "Subscription": obj(&["organizationId", "plan", "status", "subscriptionId", "currentPeriodEnd", "cancelAtPeriodEnd"], json!({
            "organizationId": s(), "plan": en(&["free", "starter", "professional", "enterprise"]), "status": ns(), "subscriptionId": ns(),
            "currentPeriodEnd": nts(), "cancelAtPeriodEnd": { "type": "boolean" },
        })),
        "InvoiceList": obj(&["data"], json!({ "data": arr(obj(&["id", "status", "amountDue", "amountPaid", "currency", "hostedInvoiceUrl", "createdAt"], json!({
            "id": s(), "status": s(), "amountDue": int(), "amountPaid": int(), "currency": s(), "hostedInvoiceUrl": ns(), "createdAt": ts(),
        }))) })),
        "StripeEvent": { "type": "object", "required": ["id", "type", "data"], "properties": { "id": s(), "type": s(), "created": int(), "data": any_obj() } },
        "WebhookResult": { "type": "object", "required": ["received"], "properties": { "received": { "type": "boolean" }, "duplicate": { "type": "boolean" }, "applied": { "type": "boolean" } } },
        "ChatSessionRequest": { "type": "object", "properties": { "title": { "type": "string", "maxLength": 200 } } },
        "ChatSession": { "type": "object", "required": ["id", "title", "messageCount", "createdAt", "updatedAt"], "properties": {
            "id": s(), "title": ns(), "messageCount": int(), "createdAt": ts(), "updatedAt": ts(),
        } },
        "ChatSessionList": { "type": "object", "required": ["data", "nextCursor", "total", "limit", "page"], "properties": {
            "data": arr(r("ChatSession")), "nextCursor": ns(), "total": int(), "limit": int(), "page": { "type": ["integer", "null"] },
        } },
        "ChatMessageRequest": { "type": "object", "required": ["content"], "properties": { "content": { "type": "string", "minLength": 1, "maxLength": 4000 } } },
        "ChatMessage": { "type": "object", "required": ["id", "sessionId", "role", "content", "createdAt"], "properties": {
            "id": s(), "sessionId": s(), "role": en(&["user", "assistant"]), "content": s(), "sources": arr(any_obj()),
            "toolCalls": arr(any_obj()), "model": ns(), "createdAt": ts(),
        } },
        "ChatMessageList": { "type": "object", "required": ["data", "nextCursor", "total", "limit", "page"], "properties": {
            "data": arr(r("ChatMessage")), "nextCursor": ns(), "total": int(), "limit": int(), "page": { "type": ["integer", "null"] },
        } },
    });
    if let (Some(all), Value::Object(more)) = (v.as_object_mut(), analytics_schemas()) {
        all.extend(more);
    }
    v
}

// Analytics (issue 12): the answers of `/api/v1/analytics/organization/:orgId/*`, exactly the
// fields `crow_analytics::report` serializes.
const SCOPE_FIELDS: [&str; 6] =
    ["organizationId", "from", "to", "timeZone", "currency", "sourceType"];
const FIGURE_FIELDS: [&str; 19] = [
    "views",
    "addToCarts",
    "purchases",
    "units",
    "revenueCents",
    "conversionRate",
    "cartToPurchaseRate",
    "socialMentions",
    "positiveMentions",
    "negativeMentions",
    "positiveShare",
    "negativeShare",
    "dwellEvents",
    "dwellSeconds",
    "avgDwellSeconds",
    "shelfInteractions",
    "footfall",
    "searches",
    "interactions",
];
const RATES: [&str; 5] =
    ["conversionRate", "cartToPurchaseRate", "positiveShare", "negativeShare", "avgDwellSeconds"];

fn num_or_null() -> Value {
    json!({ "type": ["number", "null"] })
}

/// A closed object of the scope fields, `extra` and the given property groups.
fn analytics_obj(groups: &[(&[&str], Value)]) -> Value {
    let mut required: Vec<&str> = SCOPE_FIELDS.to_vec();
    let mut props = json!({
        "organizationId": s(), "from": ts(), "to": ts(),
        "timeZone": { "type": "string", "description": "Time zone of the buckets and dates (UTC)." },
        "currency": { "type": "string", "description": "ISO 4217 currency of revenue figures (cents)." },
        "sourceType": { "type": ["string", "null"], "enum": ["web", "cctv", "social", null] },
    });
    for (names, p) in groups {
        required.extend(names.iter());
        if let (Some(all), Some(more)) = (props.as_object_mut(), p.as_object()) {
            all.extend(more.clone());
        }
    }
    obj(&required, props)
}

fn figures_props() -> Value {
    let mut p = Map::new();
    for f in FIGURE_FIELDS {
        p.insert(f.into(), if RATES.contains(&f) { num_or_null() } else { int() });
    }
    Value::Object(p)
}

fn closed(groups: &[(&[&str], Value)]) -> Value {
    let mut required: Vec<&str> = vec![];
    let mut props = Map::new();
    for (names, p) in groups {
        required.extend(names.iter());
        if let Some(more) = p.as_object() {
            props.extend(more.clone());
        }
    }
    obj(&required, Value::Object(props))
}

const PRODUCT_REF: [&str; 4] = ["productId", "name", "sku", "category"];
fn product_ref_props() -> Value {
    json!({ "productId": s(), "name": s(), "sku": ns(), "category": ns() })
}
const STEP_FIELDS: [&str; 6] = [
    "views",
    "addToCarts",
    "purchases",
    "viewToCartRate",
    "cartToPurchaseRate",
    "viewToPurchaseRate",
];
fn steps_props() -> Value {
    json!({ "views": int(), "addToCarts": int(), "purchases": int(), "viewToCartRate": num_or_null(),
        "cartToPurchaseRate": num_or_null(), "viewToPurchaseRate": num_or_null() })
}
const IN_STORE: [&str; 6] = [
    "footfall",
    "dwellEvents",
    "dwellSeconds",
    "avgDwellSeconds",
    "shelfInteractions",
    "interactions",
];
fn in_store_props() -> Value {
    json!({ "footfall": int(), "dwellEvents": int(), "dwellSeconds": int(), "avgDwellSeconds": num_or_null(),
        "shelfInteractions": int(), "interactions": int() })
}

fn analytics_schemas() -> Value {
    let period =
        obj(&["from", "to", "value"], json!({ "from": ts(), "to": ts(), "value": num_or_null() }));
    json!({
        "AnalyticsFigures": obj(&FIGURE_FIELDS, figures_props()),
        "AnalyticsProductFigures": closed(&[(&PRODUCT_REF, product_ref_props()), (&FIGURE_FIELDS, figures_props())]),
        "AnalyticsProducts": analytics_obj(&[(&["category", "sort", "order", "limit", "productCount", "totals", "products"], json!({
            "category": ns(), "sort": en(&crow_analytics::Metric::names()), "order": en(&["asc", "desc"]),
            "limit": int(), "productCount": int(), "totals": r("AnalyticsFigures"),
            "products": arr(r("AnalyticsProductFigures")),
        }))]),
        "AnalyticsTimeSeries": analytics_obj(&[(&["metric", "interval", "productId", "category", "total", "points"], json!({
            "metric": en(&crow_analytics::Metric::names()), "interval": en(&["day", "week", "month"]),
            "productId": ns(), "category": ns(), "total": num_or_null(),
            "points": arr(obj(&["start", "end", "value"], json!({ "start": ts(), "end": ts(), "value": num_or_null() }))),
        }))]),
        "AnalyticsComparison": analytics_obj(&[(&["metric", "groupBy", "category", "current", "previous", "absoluteChange", "relativeChange", "items"], json!({
            "metric": en(&crow_analytics::Metric::names()), "groupBy": en(&["none", "product", "category"]),
            "category": ns(), "current": period.clone(), "previous": period,
            "absoluteChange": num_or_null(), "relativeChange": num_or_null(),
            "items": arr(obj(&["key", "name", "sku", "current", "previous", "absoluteChange", "relativeChange"], json!({
                "key": s(), "name": s(), "sku": ns(), "current": num_or_null(), "previous": num_or_null(),
                "absoluteChange": num_or_null(), "relativeChange": num_or_null(),
            }))),
        }))]),
        "AnalyticsFunnel": analytics_obj(&[(&["category", "overall", "products"], json!({
            "category": ns(), "overall": obj(&STEP_FIELDS, steps_props()),
            "products": arr(closed(&[(&PRODUCT_REF, product_ref_props()), (&STEP_FIELDS, steps_props())])),
        }))]),
        "AnalyticsStores": analytics_obj(&[(&["overall", "stores"], json!({
            "overall": obj(&IN_STORE, in_store_props()),
            "stores": arr(closed(&[(&["store", "zones"], json!({
                "store": s(),
                "zones": arr(closed(&[(&["zone"], json!({ "zone": s() })), (&IN_STORE, in_store_props())])),
            })), (&IN_STORE, in_store_props())])),
        }))]),
    })
}

/// How one route is documented.
pub struct Operation {
    pub summary: &'static str,
    pub tag: &'static str,
    pub request: Option<&'static str>,
    /// Success status and response schema (`None`: no JSON body).
    pub response: (u16, Option<&'static str>),
    /// Query parameters: (name, schema, description).
    pub query: &'static [(&'static str, &'static str, &'static str)],
}

const PAGE_Q: [(&str, &str, &str); 3] = [
    ("limit", "limit", "Items per page, 1 to 100 (default 20)."),
    ("cursor", "string", "`nextCursor` of the previous page."),
    ("page", "page", "1-based page number (instead of `cursor`)."),
];
const SEARCH_Q: [(&str, &str, &str); 5] = [
    ("query", "query", "What to look for, 1 to 512 characters."),
    ("mode", "mode", "semantic, fts or hybrid (default)."),
    ("limit", "limit50", "Results per page, 1 to 50."),
    ("page", "page100", "1-based page of the ranked results."),
    ("organizationId", "string", "The organization; defaults to the key's or the active one."),
];
const WINDOW_Q: [(&str, &str, &str); 3] = [
    ("from", "date-time", "Inclusive start (ISO 8601); default 30 days before `to`."),
    ("to", "date-time", "Exclusive end (ISO 8601); default now. At most 2 years after `from`."),
    ("sourceType", "sourceType", "Only web, cctv or social interactions."),
];
const ORG_Q: (&str, &str, &str) =
    ("organizationId", "string", "The organization; defaults to the key's or the active one.");

fn op(
    summary: &'static str,
    tag: &'static str,
    request: Option<&'static str>,
    response: (u16, Option<&'static str>),
    query: &'static [(&'static str, &'static str, &'static str)],
) -> Operation {
    Operation { summary, tag, request, response, query }
}

/// Documentation of every route. Exhaustive: adding a `Route` without documenting it does not
/// compile.
pub fn operation(route: Route) -> Operation {
    use Route::*;
    match route {
        Health => op("Liveness", "health", None, (200, Some("Health")), &[]),
        Ready => {
            op("Readiness: every binding exercised", "health", None, (200, Some("Ready")), &[])
        }
        OpenApi => op("This document", "health", None, (200, None), &[]),
        SignUp => op(
            "Start a sign-up: the same answer for every address; the outcome is mailed",
            "auth",
            Some("SignUpRequest"),
            (202, Some("SignUpAccepted")),
            &[],
        ),
        VerifyEmail => op(
            "Finish a sign-up with the mailed token and its password: create the account, start a session",
            "auth",
            Some("VerifyEmailRequest"),
            (201, Some("AuthResult")),
            &[],
        ),
        SignIn => {
            op("Start a session", "auth", Some("SignInRequest"), (200, Some("AuthResult")), &[])
        }
        SignOut => op("End the current session", "auth", None, (200, Some("Success")), &[]),
        GetSession => {
            op("The current session and user", "auth", None, (200, Some("SessionInfo")), &[])
        }
        CreateKey => op(
            "Create an API key (shown once)",
            "auth",
            Some("CreateApiKeyRequest"),
            (201, Some("ApiKeyCreated")),
            &[],
        ),
        ListKeys => {
            op("List an organization's API keys", "auth", None, (200, Some("ApiKeyList")), &[ORG_Q])
        }
        RevokeKey => op("Revoke an API key", "auth", None, (200, Some("ApiKey")), &[]),
        VerifyKey => {
            op("Verify an API key", "auth", Some("VerifyRequest"), (200, Some("VerifyResult")), &[])
        }
        OrgCreate => op(
            "Create an organization",
            "organizations",
            Some("NameRequest"),
            (201, Some("Organization")),
            &[],
        ),
        OrgList => op(
            "The caller's organizations",
            "organizations",
            None,
            (200, Some("OrganizationList")),
            &[],
        ),
        OrgGet => {
            op("Get an organization", "organizations", None, (200, Some("Organization")), &[])
        }
        OrgUpdate => op(
            "Rename an organization",
            "organizations",
            Some("UpdateOrganizationRequest"),
            (200, Some("Organization")),
            &[],
        ),
        OrgDelete => {
            op("Delete an organization (owner)", "organizations", None, (200, Some("Deleted")), &[])
        }
        OrgActivate => op(
            "Make an organization the active one",
            "organizations",
            None,
            (200, Some("ActiveOrganization")),
            &[],
        ),
        MembersList => op("List members", "organizations", None, (200, Some("MemberList")), &[]),
        MemberAdd => op(
            "Add a member by email",
            "organizations",
            Some("AddMemberRequest"),
            (201, Some("Member")),
            &[],
        ),
        MemberUpdate => op(
            "Change a member's role",
            "organizations",
            Some("ChangeRoleRequest"),
            (200, Some("Member")),
            &[],
        ),
        MemberRemove => {
            op("Remove a member", "organizations", None, (200, Some("MemberRemoved")), &[])
        }
        Me => op("My profile", "users", None, (200, Some("User")), &[]),
        MeUpdate => {
            op("Update my profile", "users", Some("UpdateUserRequest"), (200, Some("User")), &[])
        }
        PreferencesGet => op("My preferences", "users", None, (200, Some("Preferences")), &[]),
        PreferencesPut => op(
            "Replace my preferences (JSON object, at most 16 KiB)",
            "users",
            Some("Preferences.body"),
            (200, Some("Preferences")),
            &[],
        ),
        PicturePut => op(
            "Upload my profile picture (PNG, JPEG, WebP or GIF, at most 2 MiB)",
            "users",
            Some("image"),
            (200, Some("User")),
            &[],
        ),
        PictureDelete => op("Delete my profile picture", "users", None, (200, Some("User")), &[]),
        PictureGet => op("A user's profile picture", "users", None, (200, None), &[]),
        ProductCreate => op(
            "Create a product",
            "products",
            Some("ProductInput"),
            (201, Some("Product")),
            &[ORG_Q],
        ),
        ProductList => op(
            "List an organization's products",
            "products",
            None,
            (200, Some("ProductPage")),
            &[PAGE_Q[0], PAGE_Q[1], PAGE_Q[2], ("category", "string", "Only this category.")],
        ),
        ProductGet => op("Get a product", "products", None, (200, Some("Product")), &[]),
        ProductUpdate => {
            op("Update a product", "products", Some("ProductInput"), (200, Some("Product")), &[])
        }
        ProductDelete => op("Delete a product", "products", None, (200, Some("Deleted")), &[]),
        ProductDescriptions => {
            op("A product's AI descriptions", "products", None, (200, Some("Descriptions")), &[])
        }
        ProductDescriptionsGenerate => op(
            "(Re)generate a product's AI descriptions",
            "products",
            None,
            (201, Some("Descriptions")),
            &[],
        ),
        InteractionIngest => op(
            "Ingest interactions (idempotent on eventId, at most 500)",
            "interactions",
            Some("InteractionBatch"),
            (200, Some("IngestResult")),
            &[],
        ),
        InteractionList => op(
            "List interactions",
            "interactions",
            None,
            (200, Some("InteractionPage")),
            &[
                PAGE_Q[0],
                PAGE_Q[1],
                PAGE_Q[2],
                ("sourceType", "sourceType", "web, cctv or social."),
                ("from", "date-time", "Inclusive lower bound of occurredAt."),
                ("to", "date-time", "Exclusive upper bound of occurredAt."),
            ],
        ),
        InteractionSummary => op(
            "Channel breakdown",
            "interactions",
            None,
            (200, Some("InteractionSummary")),
            &[
                ("from", "date-time", "Inclusive lower bound."),
                ("to", "date-time", "Exclusive upper bound."),
            ],
        ),
        PatternCreate => op(
            "Create patterns",
            "patterns",
            Some("PatternBatch"),
            (201, Some("PatternsCreated")),
            &[],
        ),
        PatternList => op(
            "List patterns",
            "patterns",
            None,
            (200, Some("PatternPage")),
            &[
                PAGE_Q[0],
                PAGE_Q[1],
                PAGE_Q[2],
                ("period", "period", "daily, weekly, monthly or yearly."),
            ],
        ),
        NotificationList => op(
            "My notifications",
            "notifications",
            None,
            (200, Some("NotificationPage")),
            &[
                PAGE_Q[0],
                PAGE_Q[1],
                PAGE_Q[2],
                ("unread", "boolean", "Only unread (true) or read (false)."),
            ],
        ),
        NotificationUnreadCount => op(
            "How many notifications are unread",
            "notifications",
            None,
            (200, Some("UnreadCount")),
            &[],
        ),
        NotificationRead => {
            op("Mark a notification read", "notifications", None, (200, Some("Notification")), &[])
        }
        NotificationReadAll => {
            op("Mark all my notifications read", "notifications", None, (200, Some("Marked")), &[])
        }
        CrawlerJobCreate => op(
            "Queue a crawl (http/https, public hosts only)",
            "crawler",
            Some("CrawlerJobRequest"),
            (202, Some("CrawlerJob")),
            &[ORG_Q],
        ),
        CrawlerJobList => op(
            "List crawler jobs",
            "crawler",
            None,
            (200, Some("CrawlerJobPage")),
            &[
                PAGE_Q[0],
                PAGE_Q[1],
                PAGE_Q[2],
                ORG_Q,
                ("status", "status", "Only jobs in this state."),
            ],
        ),
        CrawlerJobGet => op("Get a crawler job", "crawler", None, (200, Some("CrawlerJob")), &[]),
        CrawlerJobCancel => {
            op("Cancel a queued or running job", "crawler", None, (200, Some("CrawlerJob")), &[])
        }
        ProductSearch => op(
            "Search products (fts, semantic or hybrid)",
            "search",
            None,
            (200, Some("ProductSearch")),
            &SEARCH_Q[..5],
        ),
        InteractionSearch => op(
            "Search interactions",
            "search",
            None,
            (200, Some("InteractionSearch")),
            &[
                SEARCH_Q[0],
                SEARCH_Q[1],
                ("limit", "limit100", "1 to 100, default 20."),
                SEARCH_Q[3],
                ("sourceType", "sourceType", "web, cctv or social."),
            ],
        ),
        PatternSearch => op(
            "Search patterns",
            "search",
            None,
            (200, Some("PatternSearch")),
            &[
                SEARCH_Q[0],
                SEARCH_Q[1],
                SEARCH_Q[2],
                SEARCH_Q[3],
                ("period", "period", "daily, weekly, monthly or yearly."),
            ],
        ),
        QnaSearch => op(
            "Search the knowledge base: ranked passages",
            "qna",
            None,
            (200, Some("PassageSearch")),
            &[
                SEARCH_Q[0],
                SEARCH_Q[1],
                ("limit", "limit20", "1 to 20, default 5."),
                SEARCH_Q[3],
                ORG_Q,
            ],
        ),
        QnaDocumentCreate => op(
            "Add a document to the knowledge base",
            "qna",
            Some("DocumentRequest"),
            (201, Some("DocumentCreated")),
            &[ORG_Q],
        ),
        QnaDocumentList => op(
            "List knowledge-base documents",
            "qna",
            None,
            (200, Some("DocumentPage")),
            &[PAGE_Q[0], PAGE_Q[1], PAGE_Q[2], ORG_Q],
        ),
        QnaDocumentGet => {
            op("Get a document with its text", "qna", None, (200, Some("DocumentWithContent")), &[])
        }
        QnaDocumentDelete => {
            op("Delete a document and its index entries", "qna", None, (200, Some("Deleted")), &[])
        }
        ChatSessionCreate => op(
            "Start a chat session",
            "chat",
            Some("ChatSessionRequest"),
            (201, Some("ChatSession")),
            &[ORG_Q],
        ),
        ChatSessionList => op(
            "My chat sessions",
            "chat",
            None,
            (200, Some("ChatSessionList")),
            &[PAGE_Q[0], PAGE_Q[1], PAGE_Q[2], ORG_Q],
        ),
        ChatSessionGet => {
            op("Get a chat session", "chat", None, (200, Some("ChatSession")), &[ORG_Q])
        }
        ChatSessionDelete => op("Delete a chat session", "chat", None, (204, None), &[ORG_Q]),
        ChatMessagePost => op(
            "Ask a question: runs the agent and stores both messages",
            "chat",
            Some("ChatMessageRequest"),
            (201, Some("ChatMessage")),
            &[ORG_Q],
        ),
        ChatMessageList => op(
            "A session's messages, oldest first",
            "chat",
            None,
            (200, Some("ChatMessageList")),
            &[PAGE_Q[0], PAGE_Q[1], PAGE_Q[2], ORG_Q],
        ),
        BillingPlans => op(
            "Plans, their Stripe prices and rate limits",
            "billing",
            None,
            (200, Some("PlanList")),
            &[],
        ),
        BillingCheckout => op(
            "Start a Stripe Checkout for a plan (owners and admins)",
            "billing",
            Some("CheckoutRequest"),
            (201, Some("CheckoutSession")),
            &[ORG_Q],
        ),
        BillingPortal => op(
            "Open the Stripe customer portal",
            "billing",
            Some("PortalRequest"),
            (201, Some("PortalSession")),
            &[ORG_Q],
        ),
        BillingSubscription => op(
            "The organization's subscription",
            "billing",
            None,
            (200, Some("Subscription")),
            &[ORG_Q],
        ),
        BillingCancel => {
            op("Cancel at the end of the period", "billing", None, (200, Some("Subscription")), &[])
        }
        BillingResume => {
            op("Undo a scheduled cancellation", "billing", None, (200, Some("Subscription")), &[])
        }
        BillingInvoices => op("Invoices", "billing", None, (200, Some("InvoiceList")), &[ORG_Q]),
        BillingWebhook => op(
            "Stripe webhook (signed with Stripe-Signature)",
            "billing",
            Some("StripeEvent"),
            (200, Some("WebhookResult")),
            &[],
        ),
        // Analytics (issue 12).
        AnalyticsProducts => op(
            "Per-product performance (views, carts, purchases, units, revenue, conversion, social, dwell)",
            "analytics",
            None,
            (200, Some("AnalyticsProducts")),
            &[
                WINDOW_Q[0],
                WINDOW_Q[1],
                WINDOW_Q[2],
                ("sort", "metric", "Metric to sort by (default revenue)."),
                ("order", "order", "desc (default) or asc."),
                ("limit", "limit", "Products to return, 1 to 100 (default 10)."),
                ("category", "category", "Only products of this category (case-insensitive)."),
            ],
        ),
        AnalyticsTimeSeries => op(
            "A metric by day, week or month (empty buckets included)",
            "analytics",
            None,
            (200, Some("AnalyticsTimeSeries")),
            &[
                WINDOW_Q[0],
                WINDOW_Q[1],
                WINDOW_Q[2],
                ("metric", "metric", "Metric (default purchases)."),
                ("interval", "interval", "day (default), week (from Monday) or month."),
                ("productId", "productId", "Only this product's interactions."),
                ("category", "category", "Only this category's products."),
            ],
        ),
        AnalyticsCompare => op(
            "A metric in this period against the previous period of equal length",
            "analytics",
            None,
            (200, Some("AnalyticsComparison")),
            &[
                WINDOW_Q[0],
                WINDOW_Q[1],
                WINDOW_Q[2],
                ("metric", "metric", "Metric (default revenue)."),
                ("groupBy", "groupBy", "none (default), product or category."),
                ("limit", "limit", "Groups to return, 1 to 100 (default 10)."),
                ("category", "category", "Only this category's products."),
            ],
        ),
        AnalyticsFunnel => op(
            "The web funnel (view, cart, purchase), overall and per product",
            "analytics",
            None,
            (200, Some("AnalyticsFunnel")),
            &[
                WINDOW_Q[0],
                WINDOW_Q[1],
                WINDOW_Q[2],
                ("limit", "limit", "Products to return, 1 to 100 (default 10)."),
                ("category", "category", "Only this category's products."),
            ],
        ),
        AnalyticsStores => op(
            "In-store footfall, dwell and shelf interactions by store and zone",
            "analytics",
            None,
            (200, Some("AnalyticsStores")),
            &WINDOW_Q,
        ),
    }
}

fn query_schema(kind: &str) -> Value {
    match kind {
        "limit" | "limit100" => json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
        "limit50" => json!({ "type": "integer", "minimum": 1, "maximum": 50 }),
        "limit20" => json!({ "type": "integer", "minimum": 1, "maximum": 20 }),
        "page100" => json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
        "query" => json!({ "type": "string", "minLength": 1, "maxLength": 512 }),
        "mode" => en(&["semantic", "fts", "hybrid"]),
        "page" => json!({ "type": "integer", "minimum": 1, "maximum": 10000 }),
        "date-time" => json!({ "type": "string", "format": "date-time" }),
        "sourceType" => en(&["web", "cctv", "social"]),
        "period" => en(&["daily", "weekly", "monthly", "yearly"]),
        "status" => en(&["queued", "running", "completed", "failed", "cancelled"]),
        "boolean" => en(&["true", "false"]),
        "metric" => en(&crow_analytics::Metric::names()),
        "interval" => en(&["day", "week", "month"]),
        "groupBy" => en(&["none", "product", "category"]),
        "order" => en(&["asc", "desc"]),
        "category" => json!({ "type": "string", "minLength": 1, "maxLength": 100 }),
        "productId" => json!({ "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$" }),
        _ => s(),
    }
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": r("Error") } } })
}

/// The whole document. `server` is the base URL the request came to.
pub fn document(server: &str) -> Value {
    let mut paths = Map::new();
    for (method, pattern, route) in router().table() {
        let o = operation(route);
        let path = Router::<Route>::openapi_path(pattern);
        let mut params: Vec<Value> = pattern
            .split('/')
            .filter_map(|seg| seg.strip_prefix(':'))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 64 } }))
            .collect();
        params.extend(o.query.iter().map(|(name, kind, desc)| {
            json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": query_schema(kind) })
        }));
        let mut responses = Map::new();
        let (status, schema) = o.response;
        let ok = match (route, schema) {
            (Route::PictureGet, _) => {
                json!({ "description": "The image", "content": { "image/*": { "schema": { "type": "string", "format": "binary" } } } })
            }
            (Route::OpenApi, _) => {
                json!({ "description": "OpenAPI 3.1 document", "content": { "application/json": { "schema": any_obj() } } })
            }
            (_, Some(name)) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": r(name) } } })
            }
            (_, None) => json!({ "description": "Success" }),
        };
        responses.insert(status.to_string(), ok);
        let public = route.auth() == AuthMode::Public;
        for (code, text) in [
            ("400", "Invalid input (`details.field` names it)"),
            ("401", "Missing or invalid credential"),
            ("403", "Not allowed for this role, credential type or origin"),
            ("404", "No such resource for this caller"),
            ("409", "Conflicts with the current state"),
            ("413", "Body too large"),
            ("415", "Body is not JSON"),
            ("429", "Rate limited (see Retry-After and X-RateLimit-*)"),
            ("500", "Internal error"),
            ("502", "A dependency answered badly"),
            ("503", "A dependency is unavailable"),
        ] {
            if public
                && matches!(code, "401" | "403" | "404" | "409")
                && !matches!(route, Route::SignIn | Route::SignUp | Route::VerifyEmail)
            {
                continue;
            }
            responses.insert(code.to_string(), error_response(text));
        }
        let mut operation = json!({
            "operationId": format!("{route:?}"),
            "summary": o.summary,
            "tags": [o.tag],
            "parameters": params,
            "responses": responses,
        });
        if public {
            operation["security"] = json!([]);
        }
        match o.request {
            Some("image") => {
                operation["requestBody"] = json!({ "required": true, "content": {
                    "image/png": { "schema": { "type": "string", "format": "binary" } },
                    "image/jpeg": { "schema": { "type": "string", "format": "binary" } },
                    "image/webp": { "schema": { "type": "string", "format": "binary" } },
                    "image/gif": { "schema": { "type": "string", "format": "binary" } },
                } });
            }
            Some("Preferences.body") => {
                operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": any_obj() } } });
            }
            Some(name) => {
                operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(name) } } });
            }
            None => {}
        }
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CROW Edge REST API",
            "version": "1.0.0",
            "description": "The CROW retail-analytics REST API. Errors use the envelope `{\"error\":{\"code\",\"message\",\"details\",\"request_id\"}}`. \
    Every /api/v1 response carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (Unix seconds at which the reported window ends).",
        },
        "servers": [{ "url": server }],
        "security": [{ "bearer": [] }, { "apiKey": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer crow_…`" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-API-Key" },
                "session": { "type": "apiKey", "in": "cookie", "name": "better-auth.session_token" },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_and_every_operation_is_a_route() {
        let doc = document("http://localhost");
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
        let mut routes: Vec<(String, String)> = router()
            .routes()
            .map(|(m, p)| (m.to_string(), Router::<Route>::openapi_path(p)))
            .collect();
        documented.sort();
        routes.sort();
        assert_eq!(documented, routes);
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document("http://localhost");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").expect("local ref");
            assert!(doc["components"]["schemas"].get(name).is_some(), "unresolved {r}");
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document("http://localhost");
        let mut ids: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|i| {
                i.as_object()
                    .unwrap()
                    .values()
                    .map(|o| o["operationId"].as_str().unwrap().to_string())
            })
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
