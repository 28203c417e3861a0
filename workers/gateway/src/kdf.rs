//! Password hashing with the runtime's WebCrypto PBKDF2-HMAC-SHA256 (native code, so the
//! 100 000 iterations cost a few milliseconds instead of the ~100 ms a pure-wasm KDF would).
//! The record format and a reference implementation live in `crow_common::identity`.

use crow_common::crypto::random_bytes;
use crow_common::identity::{PasswordRecord, PBKDF2_ITERATIONS};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error::{Error, Result};

fn js_err(e: JsValue) -> Error {
    Error::Internal(worker::Error::from(e))
}

fn method(target: &JsValue, name: &str) -> std::result::Result<Function, JsValue> {
    Reflect::get(target, &JsValue::from_str(name))?.dyn_into::<Function>()
}

async fn derive(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> std::result::Result<[u8; 32], JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    let import_args = Array::of5(
        &JsValue::from_str("raw"),
        &Uint8Array::from(password).into(),
        &JsValue::from_str("PBKDF2"),
        &JsValue::FALSE,
        &Array::of1(&JsValue::from_str("deriveBits")),
    );
    let key_promise: Promise =
        method(&subtle, "importKey")?.apply(&subtle, &import_args)?.dyn_into()?;
    let key = JsFuture::from(key_promise).await?;
    let algorithm = Object::new();
    Reflect::set(&algorithm, &JsValue::from_str("name"), &JsValue::from_str("PBKDF2"))?;
    Reflect::set(&algorithm, &JsValue::from_str("hash"), &JsValue::from_str("SHA-256"))?;
    Reflect::set(&algorithm, &JsValue::from_str("salt"), &Uint8Array::from(salt).into())?;
    Reflect::set(&algorithm, &JsValue::from_str("iterations"), &JsValue::from(iterations))?;
    let bits_promise: Promise = method(&subtle, "deriveBits")?
        .call3(&subtle, &algorithm, &key, &JsValue::from(256))?
        .dyn_into()?;
    let bits = JsFuture::from(bits_promise).await?;
    let mut out = [0u8; 32];
    Uint8Array::new(&bits).copy_to(&mut out);
    Ok(out)
}

/// Hashes a new password with a fresh 16-byte salt.
pub async fn hash_password(password: &str) -> Result<String> {
    let salt = random_bytes::<16>()
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
    let hash = derive(password.as_bytes(), &salt, PBKDF2_ITERATIONS).await.map_err(js_err)?;
    Ok(PasswordRecord { iterations: PBKDF2_ITERATIONS, salt: salt.to_vec(), hash: hash.to_vec() }
        .encode())
}

/// Checks a password against a stored record. With no record (unknown user) a dummy derivation
/// still runs, so response timing does not reveal which emails have accounts.
pub async fn verify_password(password: &str, stored: Option<&str>) -> Result<bool> {
    match stored.and_then(PasswordRecord::parse) {
        Some(record) => {
            let derived = derive(password.as_bytes(), &record.salt, record.iterations)
                .await
                .map_err(js_err)?;
            Ok(record.matches(&derived))
        }
        None => {
            derive(password.as_bytes(), &[0u8; 16], PBKDF2_ITERATIONS).await.map_err(js_err)?;
            Ok(false)
        }
    }
}
