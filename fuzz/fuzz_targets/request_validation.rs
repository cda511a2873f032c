//! Request JSON → validation: never a panic; a rejection's envelope reads back as itself; what
//! validation accepts validates again to the same thing.
#![no_main]

use kaleyra_model::{AddNumberRequest, ErrorEnvelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<AddNumberRequest>(data) else { return };
    match kaleyra_validate::validate(&request) {
        Ok(valid) => {
            let again: AddNumberRequest = serde_json::from_str(&valid.to_json()).unwrap();
            assert_eq!(kaleyra_validate::validate(&again).unwrap(), valid);
        }
        Err(rejection) => {
            let parsed = ErrorEnvelope::from_slice(rejection.to_json().as_bytes()).unwrap();
            assert_eq!(parsed, rejection.envelope());
        }
    }
});
