//! The Workers AI binding, bound by hand.
//!
//! `worker::Env::ai` checks that the binding's JavaScript constructor is `Ai`, which refuses the
//! RPC stub of a service binding. Locally `AI` is such a stub (the stand-in's `AiStandIn`
//! entrypoint, `tests/standins/worker.js`), in production the runtime's `Ai` object; both have
//! `run(model, inputs) -> Promise`, so [`AiBinding`] takes the binding unchecked and the same
//! code calls either.
//!
//! Inputs are serialised with `serde_wasm_bindgen`'s JSON-compatible serializer: the default
//! turns objects into JS `Map`s, which the AI runtime drops (workers-rs #1050).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{Env, EnvBinding};

#[wasm_bindgen]
extern "C" {
    /// `env.AI`: the runtime's `Ai`, or a service binding's RPC stub with the same method.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type AiBinding;

    #[wasm_bindgen(method, catch, js_name = run)]
    async fn run_raw(
        this: &AiBinding,
        model: &str,
        inputs: JsValue,
    ) -> std::result::Result<JsValue, JsValue>;
}

impl EnvBinding for AiBinding {
    const TYPE_NAME: &'static str = "Ai";

    // Either the runtime's `Ai` or an RPC stub (`Fetcher`): skip the constructor check.
    fn get(val: JsValue) -> worker::Result<Self> {
        Ok(val.unchecked_into())
    }
}

/// Why an AI call failed: the message of the error the binding threw (Workers AI's
/// `"5007: No such model … or task"`, a stand-in's, or a transport error), or a local
/// (de)serialisation problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AiError(pub String);

/// The message of a thrown JS value (an `Error`'s `message`, or its string form).
pub fn js_error_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

impl AiBinding {
    /// The binding named `name` (`AI`), if the environment has one.
    pub fn from_env(env: &Env, name: &str) -> worker::Result<AiBinding> {
        env.get_binding::<AiBinding>(name)
    }

    /// `run(model, inputs)` with `inputs` as plain JS objects; the answer as JSON.
    pub async fn run<I: Serialize, O: DeserializeOwned>(
        &self,
        model: &str,
        inputs: &I,
    ) -> Result<O, AiError> {
        let js = inputs
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| AiError(format!("serialising the input: {e}")))?;
        let out = self.run_raw(model, js).await.map_err(|e| AiError(js_error_message(&e)))?;
        serde_wasm_bindgen::from_value(out).map_err(|e| AiError(format!("unreadable answer: {e}")))
    }
}
