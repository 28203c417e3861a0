pub mod analytics;
