//! Response bytes → both envelope shapes and the success envelope: never a panic, and whatever
//! parses serializes and parses back to the same value.
#![no_main]

use kaleyra_model::{ErrorEnvelope, SuccessEnvelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = ErrorEnvelope::from_slice(data) {
        let again = ErrorEnvelope::from_slice(envelope.to_json().as_bytes()).unwrap();
        assert_eq!(again, envelope);
    }
    if let Ok(success) = serde_json::from_slice::<SuccessEnvelope>(data) {
        let text = serde_json::to_string(&success).unwrap();
        let _: SuccessEnvelope = serde_json::from_str(&text).unwrap();
    }
});
