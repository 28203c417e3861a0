pub mod auth;
pub mod health;
pub mod orgs;
pub mod users;
