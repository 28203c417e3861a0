//! Retail-domain rules of CROW Edge, free of any runtime: what a valid product, interaction or
//! pattern is, how the local AI backend describes a product, which crawl targets are allowed and
//! how a fetched page becomes text.

pub mod crawl;
pub mod describe;
pub mod inputs;
